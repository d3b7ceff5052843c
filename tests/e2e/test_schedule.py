"""`peloton-export schedule`: the units and the crontab line checked by systemd-analyze, sh, crontab.

The in-process tests are in ``tests/unit/test_schedule.py``.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from peloton_export.unattended.schedule import (
    CRON_MARKER,
    cron_line,
    systemd_units,
    watch_argv,
)
from tests.unit.test_schedule import ARGV, CRON, ENV, cli_err


def cli(*args: str) -> tuple[int, str]:
    """Exit code and what the command printed (standard output, then standard error)."""
    code, out, err = cli_err(*args)
    return code, out + err


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    units = systemd_units(watch_argv(), {"PELOTON_CONFIG": str(tmp_path / "p.ini")}, (5, 0))
    paths = []
    for name, text in units.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    done = subprocess.run(
        ["systemd-analyze", "verify", *paths], capture_output=True, text=True, timeout=60, check=False
    )
    problems = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if "peloton-export" in line and "timers.target" not in line
    ]
    assert done.returncode == 0 or not problems, done.stdout + done.stderr
    assert problems == [], problems


def test_cron_line_format_and_that_sh_runs_it_as_meant(tmp_path: Path) -> None:
    line = cron_line(ARGV, ENV, (5, 7), Path("/srv/state dir/cron.log"))
    match = CRON.match(line)
    assert match, line
    assert (match[1], match[2]) == ("7", "5")
    assert "\\%" in line  # a bare % would end the command in cron
    # What cron would run: the command part, with cron's \% turned back into %.
    command = match[3].replace("\\%", "%")
    printer = tmp_path / "printer"
    printer.write_text('#!/bin/sh\nprintf "%s\\n" "$PELOTON_EXPORT_STATE_DIR" "$@"\n', encoding="utf-8")
    printer.chmod(0o755)
    command = command.replace("'/opt/peloton export/bin/peloton-export'", str(printer))
    out = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["/srv/state dir", "watch", "--once", "--option", "directory.path=/x%y"]


@pytest.fixture
def crontab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ``crontab`` program on PATH keeping the table in a file (never the machine's own)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    table = tmp_path / "crontab.txt"
    script = bin_dir / "crontab"
    script.write_text(
        f"""#!/bin/sh
if [ "$1" = "-l" ]; then
    [ -f '{table}' ] || {{ echo "no crontab for $(id -un)" >&2; exit 1; }}
    cat '{table}'
elif [ "$1" = "-" ]; then
    cat > '{table}'
else
    exit 2
fi
""",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return table


def test_install_and_uninstall_cron_keeps_other_lines(home: Path, crontab: Path) -> None:
    code, out = cli("schedule", "cron", "--install", "--at", "05:10")
    assert code == 0, out
    lines = crontab.read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith("10 5 * * * ") and lines[0].endswith(CRON_MARKER)
    crontab.write_text("0 1 * * * /usr/bin/backup\n" + crontab.read_text())
    cli("schedule", "cron", "--install", "--at", "05:20")  # replaces our line, keeps the other
    lines = crontab.read_text().splitlines()
    assert lines[0] == "0 1 * * * /usr/bin/backup"
    assert len(lines) == 2 and lines[1].startswith("20 5 * * * ")
    code, out = cli("schedule", "cron", "--uninstall")
    assert code == 0 and crontab.read_text() == "0 1 * * * /usr/bin/backup\n"
    code, out = cli("schedule", "cron", "--uninstall")
    assert "Nothing of peloton-export was installed." in out
