"""Local hostility: a bad ledger, state folder, keyring, archive or input file ends in one line.

Every case runs the real command line in a subprocess (``python -m peloton_export``) and
checks the exit code, that one line on standard error names the file at fault, that no
traceback reaches the user, and that the user's files are left as they were.

Read-only cases need a plain user: when the tests run as root they drop to uid 1000 in a
user namespace (``unshare --user --map-user``); disk-full and read-only-mount cases mount a
small tmpfs in a user + mount namespace (``unshare -rm``). Where the kernel refuses those,
the test is skipped with the reason.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import pytest

from peloton_export.source.importers import import_paths
from peloton_export.store.archive import Archive
from peloton_export.store.ledger import LEDGER_FILE, Ledger, close_all

PY = sys.executable
CLI = (PY, "-m", "peloton_export")
TIMEOUT = 120
#: A tmpfs mounted on $1 with the size $2, then the command after them.
TMPFS = 'mount -t tmpfs -o size="$2" tmpfs "$1" && shift 2 && exec "$@"'


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PELOTON_", "PYTHON_KEYRING")) and k != "PYTHONPATH"
    }
    config = tmp_path / "peloton.ini"
    if not config.exists():
        config.write_text("[peloton-export]\nkeyring = false\n", encoding="utf-8")
    env.update(
        PELOTON_CONFIG=str(config),
        PELOTON_EXPORT_STATE_DIR=str(tmp_path / "state"),
        PELOTON_EXPORT_ARCHIVE=str(tmp_path / "archive"),
        PELOTON_EXPORT_DATA_DIR=str(tmp_path / "data"),
        PELOTON_EXPORT_CONFIG_DIR=str(tmp_path / "config"),
        PELOTON_EXPORT_LOAD_PLUGINS="",
    )
    env.update(extra)
    return env


def cli(
    args: Sequence[str], env: dict[str, str], *, wrap: Sequence[str] = (), timeout: float = TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m peloton_export ARGS`` (inside ``wrap``) and capture its output."""
    return subprocess.run(
        [*wrap, PY, "-m", "peloton_export", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def one_error_line(proc: subprocess.CompletedProcess[str], code: int, *names: str) -> str:
    """Assert the exit code, no traceback and exactly one stderr line naming ``names``."""
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output, output
    assert proc.returncode == code, output
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    for name in names:
        assert name in lines[0], lines[0]
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export_args(tmp_path: Path, *more: str) -> list[str]:
    return ["export", "--offline", "-q", "-j", "1", "-f", "json", "-o", str(tmp_path / "out"), *more]


def _probe(cmd: list[str]) -> bool:
    try:
        return subprocess.run(cmd, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.fixture
def plain_user() -> list[str]:
    """A command prefix that runs as a user without root's right to ignore permissions."""
    if os.geteuid() != 0:
        return []
    wrap = ["unshare", "--user", "--map-user=1000", "--map-group=1000"]
    if not _probe([*wrap, "true"]):
        pytest.skip("running as root and user namespaces are refused: cannot test permissions")
    return wrap


@pytest.fixture
def mount_ns() -> list[str]:
    """``unshare -rm``: a private mount namespace where the test may mount a tmpfs."""
    wrap = ["unshare", "-rm"]
    if not _probe([*wrap, "sh", "-c", 'mount -t tmpfs -o size=64k tmpfs "$1"', "sh", "/tmp"]):
        pytest.skip("mount namespaces are refused here: cannot make a full or read-only disk")
    return wrap


@pytest.fixture
def archive_env(tmp_path: Path, fixtures_dir: Path) -> dict[str, str]:
    """An environment whose archive holds the real peloton-to-garmin fixtures."""
    report = import_paths([fixtures_dir / "peloton-to-garmin"], Archive(tmp_path / "archive"))
    assert len(report.imported) >= 20
    return _env(tmp_path)


@pytest.fixture
def good_ledger(tmp_path: Path, archive_env: dict[str, str]) -> Path:
    """A real ledger written by one offline export of the archive."""
    proc = cli(export_args(tmp_path), archive_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ledger = tmp_path / "state" / LEDGER_FILE
    assert ledger.is_file()
    return ledger


# -- 1. the ledger -------------------------------------------------------------------------


def test_a_ledger_of_random_bytes_is_named_and_kept(tmp_path: Path, archive_env: dict[str, str]) -> None:
    ledger = tmp_path / "state" / LEDGER_FILE
    ledger.parent.mkdir(parents=True)
    ledger.write_bytes(os.urandom(50_000))
    before = digest(ledger)
    for args in (export_args(tmp_path), ["status"]):
        line = one_error_line(cli(args, archive_env), 4, str(ledger), "move it away")
        assert "not a usable ledger" in line
    assert digest(ledger) == before
    assert not (tmp_path / "out").exists()  # nothing was exported without the ledger


def test_a_truncated_ledger_is_named_and_kept(
    tmp_path: Path, good_ledger: Path, archive_env: dict[str, str]
) -> None:
    data = good_ledger.read_bytes()
    good_ledger.write_bytes(data[: len(data) // 2])
    before = digest(good_ledger)
    for args in (export_args(tmp_path, "--force"), ["status"], export_args(tmp_path, "--dry-run")):
        line = one_error_line(cli(args, archive_env), 4, str(good_ledger))
        assert "move it away" in line
    assert digest(good_ledger) == before


def test_another_programs_sqlite_database_is_not_taken_over(
    tmp_path: Path, archive_env: dict[str, str]
) -> None:
    ledger = tmp_path / "state" / LEDGER_FILE
    ledger.parent.mkdir(parents=True)
    with sqlite3.connect(ledger) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.close()
    before = digest(ledger)
    for args in (export_args(tmp_path), ["status"]):
        line = one_error_line(cli(args, archive_env), 4, str(ledger), "notes")
        assert "not a peloton-export ledger" in line
    assert digest(ledger) == before  # not even switched to WAL mode
    conn = sqlite3.connect(ledger)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {"notes"}  # no ledger table was added to someone else's database
        assert conn.execute("SELECT body FROM notes").fetchall() == [("mine",)]
    finally:
        conn.close()


def test_a_ledger_from_a_newer_version_says_upgrade(
    tmp_path: Path, good_ledger: Path, archive_env: dict[str, str]
) -> None:
    conn = sqlite3.connect(good_ledger)
    with conn:
        conn.execute("UPDATE schema_version SET version = 99")
    conn.close()
    for args in (export_args(tmp_path), ["status"]):
        line = one_error_line(cli(args, archive_env), 4, str(good_ledger), "schema 99")
        assert "upgrade peloton-export" in line
    conn = sqlite3.connect(good_ledger)
    try:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(99,)]
        assert conn.execute("SELECT COUNT(*) FROM exports").fetchone()[0] > 0
    finally:
        conn.close()


def test_a_read_only_ledger_refuses_an_export_but_answers_status_and_dry_run(
    tmp_path: Path, good_ledger: Path, archive_env: dict[str, str], plain_user: list[str]
) -> None:
    good_ledger.chmod(0o444)
    before = digest(good_ledger)
    line = one_error_line(cli(export_args(tmp_path, "--force"), archive_env, wrap=plain_user), 4)
    assert str(good_ledger) in line and "read-only" in line and "writable" in line
    status = cli(["status"], archive_env, wrap=plain_user)
    assert status.returncode == 0 and "Traceback" not in status.stderr, status.stderr
    assert "files exported" in status.stdout
    dry = cli(export_args(tmp_path, "--dry-run"), archive_env, wrap=plain_user)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "Dry run:" in dry.stdout and "unchanged" in dry.stdout  # it read what was exported
    assert digest(good_ledger) == before


def test_a_read_only_state_folder_refuses_an_export_but_answers_status_and_dry_run(
    tmp_path: Path, good_ledger: Path, archive_env: dict[str, str], plain_user: list[str]
) -> None:
    state = good_ledger.parent
    for extra in state.iterdir():
        if extra != good_ledger:
            extra.unlink()  # the lock file and WAL leftovers: the folder holds only the ledger
    before = digest(good_ledger)
    state.chmod(0o555)
    try:
        line = one_error_line(cli(export_args(tmp_path), archive_env, wrap=plain_user), 4, str(state))
        assert "writable" in line
        status = cli(["status"], archive_env, wrap=plain_user)
        assert status.returncode == 0 and "Traceback" not in status.stderr, status.stderr
        assert "files exported" in status.stdout
        dry = cli(export_args(tmp_path, "--dry-run"), archive_env, wrap=plain_user)
        assert dry.returncode == 0 and "Dry run:" in dry.stdout, dry.stdout + dry.stderr
    finally:
        state.chmod(0o755)
    assert digest(good_ledger) == before
    assert sorted(p.name for p in state.iterdir()) == [LEDGER_FILE]


def test_a_ledger_on_a_full_disk_is_one_line_and_stays_intact(
    tmp_path: Path, archive_env: dict[str, str], mount_ns: list[str]
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    seed = tmp_path / "seed" / LEDGER_FILE
    Ledger(seed)  # an empty, valid ledger
    close_all()
    saved = tmp_path / "after"
    saved.mkdir()
    # a small tmpfs on the state folder holding the ledger, filled up; after the run the
    # filler is removed and the ledger (with its WAL) copied out for inspection
    script = textwrap.dedent(
        """
        mount -t tmpfs -o size=256k tmpfs "$1" || exit 99
        state="$1"; saved="$2"; cp "$3" "$state/"; shift 3
        head -c 10000000 /dev/zero > "$state/fill" 2>/dev/null
        "$@"
        rc=$?
        rm -f "$state/fill"
        cp "$state"/ledger.sqlite3* "$saved"/
        exit $rc
        """
    )
    proc = subprocess.run(
        [
            *mount_ns,
            "sh",
            "-c",
            script,
            "sh",
            str(state),
            str(saved),
            str(seed),
            PY,
            "-m",
            "peloton_export",
            *export_args(tmp_path),
        ],
        env=archive_env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    line = one_error_line(proc, 4, str(state / LEDGER_FILE))
    assert "disk is full" in line or "free space" in line, line
    conn = sqlite3.connect(saved / LEDGER_FILE)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()


# -- 2. the run lock -----------------------------------------------------------------------


def test_a_state_folder_that_cannot_be_created_is_one_line(
    tmp_path: Path, archive_env: dict[str, str]
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the state folder should go", encoding="utf-8")
    env = dict(archive_env, PELOTON_EXPORT_STATE_DIR=str(blocker / "state"))
    line = one_error_line(cli(export_args(tmp_path), env), 4, str(blocker / "state"))
    assert "PELOTON_EXPORT_STATE_DIR" in line
    assert blocker.read_text(encoding="utf-8").startswith("a file")


# -- 3. the keyring ------------------------------------------------------------------------

BROKEN_KEYRING = """
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError


class Broken(KeyringBackend):
    priority = 1

    def get_password(self, service, username):
        raise KeyringError("the secret service is locked")

    def set_password(self, service, username, password):
        raise KeyringError("the secret service is locked")

    def delete_password(self, service, username):
        raise RuntimeError("dbus went away")
"""


def test_a_failing_keyring_backend_is_one_line_naming_it(tmp_path: Path) -> None:
    pytest.importorskip("keyring")
    (tmp_path / "brokenkeyring.py").write_text(BROKEN_KEYRING, encoding="utf-8")
    (tmp_path / "peloton.ini").write_text("[peloton-export]\nkeyring = true\n", encoding="utf-8")
    env = _env(tmp_path, PYTHONPATH=str(tmp_path), PYTHON_KEYRING_BACKEND="brokenkeyring.Broken")
    status = cli(["status"], env)
    line = one_error_line(status, 0, "brokenkeyring.Broken", "secret service is locked")
    assert "token file" in line
    logout = cli(["logout"], env)
    line = one_error_line(logout, 0, "brokenkeyring.Broken", "secret service is locked")
    assert "may still be in it" in line


# -- 4. the archive: disk full and read-only -----------------------------------------------


def test_a_full_archive_disk_stops_import_with_one_line(
    tmp_path: Path, fixtures_dir: Path, mount_ns: list[str]
) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    env = _env(tmp_path)
    proc = subprocess.run(
        [
            *mount_ns,
            "sh",
            "-c",
            TMPFS,
            "sh",
            str(archive),
            "96k",
            PY,
            "-m",
            "peloton_export",
            "import",
            str(fixtures_dir / "peloton-to-garmin"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    line = one_error_line(proc, 4, str(archive), "No space left on device")
    assert "free some space" in line


def test_a_read_only_archive_stops_import_with_one_line(
    tmp_path: Path, fixtures_dir: Path, plain_user: list[str]
) -> None:
    archive = tmp_path / "archive"
    archive.mkdir(mode=0o555)
    try:
        proc = cli(["import", str(fixtures_dir / "peloton-to-garmin")], _env(tmp_path), wrap=plain_user)
    finally:
        archive.chmod(0o755)
    line = one_error_line(proc, 4, str(archive))
    assert "writable" in line
    assert list(archive.iterdir()) == []


def test_a_full_archive_disk_during_sync_is_one_line_naming_it(
    tmp_path: Path, peloton_env: object, mount_ns: list[str]
) -> None:
    archive = Path(os.environ["PELOTON_EXPORT_ARCHIVE"])
    archive.mkdir(parents=True)
    env = dict(os.environ, PELOTON_EXPORT_LOAD_PLUGINS="")
    proc = subprocess.run(
        [
            *mount_ns,
            "sh",
            "-c",
            TMPFS,
            "sh",
            str(archive),
            "64k",
            PY,
            "-m",
            "peloton_export",
            "export",
            "-q",
            "-j",
            "1",
            "-f",
            "json",
            "-o",
            str(tmp_path / "out"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output, output
    assert proc.returncode == 3, output
    sync_lines = [line for line in output.splitlines() if line.startswith("Sync failed")]
    assert len(sync_lines) == 1, output
    assert str(archive) in sync_lines[0] and "No space left on device" in sync_lines[0]


def _online_args(tmp_path: Path) -> list[str]:
    return ["export", "-q", "-j", "1", "-f", "json", "-o", str(tmp_path / "out")]


# -- 5. local files ------------------------------------------------------------------------


def _entry(tmp_path: Path) -> Path:
    entries = sorted((tmp_path / "archive" / "workouts").iterdir())
    with_graph = [e for e in entries if (e / "performance_graph.json").is_file()]
    return with_graph[0]


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_fifo_or_device_in_the_archive_fails_its_workout_alone(
    tmp_path: Path, archive_env: dict[str, str], kind: str
) -> None:
    entry = _entry(tmp_path)
    graph = entry / "performance_graph.json"
    graph.unlink()
    if kind == "fifo":
        os.mkfifo(graph)
    else:
        graph.symlink_to("/dev/zero")
    total = len(list((tmp_path / "archive" / "workouts").iterdir()))
    proc = cli(export_args(tmp_path), archive_env, timeout=60)
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output and proc.returncode == 1, output
    failed = [line for line in proc.stdout.splitlines() if line.startswith("  failed")]
    assert len(failed) == 1 and str(graph) in failed[0] and "not a regular file" in failed[0], output
    assert f"{total - 1} exported, 1 failed" in proc.stdout
    assert len(list((tmp_path / "out").glob("*.json"))) == total - 1


def test_a_missing_archive_folder_given_explicitly_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-archive"
    line = one_error_line(cli(export_args(tmp_path, "--archive", str(missing)), _env(tmp_path)), 2)
    assert str(missing) in line and "does not exist" in line
    assert not missing.exists()


def test_a_broken_meta_json_does_not_hide_its_workout_from_filters(
    tmp_path: Path, archive_env: dict[str, str]
) -> None:
    entry = _entry(tmp_path)
    (entry / "meta.json").write_text("{broken", encoding="utf-8")
    proc = cli(export_args(tmp_path, "--since", "2000-01-01"), archive_env)
    assert "Traceback" not in proc.stdout + proc.stderr and proc.returncode == 1
    assert f"failed {entry.name}" in proc.stdout and "meta.json" in proc.stdout


def test_a_meta_json_with_wrong_types_falls_back_to_the_workout(
    tmp_path: Path, archive_env: dict[str, str]
) -> None:
    entry = _entry(tmp_path)
    (entry / "meta.json").write_text('{"start_time": "yesterday", "status": 7}', encoding="utf-8")
    proc = cli(export_args(tmp_path, "--since", "2000-01-01", "--workout", entry.name), archive_env)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    assert proc.returncode == 0 and "1 exported" in proc.stdout, proc.stdout
    proc = cli(export_args(tmp_path, "--since", "2999-01-01", "--workout", entry.name), archive_env)
    assert proc.returncode == 0 and "0 workouts" in proc.stdout, proc.stdout  # workout.json's date


@pytest.mark.parametrize("kind", ["dev-null", "fifo", "junk-folder"])
def test_merge_names_what_a_non_recording_is(tmp_path: Path, archive_env: dict[str, str], kind: str) -> None:
    if kind == "dev-null":
        target, expected = Path("/dev/null"), "not a regular file"
    elif kind == "fifo":
        target, expected = tmp_path / "pipe.fit", "not a regular file"
        os.mkfifo(target)
    else:
        target, expected = tmp_path / "junk", "no .fit or .gpx files"
        target.mkdir()
        (target / "notes.txt").write_text("not a recording", encoding="utf-8")
    proc = cli(export_args(tmp_path, "--merge", str(target)), archive_env, timeout=60)
    assert "Traceback" not in proc.stdout + proc.stderr and proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if str(target) in line]
    assert len(lines) == 1 and expected in lines[0], proc.stderr
    assert "no such file" not in proc.stderr


#: The peak memory an import of a 198 MB file may use: the file's bytes and the counts,
#: not its parsed objects (which took ~10 GB before the value limits).
IMPORT_RSS_LIMIT_MB = 600

RSS_PROBE = """
import resource, subprocess, sys
limit = 3 * 1024 ** 3  # a runaway parse fails fast instead of taking the machine's memory
proc = subprocess.run(
    sys.argv[1:],
    capture_output=True,
    text=True,
    preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)),
)
sys.stdout.write(proc.stdout)
sys.stderr.write(proc.stderr)
print("PEAK_RSS_KB", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(proc.returncode)
"""


def test_import_memory_is_bounded_for_a_huge_file_of_empty_objects(tmp_path: Path) -> None:
    big = tmp_path / "objects.json"
    with big.open("wb") as handle:
        handle.write(b"[")
        chunk = b"{}," * 1_000_000
        for _ in range(66):
            handle.write(chunk)
        handle.write(b"{}]")
    assert 190_000_000 < big.stat().st_size < 256 * 1024 * 1024
    proc = subprocess.run(
        [PY, "-c", RSS_PROBE, PY, "-m", "peloton_export", "import", str(big)],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"failed: {big}" in proc.stdout and "over the limit" in proc.stdout
    peak_mb = int(proc.stdout.split("PEAK_RSS_KB")[1].split()[0]) / 1024
    assert peak_mb < IMPORT_RSS_LIMIT_MB, f"peak RSS {peak_mb:.0f} MB"


def test_real_bodies_still_import_and_export(tmp_path: Path, fixtures_dir: Path) -> None:
    env = _env(tmp_path)
    proc = cli(["import", str(fixtures_dir)], env)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    imported = int(proc.stdout.split("Import: ")[1].split()[0])
    assert imported > 20 and ", 0 failed" in proc.stdout
    proc = cli(export_args(tmp_path), env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ", 0 failed" in proc.stdout
    assert len(list((tmp_path / "out").glob("*.json"))) > 20


def test_the_limits_hold_for_the_largest_real_body(fixtures_dir: Path) -> None:
    from peloton_export.raw import MAX_JSON_CONTAINERS, MAX_JSON_VALUES

    largest = max(fixtures_dir.rglob("*.json"), key=lambda p: p.stat().st_size)
    data = largest.read_bytes()  # a body 20 times the largest real one still passes
    assert (data.count(b"{") + data.count(b"[")) * 20 < MAX_JSON_CONTAINERS
    assert data.count(b",") * 20 < MAX_JSON_VALUES
