"""Household profiles with Strava: one member's inactive Strava app never stops another's uploads.

Two profiles, two fake Peloton accounts and two fake Strava services (each profile's own
``strava.base_url`` and its own saved Strava login in its own config folder). Anna's Strava
application is inactive: her run exports her files, pauses her Strava sink and says so in
her line; Ben's run uploads his workouts to his Strava, in the same household cycle.
"""

# ruff: noqa: F811  (the fake_peloton fixtures are imported by name; tests take them as arguments)
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from peloton_export.config import load_config
from peloton_export.plugins import create_host
from peloton_export.profiles import load_profiles
from peloton_export.sinkkit import TokenStore
from peloton_export.store.ledger import Ledger, close_all
from peloton_export.testing import tiny_workout
from peloton_export.testing.pytest_plugin import fake_peloton_factory  # noqa: F401 (fixture)
from peloton_export.unattended.cycle import CycleOptions
from peloton_export.unattended.household import run_household

CLIENT_ID = "424242"
CLIENT_SECRET = "client-secret-0f1e2d3c4b5a"


pytestmark = pytest.mark.usefixtures("strava_clock")


def test_an_inactive_strava_app_of_one_profile_leaves_the_others_uploads(
    fake_peloton_factory: Any,
    fake_strava: Any,
    clock: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    anna_peloton = fake_peloton_factory([tiny_workout(i) for i in range(2)], user_id="a" * 32)
    ben_peloton = fake_peloton_factory([tiny_workout(i) for i in range(2, 5)], user_id="b" * 32)
    anna_strava = fake_strava
    ben_strava = type(fake_strava)()  # the conftest's class (not importable by name)
    ben_strava.clock = clock
    ben_strava.quarter, ben_strava.day = anna_strava.quarter, anna_strava.day
    ben_strava.access_token, ben_strava.refresh_token = "access-token-bbbbbbbb", "refresh-token-bbbbbbb0"
    ben_strava.start()
    try:
        for name, value in {
            "PELOTON_CONFIG": tmp_path / "peloton.ini",
            "PELOTON_EXPORT_CONFIG_DIR": tmp_path / "config",
            "PELOTON_EXPORT_STATE_DIR": tmp_path / "state",
            "PELOTON_EXPORT_DATA_DIR": tmp_path / "data",
            "PELOTON_EXPORT_ARCHIVE": tmp_path / "data" / "archive",
        }.items():
            monkeypatch.setenv(name, str(value))
        for name in ("PELOTON_EXPORT_API_URL", "PELOTON_EXPORT_AUTH_URL", "PELOTON_EXPORT_STRAVA_URL"):
            monkeypatch.delenv(name, raising=False)
        lines = [
            "[peloton-export]",
            "keyring = false",
            "max_rate = 0",
            "max_attempts = 1",
            "formats = fit",
            "sinks = strava",
            f"output_dir = {tmp_path / 'out'}",
            "[plugin:strava]",
            f"client_id = {CLIENT_ID}",
            f"client_secret = {CLIENT_SECRET}",
        ]
        for name, peloton, strava in (("anna", anna_peloton, anna_strava), ("ben", ben_peloton, ben_strava)):
            lines += [
                f"[profile:{name}]",
                f"api_url = {peloton.api_url}",
                f"auth_url = {peloton.auth_url}",
                f"strava.base_url = {strava.url}",
            ]
            config = tmp_path / "config" / "profiles" / name
            config.mkdir(parents=True)
            token = {
                "format": 1,
                "access_token": peloton.issue_token(),
                "refresh_token": peloton.issue_refresh_token(),
                "expires_at": peloton.now() + 86400,
                "user_id": peloton.user.user_id,
                "source": "token",
            }
            (config / "token.json").write_text(json.dumps(token), encoding="utf-8")
            (config / "token.json").chmod(0o600)
            TokenStore(config / "strava-token.json").save(
                {
                    "access_token": strava.access_token,
                    "refresh_token": strava.refresh_token,
                    "expires_at": int(clock.now + 6 * 3600),
                }
            )
        (tmp_path / "peloton.ini").write_text("\n".join(lines) + "\n", encoding="utf-8")
        anna_strava.inactive = True
        caplog.set_level("INFO", logger="peloton_export.watch")

        anna_run, ben_run = run_household(
            load_profiles(load_config()), CycleOptions(), host=create_host(), notify=None
        ).runs
    finally:
        ben_strava.stop()

    assert (anna_run.name, anna_run.outcome) == ("anna", "partial")
    assert "strava paused" in anna_run.message and "inactive" in anna_run.message
    assert (ben_run.name, ben_run.outcome) == ("ben", "ok"), ben_run.message
    assert len(ben_strava.posts()) == 3 and anna_strava.posts() == []
    assert len(list((tmp_path / "out" / "anna").glob("*.fit"))) == 2  # her files, all the same
    assert len(list((tmp_path / "out" / "ben").glob("*.fit"))) == 3
    log = [r.getMessage() for r in caplog.records if r.getMessage().startswith("profile ")]
    assert log[0].startswith("profile anna: partial") and "strava paused" in log[0]
    assert log[1].startswith("profile ben: ok")
    # the pause and the uploads are each profile's own
    anna_ledger = Ledger.for_reading(tmp_path / "state" / "profiles" / "anna" / "ledger.sqlite3")
    ben_ledger = Ledger.for_reading(tmp_path / "state" / "profiles" / "ben" / "ledger.sqlite3")
    assert set(anna_ledger.sink_pauses()) == {"strava"} and ben_ledger.sink_pauses() == {}
    assert len(ben_ledger.uploads_for(["strava"])) == 3 and anna_ledger.uploads_for(["strava"]) == {}
    assert (tmp_path / "state" / "profiles" / "ben" / "strava-journal.json").is_file()
    close_all()
