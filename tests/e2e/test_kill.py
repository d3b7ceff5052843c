"""kill -9 and SIGTERM during a real ``peloton-export --offline --jobs 2`` run.

Each test starts the real command line in a subprocess over a synthetic archive big enough
to take several seconds, waits until some files are written, signals the parent process
only (as ``kill PID`` or the OOM killer would), and checks that the spawned workers end
within a few seconds, that no file appears after that, and that a rerun exports every
workout (the run lock was released). Linux: processes are found through ``/proc``.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from peloton_export.raw import RawWorkout
from peloton_export.store.archive import Archive
from peloton_export.testing.synth import synth_workouts

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")

FORMATS = "tcx,fit,csv"
#: Seconds the workers may live on after their parent died.
DEATH_GRACE = 3.0


@functools.cache
def _workouts(count: int) -> tuple[RawWorkout, ...]:
    """The ``count`` synthetic 30-minute workouts (deterministic: built once per process)."""
    return tuple(synth_workouts(count, duration_s=1800))


def _make_archive(root: Path, count: int) -> Archive:
    archive = Archive(root)
    for raw in _workouts(count):
        archive.put_raw(raw)
    return archive


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PELOTON_", "PYTEST_"))}
    env.update(
        PELOTON_CONFIG=os.devnull,
        PELOTON_EXPORT_CONFIG_DIR=str(tmp_path / "config"),
        PELOTON_EXPORT_STATE_DIR=str(tmp_path / "state"),
        PELOTON_EXPORT_DATA_DIR=str(tmp_path / "data"),
        PELOTON_EXPORT_ARCHIVE=str(tmp_path / "archive"),
        PELOTON_EXPORT_LOAD_PLUGINS="",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _argv(out: Path) -> list[str]:
    return [sys.executable, "-m", "peloton_export", "--offline", "--jobs", "2", "-f", FORMATS, "-o", str(out)]


def _start(tmp_path: Path, out: Path, name: str) -> subprocess.Popen[bytes]:
    with (tmp_path / f"{name}.out").open("wb") as stdout, (tmp_path / f"{name}.err").open("wb") as stderr:
        return subprocess.Popen(
            _argv(out),
            env=_env(tmp_path),
            stdout=stdout,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own group: a stray is killed at the end, never the tests
        )


def _parent_of(pid: int) -> int | None:
    """The parent pid from ``/proc/PID/stat``; None when the process is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return None if fields[0] in ("Z", "X") else int(fields[1])


def _descendants(root: int) -> set[int]:
    """Live processes below ``root``."""
    parents: dict[int, int] = {}
    with os.scandir("/proc") as entries:
        pids = [int(entry.name) for entry in entries if entry.name.isdigit()]
    for pid in pids:
        ppid = _parent_of(pid)
        if ppid is not None:
            parents[pid] = ppid
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def _alive(pids: set[int]) -> set[int]:
    return {pid for pid in pids if _parent_of(pid) is not None}


def _files(out: Path) -> dict[str, float]:
    """Every file in ``out`` (hidden temporaries too) with its change time (a rename sets it)."""
    try:
        with os.scandir(out) as entries:
            found = list(entries)
    except FileNotFoundError:
        return {}
    times: dict[str, float] = {}
    for entry in found:
        try:
            times[entry.name] = entry.stat().st_ctime
        except FileNotFoundError:  # a temporary renamed or removed since the listing
            continue
    return times


def _wait_for_files(proc: subprocess.Popen[bytes], out: Path, count: int) -> None:
    deadline = time.monotonic() + 120
    while len([n for n in _files(out) if n.endswith(".tcx")]) < count:
        assert proc.poll() is None, "the run ended before it was signalled: make the archive bigger"
        assert time.monotonic() < deadline, "no files within 120 s"
        time.sleep(0.01)


def _wait_gone(pids: set[int], grace: float) -> float:
    """Seconds until every process of ``pids`` ended; fails after ``grace``."""
    started = time.monotonic()
    while _alive(pids):
        if time.monotonic() - started > grace:
            left = _alive(pids)
            for pid in left:
                os.kill(pid, signal.SIGKILL)
            raise AssertionError(f"processes of the run still alive {grace} s after the signal: {left}")
        time.sleep(0.02)
    return time.monotonic() - started


def _assert_quiet(out: Path, after: float) -> None:
    """No file of ``out`` changed after ``after`` (time.time()), and none for a while more."""
    before = _files(out)
    late = sorted(name for name, ctime in before.items() if ctime > after)
    assert not late, f"written after every process of the run had ended: {late}"
    time.sleep(1.0)
    assert _files(out) == before, "files appeared or changed after the run was killed"


def _tcx_count(out: Path) -> int:
    return len([n for n in os.listdir(out) if n.endswith(".tcx")])


def _rerun(tmp_path: Path, out: Path) -> str:
    proc = subprocess.run(
        _argv(out), env=_env(tmp_path), capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stderr + proc.stdout


def _signal_mid_export(
    tmp_path: Path, count: int, signum: int, *, after: int = 4, group: bool = False
) -> tuple[subprocess.Popen[bytes], set[int], Path]:
    """Start a ``--jobs 2`` run over ``count`` workouts; send ``signum`` once ``after`` TCX
    files exist, to the parent alone (or to its process group, as a terminal's Ctrl-C)."""
    _make_archive(tmp_path / "archive", count)
    out = tmp_path / "out"
    proc = _start(tmp_path, out, "first")
    try:
        _wait_for_files(proc, out, after)
        workers = _descendants(proc.pid)
        assert len(workers) >= 2, f"expected the spawned workers, found {workers}"
        (os.killpg if group else os.kill)(proc.pid, signum)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    return proc, workers, out


def test_kill_9_of_the_parent_ends_the_workers_and_nothing_is_written_after(tmp_path: Path) -> None:
    proc, workers, out = _signal_mid_export(tmp_path, 24, signal.SIGKILL)
    proc.wait(timeout=10)
    took = _wait_gone(workers, DEATH_GRACE)
    dead_at = time.time()
    _assert_quiet(out, dead_at)
    written = _tcx_count(out)
    assert 4 <= written < 24, f"the kill came too late to test anything ({written} of 24 written)"

    said = _rerun(tmp_path, out)  # the lock is free: the rerun runs, and finishes the job
    assert _tcx_count(out) == 24
    assert "24 workouts" in said, said
    assert not [n for n in os.listdir(out) if n.startswith(".")], "temporary files left behind"
    print(f"workers gone {took:.2f} s after kill -9; {written} of 24 written before")


@pytest.mark.parametrize(
    ("signum", "group"),
    [(signal.SIGTERM, False), (signal.SIGINT, True)],
    ids=["sigterm-to-the-parent", "ctrl-c-to-the-group"],
)
def test_sigterm_stops_promptly_with_the_lock_released_and_no_orphan(
    tmp_path: Path, signum: int, group: bool
) -> None:
    proc, workers, out = _signal_mid_export(tmp_path, 24, signum, group=group)
    signalled = time.monotonic()
    try:
        code = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError("SIGTERM did not stop the run within 10 s") from None
    stopped = time.monotonic() - signalled
    _wait_gone(workers, 1.0)  # the workers were joined; multiprocessing's resource tracker
    # ends when it reads EOF from the exited parent
    _assert_quiet(out, time.time())
    err = (tmp_path / "first.err").read_text(encoding="utf-8", errors="replace")
    assert code == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err  # workers say nothing
    assert err.strip().splitlines()[-1] == "Interrupted; the next run resumes where this one stopped."
    assert _tcx_count(out) < 24

    import fcntl  # the lock is free at once, not only once some worker ends

    with (tmp_path / "state" / "run.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(lock, fcntl.LOCK_UN)
    _rerun(tmp_path, out)
    assert _tcx_count(out) == 24
    print(f"stopped {stopped:.2f} s after {signal.Signals(signum).name}")


def _summary_rows(out: Path) -> list[list[str]]:
    text = (out / "summary.csv").read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text)))


def test_kill_9_never_loses_summary_rows(tmp_path: Path) -> None:
    killed = tmp_path / "killed"
    proc, workers, out = _signal_mid_export(killed, 40, signal.SIGKILL, after=20)
    proc.wait(timeout=10)
    _wait_gone(workers, DEATH_GRACE)
    before = _tcx_count(out)
    assert 20 <= before < 40
    said = _rerun(killed, out)
    assert _tcx_count(out) == 40

    clean = tmp_path / "clean"
    _make_archive(clean / "archive", 40)
    _rerun(clean, clean / "out")
    rows = _summary_rows(out)
    assert len(rows) == 41  # the header and one row per workout
    assert (out / "summary.csv").read_bytes() == (clean / "out" / "summary.csv").read_bytes()
    # the rerun exports what the killed run had not recorded and skips the rest
    exported = int(said.split(" exported")[0].rsplit(" ", 1)[-1])
    unchanged = 40 - exported
    assert exported >= 40 - before, said
    if unchanged:
        assert f"{unchanged} unchanged" in said, said
    print(f"{before} of 40 written at the kill; the rerun: {said.strip().splitlines()[-1]}")


_CHILD = """
import os, sys, time
from peloton_export.export import workers as workerguard
workerguard._set_parent_death_signal = lambda: False  # the portable fallback alone
workerguard.guard_worker(int(sys.argv[1]))
while True:
    open(sys.argv[2], "a").write("x")
    time.sleep(0.02)
"""
_PARENT = """
import subprocess, sys, time, os
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], str(os.getpid()), sys.argv[2]])
print(child.pid, flush=True)
time.sleep(600)
"""


def test_watchdog_thread_alone_ends_an_orphaned_worker(tmp_path: Path) -> None:
    beat = tmp_path / "beat"
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, _CHILD, str(beat)], stdout=subprocess.PIPE, start_new_session=True
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        deadline = time.monotonic() + 30
        while not beat.exists() or beat.stat().st_size < 3:  # guarded and writing
            assert time.monotonic() < deadline
            time.sleep(0.01)
        parent.kill()
        parent.wait(timeout=10)
        took = _wait_gone({child}, DEATH_GRACE)
        size = beat.stat().st_size
        time.sleep(0.3)
        assert beat.stat().st_size == size
        assert took < 1.0, took
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(parent.pid, signal.SIGKILL)
        if parent.stdout:
            parent.stdout.close()


INTERRUPTED = "Interrupted; the next run resumes where this one stopped."
SIGTERM_BIT = 1 << (signal.SIGTERM - 1)


def _catches_sigterm(pid: int) -> bool:
    """Whether process ``pid`` has a SIGTERM handler installed (``SigCgt`` of /proc/PID/status)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    caught = next((line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), "0")
    return bool(int(caught, 16) & SIGTERM_BIT)


def _wait(proc: subprocess.Popen[bytes], ready: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 120
    while not ready():
        assert proc.poll() is None, f"the run ended before {what}"
        assert time.monotonic() < deadline, f"not {what} within 120 s"
        time.sleep(0.002)


#: When SIGTERM is sent (the moment waited for, to the parent or its whole process group,
#: as systemd's stop does): every phase of a ``--jobs 2`` run, from the interpreter still
#: starting to the pool shutting down after the last workout.
MOMENTS = [
    "at-once",
    "handler-installed",
    "workers-starting",
    "first-file",
    "ten-files",
    "last-but-one-file",
    "all-files",
    "group-workers-starting",
    "group-mid-run",
    "twice-mid-run",
]
COUNT = 24


@pytest.mark.parametrize("moment", MOMENTS)
def test_sigterm_at_any_moment_is_one_line_and_the_next_run_exports_everything(
    tmp_path: Path, moment: str
) -> None:
    """Issue 20: SIGTERM at 10 moments of a ``--jobs 2`` run (6 of 30 random ones went wrong:
    a ``KeyboardInterrupt`` traceback while the pool shut down, exit -15 before the handler
    was installed). Each run ends with exit 130 and one ``Interrupted`` line, or exit 0 when
    the work was done; never a traceback (workers say nothing either); a run killed by the
    signal is only possible before Python ran the package (``at-once``: then nothing was
    written); and the next run exports every workout (the ledger recorded no file that
    is not there)."""
    _make_archive(tmp_path / "archive", COUNT)
    out = tmp_path / "out"
    proc = _start(tmp_path, out, "first")
    group = moment.startswith("group")

    def tcx() -> int:
        return len([name for name in _files(out) if name.endswith(".tcx")])

    try:
        if moment == "handler-installed":
            _wait(proc, lambda: _catches_sigterm(proc.pid), "the handler was installed")
        elif moment.endswith("workers-starting"):
            _wait(proc, lambda: bool(_descendants(proc.pid)), "a worker was started")
        elif moment != "at-once":
            wanted = {"first-file": 1, "ten-files": 10, "last-but-one-file": COUNT - 1, "all-files": COUNT}
            _wait(proc, lambda: tcx() >= wanted.get(moment, 4), "the files were written")
        workers = _descendants(proc.pid)
        (os.killpg if group else os.kill)(proc.pid, signal.SIGTERM)
        if moment == "twice-mid-run":
            time.sleep(0.05)
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
        code = proc.wait(timeout=30)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        raise
    _wait_gone(workers, DEATH_GRACE)
    err = (tmp_path / "first.err").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in err and "KeyboardInterrupt" not in err and "Exception" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    if code == 130:
        assert lines == [INTERRUPTED], err
    elif code == -signal.SIGTERM:
        assert moment == "at-once", f"killed by SIGTERM after the handler was installed: {err}"
        assert not out.exists() and not lines, err
    else:
        assert code == 0, err
        assert moment in ("all-files", "last-but-one-file"), f"exit {code} though stopped early: {err}"

    said = _rerun(tmp_path, out)
    assert _tcx_count(out) == COUNT, said
    assert len([n for n in os.listdir(out) if n.endswith(".fit")]) == COUNT, said
    assert not [n for n in os.listdir(out) if n.startswith(".")], "temporary files left behind"
    from lxml import etree

    for path in out.glob("*.tcx"):
        etree.parse(str(path))  # whole files only
    print(f"{moment}: exit {code}, {len(lines)} stderr line(s)")
