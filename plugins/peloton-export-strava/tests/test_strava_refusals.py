"""Strava's own refusals read as Strava's message with what to do, never as a login loop.

* "Limit of connected athletes exceeded" (403; as JSON, or as the HTML page of Strava's
  authorize step): a pause naming the way out (an application of one's own), no refresh,
  no login advice, at login time too;
* any other 403 (e.g. the 2026 paywall without the documented ``Inactive`` code): Strava's
  own message, not a missing scope, not "log in again", the workout pending.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import peloton_export_strava
import pytest
from peloton_export_strava.api import AthleteLimit, ScopeMissing, StravaApi, StravaSettings
from peloton_export_strava.upload import StravaUploader

from peloton_export import ExportContext, Workout
from peloton_export.cli import run
from peloton_export.config import Config
from peloton_export.errors import AuthRequired, UploadError
from peloton_export.plugins import create_host
from peloton_export.sinkkit import TokenStore
from peloton_export.store.ledger import Ledger, close_all

FakeStrava = Any


pytestmark = pytest.mark.usefixtures("strava_clock")


def section_of(settings: StravaSettings) -> dict[str, str]:
    return {
        "base_url": settings.base_url,
        "client_id": str(settings.client_id),
        "client_secret": str(settings.client_secret),
        "token_file": str(settings.token_file),
        "journal_file": str(settings.journal_file),
    }


@pytest.mark.parametrize("shape", ["json", "html"])
def test_athlete_limit_is_a_pause_with_the_way_out_and_no_refresh(
    fake_strava: FakeStrava,
    api: StravaApi,
    workout: Workout,
    fit_file: Path,
    context: ExportContext,
    shape: str,
) -> None:
    fake_strava.athlete_limit = shape
    with pytest.raises(AthleteLimit) as info:
        StravaUploader(api)(fit_file, workout, context)
    message = str(info.value)
    assert "\n" not in message and "Limit of connected athletes exceeded" in message
    assert "https://www.strava.com/settings/api" in message and "client_id" in message
    assert "login" not in message.lower() and "scope" not in message.lower()
    assert info.value.reason == "athlete-limit"
    assert fake_strava.count("POST", "^/oauth/token$") == 0  # no refresh
    assert fake_strava.posts() == [] and fake_strava.statuses == [403]
    state = api.journal.service_state()
    assert state is not None and state["reason"] == "athlete-limit"
    assert "limit of connected athletes" in state["raw"].lower()  # Strava's answer as sent
    assert api.journal.get(workout.id) is None  # the workout stays pending


def test_athlete_limit_on_a_token_refresh_is_the_same_pause(
    fake_strava: FakeStrava, settings: StravaSettings, clock: Any, workout: Workout, fit_file: Path
) -> None:
    TokenStore(settings.token_file).save(
        {"access_token": "old", "refresh_token": fake_strava.refresh_token, "expires_at": 0}
    )
    fake_strava.athlete_limit = "html"
    api = StravaApi(settings, clock=clock)
    try:
        with pytest.raises(AthleteLimit):
            api.access_token()
    finally:
        api.close()
    assert fake_strava.count("POST", "^/oauth/token$") == 1  # once, not a loop
    assert TokenStore(settings.token_file).load()["refresh_token"] == fake_strava.refresh_token


def test_strava_login_at_the_athlete_limit_says_so_in_one_line_without_login_advice(
    fake_strava: FakeStrava, settings: StravaSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_strava.athlete_limit = "json"
    host = create_host(entry_points=False, extra={"strava": peloton_export_strava})
    config = Config(plugins={"strava": section_of(settings)})
    assert run(["strava", "login", "--code", "good-code"], host=host, config=config) != 0
    out, err = capsys.readouterr()
    text = (out + err).strip()
    assert len(text.splitlines()) == 1, text
    assert "Limit of connected athletes exceeded" in text and "settings/api" in text
    assert "strava login" not in text and "log in again" not in text
    assert "Traceback" not in text and settings.client_secret not in text
    assert not settings.token_file.exists()


def test_athlete_limit_in_a_run_is_one_line_a_paused_sink_and_pending_workouts(
    peloton_env: Any,
    tmp_path: Path,
    fake_strava: FakeStrava,
    logged_in: StravaSettings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ini = tmp_path / "peloton.ini"
    strava = "".join(f"{k} = {v}\n" for k, v in section_of(logged_in).items())
    ini.write_text(ini.read_text() + f"[plugin:strava]\n{strava}")
    fake_strava.athlete_limit = "json"
    host = create_host(entry_points=False, extra={"strava": peloton_export_strava})

    assert run(["-f", "fit", "--sink", "strava"], host=host) == 1
    out, err = capsys.readouterr()
    lines = [line for line in (out + err).splitlines() if "strava" in line.lower()]
    assert len(lines) == 1, lines
    assert "strava paused" in lines[0] and "Limit of connected athletes exceeded" in lines[0]
    assert "login" not in (out + err).lower()
    assert len(fake_strava.requests) == 1  # one call answered 403; no other workout tried
    ledger = Ledger.for_reading()
    assert ledger.uploads_for(["strava"]) == {}
    assert len(ledger.sink_pauses()) == 1
    close_all()

    fake_strava.athlete_limit = None  # the user set an application of their own
    assert run(["-f", "fit", "--sink", "strava"], host=host) == 0
    capsys.readouterr()
    assert len(fake_strava.posts()) == 3
    ledger = Ledger.for_reading()
    assert ledger.sink_pauses() == {} and len(ledger.uploads_for(["strava"])) == 3
    close_all()


@pytest.mark.parametrize(
    "body",
    [
        {"message": "Forbidden", "errors": []},
        {
            "message": "Forbidden",
            "errors": [{"resource": "Athlete", "field": "subscription", "code": "required"}],
        },
    ],
    ids=["bare", "subscription"],
)
def test_another_403_is_stravas_own_message_not_a_scope_nor_a_login(
    fake_strava: FakeStrava,
    api: StravaApi,
    workout: Workout,
    fit_file: Path,
    context: ExportContext,
    body: dict[str, Any],
) -> None:
    fake_strava.fault("POST", "/api/v3/uploads", 403, body)
    with pytest.raises(UploadError) as info:
        StravaUploader(api)(fit_file, workout, context)
    message = str(info.value)
    assert not isinstance(info.value, AuthRequired)
    assert "HTTP 403: Forbidden" in message and "settings/api" in message and "\n" not in message
    assert "scope" not in message and "strava login" not in message
    if body["errors"]:
        assert "subscription required" in message  # Strava's own words
    assert fake_strava.count("POST", "^/oauth/token$") == 0
    assert api.journal.service_state() is None


def test_a_403_naming_a_permission_is_the_scope_it_names(
    fake_strava: FakeStrava, api: StravaApi, workout: Workout, fit_file: Path, context: ExportContext
) -> None:
    body = {
        "message": "Forbidden",
        "errors": [{"resource": "AccessToken", "field": "activity:write_permission", "code": "missing"}],
    }
    fake_strava.fault("POST", "/api/v3/uploads", 403, body)
    with pytest.raises(ScopeMissing, match="activity:write"):
        StravaUploader(api)(fit_file, workout, context)


def test_a_403_at_the_token_exchange_is_not_a_login_loop(
    fake_strava: FakeStrava, settings: StravaSettings, clock: Any
) -> None:
    TokenStore(settings.token_file).save(
        {"access_token": "old", "refresh_token": fake_strava.refresh_token, "expires_at": 0}
    )
    fake_strava.fault("POST", "/oauth/token", 403, {"message": "Forbidden", "errors": []})
    api = StravaApi(settings, clock=clock)
    try:
        with pytest.raises(UploadError) as info:
            api.access_token()
    finally:
        api.close()
    assert not isinstance(info.value, AuthRequired)
    assert "HTTP 403: Forbidden" in str(info.value) and "strava login" not in str(info.value)
