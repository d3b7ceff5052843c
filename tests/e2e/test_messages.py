"""The small things a new user hit (issue 20, point 6), read off the real command line in a subprocess.

The in-process tests are in ``tests/unit/test_messages.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from peloton_export.cli import run as cli
from peloton_export.store.archive import Archive
from peloton_export.testing.synth.tiny import put_tiny, tiny_id


def test_a_mistyped_command_names_the_command_meant(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["statis"]) == 2
    err = capsys.readouterr().err
    assert "No such command 'statis'. Did you mean 'status'?" in err
    assert "unexpected extra argument" not in err
    assert cli(["xyzzy"]) == 2
    err = capsys.readouterr().err
    assert "No such command 'xyzzy'. Commands: " in err
    assert ", export, " in err and "status" in err


def test_a_sync_failure_is_told_once(tmp_path: Path) -> None:
    """No login saved: the sync cannot run; the user reads it once ("Sync failed: ..."), not
    also as a WARNING line."""
    archive = Archive(tmp_path / "archive")
    put_tiny(archive, tiny_id(0))
    env = {
        **os.environ,
        "PELOTON_EXPORT_ARCHIVE": str(archive.root),
        "PELOTON_EXPORT_API_URL": "http://127.0.0.1:9/api",
        "PELOTON_EXPORT_AUTH_URL": "http://127.0.0.1:9/auth",
        "PELOTON_EXPORT_KEYRING": "false",
    }
    done = subprocess.run(
        [sys.executable, "-m", "peloton_export", "-f", "json", "-o", str(tmp_path / "o"), "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 3, output
    lines = [line for line in output.splitlines() if "login" in line.lower() and "username" in line.lower()]
    assert len(lines) == 1 and lines[0].startswith("Sync failed: "), output
    assert "WARNING" not in output, output
