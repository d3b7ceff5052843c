"""The garmin sink: the real garminconnect client against a loopback fake, and a sign-in stub."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import stat
from pathlib import Path
from typing import Any

import peloton_export_garmin
import pytest
from peloton_export_garmin.sink import classify

from peloton_export.errors import AuthRequired, UploadError
from peloton_export.plugins import create_host

upload = peloton_export_garmin.upload


def test_plugin_is_installed() -> None:
    names = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="peloton_export")}
    assert names.get("garmin") == "peloton_export_garmin"
    host = create_host(entry_points=False, extra={"garmin": peloton_export_garmin})
    assert host.sinks()["garmin"].accepts == ("fit", "tcx", "gpx")


# -- the real library against the fake ---------------------------------------------------------


def test_upload_shape_and_success(fake_garmin, real_library, saved_tokens, clock, workout, fit_file, context):
    result = upload(fit_file, workout, context)
    assert (result.state, result.remote_id) == ("uploaded", "21000000001")
    (_method, path, headers, files) = fake_garmin.uploads()[0]
    assert path == "/upload-service/upload"
    assert headers["Authorization"].startswith("Bearer ")
    assert files["file"] == ("ride.fit", fit_file.read_bytes())


def test_409_is_a_duplicate(
    fake_garmin, real_library, saved_tokens, clock, workout, fit_file, context
) -> None:
    upload(fit_file, workout, context)
    again = upload(fit_file, workout, dataclasses.replace(context, force=True))
    assert again.state == "duplicate"
    assert fake_garmin.created == 1


def test_401_refreshes_and_keeps_the_new_tokens(
    fake_garmin, real_library, saved_tokens, clock, workout, fit_file, context
) -> None:
    fake_garmin.expire_token()
    result = upload(fit_file, workout, context)
    assert result.state == "uploaded"
    assert fake_garmin.refreshes == 1
    stored = json.loads(saved_tokens.read_text())
    assert stored["di_refresh_token"] == fake_garmin.refresh
    assert stat.S_IMODE(saved_tokens.stat().st_mode) == 0o600


def test_429_waits_and_retries(
    fake_garmin, real_library, saved_tokens, clock, workout, fit_file, context
) -> None:
    fake_garmin.fault("/upload-service/upload", 429, {"message": "Too Many Requests"}, times=2)
    assert upload(fit_file, workout, context).state == "uploaded"
    assert clock.sleeps == [60.0, 120.0]
    assert fake_garmin.created == 1


def test_5xx_retries_then_gives_up(
    fake_garmin, real_library, saved_tokens, clock, workout, fit_file, context
):
    fake_garmin.fault("/upload-service/upload", 503, b"<html>Service Unavailable</html>", times=3)
    with pytest.raises(UploadError, match="503"):
        upload(fit_file, workout, context)
    assert clock.sleeps == [5.0, 10.0]
    fake_garmin.fault("/upload-service/upload", 500, b"", times=1)
    assert upload(fit_file, workout, context).state == "uploaded"


def test_malformed_answer(fake_garmin, real_library, saved_tokens, clock, workout, fit_file, context) -> None:
    fake_garmin.fault("/upload-service/upload", 201, b"<html>ok</html>")
    with pytest.raises(UploadError, match="unreadable"):
        upload(fit_file, workout, context)
    fake_garmin.fault("/upload-service/upload", 201, {"something": "else"})
    with pytest.raises(UploadError, match="detailedImportResult"):
        upload(fit_file, workout, context)


def test_revoked_login_asks_to_log_in(
    fake_garmin, real_library, saved_tokens, clock, workout, fit_file, context
):
    fake_garmin.fault(r"/di-oauth2-service/oauth/token", 400, {"error": "invalid_grant"}, times=5)
    fake_garmin.expire_token()
    with pytest.raises((AuthRequired, UploadError)) as info:
        upload(fit_file, workout, context)
    assert (
        "garmin login" in str(info.value)
        or "cooldown" in str(info.value)
        or "no new attempt" in str(info.value)
    )
    assert fake_garmin.created == 0


def test_twice_and_after_crashes_one_activity(
    fake_garmin, real_library, saved_tokens, clock, workout, fit_file, context, monkeypatch
) -> None:
    ledger: dict[str, Any] = {}

    def run() -> None:
        if workout.id not in ledger:
            ledger[workout.id] = upload(fit_file, workout, context)

    upload(fit_file, workout, context)  # crash before the ledger write: result lost
    run()
    run()
    assert len(fake_garmin.uploads()) == 1
    assert ledger[workout.id].remote_id == "21000000001"

    # a crash after Garmin took the file but before the journal knew: Garmin's 409 answers
    Path(context.config_for("garmin")["journal_file"]).unlink()
    ledger.clear()
    run()
    assert ledger[workout.id].state == "duplicate"
    assert fake_garmin.created == 1


def test_not_logged_in(clock, workout, fit_file, context) -> None:
    with pytest.raises(AuthRequired, match="garmin login"):
        upload(fit_file, workout, context)


def test_wrong_file_type(saved_tokens, clock, workout, tmp_path, context) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a")
    with pytest.raises(UploadError, match="FIT, TCX or GPX"):
        upload(path, workout, context)


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("API Error 409 - {'code': 202, 'content': 'Duplicate Activity.'}", "duplicate"),
        ("API Error 401 - Unauthorized", "auth"),
        ("API Error 429 - Too Many Requests", "rate"),
        ("API Error 502", "server"),
        ("Download error: boom", "other"),
    ],
)
def test_classify(message: str, kind: str) -> None:
    assert classify(RuntimeError(message)) == kind


def test_exists_tells_a_deleted_activity(
    fake_garmin, real_library, saved_tokens, clock, workout, fit_file, context
) -> None:
    remote = upload(fit_file, workout, context).remote_id
    assert remote is not None
    assert peloton_export_garmin.exists(remote, context) is True
    fake_garmin.by_content.clear()  # the user deleted it on Garmin Connect
    assert peloton_export_garmin.exists(remote, context) is False


def test_cloudflare_429_with_an_hours_retry_after_on_upload_is_a_failing_service_at_once(
    fake_garmin, real_library, saved_tokens, clock, workout, fit_file, context
) -> None:
    """Issue 22: no 3 minutes of waiting per workout; the core's breaker pauses the sink."""
    from peloton_export.errors import ServiceFailing
    from peloton_export.testing import FakeService

    headers = {"Server": "cloudflare", "Content-Type": "text/html", "Retry-After": "3600"}
    page = b"<!DOCTYPE html><html><body>error code: 1015</body></html>"
    FakeService.fault(fake_garmin, None, "/upload-service/upload", 429, page, headers=headers, times=None)
    with pytest.raises(ServiceFailing) as info:
        upload(fit_file, workout, context)
    assert info.value.retry_after == 3600.0
    assert str(info.value) == "Garmin upload: rate limited (HTTP 429), Garmin asked to wait 60 min"
    assert clock.sleeps == []  # not waited out: the breaker leaves the sink for the run
    assert len(fake_garmin.find("POST", "^/upload-service/upload$")) == 1
    assert fake_garmin.created == 0
    fake_garmin.clear_faults()  # Garmin lets us in again: the next run uploads, once
    assert upload(fit_file, workout, context).state == "uploaded"
    assert fake_garmin.created == 1
