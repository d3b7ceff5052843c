"""Settings from the environment: a missing ``PELOTON_CONFIG`` in a real subprocess.

The in-process tests are in ``tests/unit/test_config_env.py``.
"""

from __future__ import annotations

import os
from pathlib import Path


def _cli_in_subprocess(env: dict[str, str], *args: str) -> tuple[int, str]:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "peloton_export", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return proc.returncode, proc.stderr


def _isolated_env(tmp_path: Path, config: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PELOTON_", "PYTEST_"))}
    env.update(
        PELOTON_CONFIG=config,
        PELOTON_EXPORT_CONFIG_DIR=str(tmp_path / "config"),
        PELOTON_EXPORT_STATE_DIR=str(tmp_path / "state"),
        PELOTON_EXPORT_DATA_DIR=str(tmp_path / "data"),
        PELOTON_EXPORT_ARCHIVE=str(tmp_path / "archive"),
        PELOTON_EXPORT_LOAD_PLUGINS="",
    )
    return env


def test_missing_peloton_config_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    typo = tmp_path / "peloton.ini.typo"
    code, err = _cli_in_subprocess(_isolated_env(tmp_path, str(typo)), "--offline", "-o", str(tmp_path / "o"))
    assert code == 2
    assert err.strip().splitlines() == [f"Error: PELOTON_CONFIG names {typo}, which does not exist"]
    assert not (tmp_path / "o").exists() and not (tmp_path / "state").exists()  # nothing ran
