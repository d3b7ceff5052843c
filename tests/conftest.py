"""Shared fixtures for the core's tests."""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURES_PLUGIN = "peloton_export.testing.pytest_plugin"


def _opt_in(module: str) -> list[str]:
    """``[module]``, unless an older install still loads it through a ``pytest11`` entry point.

    That install registers the same module under another name, and pytest would then
    refuse to register it twice; ``pip install -e .`` removes that stale entry point.
    """
    stale = any(ep.value == module for ep in importlib.metadata.entry_points(group="pytest11"))
    return [] if stale else [module]


# The fake Peloton fixtures (fake_peloton, fake_peloton_factory, peloton_env) are opt-in.
# pytest accepts ``pytest_plugins`` only in a conftest it loads at start-up (this one is:
# ``tests`` is in ``testpaths``), never in the plugins' tests/conftest.py files, which are
# found during collection; a plugin's tests that need the fixtures import them instead.
# tests.home_guard gives every test (the plugins' tests too) a private HOME and fails the
# run if anything appeared in the real one; pytester runs inner sessions for its own test.
pytest_plugins = [*_opt_in(FIXTURES_PLUGIN), "tests.home_guard", "pytester"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# ``../shared`` next to the checkout; PELOTON_EXPORT_SHARED points elsewhere (a git worktree
# kept one level deeper than the clone).
SHARED = Path(os.environ.get("PELOTON_EXPORT_SHARED") or PROJECT_ROOT.parent / "shared")
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


@pytest.fixture(autouse=True)
def close_ledgers() -> Iterator[None]:
    """Close every ledger connection this process cached, after each test (the ledger keeps
    one connection per path for the process; a test's tmp ledger must not outlive it)."""
    yield
    from peloton_export.store.ledger import close_all

    close_all()


def cli(*args: str) -> int:
    """Run the ``peloton-export`` command line in this process with the built-in plugins
    only (no installed entry points); its exit code."""
    from peloton_export.cli import run
    from peloton_export.plugins import create_host

    return run(list(args), host=create_host(entry_points=False))
