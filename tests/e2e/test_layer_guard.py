"""The e2e layer runs without the unit layer's guard (tests/unit/conftest.py)."""

from __future__ import annotations

import subprocess
import sys
import time


def test_an_e2e_test_may_start_a_process_and_sleep() -> None:
    started = time.monotonic()
    time.sleep(0.01)
    done = subprocess.run([sys.executable, "-c", "print('ok')"], capture_output=True, text=True, check=True)
    assert done.stdout == "ok\n" and time.monotonic() - started >= 0.01
