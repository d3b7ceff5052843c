"""No test touches the user's files: a private HOME for every test, and a check of the real one.

Registered from ``tests/conftest.py`` (``pytest_plugins``), so it covers the plugins' tests
under ``plugins/`` too:

* :func:`private_home` (autouse) points ``HOME``, every XDG base directory variable and
  so the platformdirs locations (the config, data, state and cache folders) at a fresh
  folder under pytest's temporary folder, and removes every ``PELOTON_*`` variable of the
  caller's environment (``PELOTON_CONFIG`` then means ``~/.config/peloton`` inside that
  private HOME, which does not exist: an empty config). A test that wants other values
  sets them itself, as before.
* The session check lists the real HOME (:data:`DEPTH` levels deep, at most
  :data:`LIMIT` entries) when the run starts and again when it ends; anything that
  appeared fails the run (exit 1) with its paths named. Under pytest-xdist only the
  controller checks, once for the whole run.
* The same session check lists the folder pytest was started in (the checkout, usually)
  and fails the run if a test left a file there; virtual environments (``.venv*``),
  caches (:data:`CWD_IGNORED`, ``*.egg-info``), pytest's own temporary folder and the
  folder ``$PELOTON_EXPORT_ARTIFACTS`` names (where a caller such as ``.ci/run`` asks the
  browser tests to keep their screenshots, read when the run starts) are not compared.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

#: How deep the real HOME is listed (``~/Sync/workouts/x.json`` is 3 levels down).
DEPTH = 4
#: At most this many entries are listed, so a huge HOME costs bounded time.
LIMIT = 200_000
#: The XDG base directory variables and their folders inside the private HOME.
XDG_FOLDERS = {
    "XDG_CONFIG_HOME": ".config",
    "XDG_DATA_HOME": ".local/share",
    "XDG_STATE_HOME": ".local/state",
    "XDG_CACHE_HOME": ".cache",
    "XDG_RUNTIME_DIR": ".runtime",
}
#: Read by :func:`real_home` before any test runs (the fixture changes ``HOME``).
REAL_HOME_KEY = pytest.StashKey[Path]()
BEFORE_KEY = pytest.StashKey[frozenset[str]]()
CWD_KEY = pytest.StashKey[Path]()
CWD_BEFORE_KEY = pytest.StashKey[frozenset[str]]()
#: Folder names in the working directory that tools (not tests) create or change.
CWD_IGNORED = frozenset(
    {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis", ".benchmarks", ".git"}
)


def listing(
    home: Path, depth: int = DEPTH, limit: int = LIMIT, skip: Callable[[str], bool] | None = None
) -> frozenset[str]:
    """Every path under ``home`` down to ``depth`` levels, relative to it (symlinks are
    listed, never followed; unreadable folders are skipped; an entry whose absolute path
    ``skip`` accepts is neither listed nor entered)."""
    found: set[str] = set()
    pending: list[tuple[str, int]] = [(str(home), 0)]
    while pending and len(found) < limit:
        folder, level = pending.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if skip is not None and skip(entry.path):
                        continue
                    found.add(os.path.relpath(entry.path, home))
                    if level + 1 < depth and entry.is_dir(follow_symlinks=False):
                        pending.append((entry.path, level + 1))
        except OSError:
            continue
    return frozenset(found)


def appeared(before: frozenset[str], after: frozenset[str]) -> list[str]:
    """The paths in ``after`` that ``before`` did not have, parents before children."""
    return sorted(after - before)


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh, empty HOME (and XDG folders inside it) for this test; ``PELOTON_*`` cleared."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for variable, folder in XDG_FOLDERS.items():
        monkeypatch.setenv(variable, str(home / folder))
    (home / XDG_FOLDERS["XDG_RUNTIME_DIR"]).mkdir(mode=0o700)
    for name in list(os.environ):
        if name.startswith("PELOTON_"):
            monkeypatch.delenv(name)
    yield home


def _is_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput")


def cwd_skip(cwd: Path, temp: Path | None, *asked: Path) -> Callable[[str], bool]:
    """The entries of the working directory ``cwd`` the check leaves out: virtual
    environments, caches, ``*.egg-info``, pytest's temporary folder ``temp`` and the
    folders in ``asked`` (output places the caller named, such as the screenshots folder)."""
    kept = {os.path.realpath(folder) for folder in (temp, *asked) if folder is not None}

    def skip(path: str) -> bool:
        name = os.path.basename(path)
        if name.startswith(".venv") or name in CWD_IGNORED or name.endswith(".egg-info"):
            return True
        return os.path.realpath(path) in kept

    return skip


#: The caller's screenshots folder, read in :func:`pytest_sessionstart` (before
#: :func:`private_home` clears the ``PELOTON_*`` variables for each test).
ARTIFACTS_KEY = pytest.StashKey[Path | None]()


def _cwd_listing(config: pytest.Config, cwd: Path) -> frozenset[str]:
    basetemp = config.option.basetemp
    artifacts = config.stash.get(ARTIFACTS_KEY, None)
    asked = (artifacts,) if artifacts is not None else ()
    return listing(cwd, skip=cwd_skip(cwd, Path(basetemp) if basetemp else None, *asked))


def _fail(session: pytest.Session, lines: list[str]) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    for line in lines:
        if reporter is not None:
            reporter.write_line(line, red=True)
        else:  # pragma: no cover - pytest always has a terminal reporter unless -p no:terminal
            print(line)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_sessionstart(session: pytest.Session) -> None:
    """List the real HOME and the working directory before the first test."""
    if not _is_controller(session.config):
        return
    home = Path(os.environ.get("HOME") or Path.home())
    session.config.stash[REAL_HOME_KEY] = home
    session.config.stash[BEFORE_KEY] = listing(home)
    cwd = Path(session.config.invocation_params.dir)
    artifacts = os.environ.get("PELOTON_EXPORT_ARTIFACTS")
    session.config.stash[ARTIFACTS_KEY] = Path(artifacts) if artifacts else None
    session.config.stash[CWD_KEY] = cwd
    session.config.stash[CWD_BEFORE_KEY] = _cwd_listing(session.config, cwd)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if anything appeared in the real HOME or the working directory."""
    if not _is_controller(session.config) or REAL_HOME_KEY not in session.config.stash:
        return
    home = session.config.stash[REAL_HOME_KEY]
    new = appeared(session.config.stash[BEFORE_KEY], listing(home))
    if new:
        lines = [f"home guard: the tests wrote into the real HOME ({home}): {len(new)} new paths"]
        _fail(session, lines + [f"  {home / path}" for path in new[:20]])
    cwd = session.config.stash[CWD_KEY]
    new = appeared(session.config.stash[CWD_BEFORE_KEY], _cwd_listing(session.config, cwd))
    if new:
        lines = [f"home guard: the tests wrote into the working directory ({cwd}): {len(new)} new paths"]
        _fail(session, lines + [f"  {cwd / path}" for path in new[:20]])
