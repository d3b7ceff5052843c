"""Fixtures shared by the end-to-end tests (fake servers, subprocesses, signals, browser)."""

from __future__ import annotations

from pathlib import Path

import pytest

from peloton_export.testing import FakePeloton

#: Small limits so each hostile answer costs a test a few seconds at most (the settings a
#: user can set too: docs/limits.md).
HOSTILE_INI = (
    "[peloton-export]\nkeyring = false\nmax_rate = 0\n"
    "max_attempts = 2\ntimeout = 2\ndeadline = 2\nmax_body_mb = 2\n"
)


@pytest.fixture
def hostile(peloton_env: FakePeloton, tmp_path: Path) -> FakePeloton:
    """The fake Peloton (``peloton_env``) with the small limits of :data:`HOSTILE_INI`, ready
    to be made hostile by the test (faults, odd bodies)."""
    (tmp_path / "peloton.ini").write_text(HOSTILE_INI, encoding="utf-8")
    return peloton_env
