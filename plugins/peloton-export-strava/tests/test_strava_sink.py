"""The strava sink against the loopback fake: success, duplicate, 401, 429, 5xx, malformed."""

from __future__ import annotations

import dataclasses
import gzip
import importlib.metadata
import itertools
import json
import stat
from pathlib import Path

import peloton_export_strava
import pytest
from peloton_export_strava.api import StravaApi, StravaSettings
from peloton_export_strava.upload import StravaUploader, activity_description, activity_name

from peloton_export import ExportContext, UploadResult, Workout
from peloton_export.errors import AuthRequired, ConfigError, UploadError
from peloton_export.plugins import create_host


def test_plugin_is_installed() -> None:
    names = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="peloton_export")}
    assert names.get("strava") == "peloton_export_strava"


def test_sink_is_registered_through_the_host() -> None:
    host = create_host(entry_points=False, extra={"strava": peloton_export_strava})
    sink = host.sinks()["strava"]
    assert sink.accepts == ("fit", "tcx", "gpx")


def test_success_uploads_gzipped_fit_with_fields(fake_strava, api, clock, workout, fit_file, context) -> None:
    result = StravaUploader(api)(fit_file, workout, context)

    assert result == UploadResult(state="uploaded", remote_id="12000000001")
    (post,) = fake_strava.posts()
    assert post.form["data_type"] == "fit.gz"
    assert post.form["external_id"] == "peloton-f00dcafe0001"
    assert post.form["name"] == "30 min Power Zone Ride with Matt Wilpers"
    assert post.form["trainer"] == "1"
    assert post.form["sport_type"] == "VirtualRide"
    assert post.form["activity_type"] == "virtualride"
    assert "http" not in post.form["description"]
    assert "412 kcal" in post.form["description"]
    filename, data = post.files["file"]
    assert filename == "peloton-f00dcafe0001.fit.gz"
    assert gzip.decompress(data) == fit_file.read_bytes()
    # polled twice, never more than once a second
    assert fake_strava.count("GET", r"^/api/v3/uploads/") == 2
    assert clock.sleeps and all(s >= 1.0 for s in clock.sleeps)


def test_polls_are_at_least_one_second_apart(fake_strava, api, clock, workout, fit_file, context) -> None:
    fake_strava.polls_before_ready = 5
    times: list[float] = []
    original = api.request

    def spy(method, path, **kw):
        if method == "GET" and path.startswith("/uploads/"):
            times.append(clock.time())
        return original(method, path, **kw)

    api.request = spy  # type: ignore[method-assign]
    StravaUploader(api)(fit_file, workout, context)
    assert len(times) == 5
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(times))


def test_outdoor_run_has_no_trainer_or_virtual_ride(fake_strava, api, new_workout, tmp_path, context) -> None:
    workout = new_workout(
        "0utd00r", discipline="running", is_outdoor=True, instructor=None, title="Outdoor Run"
    )
    path = tmp_path / "run.tcx"
    path.write_bytes(b"<tcx/>")
    StravaUploader(api)(path, workout, context)
    (post,) = fake_strava.posts()
    assert post.form["data_type"] == "tcx.gz"
    assert post.form["name"] == "Outdoor Run"
    assert "trainer" not in post.form and "sport_type" not in post.form


def test_duplicate_answer_is_recorded_as_duplicate(
    fake_strava, api, workout, fit_file, context, tmp_path
) -> None:
    first = StravaUploader(api)(fit_file, workout, context)
    # the same file again, as another tool or a --force run would send it
    result = StravaUploader(api)(fit_file, workout, ExportContext(output_dir=tmp_path, force=True))
    assert result.state == "duplicate"
    assert result.remote_id == first.remote_id
    assert fake_strava.created == 1


def test_expired_token_is_refreshed_and_rotated_refresh_token_kept(
    fake_strava, api, logged_in, clock, workout, fit_file, context
) -> None:
    fake_strava.access_token = "access-token-revoked-by-strava"  # our saved one no longer works
    result = StravaUploader(api)(fit_file, workout, context)
    assert result.state == "uploaded"
    stored = json.loads(logged_in.token_file.read_text())
    assert stored["refresh_token"] == fake_strava.refresh_token == "refresh-token-gen0001"
    assert stored["access_token"] == "access-token-gen0001"
    assert stat.S_IMODE(logged_in.token_file.stat().st_mode) == 0o600


def test_token_near_expiry_is_refreshed_before_use(
    fake_strava, api, logged_in, clock, workout, fit_file, context
):
    stored = json.loads(logged_in.token_file.read_text())
    stored["expires_at"] = int(clock.now + 30)
    logged_in.token_file.write_text(json.dumps(stored))
    StravaUploader(api)(fit_file, workout, context)
    assert fake_strava.count("POST", "^/oauth/token$") == 1
    assert not any(r.headers.get("Authorization", "").endswith("aaaaaaaa") for r in fake_strava.requests)


def test_revoked_refresh_token_asks_for_login(fake_strava, api, workout, fit_file, context) -> None:
    fake_strava.access_token = "something-else-entirely"
    fake_strava.refresh_token = "also-something-else"
    with pytest.raises(AuthRequired, match="peloton-export strava login"):
        StravaUploader(api)(fit_file, workout, context)
    assert fake_strava.created == 0
    assert api.journal.get(workout.id) is None


def test_not_logged_in(settings, clock, workout, fit_file, context) -> None:
    api = StravaApi(settings, clock=clock)
    with pytest.raises(AuthRequired, match="strava login"):
        StravaUploader(api)(fit_file, workout, context)
    api.close()


def test_429_waits_for_the_next_window_then_uploads(
    fake_strava, api, clock, workout, fit_file, context
) -> None:
    fake_strava.fault(
        "POST",
        "/api/v3/uploads",
        429,
        {"message": "Rate Limit Exceeded", "errors": [{"resource": "Application", "code": "exceeded"}]},
        headers={"X-RateLimit-Usage": "200,310"},
    )
    fake_strava.usage = [200, 310]
    result = StravaUploader(api)(fit_file, workout, context)
    assert result.state == "uploaded"
    assert clock.sleeps[0] == pytest.approx(600.0)  # 10:05 -> 10:15
    assert len(fake_strava.posts()) == 2  # the rejected one and the real one
    assert fake_strava.created == 1


def test_full_window_seen_in_headers_waits_before_sending(
    fake_strava, api, clock, new_workout, tmp_path, context
):
    fake_strava.usage = [199, 10]  # after the next request, usage is 200 of 200
    first, second = new_workout("w1"), new_workout("w2")
    for w in (first, second):
        (tmp_path / f"{w.id}.fit").write_bytes(w.id.encode())
    StravaUploader(api)(tmp_path / "w1.fit", first, context)
    fake_strava.usage = [200, 11]
    sleeps_before = len(clock.sleeps)
    StravaUploader(api)(tmp_path / "w2.fit", second, context)
    assert max(clock.sleeps[sleeps_before:]) > 60  # waited for the window instead of being refused
    assert not any(r.path == "/api/v3/uploads" and r.method == "POST" for r in fake_strava.requests[:0])


def test_daily_limit_fails_with_a_clear_message(fake_strava, api, clock, workout, fit_file, context) -> None:
    fake_strava.fault(
        "POST",
        "/api/v3/uploads",
        429,
        {"message": "Rate Limit Exceeded"},
        headers={"X-RateLimit-Usage": "12,2000"},
    )
    with pytest.raises(UploadError, match="rate limited"):
        StravaUploader(api)(fit_file, workout, context)


def test_5xx_on_status_poll_is_retried(fake_strava, api, clock, workout, fit_file, context) -> None:
    fake_strava.fault("GET", r"/api/v3/uploads/\d+", 503, b"<html>Service Unavailable</html>", times=2)
    result = StravaUploader(api)(fit_file, workout, context)
    assert result.state == "uploaded"


def test_5xx_on_upload_checks_then_retries(fake_strava, api, clock, workout, fit_file, context) -> None:
    fake_strava.fault("POST", "/api/v3/uploads", 502, b"<html>Bad Gateway</html>")
    result = StravaUploader(api)(fit_file, workout, context)
    assert result.state == "uploaded"
    # one look-up before sending (a copy?), one after the 502 (did it take?)
    assert fake_strava.count("GET", "^/api/v3/athlete/activities$") == 2
    assert fake_strava.created == 1


def test_5xx_after_the_upload_was_taken_is_not_uploaded_twice(
    fake_strava, api, clock, workout, fit_file, context
) -> None:
    fake_strava.polls_before_ready = 0
    # Strava took the upload but the answer was lost as a 500; processing finished anyway
    fake_strava.fault("POST", "/api/v3/uploads", 500, b"", after=True)
    original = fake_strava._upload

    def upload_and_process(form, files):
        status, body = original(form, files)
        fake_strava._status(body["id"])
        return status, body

    fake_strava._upload = upload_and_process  # type: ignore[method-assign]
    result = StravaUploader(api)(fit_file, workout, context)
    assert result == UploadResult(state="uploaded", remote_id="12000000001")
    assert len(fake_strava.posts()) == 1
    assert fake_strava.created == 1


def test_malformed_upload_answer_is_an_upload_error(fake_strava, api, workout, fit_file, context) -> None:
    fake_strava.fault("POST", "/api/v3/uploads", 201, b"{not json")
    with pytest.raises(UploadError, match="not JSON"):
        StravaUploader(api)(fit_file, workout, context)


def test_answer_without_upload_id_is_an_upload_error(fake_strava, api, workout, fit_file, context) -> None:
    fake_strava.fault("POST", "/api/v3/uploads", 201, {"status": "ok"})
    with pytest.raises(UploadError, match="no upload id"):
        StravaUploader(api)(fit_file, workout, context)


def test_rejected_file_is_an_upload_error_and_can_be_retried(fake_strava, api, workout, fit_file, context):
    fake_strava.fault(
        "GET",
        r"/api/v3/uploads/\d+",
        200,
        {"id": 1, "id_str": "1", "error": "Improperly formatted data.", "activity_id": None},
    )
    with pytest.raises(UploadError, match="Improperly formatted data"):
        StravaUploader(api)(fit_file, workout, context)
    assert api.journal.get(workout.id) is None  # a corrected file may be sent again


def test_400_is_an_upload_error(fake_strava, api, workout, tmp_path, context) -> None:
    path = tmp_path / "x.fit"
    path.write_bytes(b"x")
    fake_strava.fault(
        "POST",
        "/api/v3/uploads",
        400,
        {"message": "Bad Request", "errors": [{"field": "data", "code": "empty"}]},
    )
    with pytest.raises(UploadError, match=r"HTTP 400: Bad Request \(data empty\)"):
        StravaUploader(api)(path, workout, context)


def test_unsupported_file_type(api, workout, tmp_path, context) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b")
    with pytest.raises(UploadError, match="FIT, TCX or GPX"):
        StravaUploader(api)(path, workout, context)


def test_poll_timeout_leaves_the_upload_for_the_next_run(
    fake_strava, logged_in, clock, workout, fit_file, context
) -> None:
    api = StravaApi(dataclasses.replace(logged_in, poll_timeout=5), clock=clock)
    fake_strava.polls_before_ready = 10_000
    with pytest.raises(UploadError, match="still processing"):
        StravaUploader(api)(fit_file, workout, context)
    fake_strava.polls_before_ready = 0
    result = StravaUploader(api)(fit_file, workout, context)
    api.close()
    assert result.state == "uploaded"
    assert len(fake_strava.posts()) == 1
    assert fake_strava.count("GET", r"^/api/v3/uploads/") == 6


def test_templates_and_unknown_field(workout: Workout, tmp_path: Path) -> None:
    ctx = ExportContext(
        output_dir=tmp_path,
        plugin_config={
            "strava": {
                "name_template": "{date} {title} ({minutes} min)",
                "description_template": "Avg {avg_power} W\\nNo HR {nothing}",
            }
        },
    )
    assert activity_name(workout, ctx) == "2026-11-20 30 min Power Zone Ride (30 min)"
    with pytest.raises(ConfigError, match=r"unknown field \{nothing\}"):
        activity_description(workout, ctx)


def test_activity_exists(fake_strava, api, workout, fit_file, context) -> None:
    result = StravaUploader(api)(fit_file, workout, context)
    assert result.remote_id is not None
    assert api.activity_exists(result.remote_id) is True
    del fake_strava.activities[int(result.remote_id)]
    assert api.activity_exists(result.remote_id) is False


def test_settings_from_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRAVA_CLIENT_SECRET", "from-the-environment")
    ctx = ExportContext(
        output_dir=tmp_path,
        options={"strava.max_wait": "60"},
        plugin_config={"strava": {"client_id": "1", "base_url": "http://127.0.0.1:9/", "max_wait": "5"}},
    )
    settings = StravaSettings.from_context(ctx)
    assert settings.client_secret == "from-the-environment"
    assert settings.base_url == "http://127.0.0.1:9"
    assert settings.max_wait == 60.0
    with pytest.raises(ConfigError, match="max_wait"):
        StravaSettings.from_mapping({"max_wait": "soon"})


def test_rate_limit_knowledge_outlives_one_upload(
    fake_strava, logged_in, clock, new_workout, tmp_path, monkeypatch
):
    monkeypatch.setattr(peloton_export_strava, "CLOCK", clock)
    section = {
        "base_url": logged_in.base_url,
        "client_id": logged_in.client_id,
        "client_secret": logged_in.client_secret,
        "token_file": str(logged_in.token_file),
        "journal_file": str(logged_in.journal_file),
    }
    ctx = ExportContext(output_dir=tmp_path, plugin_config={"strava": section})
    fake_strava.limit = (3, 2000)  # a window of three requests: the first upload fills it (POST + 2 polls)
    for name in ("a1", "a2"):
        (tmp_path / f"{name}.fit").write_bytes(name.encode())
    peloton_export_strava.upload(tmp_path / "a1.fit", new_workout("a1"), ctx)
    before = clock.now
    peloton_export_strava.upload(tmp_path / "a2.fit", new_workout("a2"), ctx)
    assert 429 not in fake_strava.statuses  # no request was refused: we waited instead
    assert clock.now - before >= 600 - 5  # waited for 10:15
