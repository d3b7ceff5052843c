"""The demo command in a subprocess: the bundled workouts exported, the generator never loaded.

The in-process tests are in ``tests/unit/test_demo.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from peloton_export.source.demo import demo_workouts


def test_the_demo_does_not_load_the_generator() -> None:
    code = (
        "import sys; from peloton_export.source.demo import demo_workouts; n = len(list(demo_workouts())); "
        "print(n, sorted(m for m in sys.modules if m.startswith('peloton_export.testing')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "10 []"


def test_demo_command_exports_the_bundled_workouts(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PELOTON_CONFIG": os.devnull,
        "PELOTON_EXPORT_DATA_DIR": str(tmp_path / "data"),
        "PELOTON_EXPORT_STATE_DIR": str(tmp_path / "state"),
        "PELOTON_EXPORT_CONFIG_DIR": str(tmp_path / "config"),
    }
    out = tmp_path / "out"
    args = [sys.executable, "-m", "peloton_export", "--demo", "-o", str(out), "-f", "json"]
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "10 workouts: 10 exported, 0 failed" in done.stdout
    exported = {json.loads(p.read_text())["id"] for p in out.glob("*.json")}
    assert exported == {r.workout_id for r in demo_workouts()}
