"""Collect a plugin's tests only where the plugin can be installed.

peloton-export-garmin needs Python 3.12+ (garminconnect 0.3.3 and later do), while the core
and the other plugins run on 3.11. On an interpreter without the plugin its tests are not
collected, and the run ends with a line saying so; ``.ci/run`` runs them in a 3.12+ venv.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

#: Plugin folders whose tests this interpreter cannot run, with the reason.
SKIPPED: dict[str, str] = {}

if sys.version_info < (3, 12):
    SKIPPED["peloton-export-garmin"] = "needs Python 3.12+ (garminconnect >= 0.3.3)"
elif importlib.util.find_spec("peloton_export_garmin") is None:
    SKIPPED["peloton-export-garmin"] = "the plugin is not installed (pip install -r requirements-garmin.txt)"

collect_ignore = list(SKIPPED)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say which plugins' tests were left out, and why."""
    for folder, reason in SKIPPED.items():
        terminalreporter.write_line(
            f"{folder} tests not collected on Python {sys.version.split()[0]}: {reason}; "
            ".ci/run runs them in a Python 3.12+ venv (.venv-garmin)"
        )
