"""One export run at a time per state folder (an advisory lock on ``run.lock``)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from peloton_export.errors import LocalFileError


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
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NONBLOCK, 0o600)
    except OSError as exc:
        if not required:
            yield
            return
        raise LocalFileError(
            f"cannot create the lock file {path} in the state folder ({exc.strerror or exc}): "
            "make the folder writable, or set PELOTON_EXPORT_STATE_DIR to a writable folder"
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunInProgress(
                f"another peloton-export {'watcher' if name == 'watch.lock' else 'run'} is in progress "
                f"(it holds {path}); try again when it ends"
            ) from None
        yield
    finally:
        os.close(fd)
