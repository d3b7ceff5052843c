"""The command line run as the installed script and as ``python -m`` (subprocesses).

The in-process tests are in ``tests/unit/test_cli.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_console_script_and_module_entry_point(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "peloton_export", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "peloton-export, version" in result.stdout
