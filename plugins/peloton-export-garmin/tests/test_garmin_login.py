"""Garmin sign-in through a stub of garminconnect.Garmin: token store, MFA prompt, cooldown, secrets."""

from __future__ import annotations

import dataclasses
import json
import logging
import stat
from pathlib import Path
from typing import Any

import peloton_export_garmin
import pytest
from click.testing import CliRunner
from peloton_export_garmin.sink import GarminSession, GarminSettings, check_cooldown, login_cooldown

from peloton_export.cli import build_cli
from peloton_export.config import Config
from peloton_export.errors import AuthRequired
from peloton_export.plugins import create_host
from peloton_export.sinkkit import PluginSettings

PASSWORD = "correct horse"
MFA = "314159"


@pytest.fixture
def settings(section: dict[str, str]) -> GarminSettings:
    return GarminSettings.from_settings(PluginSettings("garmin", section))


def session(settings: GarminSettings, clock: Any) -> GarminSession:
    return GarminSession(settings, factory=peloton_export_garmin.FACTORY, clock=clock)


def test_password_login_with_mfa_stores_tokens_0600(stub_world, settings, clock) -> None:
    stub_world["mfa"] = MFA
    prompts: list[str] = []

    def prompt() -> str:
        prompts.append("asked")
        return f" {MFA}\n"

    session(settings, clock).login("rider@example.com", PASSWORD, prompt)
    assert prompts == ["asked"]
    assert stub_world["logins"] == [None]
    data = json.loads(settings.token_file.read_text())
    assert set(data) == {"di_token", "di_refresh_token", "di_client_id"}
    assert stat.S_IMODE(settings.token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.token_dir.stat().st_mode) == 0o700


def test_wrong_mfa_code_fails_and_starts_the_cooldown(stub_world, settings, clock) -> None:
    stub_world["mfa"] = MFA
    with pytest.raises(AuthRequired, match="refused the login"):
        session(settings, clock).login("rider@example.com", PASSWORD, lambda: "000000")
    assert not settings.token_file.exists()
    with pytest.raises(AuthRequired, match="paused until 2026-11-23 10:20 UTC"):
        session(settings, clock).login("rider@example.com", PASSWORD, lambda: MFA)
    assert len(stub_world["created"]) == 1  # no second attempt reached Garmin


def test_cooldown_persists_doubles_and_clears(settings, clock) -> None:
    cooldown = login_cooldown(settings, clock)  # the sink toolkit's LoginCooldown

    def failed(reason: str, rate_limited: bool = False) -> float:
        return cooldown.fail(reason, rate_limited=rate_limited).remaining(clock.time())

    assert failed("x") == 900
    assert login_cooldown(settings, clock).remaining() == 900  # a new process sees it
    assert failed("x") == 1800
    assert failed("429", rate_limited=True) == 3600
    for _ in range(10):
        last = failed("x")
    assert last == 24 * 3600
    clock.sleep(last)
    check_cooldown(cooldown)
    cooldown.clear()
    assert not settings.cooldown_file.exists()


def test_an_older_cooldown_file_is_still_honoured(settings, clock) -> None:
    settings.cooldown_file.parent.mkdir(parents=True, exist_ok=True)
    settings.cooldown_file.write_text(
        json.dumps({"failures": 2, "not_before": clock.time() + 60, "reason": "x"})
    )
    with pytest.raises(AuthRequired, match="after 2 failed attempt"):
        check_cooldown(login_cooldown(settings, clock))


def test_rate_limited_sign_in_waits_an_hour(stub_world, settings, clock) -> None:
    class TooMany(Exception):
        pass

    TooMany.__name__ = "GarminConnectTooManyRequestsError"
    stub_world["login_error"] = TooMany("Too many login attempts")
    with pytest.raises(Exception, match="refusing sign-ins"):
        session(settings, clock).login("rider@example.com", PASSWORD, lambda: MFA)
    assert login_cooldown(settings, clock).remaining() == 3600


def test_sink_sign_in_respects_the_cooldown_and_is_tried_once_per_run(
    stub_world, saved_tokens, settings, clock, workout, fit_file, context
) -> None:
    stub_world["login_error"] = RuntimeError("API Error 401 - Unauthorized")
    for _ in range(3):
        with pytest.raises(AuthRequired):
            peloton_export_garmin.upload(fit_file, workout, context)
    assert len(stub_world["logins"]) == 1  # one sign-in attempt for the whole run
    peloton_export_garmin.reset_sessions()  # the next run, minutes later
    clock.sleep(60)
    with pytest.raises(AuthRequired, match="paused until"):
        peloton_export_garmin.upload(fit_file, workout, context)
    assert len(stub_world["logins"]) == 1
    clock.sleep(900)
    stub_world["login_error"] = None
    stub_world["on_upload"] = lambda path: {"detailedImportResult": {"successes": [{"internalId": 5}]}}
    assert peloton_export_garmin.upload(fit_file, workout, context).remote_id == "5"


def test_401_on_upload_asks_to_log_in(stub_world, saved_tokens, clock, workout, fit_file, context) -> None:
    def refuse(path: str) -> Any:
        raise RuntimeError("API Error 401 - Unauthorized")

    stub_world["on_upload"] = refuse
    with pytest.raises(AuthRequired, match="garmin login"):
        peloton_export_garmin.upload(fit_file, workout, context)


def test_cli_login_prompts_for_password_and_mfa(stub_world, section, clock, monkeypatch) -> None:
    monkeypatch.delenv("GARMIN_PASSWORD", raising=False)
    stub_world["mfa"] = MFA
    host = create_host(entry_points=False, extra={"garmin": peloton_export_garmin})
    cli = build_cli(host)
    config = Config(plugins={"garmin": section})
    result = CliRunner().invoke(
        cli, ["garmin", "login", "--email", "rider@example.com"], obj=config, input=f"{PASSWORD}\n{MFA}\n\n"
    )
    assert result.exit_code == 0, result.output
    assert "Logged in to Garmin Connect" in result.output
    assert PASSWORD not in result.output
    token_file = Path(section["token_dir"]) / "garmin_tokens.json"
    assert token_file.exists()
    result = CliRunner().invoke(cli, ["garmin", "logout"], obj=config)
    assert result.exit_code == 0 and not token_file.exists()


def test_secrets_never_in_logs_errors_or_other_files(
    stub_world, real_library, fake_garmin, section, clock, caplog, tmp_path, workout, fit_file, context
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3").setLevel(logging.DEBUG)
    settings = GarminSettings.from_settings(PluginSettings("garmin", section))
    stub_world["mfa"] = MFA
    errors: list[str] = []
    try:
        sign_in = GarminSession(settings, factory=stub_world["factory"], clock=clock)
        for code in ("999999", MFA):  # a wrong code, then the right one
            try:
                sign_in.login("rider@example.com", PASSWORD, lambda code=code: code, ignore_cooldown=True)
            except AuthRequired as exc:
                errors.append(str(exc))
        fake_garmin.expire_token()  # the real library refreshes (401) and rotates the tokens
        peloton_export_garmin.upload(fit_file, workout, context)
        fake_garmin.fault("/upload-service/upload", 401, {"message": "Unauthorized"}, times=4)
        try:
            peloton_export_garmin.upload(fit_file, dataclasses.replace(workout, id="other"), context)
        except AuthRequired as exc:
            errors.append(str(exc))
    finally:
        logging.getLogger("urllib3").setLevel(logging.NOTSET)
    assert len(errors) == 2
    assert "Starting new HTTP connection" in caplog.text
    secrets = {PASSWORD, MFA} | fake_garmin.issued
    assert len(fake_garmin.issued) >= 4  # the saved pair and at least one rotated pair
    text = caplog.text + "\n".join(errors)
    for secret in secrets:
        assert secret not in text
        for path in tmp_path.rglob("*"):
            if path.is_file() and path != settings.token_file:
                assert secret.encode() not in path.read_bytes(), path
    assert stat.S_IMODE(settings.token_file.stat().st_mode) == 0o600
