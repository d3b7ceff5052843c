"""The login, logout, status and ledger commands against the fake."""
# ruff: noqa: F811  (the fake_peloton fixtures are imported by name; tests take them as arguments)

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from peloton_export.cli.sync import ledger_group, login_command, logout_command
from peloton_export.cli.sync import status_command as status_for
from peloton_export.plugins import create_host
from peloton_export.store import ledger as ledger_module
from peloton_export.store.ledger import Ledger
from peloton_export.testing import FakePeloton
from peloton_export.testing.pytest_plugin import (  # noqa: F401 (fixtures)
    fake_peloton,
    fake_peloton_factory,
    peloton_env,
    peloton_folders,
)


@pytest.fixture
def env(peloton_folders: FakePeloton) -> FakePeloton:
    """The fake, with peloton-export's folders under ``tmp_path`` and no saved login."""
    return peloton_folders


def test_login_with_password_prompt(env: FakePeloton, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        login_command, ["--username", env.user.username], input=env.user.password + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "Logged in to Peloton as member" in result.output
    assert env.user.password not in result.output
    token_file = tmp_path / "config" / "token.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert json.loads(token_file.read_text())["user_id"] == env.user.user_id


def test_login_wrong_password_is_one_line(env: FakePeloton) -> None:
    result = CliRunner().invoke(login_command, ["--username", env.user.username], input="nope\n")
    assert result.exit_code == 1
    error = result.output.strip().splitlines()[-1]
    assert error.startswith("Error: Peloton rejected the email or password")


def test_login_with_pasted_token(env: FakePeloton, tmp_path: Path) -> None:
    token = env.issue_token()
    result = CliRunner().invoke(login_command, ["--token"], input=token + "\n")
    assert result.exit_code == 0, result.output
    assert token not in result.output
    assert json.loads((tmp_path / "config" / "token.json").read_text())["access_token"] == token
    assert env.count(host="auth") == 0


def test_status_logout_and_forget(env: FakePeloton, tmp_path: Path) -> None:
    runner = CliRunner()
    status_command = status_for(create_host(entry_points=False))
    runner.invoke(login_command, ["--token"], input=env.issue_token() + "\n")
    ledger = Ledger(tmp_path / "state" / "ledger.sqlite3")
    ledger.seen("w1", 1, 2, "COMPLETE")
    ledger.record_export("w1", "tcx", "/out/w1.tcx", "h")
    env.clear_requests()
    status = runner.invoke(status_command, ["--format", "tcx", "--format", "gpx"])
    assert status.exit_code == 0, status.output
    assert "Login: saved (token)" in status.output and "1 files exported" in status.output
    assert "export gpx w1" in status.output
    assert env.count(host=None) == 0  # status makes no request
    forget = runner.invoke(ledger_group, ["forget", "w1"])
    assert "Forgot workout w1" in forget.output and ledger.exported("w1", "tcx") is None
    assert "nothing about" in runner.invoke(ledger_group, ["forget", "w1"]).output
    assert "removed" in runner.invoke(logout_command).output
    assert not (tmp_path / "config" / "token.json").exists()
    assert "No saved" in runner.invoke(logout_command).output
    assert "none saved" in runner.invoke(status_command).output


def test_peloton_env_fixture_drives_a_sync(peloton_env: FakePeloton, tmp_path: Path) -> None:
    from peloton_export.config import load_config
    from peloton_export.export.run import sync_archive
    from peloton_export.paths import archive_dir
    from peloton_export.store.archive import Archive

    report = sync_archive(load_config(), offline=False)
    assert len(report.new) + len(report.skipped_imported) == 25
    assert len(Archive(archive_dir())) == len(report.new) > 0
    assert archive_dir().is_relative_to(tmp_path)
    assert peloton_env.count(host="auth") == 0 and peloton_env.count("/api/me") == 0
    ledger_module.close_all()
