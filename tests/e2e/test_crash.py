"""Crash and fault tests: the real CLI in a subprocess, killed, interrupted, starved of disk.

Each test runs ``python -m peloton_export`` against a :class:`FakePeloton` in this process
(loopback only), with every folder in ``tmp_path``. Kill points are picked by a seeded RNG
and aimed at a phase by polling the fake's request record, the archive or the output
folder; crashes between two particular steps are injected by running the CLI through
``tests/crash_helpers.py`` with one function patched to SIGKILL the process.

Whatever the kill point, after a rerun: the output folder holds exactly the bytes of an
uninterrupted run, nothing partial or temporary is left in the archive or the output
folder, the ledger has every row, archived workouts are never fetched again, and every
sink delivery happened once.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from crash_helpers import (
    INTERRUPTED,
    CliEnv,
    check_archive,
    check_outputs,
    complete_entries,
    count_files,
    fetches,
    kill_when,
    ledger_rows,
    leftovers,
)

from peloton_export.testing import FakePeloton
from peloton_export.testing.synth import synth_workouts

SEED = 20261123
WORKOUTS = 40
CRASH_WORKOUTS = 12  # the newest 12 of the same 40 (demo workout i does not depend on the count)
EXPORT = ["--format", "tcx", "--format", "fit", "-j", "1", "-q"]

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX signals and process groups")


@contextmanager
def fake_peloton(count: int = WORKOUTS, latency: float = 0.004) -> Iterator[FakePeloton]:
    """A fake with ``count`` short demo workouts and a little latency on every API request."""
    fake = FakePeloton(lambda: synth_workouts(count, duration_s=600), count=count).start()
    try:
        if latency:
            fake.fault("latency", delay=latency, times=None)
        yield fake
    finally:
        fake.stop()


def export_args(env: CliEnv, *extra: str) -> list[str]:
    return [*EXPORT, "-o", str(env.root / "out"), *extra]


def settle(fake: FakePeloton, timeout: float = 5.0) -> None:
    """Wait until requests a killed client left in flight are answered and recorded."""
    deadline = time.monotonic() + timeout
    while fake.in_flight and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)  # a request is recorded just after it leaves the in-flight count


def assert_clean_end(result_stderr: str) -> None:
    assert "Traceback" not in result_stderr, result_stderr


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Output file name -> sha256 of one uninterrupted run into a fresh folder."""
    with fake_peloton() as fake:
        env = CliEnv.create(fake, tmp_path_factory.mktemp("baseline"))
        result = env.run(export_args(env))
        assert result.returncode == 0, result.stderr
        digests = check_outputs(env.root / "out")
    assert len(digests) == 2 * WORKOUTS
    return digests


# -- 1. SIGKILL during sync and export --------------------------------------------------------


@dataclass(frozen=True)
class KillPoint:
    """A phase of the run and how to recognise that the kill target is reached."""

    phase: str
    low: int
    high: int
    measure: Callable[[FakePeloton, CliEnv], int]


KILL_POINTS = [
    # login and the first list page: a few requests, no workout fetched yet
    KillPoint("login", 1, 3, lambda fake, env: fake.count(host=None)),
    # detail and performance-graph fetches under way, archive entries being written
    KillPoint("fetching", 6, 60, lambda fake, env: fake.count(r"^/api/workout/")),
    # files are being written (the sync may still be fetching: export while fetching)
    KillPoint("exporting", 2, 40, lambda fake, env: count_files(env.root / "out")),
    KillPoint("exporting-late", 50, 78, lambda fake, env: count_files(env.root / "out")),
]


@pytest.mark.parametrize("point", KILL_POINTS, ids=[p.phase for p in KILL_POINTS])
def test_sigkill_during_sync_and_export_then_rerun(
    point: KillPoint, baseline: dict[str, str], tmp_path: Path
) -> None:
    rng = random.Random(f"{SEED}:{point.phase}")
    target = rng.randint(point.low, point.high)
    with fake_peloton() as fake:
        env = CliEnv.create(fake, tmp_path)
        run = env.start(export_args(env), name="killed")
        killed = kill_when(run, lambda: point.measure(fake, env) >= target)
        run.wait(10)
        assert killed, f"the run ended before the kill target ({point.phase} >= {target})"
        settle(fake)
        first = fake.requests
        complete_at_kill = complete_entries(env.archive)
        files_at_kill = count_files(env.root / "out")

        result = env.run(export_args(env), name="resumed")
        assert result.returncode == 0, result.stdout + result.stderr
        assert_clean_end(result.stderr)
        second = fake.requests[len(first) :]

    # the archive: every entry complete and parsing, nothing temporary left behind
    ids = check_archive(env.archive)
    assert len(ids) == WORKOUTS
    # the output: the same names and bytes as an uninterrupted run, all whole
    assert check_outputs(env.root / "out") == baseline
    # the ledger: an export row per workout and format, naming the file with its hash
    exports = ledger_rows(env.ledger, "exports", "workout_id, format, path, content_hash")
    assert {(w, f) for w, f, _, _ in exports} == {(w, f) for w in ids for f in ("tcx", "fit")}
    for _, _, path, digest in exports:
        assert digest == "sha256:" + baseline[Path(path).name]
    seen = {row[0] for row in ledger_rows(env.ledger, "workouts", "workout_id")}
    missing_seen = ids - seen
    # bodies: archived workouts are never fetched again; nothing is fetched twice in a run
    before, after = fetches(first), fetches(second)
    assert max(before.values(), default=0) <= 1 and max(after.values(), default=0) <= 1
    assert not (set(after) & complete_at_kill), "a workout complete in the archive was fetched again"
    assert set(before) | set(after) == ids
    assert set(after) == ids - complete_at_kill
    print(
        f"{point.phase}: killed at {target} ({len(first)} requests, {len(complete_at_kill)} archived,"
        f" {files_at_kill} files); resumed with {len(second)} requests in {result.seconds:.1f} s"
    )
    assert not missing_seen, f"archived workouts never recorded as seen in the ledger: {missing_seen}"


# -- crashes injected between two steps --------------------------------------------------------


def _entry_without_meta(env: CliEnv) -> bool:
    return any(not (f / "meta.json").exists() for f in (env.archive / "workouts").iterdir())


def _temporary_output(env: CliEnv) -> bool:
    return bool(leftovers(env.root / "out"))


def _file_without_ledger_row(env: CliEnv) -> bool:
    return count_files(env.root / "out") > len(ledger_rows(env.ledger, "exports", "workout_id"))


#: crash point -> (function killed on its Nth call, what the crash must have left behind)
CRASHES: dict[str, tuple[str, Callable[[CliEnv], bool]]] = {
    # an archive entry's bodies renamed into place, its meta.json not yet written
    "archive-before-meta": ("peloton_export.store.archive:write_bytes_atomic:9", _entry_without_meta),
    # an exported file's temporary file written and fsynced, not yet renamed (the 7th rename
    # into the output folder: the sync's renames into the archive interleave with them)
    "export-before-rename": ("os:replace:7:/out/", _temporary_output),
    # a file renamed into place, its ledger row not yet written
    "export-before-ledger": (
        "peloton_export.store.ledger.ledger:Ledger.record_export:13",
        _file_without_ledger_row,
    ),
}


@pytest.mark.parametrize("crash", list(CRASHES), ids=list(CRASHES))
def test_crash_between_steps_then_rerun(crash: str, baseline: dict[str, str], tmp_path: Path) -> None:
    target, left_behind = CRASHES[crash]
    with fake_peloton(CRASH_WORKOUTS, latency=0) as fake:
        env = CliEnv.create(fake, tmp_path)
        killed = env.run(export_args(env), crash=target, name="killed")
        assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
        assert left_behind(env), f"the crash did not land where {crash} means"
        result = env.run(export_args(env), name="resumed")
    assert result.returncode == 0, result.stdout + result.stderr
    ids = check_archive(env.archive)
    assert len(ids) == CRASH_WORKOUTS
    # the newest CRASH_WORKOUTS of the baseline's workouts (file names end with the id)
    expected = {name: digest for name, digest in baseline.items() if Path(name).stem.rsplit("_", 1)[1] in ids}
    assert len(expected) == 2 * CRASH_WORKOUTS
    assert check_outputs(env.root / "out") == expected
    assert len(ledger_rows(env.ledger, "exports", "workout_id")) == 2 * CRASH_WORKOUTS


# -- 2. SIGKILL during an upload run -------------------------------------------------------------


def logbook_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []


def test_sigkill_during_upload_runs_delivers_each_workout_once(tmp_path: Path) -> None:
    rng = random.Random(f"{SEED}:upload")
    logbook = tmp_path / "logbook.jsonl"
    with fake_peloton() as fake:
        env = CliEnv.create(fake, tmp_path / "run", plugins="example")
        out = str(env.root / "out")
        # the hello format is the logbook's; the sink is fed as each workout is exported
        sink = ["--sink", "logbook", "--option", f"example.logbook={logbook}"]
        args = ["-f", "hello", "-j", "1", "-q", "-o", out, *sink]
        kills = 0
        # random kills: before the first delivery, then after 1-39 lines, in three runs
        targets = sorted(rng.sample(range(1, WORKOUTS), 3))
        for n, target in enumerate([0, *targets]):
            run = env.start(args, name=f"killed{n}")
            if target == 0:
                hit = kill_when(run, lambda: fake.count(r"^/api/workout/") >= 10)
            else:
                hit = kill_when(run, lambda t=target: len(logbook_lines(logbook)) >= t)  # type: ignore[misc]
            run.wait(10)
            kills += hit
            print(f"upload run {n}: killed={hit} at {len(logbook_lines(logbook))} logbook lines")
        # a crash exactly between a delivery and its ledger row
        done = len(logbook_lines(logbook))
        crash = env.run(args, crash="peloton_export.store.ledger.ledger:Ledger.record_upload:2", name="crash")
        assert crash.returncode == -signal.SIGKILL
        # the first recorded upload may be a duplicate (a random kill landed between a
        # delivery and its ledger row), so the crash run delivered one or two workouts
        assert done < len(logbook_lines(logbook)) <= done + 2
        final = env.run(args, name="final")
        assert final.returncode == 0, final.stdout + final.stderr
        again = env.run(args, name="again")
        assert again.returncode == 0 and re.search(r"\b0 exported", again.stdout), again.stdout
    assert kills >= 3
    lines = [json.loads(line) for line in logbook_lines(logbook)]
    ids = check_archive(env.archive)
    assert sorted(entry["workout_id"] for entry in lines) == sorted(ids), "a workout delivered twice or never"
    uploads = ledger_rows(env.ledger, "uploads", "workout_id, sink, state")
    assert {w for w, s, _ in uploads if s == "logbook"} == ids
    states = [state for _, _, state in uploads]
    assert set(states) <= {"uploaded", "duplicate"}, states
    assert states.count("duplicate") >= 1  # the injected crash: delivered, then answered duplicate
    assert not leftovers(env.root / "out")


# -- 3. and 4. disk full, read-only output folder -----------------------------------------------


def _can_mount() -> str | None:
    """None when this process may mount a tmpfs, else the reason it may not."""
    if os.geteuid() != 0:
        return "needs root to mount a small tmpfs"
    probe = Path(tempfile.mkdtemp(prefix="peloton-export-mount-probe-"))  # $TMPDIR, never /tmp itself
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)],
            capture_output=True,
            timeout=10,
            check=False,
        )
        if done.returncode != 0:
            return f"mount not permitted here: {done.stderr.decode(errors='replace').strip()}"
        subprocess.run(["umount", str(probe)], timeout=10, check=True)
        return None
    except (OSError, subprocess.SubprocessError) as exc:
        return f"mount not available: {exc}"
    finally:
        probe.rmdir()


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """``small_fs("size=600k")`` mounts a tmpfs with those options; unmounted afterwards."""
    reason = _can_mount()
    if reason:
        pytest.skip(reason)
    mounted: list[Path] = []

    def mount(options: str) -> Path:
        point = tmp_path / f"fs{len(mounted)}"
        point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], timeout=10, check=True)
        mounted.append(point)
        return point

    try:
        yield mount
    finally:
        for point in mounted:
            subprocess.run(["umount", "-l", str(point)], timeout=10, check=False)


def failed_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("  failed ")]


def test_disk_full_fails_clearly_and_a_later_run_exports_the_rest(
    small_fs: Callable[[str], Path], tmp_path: Path
) -> None:
    count = 6
    with fake_peloton(count, latency=0) as fake:
        env = CliEnv.create(fake, tmp_path / "run")
        out = small_fs("size=600k,mode=0755") / "exports"
        args = [*EXPORT, "-o", str(out)]
        full = env.run(args, name="full")
        # the first refused write stops the run: one Error: line, exit 4, not one line per workout
        assert full.returncode == 4, full.stdout + full.stderr
        assert_clean_end(full.stderr)
        assert failed_lines(full.stdout) == [], full.stdout
        errors = [line for line in full.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1, full.stderr
        assert "No space left on device" in errors[0] and str(out) in errors[0], errors
        assert not leftovers(out)
        check_outputs(out)  # what was written is whole
        written = count_files(out)
        assert 0 < written < 2 * count

        subprocess.run(["mount", "-o", "remount,size=16m", str(out.parent)], timeout=10, check=True)
        rest = env.run(args, name="rest")
    assert rest.returncode == 0, rest.stdout + rest.stderr
    assert len(check_outputs(out)) == 2 * count
    assert len(ledger_rows(env.ledger, "exports", "workout_id")) == 2 * count


def test_disk_full_when_writing_summary_csv_fails_clearly(
    small_fs: Callable[[str], Path], tmp_path: Path
) -> None:
    """The disk fills up exactly when ``summary.csv`` is merged, after every workout's file."""
    count = 3
    out = small_fs("size=4m")
    with fake_peloton(count, latency=0) as fake:
        env = CliEnv.create(fake, tmp_path / "run")
        args = ["--format", "csv", "-j", "1", "-q", "-o", str(out)]
        assert env.run(args, name="first").returncode == 0
        # remove the files (the ledger then redoes them) and leave room for exactly them
        page = os.statvfs(out).f_frsize
        pages = sum(-(-p.stat().st_size // page) for p in out.glob("2*.csv"))
        for path in out.iterdir():
            path.unlink()
        free = os.statvfs(out).f_bavail
        with (out / ".filler").open("wb") as filler:
            filler.write(b"\0" * (free - pages) * page)
        result = env.run(args, name="full")
    (out / ".filler").unlink()
    assert result.returncode == 1, result.stdout + result.stderr
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []  # no temporary file
    assert len(list(out.glob("2*.csv"))) == count and not (out / "summary.csv").exists()
    assert "Traceback" not in result.stderr, result.stderr
    line = next((li for li in (result.stdout + result.stderr).splitlines() if "summary.csv" in li), "")
    assert "No space left on device" in line and str(out) in line, result.stdout + result.stderr


def test_read_only_output_folder_fails_clearly_and_writes_nothing(
    small_fs: Callable[[str], Path], tmp_path: Path
) -> None:
    count = 3
    out = small_fs("size=1m")
    subprocess.run(["mount", "-o", "remount,ro", str(out)], timeout=10, check=True)
    with fake_peloton(count, latency=0) as fake:
        env = CliEnv.create(fake, tmp_path / "run")
        result = env.run([*EXPORT, "-o", str(out)], name="ro")
    assert result.returncode == 4, result.stdout + result.stderr
    assert_clean_end(result.stderr)
    assert failed_lines(result.stdout) == [], result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "Read-only file system" in errors[0] and str(out) in errors[0], result.stderr
    assert list(out.iterdir()) == []
    assert ledger_rows(env.ledger, "exports", "workout_id") == []


# -- 5. Ctrl-C ------------------------------------------------------------------------------------


def test_ctrl_c_stops_cleanly_and_the_next_run_resumes(baseline: dict[str, str], tmp_path: Path) -> None:
    target = random.Random(f"{SEED}:sigint").randint(10, 60)
    with fake_peloton() as fake:
        env = CliEnv.create(fake, tmp_path)
        out = env.root / "out"
        run = env.start(export_args(env), name="interrupted")
        assert kill_when(run, lambda: count_files(out) >= target, signum=signal.SIGINT)
        sent = time.monotonic()
        interrupted = run.wait(10)
        took = time.monotonic() - sent
        assert interrupted.returncode == 130, interrupted.stdout + interrupted.stderr
        assert took < 5, f"took {took:.1f} s to stop after Ctrl-C"
        assert_clean_end(interrupted.stderr)
        assert not leftovers(out)
        kept = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.iterdir()}
        assert kept
        settle(fake)
        requests = len(fake.requests)
        missing = WORKOUTS - len(complete_entries(env.archive))

        resumed = env.run(export_args(env), name="resumed")
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        # nothing new to fetch, unless Ctrl-C came while the sync was still fetching (the
        # export runs while fetching): then only what was not archived, plus the list pages
        budget = 3 if not missing else 2 * missing + -(-WORKOUTS // 10) + 3
        assert len(fake.requests) - requests <= budget
    assert check_outputs(out) == baseline
    for name, identity in kept.items():  # finished files were not written again
        stat = (out / name).stat()
        assert (stat.st_ino, stat.st_mtime_ns) == identity, name
    match = re.search(r"(\d+) exported", resumed.stdout)
    assert match and 0 < int(match.group(1)) <= WORKOUTS - len(kept) // 2 + 1, resumed.stdout
    assert INTERRUPTED in interrupted.stderr, interrupted.stderr


# -- regression: temporary files of killed writers are swept (peloton_export/atomic.py) ---------

_KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from peloton_export.store.atomic import atomic_writer
with atomic_writer(Path(sys.argv[1])) as stream:
    stream.write(b"half a file")
    stream.flush()
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_temporary_file_of_a_killed_writer_is_removed_by_the_next_write(tmp_path: Path) -> None:
    from peloton_export.store import atomic

    target = tmp_path / "workout.tcx"
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_WRITER, str(target)], capture_output=True, timeout=30, check=False
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    (stale,) = [p for p in tmp_path.iterdir() if p.name.startswith(".workout.tcx.")]
    assert not target.exists()
    # kept: a live process's file (our parent), another host's, and names of unknown form
    pid, _ = atomic._tag()
    live = tmp_path / f".other.fit.{atomic._HOST}-{os.getppid()}-abcdef.k2j4h5g6.tmp"
    foreign = tmp_path / f".other.fit.000000-{pid + 1}-abcdef.k2j4h5g6.tmp"
    unknown = tmp_path / ".other.fit.k2j4h5g6.tmp"
    for path in (live, foreign, unknown):
        path.write_bytes(b"x")
    if atomic._HOST == "000000":  # pragma: no cover - a host name hashing to 000000
        foreign.unlink()
    atomic._swept.discard(os.path.abspath(tmp_path))

    atomic.write_bytes_atomic(tmp_path / "another.tcx", b"whole")

    assert not stale.exists()
    assert live.exists() and unknown.exists()
    assert foreign.exists() or atomic._HOST == "000000"
    assert (tmp_path / "another.tcx").read_bytes() == b"whole"
