"""Shared fixtures and helpers for the core's tests, and the two layers they run in.

* ``tests/unit/``: in-process tests (no subprocess, no network socket, no sleep; a guard in
  ``tests/unit/conftest.py`` fails a test that does one). Marked ``unit``.
* ``tests/e2e/``: fake servers, subprocesses, signals, the browser. Marked ``e2e`` and
  ``integration`` (the older name, kept as an alias).

The markers are applied here by folder (``pytest -m unit``, ``pytest tests/unit``); the
plugins' tests under ``plugins/`` run against fake servers and are marked ``e2e``. The
suite runs in parallel (``pytest -n auto``, pytest-xdist): every test writes only to its
``tmp_path`` and asks the OS for free ports.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from peloton_export.cli import run
from peloton_export.model import Workout
from peloton_export.plugins import create_host
from peloton_export.store import ledger as ledger_module
from peloton_export.store.archive import Archive

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

TESTS = Path(__file__).resolve().parent
PROJECT_ROOT = TESTS.parent
# The helper modules beside this file (fit_decode, xsd, workout_factory, crash_helpers) are
# imported by plain name from both layers.
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))
# ``../shared`` next to the checkout; PELOTON_EXPORT_SHARED points elsewhere (a git worktree
# kept one level deeper than the clone; a missing folder shows what a clone without it runs).
SHARED = Path(os.environ.get("PELOTON_EXPORT_SHARED") or PROJECT_ROOT.parent / "shared")
FIXTURES = SHARED / "fixtures" / "peloton-api"
SCHEMAS = SHARED / "schemas"
DEMO = PROJECT_ROOT / "peloton_export" / "data" / "demo"

#: The session fixtures whose tests share one xdist worker.
SHARED_WORKOUTS = frozenset({"recorded_archive", "recorded_workouts", "normalized_fixtures"})
#: Layer folders under ``tests/`` and the marker each one's tests get.
LAYERS = {"unit": "unit", "e2e": "e2e"}


def _ram_tmp() -> str | None:
    """``/dev/shm`` when it is a writable folder, unless ``PELOTON_EXPORT_TEST_TMP=system``."""
    if os.environ.get("PELOTON_EXPORT_TEST_TMP", "ram") == "system":
        return None
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None


def pytest_configure(config: pytest.Config) -> None:
    """Declare the layer markers (``--strict-markers`` is on); put the tmp folders in RAM.

    Every export fsyncs each file it writes (``store/atomic.py``); on a busy disk that wait
    was a third of some tests' time. Where ``/dev/shm`` exists, ``tmp_path`` folders and
    ``tempfile``'s live there (the same calls, fsync included; tmpfs answers at once);
    ``tmp_path_retention_policy = "failed"`` keeps only failed tests' folders afterwards.
    An explicit ``--basetemp`` wins.
    """
    ram = _ram_tmp()
    if ram and config.option.basetemp is None:
        tempfile.tempdir = ram
    config.addinivalue_line(
        "markers", "unit: in-process test under tests/unit (no subprocess, socket, sleep)"
    )
    config.addinivalue_line("markers", "e2e: test under tests/e2e or plugins/ (fake servers, subprocesses)")
    config.pluginmanager.register(_GroupSuffix(), "peloton-export-xdist-group-suffix")


class _GroupSuffix:
    """Gives each ``xdist_group`` test the ``@group`` suffix ``--dist loadgroup`` schedules by.

    pytest-xdist's worker appends the suffix by assigning ``item._nodeid``; pytest 9.2 keeps
    node ids structured (``item._id``) and ignores that attribute, so every group silently
    fell apart (pytest-dev/pytest-xdist#1386): the tests of one session or module fixture
    ran on both workers and each built the fixture. This runs after xdist's hook and adds
    the suffix only where xdist's did not take (older pytest, or xdist once fixed, keep
    theirs). The scheduler reads the group from the id after the last ``@``.
    """

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        if not getattr(config.option, "loadgroup", False) or not hasattr(items[0] if items else None, "_id"):
            return
        from _pytest.nodeid import coerce_node_id

        for item in items:
            names = sorted(
                {
                    str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                    for m in item.iter_markers("xdist_group")
                }
            )
            suffix = "@" + "_".join(names)
            if names and not item.nodeid.endswith(suffix):
                item._id = coerce_node_id(item.nodeid + suffix)


def _layer(path: Path) -> str:
    try:
        relative = path.relative_to(TESTS)
    except ValueError:
        return "e2e"  # the plugins' tests: fake servers of each service
    return LAYERS.get(relative.parts[0], "") if len(relative.parts) > 1 else ""


def _uses_module_fixture(item: pytest.Item) -> bool:
    """Whether ``item`` uses a fixture of module scope (its own module's or a conftest's)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(defs and defs[-1].scope == "module" for defs in info.name2fixturedefs.values())


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with its layer; run the e2e layer first.

    First among the hooks: an xdist worker reads the ``xdist_group`` marks in its own
    ``pytest_collection_modifyitems`` (registered after this conftest, so called before it
    unless this one is ``tryfirst``); marks added after it would group nothing.

    The e2e tests are the long ones: started first, they spread over the xdist workers and
    the short unit tests fill the gaps at the end (the order is the same in every worker,
    as xdist requires; pytest's own order is kept within each layer).
    """
    for item in items:
        layer = _layer(Path(str(item.path)))
        if layer:
            item.add_marker(getattr(pytest.mark, layer))
        if layer == "e2e":
            item.add_marker(pytest.mark.integration)
        if SHARED_WORKOUTS & set(getattr(item, "fixturenames", ())):
            # one xdist worker for the tests of the shared normalized fixtures: it normalizes,
            # encodes and decodes them once (``--dist loadgroup`` in pyproject.toml)
            item.add_marker(pytest.mark.xdist_group("recorded-fixtures"))
        elif _uses_module_fixture(item):
            # a module-scoped fixture (an export of every fixture, a browser, a synthetic
            # history) is built once per worker that runs one of its tests: keep them on one
            item.add_marker(pytest.mark.xdist_group(f"module:{item.nodeid.split('::', 1)[0]}"))
    items.sort(key=lambda item: 0 if item.get_closest_marker("e2e") else 1)


@pytest.fixture(autouse=True)
def _close_ledgers() -> Iterator[None]:
    """Close the process-wide ledger connections a test opened (the cache outlives a test)."""
    yield None
    ledger_module.close_all()


def cli(*args: str) -> int:
    """Run the command line in this process with the built-in plugins only; the exit code."""
    return run(list(args), host=create_host(entry_points=False))


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


def _normalized_archive(archive: Archive) -> dict[str, Workout]:
    from peloton_export.errors import SkipWorkout
    from peloton_export.normalize import normalize

    workouts: dict[str, Workout] = {}
    for wid in archive.ids():
        try:
            workouts[wid] = normalize(archive.load(wid))
        except SkipWorkout:
            continue
    return workouts


@pytest.fixture(scope="session")
def recorded_archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    """An archive of every recorded response in ``../shared/fixtures``, imported once per
    test process (skips when the folder is absent). Shared: tests only read it."""
    from peloton_export.source.importers import import_path

    if not FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is not present")
    archive = Archive(tmp_path_factory.mktemp("recorded") / "archive")
    report = import_path(FIXTURES, archive)
    assert report.ok, [r.line() for r in report.failed]
    return archive


@pytest.fixture(scope="session")
def recorded_workouts(recorded_archive: Archive) -> Mapping[str, Workout]:
    """``{workout id: Workout}`` of every recorded fixture the normalizer exports, normalized
    once per test process, in the archive's id order (empty and in-progress ones left out).

    ``Workout`` is frozen: tests share it safely. Under xdist each worker builds its own.
    """
    return _normalized_archive(recorded_archive)


@pytest.fixture(scope="session")
def normalized_fixtures(
    recorded_workouts: Mapping[str, Workout], tmp_path_factory: pytest.TempPathFactory
) -> Mapping[str, Workout]:
    """The recorded fixtures and every bundled demo workout, normalized once per process
    (``{workout id: Workout}``, fixtures first, then the demo in its archive's id order)."""
    from peloton_export.source.importers import import_path

    archive = Archive(tmp_path_factory.mktemp("demo") / "archive")
    import_path(DEMO, archive)
    demo = _normalized_archive(archive)
    return {**recorded_workouts, **{k: v for k, v in demo.items() if k not in recorded_workouts}}


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--update-golden`` rewrites the golden files instead of comparing with them."""
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden files")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME under tmp_path with the config, state and data folders of a run pointed into
    tmp_path (an empty ``peloton.ini``): what ``schedule`` writes lands there. The path of
    that HOME."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("PELOTON_EXPORT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PELOTON_CONFIG", str(tmp_path / "peloton.ini"))
    (tmp_path / "peloton.ini").write_text("", encoding="utf-8")
    for name in ("PELOTON_EXPORT_CONFIG_DIR", "PELOTON_EXPORT_DATA_DIR", "PELOTON_EXPORT_ARCHIVE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "home"
