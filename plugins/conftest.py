"""Collect a plugin's tests only where the plugin can be installed.

peloton-export-garmin needs Python 3.12+ (garminconnect 0.3.3 and later do), while the core
and the other plugins run on 3.11. On an interpreter without the plugin its tests are not
collected, and the run ends with a line saying so; ``.ci/run`` runs them in a 3.12+ venv.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from peloton_export.testing import FakeInbox, loopback_only, tiny_workout
from peloton_export.testing.pytest_plugin import (  # noqa: F401 (fixtures for every plugin's tests)
    fake_peloton_factory,
    peloton_env,
)

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


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No plugin test may reach a real service: name look-ups other than the loopback fail."""
    loopback_only(monkeypatch.setattr)


@pytest.fixture
def inbox() -> Iterator[FakeInbox]:
    """A loopback notification inbox (``inbox.apprise_url`` for the notify plugin)."""
    with FakeInbox() as service:
        yield service


@pytest.fixture
def fake_peloton(fake_peloton_factory: Any, request: pytest.FixtureRequest) -> Any:  # noqa: F811
    """Three tiny rides for a plugin's end-to-end runs (``peloton_env`` points at them); an
    indirect parameter is merged into their detail bodies (``{"strava_id": ...}``)."""
    extra = getattr(request, "param", None)
    return fake_peloton_factory([tiny_workout(i, extra=extra) for i in range(3)])


@pytest.fixture
def fake_by_hand(tmp_path: Any) -> Iterator[Any]:
    """Start a plugin's fake the way its README tells a user (``python -m MODULE``) and
    return its settings section as printed (the lines before ``then:``/``Serving``); the
    process is stopped (by its id) after the test."""
    import subprocess

    started: list[subprocess.Popen[str]] = []

    def start(module: str, *args: str) -> str:
        proc = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=tmp_path,
        )
        started.append(proc)
        lines: list[str] = []
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("Serving"):
                break
            lines.append(line.rstrip("\n"))
        return "\n".join(line for line in lines if not line.startswith("then:")) + "\n"

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
