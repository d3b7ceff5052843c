"""The README's "Trying it without a Strava account": the shipped fake, run by hand, and the
real command line against it (issue 22's review: a user had no way to try the sink offline)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def test_the_fake_by_hand_takes_a_login_and_the_demo_uploads(
    fake_by_hand: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    section = fake_by_hand("peloton_export_strava.fake")
    assert section.startswith("[plugin:strava]\nbase_url = http://127.0.0.1:")
    ini = tmp_path / "peloton.ini"
    ini.write_text("[peloton-export]\nkeyring = false\n" + section)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PELOTON", "STRAVA"))},
        "HOME": str(tmp_path / "home"),
        "PELOTON_CONFIG": str(ini),
        "PELOTON_EXPORT_CONFIG_DIR": str(tmp_path / "config"),
        "PELOTON_EXPORT_STATE_DIR": str(tmp_path / "state"),
        "PELOTON_EXPORT_DATA_DIR": str(tmp_path / "data"),
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "peloton_export", *args]
        return subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)

    login = cli("strava", "login", "--code", "good-code")
    assert login.returncode == 0 and "Logged in to Strava" in login.stdout, login.stdout + login.stderr
    run = cli("--demo", "--limit", "3", "--format", "fit", "--sink", "strava", "-o", str(tmp_path / "out"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("strava: uploaded") == 3  # the three newest demo workouts
