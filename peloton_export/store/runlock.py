"""One export run at a time per state folder (an advisory lock on ``run.lock``)."""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from peloton_export.errors import LocalFileError
from peloton_export.readback import StateFileError, check_replaceable

#: Tries of a busy lock before giving up, this many seconds apart (a health check's probe
#: holds it for an instant: :func:`peloton_export.unattended.status.watcher_running`).
LOCK_TRIES, LOCK_PAUSE_S = 3, 0.025


class RunInProgress(LocalFileError):
    """Another peloton-export run holds the lock (exit code 4: the run needs the lock file,
    nothing was exported; not 1, which says some workouts failed and the others were
    exported)."""


@contextlib.contextmanager
def run_lock(state_dir: Path, name: str = "run.lock", *, required: bool = True) -> Iterator[None]:
    """Hold ``<state dir>/run.lock`` for the block, or raise ``RunInProgress`` at once.

    ``name`` picks another lock file in the same folder (``watch.lock``: one watcher).
    When the lock file cannot be created (a read-only or missing state folder, a full disk)
    it raises :class:`~peloton_export.errors.LocalFileError` naming the folder, unless
    ``required`` is false (a run that writes no state, such as ``--dry-run``): then the
    block runs without the lock.

    The lock is released by the operating system when the process ends, however it ends,
    so a crashed run never leaves a stale lock behind. Where ``fcntl`` is missing
    (Windows) runs are not serialised.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    path = state_dir / name
    try:
        check_replaceable(path)  # never a FIFO, a device, a folder, or through a dangling symlink
    except StateFileError as exc:
        if not required:
            yield
            return
        raise LocalFileError(f"the lock file {exc}: remove it (peloton-export makes a new one)") from None
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0), 0o600)
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced since the check
            os.close(fd)
            raise LocalFileError(f"the lock file {path} is not a regular file: remove it")
    except OSError as exc:
        if not required:
            yield
            return
        raise LocalFileError(
            f"cannot create the lock file {path} in the state folder ({exc.strerror or exc}): "
            "make the folder writable, or set PELOTON_EXPORT_STATE_DIR to a writable folder"
        ) from None
    try:
        for attempt in range(1, LOCK_TRIES + 1):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if attempt < LOCK_TRIES:
                    time.sleep(LOCK_PAUSE_S)
        else:
            raise RunInProgress(
                f"another peloton-export {'watcher' if name == 'watch.lock' else 'run'} is in progress "
                f"(it holds {path}); try again when it ends"
            ) from None
        yield
    finally:
        os.close(fd)
