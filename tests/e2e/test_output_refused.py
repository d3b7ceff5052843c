"""An output folder that refuses writes: one ``Error:`` line, exit 4, nothing false recorded.

Real refusing disks, not mocks: a read-only bind mount and a tiny tmpfs that fills up, each
made inside a private mount namespace (``unshare -m``, so root is needed: CI runs as
root), and a folder without write permission for a user who is not root. The second run,
on a disk that takes writes again, exports every workout.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from peloton_export.store.archive import Archive
from peloton_export.testing.synth import synth_workout
from peloton_export.testing.synth.tiny import put_tiny, tiny_id

WORKOUTS = 8


def _can_mount() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True)
    return probe.returncode == 0


needs_mount = pytest.mark.skipif(not _can_mount(), reason="needs root and a mount namespace (unshare -m)")


def _archive(tmp_path: Path) -> Path:
    archive = Archive(tmp_path / "archive")
    for index in range(WORKOUTS - 1):
        put_tiny(archive, tiny_id(index), samples=600, title=f"Ride {index}")
    archive.put_raw(synth_workout("cycling_class", seed=5, duration_s=900))
    return archive.root


def _script(tmp_path: Path, setup: str, between: str) -> subprocess.CompletedProcess[str]:
    """Run ``setup``, an export, ``between``, the export again, in a private mount namespace;
    the two exports' exit codes and output are separated by ``=====`` lines."""
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    export = (
        f"{sys.executable} -m peloton_export --offline --archive {tmp_path / 'archive'} -o {out}"
        ' -f json,tcx,fit,csv -q -j 1 2>&1; echo "===== $?"'
    )
    script = f"set -e; {setup}; set +e; {export}; set -e; {between}; set +e; {export}"
    env = {**os.environ, "PELOTON_EXPORT_STATE_DIR": str(tmp_path / "state"), "PELOTON_CONFIG": os.devnull}
    return subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def _runs(done: subprocess.CompletedProcess[str]) -> list[tuple[int, list[str]]]:
    runs: list[tuple[int, list[str]]] = []
    lines: list[str] = []
    for line in done.stdout.splitlines():
        if line.startswith("===== "):
            runs.append((int(line.split()[1]), lines))
            lines = []
        else:
            lines.append(line)
    assert len(runs) == 2, done.stdout + done.stderr
    return runs


def _recorded(tmp_path: Path) -> dict[str, list[str]]:
    """Every file the ledger records as written, by workout."""
    db = sqlite3.connect(tmp_path / "state" / "ledger.sqlite3")
    try:
        rows = db.execute("SELECT workout_id, path FROM exports WHERE status = 'written'").fetchall()
    finally:
        db.close()
    recorded: dict[str, list[str]] = {}
    for workout_id, path in rows:
        recorded.setdefault(workout_id, []).append(path)
    return recorded


def _check_first_run(code: int, lines: list[str], out: Path) -> None:
    assert code == 4, lines
    errors = [line for line in lines if line.startswith("Error:")]
    assert len(lines) == 1 and len(errors) == 1, lines
    assert f"cannot write into the output folder {out}" in errors[0]
    assert "next run exports every workout not written yet" in errors[0]
    assert not any(line.lstrip().startswith("failed") for line in lines), lines


def _check_second_run(code: int, lines: list[str]) -> None:
    assert code == 0, lines
    assert lines[0].startswith(f"Done: {WORKOUTS} workouts: "), lines
    assert " 0 failed" in lines[0], lines


@needs_mount
def test_a_read_only_output_folder_is_one_error_line_and_exit_4(tmp_path: Path) -> None:
    _archive(tmp_path)
    out = tmp_path / "out"
    done = _script(
        tmp_path,
        setup=f"mount --bind {out} {out} && mount -o remount,bind,ro {out}",
        between=f"mount -o remount,bind,rw {out}",
    )
    (code1, first), (code2, second) = _runs(done)
    _check_first_run(code1, first, out)
    assert "Read-only file system" in first[0]
    _check_second_run(code2, second)
    assert f"{WORKOUTS} exported" in second[0], second


@needs_mount
def test_a_full_output_disk_stops_the_run_and_the_ledger_holds_only_what_was_written(tmp_path: Path) -> None:
    _archive(tmp_path)
    out = tmp_path / "out"
    state = tmp_path / "state"
    done = _script(
        tmp_path,
        setup=f"mount -t tmpfs -o size=256k tmpfs {out}",
        # after the first run: what it wrote and recorded, then room for everything
        between=(
            f"ls {out} > {tmp_path / 'written.txt'}; cp -r {state} {tmp_path / 'state-after-1'};"
            f" mount -o remount,size=64m {out}"
        ),
    )
    (code1, first), (code2, second) = _runs(done)
    _check_first_run(code1, first, out)
    assert "No space left on device" in first[0]
    written = set((tmp_path / "written.txt").read_text(encoding="utf-8").split())
    assert written, "the disk should have taken a few files before it was full"
    shutil.rmtree(state)
    (tmp_path / "state-after-1").rename(state)
    recorded = _recorded(tmp_path)
    recorded_names = {Path(p).name for paths in recorded.values() for p in paths}
    assert recorded_names <= written, recorded_names - written  # nothing recorded that is not on disk
    assert len(recorded) < WORKOUTS
    _check_second_run(code2, second)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a folder without write permission")
def test_an_output_folder_without_write_permission_is_one_error_line(tmp_path: Path) -> None:
    from peloton_export.cli import run

    _archive(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        os.environ["PELOTON_EXPORT_STATE_DIR"] = str(tmp_path / "state")
        code = run(["--offline", "--archive", str(tmp_path / "archive"), "-o", str(out), "-f", "json", "-q"])
    finally:
        out.chmod(0o755)
        del os.environ["PELOTON_EXPORT_STATE_DIR"]
    assert code == 4
    assert not list(out.iterdir())


def test_refused_errors_are_told_apart_from_one_bad_file() -> None:
    import errno

    from peloton_export.errors import OutputRefused, refuses_writes

    for number in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT):
        assert refuses_writes(OSError(number, os.strerror(number)))
    for number in (errno.ENAMETOOLONG, errno.EISDIR, errno.EINVAL):
        assert not refuses_writes(OSError(number, os.strerror(number)))
    line = str(
        OutputRefused.at(Path("/out"), Path("/out/a.tcx"), OSError(errno.EROFS, "Read-only file system"))
    )
    assert "\n" not in line and "/out" in line and "a.tcx" in line
    json.dumps(line)


def _export_into(
    tmp_path: Path, out: str, *extra: str, wrap: list[str] | None = None
) -> tuple[int, list[str]]:
    """One offline export of the test archive into ``out`` (in a subprocess, ``wrap`` before
    it); its exit code and every line it printed."""
    env = {**os.environ, "PELOTON_EXPORT_STATE_DIR": str(tmp_path / "state"), "PELOTON_CONFIG": os.devnull}
    argv = [sys.executable, "-m", "peloton_export", "--offline", "--archive", str(tmp_path / "archive")]
    done = subprocess.run(
        [*(wrap or []), *argv, "-o", out, "-f", "json,tcx,fit,csv", *extra],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    return done.returncode, (done.stdout + done.stderr).splitlines()


def _check_cannot_create(code: int, lines: list[str], out: str, why: str) -> None:
    assert code == 4, lines
    assert lines == [
        f"Error: cannot create the output folder {out} ({why}); choose another with -o or output_dir"
    ], lines


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_output_folder_under_a_file_is_one_error_line_and_exit_4(tmp_path: Path, jobs: str) -> None:
    _archive(tmp_path)
    (tmp_path / "afile").write_text("not a folder\n", encoding="utf-8")
    out = str(tmp_path / "afile" / "sub")
    code, lines = _export_into(tmp_path, out, "-j", jobs)
    _check_cannot_create(code, lines, out, "Not a directory")
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "not a folder\n"
    # the next run, into a folder that can be made, exports every workout
    code, lines = _export_into(tmp_path, str(tmp_path / "good"), "-j", jobs)
    assert code == 0 and lines[0].startswith(f"Done: {WORKOUTS} workouts: {WORKOUTS} exported"), lines


def test_an_output_folder_under_proc_is_one_error_line_and_exit_4(tmp_path: Path) -> None:
    """``/proc`` takes no new folders, for root too."""
    _archive(tmp_path)
    out = "/proc/peloton-export-no-such-folder"
    code, lines = _export_into(tmp_path, out)
    _check_cannot_create(code, lines, out, "No such file or directory")


@needs_mount
def test_an_output_folder_that_cannot_be_made_on_a_read_only_disk_is_one_error_line(tmp_path: Path) -> None:
    _archive(tmp_path)
    disk = tmp_path / "disk"
    disk.mkdir()
    out = str(disk / "exports" / "2026")
    setup = f'mount -t tmpfs -o ro,size=1m tmpfs {disk} && exec "$@"'
    code, lines = _export_into(
        tmp_path, out, wrap=["unshare", "-m", "--propagation", "private", "sh", "-c", setup, "sh"]
    )
    _check_cannot_create(code, lines, out, "Read-only file system")
