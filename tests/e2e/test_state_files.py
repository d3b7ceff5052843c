"""Every file the tool reads back is hostile (issue 29): the command line and the container health
check in subprocesses.

The in-process tests are in ``tests/unit/test_state_files.py``.
"""
# ruff: noqa: F811  (the home fixture is imported by name)

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.test_state_files import CASES, home, write_case  # noqa: F401 (home: a fixture)


def cli_run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "peloton_export", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


EXPECTED = {  # (command, case) -> exit code: what the command means
    "status": 0,
    "watch --health": 0,
    "watch --once": 1,  # the run itself fails (no login), the status file does not matter
}


@pytest.mark.parametrize("case", [*CASES, "dev_zero", "fifo"])
@pytest.mark.parametrize("command", list(EXPECTED))
def test_a_corrupt_status_file_is_one_line_and_the_right_exit_code(
    home: dict[str, str], tmp_path: Path, case: str, command: str
) -> None:
    path = write_case(tmp_path / "state", case)
    done = cli_run(home, *command.split())
    assert "Traceback" not in done.stderr + done.stdout
    # watch logs to standard output (one line an event); the others warn on standard error
    warnings = [line for line in (done.stderr + done.stdout).splitlines() if str(path) in line]
    expected = EXPECTED[command]
    if command == "watch --health" and case in ("dev_zero", "fifo"):
        expected = 1  # no watcher holds watch.lock: nothing says the watcher is alive
        assert done.stdout.startswith("unhealthy: no watcher holds watch.lock") and str(path) in done.stdout
    elif command == "watch --health" and case != "pid_infinite":
        # the file still names its watcher (pid 4242, waiting) and no process holds watch.lock:
        # that watcher was killed, so unhealthy (issue 26); the damaged field is still one warning
        expected = 1
        assert done.stdout.startswith("unhealthy: the watcher (pid 4242) is gone"), done.stdout
        assert len(warnings) == 1, done.stderr
    else:
        assert len(warnings) == 1, done.stderr
    assert done.returncode == expected, (done.stdout, done.stderr)


@pytest.mark.parametrize("case", [*CASES, "dev_zero"])
def test_the_container_health_check_stays_healthy_with_a_corrupt_status_file(
    home: dict[str, str], tmp_path: Path, case: str
) -> None:
    """What the image's HEALTHCHECK runs, while a watcher holds its lock: healthy, one warning."""
    import fcntl

    path = write_case(tmp_path / "state", case)
    with (tmp_path / "state" / "watch.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the running watcher
        done = cli_run(home, "watch", "--health")
    assert done.returncode == 0 and done.stdout.startswith("healthy: "), (done.stdout, done.stderr)
    assert len([line for line in done.stderr.splitlines() if line.strip()]) <= 1
    assert str(path) in done.stderr + done.stdout
