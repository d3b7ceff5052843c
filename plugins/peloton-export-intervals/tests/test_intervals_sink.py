"""The intervals sink against the loopback fake: success, duplicate, 401, 429, 5xx, malformed, crashes."""

from __future__ import annotations

import base64
import dataclasses
import gzip
import importlib.metadata
import logging
import stat
from pathlib import Path
from typing import Any

import peloton_export_intervals
import pytest
from peloton_export_intervals.sink import IntervalsSettings, IntervalsUploader

from peloton_export import ExportContext
from peloton_export.errors import AuthRequired, ConfigError, UploadError
from peloton_export.plugins import create_host


@pytest.fixture(autouse=True)
def _fake_clock(monkeypatch: pytest.MonkeyPatch, clock: Any) -> None:
    monkeypatch.setattr(peloton_export_intervals, "CLOCK", clock)


upload = peloton_export_intervals.upload
API_KEY = "icu-api-key-5up3r53cr3t"  # the fake's key (conftest.API_KEY)


def test_plugin_is_installed() -> None:
    names = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="peloton_export")}
    assert names.get("intervals") == "peloton_export_intervals"
    host = create_host(entry_points=False, extra={"intervals": peloton_export_intervals})
    assert host.sinks()["intervals"].accepts == ("fit", "tcx", "gpx")


def test_success(fake_icu, workout, fit_file, context) -> None:
    result = upload(fit_file, workout, context)
    assert (result.state, result.remote_id) == ("uploaded", "i1001")
    (post,) = fake_icu.posts()
    assert post.path == "/api/v1/athlete/0/activities"
    assert (
        post.headers["Authorization"] == "Basic " + base64.b64encode(f"API_KEY:{API_KEY}".encode()).decode()
    )
    assert post.query["external_id"] == "peloton-beef00000001"
    assert post.query["name"] == "20 min HIIT Ride with Robin Arzón"
    assert "250 kcal" in post.query["description"]
    filename, data = post.files["file"]
    assert filename == "peloton-beef00000001.fit.gz"
    assert gzip.decompress(data) == fit_file.read_bytes()


def test_duplicate_is_recorded_as_duplicate_with_the_existing_id(
    fake_icu, workout, fit_file, context
) -> None:
    upload(fit_file, workout, context)
    again = upload(fit_file, workout, dataclasses.replace(context, force=True))
    assert (again.state, again.remote_id) == ("duplicate", "i1001")
    assert fake_icu.created == 1
    assert fake_icu.statuses == [201, 200]  # intervals.icu's de-duplication: 200 with the old one


def test_200_with_the_existing_activity_is_a_duplicate_even_under_another_workout(
    fake_icu, workout, fit_file, context
) -> None:
    """Same file content under another workout id: intervals.icu answers 200, not 201."""
    first = upload(fit_file, workout, context)
    other = dataclasses.replace(workout, id="beef00000002")
    again = upload(fit_file, other, context)
    assert (first.state, again.state) == ("uploaded", "duplicate")
    assert again.remote_id == first.remote_id == "i1001"
    assert "already on intervals.icu" in again.message
    assert len(fake_icu.posts()) == 2 and fake_icu.created == 1


def test_older_409_duplicate_answer_is_still_a_duplicate(fake_icu, workout, fit_file, context) -> None:
    fake_icu.duplicate_status = 409
    upload(fit_file, workout, context)
    again = upload(fit_file, workout, dataclasses.replace(context, force=True))
    assert (again.state, again.remote_id) == ("duplicate", "i1001")  # found by external_id


def test_401_asks_for_the_key_and_is_not_retried(fake_icu, workout, fit_file, context) -> None:
    fake_icu.fault("POST", r".*/activities", 401, {"status": 401, "error": "Unauthorized"})
    with pytest.raises(AuthRequired, match="api_key"):
        upload(fit_file, workout, context)
    assert len(fake_icu.posts()) == 1
    # the key is fixed: the next run uploads without a look-up first
    assert upload(fit_file, workout, context).state == "uploaded"
    assert not [r for r in fake_icu.requests if r.method == "GET"]


def test_missing_key(workout, fit_file, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("INTERVALS_API_KEY", raising=False)
    with pytest.raises(AuthRequired, match="API key"):
        upload(fit_file, workout, ExportContext(output_dir=tmp_path))


def test_429_waits_for_retry_after(fake_icu, workout, fit_file, context, clock) -> None:
    fake_icu.fault(
        "POST",
        r".*/activities",
        429,
        {"status": 429, "error": "Too many requests"},
        headers={"Retry-After": "30"},
    )
    assert upload(fit_file, workout, context).state == "uploaded"
    assert clock.sleeps == [30.0]
    assert fake_icu.created == 1


def test_5xx_then_next_run_checks_before_sending(fake_icu, workout, fit_file, context) -> None:
    fake_icu.fault("POST", r".*/activities", 502, b"<html>Bad Gateway</html>", after=True)  # it was stored
    with pytest.raises(UploadError, match="HTTP 502"):
        upload(fit_file, workout, context)
    result = upload(fit_file, workout, context)
    assert (result.state, result.remote_id) == ("uploaded", "i1001")
    assert len(fake_icu.posts()) == 1
    assert fake_icu.created == 1


def test_5xx_on_look_up_is_retried(fake_icu, workout, fit_file, context, clock) -> None:
    fake_icu.fault("POST", r".*/activities", 503, b"", after=False)
    with pytest.raises(UploadError):
        upload(fit_file, workout, context)
    fake_icu.fault("GET", r".*/activities", 500, b"oops", times=2)
    assert upload(fit_file, workout, context).state == "uploaded"
    assert len(clock.sleeps) == 2


def test_malformed_answer(fake_icu, workout, fit_file, context) -> None:
    fake_icu.fault("POST", r".*/activities", 201, b"<html>maintenance</html>")
    with pytest.raises(UploadError, match="not JSON"):
        upload(fit_file, workout, context)
    fake_icu.fault("POST", r".*/activities", 201, {"icu_athlete_id": "i42"})
    with pytest.raises(UploadError, match="no activity id"):
        upload(fit_file, workout, dataclasses.replace(context, force=True))


def test_422_is_an_error_naming_the_reason(fake_icu, workout, fit_file, context) -> None:
    fake_icu.fault("POST", r".*/activities", 422, {"status": 422, "error": "Unsupported file"})
    with pytest.raises(UploadError, match="HTTP 422: Unsupported file"):
        upload(fit_file, workout, context)


def test_twice_and_after_a_crash_before_the_ledger_write(fake_icu, workout, fit_file, context) -> None:
    ledger: dict[str, Any] = {}

    def run(crash: bool = False) -> None:
        if workout.id in ledger:
            return
        result = upload(fit_file, workout, context)
        if crash:
            return  # the process dies before the ledger write
        ledger[workout.id] = result

    run(crash=True)
    run()
    run()
    assert len(fake_icu.posts()) == 1
    assert ledger[workout.id].remote_id == "i1001"


def test_activity_exists(fake_icu, workout, fit_file, context, clock) -> None:
    remote = upload(fit_file, workout, context).remote_id
    uploader = IntervalsUploader(IntervalsSettings.from_context(context), clock=clock)
    assert uploader.activity_exists(remote) is True
    del fake_icu.activities[remote]
    assert uploader.activity_exists(remote) is False
    uploader.close()


def test_bad_athlete_id(tmp_path: Path) -> None:
    ctx = ExportContext(
        output_dir=tmp_path, plugin_config={"intervals": {"api_key": "k" * 10, "athlete_id": "me"}}
    )
    with pytest.raises(ConfigError, match="athlete_id"):
        IntervalsSettings.from_context(ctx)


def test_the_api_key_never_reaches_logs_errors_or_files(
    fake_icu, workout, fit_file, context, caplog, tmp_path
):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3").setLevel(logging.DEBUG)
    errors = []
    try:
        upload(fit_file, workout, context)
        fake_icu.fault("POST", r".*/activities", 401, {"status": 401, "error": "Unauthorized"})
        fake_icu.fault("POST", r".*/activities", 500, b"")
        for force in (True, True):
            try:
                upload(fit_file, workout, dataclasses.replace(context, force=force))
            except UploadError as exc:
                errors.append(str(exc))
    finally:
        logging.getLogger("urllib3").setLevel(logging.NOTSET)
    assert "Starting new HTTP connection" in caplog.text
    assert len(errors) == 2
    encoded = base64.b64encode(f"API_KEY:{API_KEY}".encode()).decode()
    for text in (caplog.text, *errors):
        assert API_KEY not in text and encoded not in text
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert API_KEY.encode() not in path.read_bytes()
    journal = Path(context.config_for("intervals")["journal_file"])
    assert stat.S_IMODE(journal.stat().st_mode) == 0o600


def test_exists_through_the_module_function(fake_icu, workout, fit_file, context) -> None:
    remote = upload(fit_file, workout, context).remote_id
    assert peloton_export_intervals.exists(remote, context) is True
    fake_icu.activities.clear()
    assert peloton_export_intervals.exists(remote, context) is False
