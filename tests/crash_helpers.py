"""Helpers for the crash and fault tests (tests/e2e/test_crash.py).

* :class:`CliEnv` runs the real ``peloton-export`` command line in a subprocess, pointed at
  a :class:`~peloton_export.testing.FakePeloton` running in the test process, with its
  config, state, archive and token in a temporary folder (what the ``peloton_env``
  fixture does, as environment variables for a child process).
* :func:`kill_when` SIGKILLs (or SIGINTs) a running CLI as soon as a condition holds.
* The ``check_*`` functions inspect what a run left on disk.
* Run as a script (``python tests/crash_helpers.py ARGS...``) this module is the CLI with
  one function patched to kill the process on its Nth call (``PELOTON_TEST_CRASH``), so
  a crash lands exactly between two steps (for example after a delivery and before the
  ledger write).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

HERE = Path(__file__).resolve()
#: ``module:attribute.path:N`` - SIGKILL the process on the Nth call of that function
#: (``module:attribute.path:N:TEXT``: the Nth call with an argument containing ``TEXT``).
CRASH_VARIABLE = "PELOTON_TEST_CRASH"
RUN_TIMEOUT = 60.0
INTERRUPTED = "Interrupted; the next run resumes where this one stopped."


@dataclass(frozen=True)
class Result:
    """How a CLI subprocess ended."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float


@dataclass
class CliEnv:
    """Folders and environment for CLI subprocesses against one fake (see the module doc)."""

    root: Path
    env: dict[str, str]

    @classmethod
    def create(cls, fake: Any, root: Path, *, plugins: str = "") -> CliEnv:
        """Mirror ``peloton_env``: URLs of ``fake``, dirs under ``root``, a saved token.

        ``plugins`` is ``PELOTON_EXPORT_LOAD_PLUGINS`` (empty: only the built-ins load).
        """
        root.mkdir(parents=True, exist_ok=True)
        config_dir = root / "config"
        config_dir.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PELOTON_", "PYTEST_"))}
        env.update(
            PELOTON_EXPORT_API_URL=fake.api_url,
            PELOTON_EXPORT_AUTH_URL=fake.auth_url,
            PELOTON_EXPORT_CONFIG_DIR=str(config_dir),
            PELOTON_EXPORT_STATE_DIR=str(root / "state"),
            PELOTON_EXPORT_DATA_DIR=str(root / "data"),
            PELOTON_EXPORT_ARCHIVE=str(root / "data" / "archive"),
            PELOTON_CONFIG=str(root / "peloton.ini"),
            PELOTON_EXPORT_LOAD_PLUGINS=plugins,
            PYTHONDONTWRITEBYTECODE="1",
            NO_PROXY="127.0.0.1",
        )
        (root / "peloton.ini").write_text(
            "[peloton-export]\nkeyring = false\nmax_rate = 0\n", encoding="utf-8"
        )
        token = {
            "format": 1,
            "access_token": fake.issue_token(),
            "refresh_token": fake.issue_refresh_token(),
            "session_id": None,
            "expires_at": fake.now() + 86400,
            "user_id": fake.user.user_id,
            "source": "token",
        }
        path = config_dir / "token.json"
        path.write_text(json.dumps(token), encoding="utf-8")
        path.chmod(0o600)
        return cls(root, env)

    @property
    def archive(self) -> Path:
        return self.root / "data" / "archive"

    @property
    def ledger(self) -> Path:
        return self.root / "state" / "ledger.sqlite3"

    def start(self, args: Iterable[str], *, crash: str | None = None, name: str = "run") -> Popen:
        """Start the CLI (in its own process group); ``crash`` as in :data:`CRASH_VARIABLE`."""
        env = dict(self.env)
        if crash:
            env[CRASH_VARIABLE] = crash
            command = [sys.executable, str(HERE), *args]
        else:
            command = [sys.executable, "-m", "peloton_export", *args]
        out = (self.root / f"{name}.stdout").open("wb")
        err = (self.root / f"{name}.stderr").open("wb")
        try:
            proc = subprocess.Popen(
                command, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True
            )
        finally:
            out.close()
            err.close()
        return Popen(proc, self.root / f"{name}.stdout", self.root / f"{name}.stderr", time.monotonic())

    def run(self, args: Iterable[str], *, crash: str | None = None, name: str = "run") -> Result:
        """Run the CLI to its end (at most :data:`RUN_TIMEOUT` seconds)."""
        return self.start(args, crash=crash, name=name).wait(RUN_TIMEOUT)


@dataclass
class Popen:
    """A started CLI subprocess and the files its output goes to."""

    proc: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path
    started: float

    def signal(self, signum: int) -> None:
        """Send ``signum`` to the whole process group (as a terminal's Ctrl-C does)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signum)

    def wait(self, timeout: float) -> Result:
        """Wait for the end; on timeout kill the group and fail."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
            raise AssertionError(f"the CLI did not end within {timeout} s:\n{self.read()[1]}") from None
        self.signal(signal.SIGKILL)  # stray children of the group, if any
        out, err = self.read()
        return Result(self.proc.returncode, out, err, time.monotonic() - self.started)

    def read(self) -> tuple[str, str]:
        return (
            self.stdout.read_text(encoding="utf-8", errors="replace"),
            self.stderr.read_text(encoding="utf-8", errors="replace"),
        )


def kill_when(
    run: Popen, condition: Callable[[], bool], *, signum: int = signal.SIGKILL, timeout: float = RUN_TIMEOUT
) -> bool:
    """Poll ``condition`` every 2 ms; send ``signum`` once it holds. False if the run ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if run.proc.poll() is not None:
            return False
        if condition():
            run.signal(signum)
            return True
        time.sleep(0.002)
    run.signal(signal.SIGKILL)
    run.proc.wait(timeout=10)
    raise AssertionError(f"condition not reached within {timeout} s")


# -- what is on disk ------------------------------------------------------------------------


def count_files(folder: Path, suffix: str = "") -> int:
    """Visible files in ``folder`` ending with ``suffix`` (0 when it does not exist)."""
    try:
        return sum(1 for e in os.scandir(folder) if e.name.endswith(suffix) and not e.name.startswith("."))
    except FileNotFoundError:
        return 0


def archived(archive: Path) -> int:
    """How many archive entries have their ``meta.json``."""
    try:
        return sum(1 for e in os.scandir(archive / "workouts") if os.path.exists(Path(e.path, "meta.json")))
    except FileNotFoundError:
        return 0


def complete_entries(archive: Path) -> set[str]:
    """Ids of entries whose ``meta.json`` says complete (status COMPLETE and graph stored)."""
    done: set[str] = set()
    folder = archive / "workouts"
    if not folder.is_dir():
        return done
    for entry in folder.iterdir():
        try:
            meta = json.loads((entry / "meta.json").read_bytes())
        except FileNotFoundError:
            continue
        if meta.get("status") == "COMPLETE" and meta.get("has_performance_graph"):
            done.add(entry.name)
    return done


def leftovers(folder: Path) -> list[str]:
    """Temporary, hidden or empty files anywhere under ``folder``."""
    bad: list[str] = []
    if not folder.exists():
        return bad
    for path in sorted(folder.rglob("*")):
        if path.is_file() and (
            path.name.startswith(".") or path.suffix == ".tmp" or path.stat().st_size == 0
        ):
            bad.append(str(path.relative_to(folder)))
    return bad


def check_archive(archive: Path) -> set[str]:
    """Every entry has a meta.json and parsing bodies it lists; returns the ids."""
    ids: set[str] = set()
    for entry in sorted((archive / "workouts").iterdir()):
        meta_path = entry / "meta.json"
        assert meta_path.is_file(), f"archive entry without meta.json left behind: {entry.name}"
        meta = json.loads(meta_path.read_bytes())
        assert meta["workout_id"] == entry.name
        assert meta["status"] == "COMPLETE" and meta["has_performance_graph"], meta
        for name in meta["files"]:
            body = json.loads((entry / name).read_bytes())
            assert isinstance(body, dict) and body, f"{entry.name}/{name} is empty"
        workout = json.loads((entry / "workout.json").read_bytes())
        assert workout["id"] == entry.name
        ids.add(entry.name)
    assert not leftovers(archive), leftovers(archive)
    return ids


def check_outputs(folder: Path) -> dict[str, str]:
    """Every TCX parses as XML and every FIT passes the SDK's integrity check; name -> sha256."""
    from garmin_fit_sdk import Decoder, Stream

    assert not leftovers(folder), f"partial or temporary files left in {folder}: {leftovers(folder)}"
    digests: dict[str, str] = {}
    for path in sorted(folder.iterdir()):
        data = path.read_bytes()
        if path.suffix == ".tcx":
            root = ElementTree.fromstring(data)
            assert root.tag.endswith("TrainingCenterDatabase"), path
        elif path.suffix == ".fit":
            decoder = Decoder(Stream.from_byte_array(bytearray(data)))
            assert decoder.is_fit() and decoder.check_integrity(), f"{path.name} is not a whole FIT file"
        digests[path.name] = hashlib.sha256(data).hexdigest()
    return digests


def ledger_rows(path: Path, table: str, columns: str) -> list[tuple[Any, ...]]:
    """Rows of one ledger table (read with a private connection, closed at once)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return list(conn.execute(f"SELECT {columns} FROM {table}"))
    finally:
        conn.close()


def fetches(records: Iterable[Any]) -> Counter[str]:
    """Requests for workout detail bodies (``GET /api/workout/{id}``) per id."""
    counts: Counter[str] = Counter()
    for record in records:
        parts = record.path.split("/")
        if record.host == "api" and len(parts) == 4 and parts[1:3] == ["api", "workout"]:
            counts[parts[3]] += 1
    return counts


# -- the CLI with a crash injected ----------------------------------------------------------


def _install_crash(spec: str) -> None:
    """``module:attribute:N`` kills on the Nth call; ``module:attribute:N:TEXT`` counts only
    the calls with an argument containing ``TEXT`` (a path, when threads interleave calls)."""
    module_name, attribute, nth, *only = spec.split(":", 3)
    owner: Any = importlib.import_module(module_name)
    *parents, name = attribute.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    original = getattr(owner, name)
    calls = 0

    @functools.wraps(original)
    def crashing(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        if only and not any(only[0] in str(arg) for arg in args):
            return original(*args, **kwargs)
        calls += 1
        if calls >= int(nth):
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)

    setattr(owner, name, crashing)


def _main() -> None:  # pragma: no cover - runs in the subprocess
    spec = os.environ.get(CRASH_VARIABLE)
    if spec:
        _install_crash(spec)
    from peloton_export.cli import main

    sys.argv[0] = "peloton-export"
    main()


if __name__ == "__main__":
    _main()
