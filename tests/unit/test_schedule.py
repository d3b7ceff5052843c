"""`peloton-export schedule`: systemd units, a launchd plist and a crontab line."""

from __future__ import annotations

import plistlib
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from peloton_export.cli import build_cli
from peloton_export.plugins import create_host
from peloton_export.unattended.schedule import (
    launchd_plist,
    parse_time,
    service_environment,
    systemd_units,
    watch_argv,
)

ARGV = ["/opt/peloton export/bin/peloton-export", "watch", "--once", "--option", "directory.path=/x%y"]
ENV = {"PELOTON_CONFIG": "/home/me/.config/peloton", "PELOTON_EXPORT_STATE_DIR": "/srv/state dir"}
CRON = re.compile(r"^(\d{1,2}) (\d{1,2}) \* \* \* (.+) >> (.+) 2>&1 # peloton-export watch$")


def cli(*args: str) -> tuple[int, str]:
    """Exit code and standard output (the printed files; what the job does goes to stderr)."""
    code, out, _ = cli_err(*args)
    return code, out


def cli_err(*args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(build_cli(create_host(entry_points=False)), list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_watch_command_is_the_installed_script() -> None:
    argv = watch_argv(["--sink", "strava"])
    assert argv[-4:] == ["watch", "--once", "--sink", "strava"]
    assert Path(argv[0]).is_absolute() and Path(argv[0]).exists()
    fallback = watch_argv([], python="/nowhere/bin/python3")
    assert fallback == ["/nowhere/bin/python3", "-m", "peloton_export", "watch", "--once"]


def test_service_environment_has_folders_but_no_secrets() -> None:
    env = {"PELOTON_CONFIG": "~/p.ini", "PELOTON_PASSWORD": "secret!", "PELOTON_EXPORT_TOKEN": "tok"}
    result = service_environment(env)
    assert list(result) == ["PELOTON_CONFIG"]
    assert Path(result["PELOTON_CONFIG"]).is_absolute()


def test_parse_time() -> None:
    assert parse_time("06:30") == (6, 30)
    hour, minute = parse_time(None)
    assert 4 <= hour <= 7 and 0 <= minute <= 59
    with pytest.raises(Exception, match="time of day"):
        parse_time("25:00")


def test_systemd_units_content() -> None:
    units = systemd_units(ARGV, ENV, (6, 5), random_delay=900)
    service, timer = units["peloton-export.service"], units["peloton-export.timer"]
    assert (
        'ExecStart="/opt/peloton export/bin/peloton-export" watch --once --option directory.path=/x%%y'
        in (service)
    )
    assert 'Environment="PELOTON_EXPORT_STATE_DIR=/srv/state dir"' in service
    assert "Type=oneshot" in service and "KillMode=mixed" in service
    assert "OnCalendar=*-*-* 06:05:00" in timer and "Persistent=true" in timer
    assert "RandomizedDelaySec=900" in timer and "WantedBy=timers.target" in timer


def test_launchd_plist_parses() -> None:
    text = launchd_plist(ARGV, ENV, (7, 45), Path("/Users/me/Library/Logs"))
    agent = plistlib.loads(text.encode("utf-8"))
    assert agent["Label"] == "io.github.peloton-export.watch"
    assert agent["ProgramArguments"] == ARGV
    assert agent["StartCalendarInterval"] == {"Hour": 7, "Minute": 45}
    assert agent["EnvironmentVariables"] == ENV
    assert agent["StandardOutPath"] == "/Users/me/Library/Logs/peloton-export.log"


def test_print_install_and_uninstall_systemd(home: Path) -> None:
    code, out = cli("schedule", "systemd", "--at", "06:30")
    assert code == 0
    assert "peloton-export.service" in out and "OnCalendar=*-*-* 06:30:00" in out
    assert not (home / ".config").exists()  # printing writes nothing
    code, out = cli("schedule", "systemd", "--install", "--at", "06:30", "--", "--sink", "strava")
    assert code == 0, out
    folder = home / ".config" / "systemd" / "user"
    service = (folder / "peloton-export.service").read_text()
    assert "watch --once --sink strava" in service
    assert (folder / "peloton-export.timer").is_file()
    assert "systemctl --user daemon-reload && systemctl --user enable --now peloton-export.timer" in out
    code, out = cli("schedule", "systemd", "--uninstall")
    assert code == 0 and not (folder / "peloton-export.service").exists()
    assert "Removed:" in out


def test_install_launchd(home: Path) -> None:
    code, out = cli("schedule", "launchd", "--install", "--at", "07:15")
    assert code == 0, out
    path = home / "Library" / "LaunchAgents" / "io.github.peloton-export.watch.plist"
    assert plistlib.loads(path.read_bytes())["StartCalendarInterval"] == {"Hour": 7, "Minute": 15}
    assert "launchctl bootstrap gui/$(id -u)" in out
    cli("schedule", "launchd", "--uninstall")
    assert not path.exists()


def test_the_printed_cron_line_runs_watch_once(home: Path) -> None:
    code, out = cli("schedule", "cron", "--at", "04:00")
    assert code == 0
    match = CRON.match(out.strip())
    assert match, out
    assert sys.executable.rsplit("/", 1)[0] in out or "peloton-export" in out
