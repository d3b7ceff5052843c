"""Shared fixtures for the core's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED = PROJECT_ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures" / "peloton-api"
SCHEMAS = SHARED / "schemas"


@pytest.fixture
def fixtures_dir() -> Path:
    """The recorded Peloton API responses in ``../shared`` (skips when it is absent)."""
    if not FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is not present")
    return FIXTURES


@pytest.fixture
def schemas_dir() -> Path:
    """The official TCX and GPX XSDs in ``../shared/schemas`` (skips when absent)."""
    if not SCHEMAS.is_dir():
        pytest.skip("../shared/schemas is not present")
    return SCHEMAS


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--update-golden`` rewrites the golden files instead of comparing with them."""
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden files")
