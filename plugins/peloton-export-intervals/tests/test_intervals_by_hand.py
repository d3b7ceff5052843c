"""The README's "Trying it without an account": the shipped fake, run by hand, and the
real command line against it (issue 22's review: a user had no way to try the sink offline)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def test_the_fake_by_hand_takes_the_demo(fake_by_hand: Any, tmp_path: Path) -> None:
    section = fake_by_hand("peloton_export_intervals.fake")
    assert section.startswith("[plugin:intervals]\nbase_url = http://127.0.0.1:")
    ini = tmp_path / "peloton.ini"
    ini.write_text("[peloton-export]\nkeyring = false\n" + section)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PELOTON", "INTERVALS"))},
        "HOME": str(tmp_path / "home"),
        "PELOTON_CONFIG": str(ini),
        "PELOTON_EXPORT_CONFIG_DIR": str(tmp_path / "config"),
        "PELOTON_EXPORT_STATE_DIR": str(tmp_path / "state"),
        "PELOTON_EXPORT_DATA_DIR": str(tmp_path / "data"),
    }
    command = [sys.executable, "-m", "peloton_export", "--demo", "-f", "fit", "--sink", "intervals"]
    run = subprocess.run(
        [*command, "-o", str(tmp_path / "out")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("intervals: uploaded") == 10  # the ten demo workouts
