"""Tokens, the client secret and the login code never reach logs, errors or exported files."""

from __future__ import annotations

import logging
import stat
from typing import Any

import peloton_export_strava
import pytest
from peloton_export_strava.api import StravaApi
from peloton_export_strava.login import login
from peloton_export_strava.upload import StravaUploader

from peloton_export.cli import run
from peloton_export.config import Config
from peloton_export.errors import PelotonExportError
from peloton_export.plugins import create_host


def test_no_secret_in_logs_errors_or_files(
    fake_strava, settings, clock, workout, fit_file, context, caplog, capsys, tmp_path, monkeypatch
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3").setLevel(logging.DEBUG)
    seen_secrets = {settings.client_secret, "good-code"}
    errors: list[str] = []

    api = StravaApi(settings, clock=clock)
    login(api, code="good-code")
    seen_secrets |= {fake_strava.access_token, fake_strava.refresh_token}
    fake_strava.access_token = "access-token-rotated-away"  # forces a 401 and a refresh
    StravaUploader(api)(fit_file, workout, context)
    seen_secrets |= {fake_strava.access_token, fake_strava.refresh_token}
    # failures of every kind, with their messages kept
    fake_strava.fault("POST", "/api/v3/uploads", 400, {"message": "Bad Request"})
    fake_strava.fault("POST", "/oauth/token", 400, {"message": "Bad Request"})
    for attempt in range(2):
        try:
            if attempt == 1:
                fake_strava.access_token = "nope-nope-nope"
            StravaUploader(api)(fit_file, peloton_export_workout(workout, f"w{attempt}"), context)
        except PelotonExportError as exc:
            errors.append(str(exc))
    api.close()

    # the CLI, verbose, exporting the demo workouts to the strava sink
    monkeypatch.setattr(peloton_export_strava, "CLOCK", clock)
    fake_strava.access_token = "access-token-cli-run-00"
    api.tokens.save(
        {
            "access_token": fake_strava.access_token,
            "refresh_token": fake_strava.refresh_token,
            "expires_at": int(clock.now + 3600),
        }
    )
    seen_secrets.add(fake_strava.access_token)
    section = {
        "base_url": settings.base_url,
        "client_id": settings.client_id,
        "client_secret": settings.client_secret,
        "token_file": str(settings.token_file),
        "journal_file": str(settings.journal_file),
    }
    host = create_host(entry_points=False, extra={"strava": peloton_export_strava})
    out_dir = tmp_path / "cli-exports"
    code = run(
        ["--demo", "-f", "tcx", "--sink", "strava", "-vv", "-q", "-o", str(out_dir)],
        host=host,
        config=Config(plugins={"strava": section}),
    )
    assert code in (0, 1)
    assert fake_strava.created >= 2  # the first ride plus demo workouts

    captured = capsys.readouterr()
    text = caplog.text + captured.out + captured.err + "\n".join(errors)
    assert len(errors) == 2
    assert "Starting new HTTP connection" in caplog.text  # urllib3's debug lines were captured
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    for secret in seen_secrets:
        assert secret and secret not in text, "a secret reached a log line, the output or an error"
        for path in files:
            if path == settings.token_file:
                continue
            assert secret.encode() not in path.read_bytes(), f"a secret is in {path}"
    assert stat.S_IMODE(settings.token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.journal_file.stat().st_mode) == 0o600


def peloton_export_workout(base: Any, workout_id: str) -> Any:
    import dataclasses

    return dataclasses.replace(base, id=workout_id)


@pytest.fixture(autouse=True)
def _reset_urllib3_level() -> Any:
    yield
    logging.getLogger("urllib3").setLevel(logging.NOTSET)
