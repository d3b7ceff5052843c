"""Atomic file writes: a temporary file in the same folder, fsync, then rename.

A process killed between creating its temporary file and renaming it (SIGKILL, power
loss, OOM killer) cannot remove it. Temporary names therefore carry the writer's host,
process id and a per-process token (``.<name>.<host>-<pid>-<token>.<random>.tmp``), and
the first atomic write of a process into a folder removes the temporary files there that
this host's dead processes left behind. Files of live processes, of other hosts sharing
the folder, and of unknown form are never touched.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

_HOST = hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]
_TEMP = re.compile(r"^\..+\.(?P<host>[0-9a-f]{6})-(?P<pid>\d{1,10})-(?P<token>[0-9a-f]{6})\.[a-z0-9_]+\.tmp$")
_state_lock = threading.Lock()
_owner = (0, "")  # (pid, token) of this process; renewed after a fork
_swept: set[str] = set()


def _tag() -> tuple[int, str]:
    """This process's (pid, token), made anew in a forked child."""
    global _owner
    pid = os.getpid()
    with _state_lock:
        if _owner[0] != pid:
            _owner = (pid, secrets.token_hex(3))
            _swept.clear()
        return _owner


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove the temporary files that dead processes of this host left in ``folder``."""
    if os.name != "posix":  # os.kill(pid, 0) is not a liveness probe on Windows
        return []
    pid, token = _tag()
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP.match(entry.name)
        if match is None or match["host"] != _HOST:
            continue
        owner = int(match["pid"])
        stale = match["token"] != token if owner == pid else not _alive(owner)
        if stale:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _sweep_once(folder: Path) -> None:
    """Sweep ``folder`` on this process's first write into it."""
    _tag()
    key = os.path.abspath(folder)
    with _state_lock:
        if key in _swept:
            return
        _swept.add(key)
    with contextlib.suppress(OSError):
        remove_stale_temporaries(folder)


_umask: int | None = None


def _default_mode() -> int:
    """The mode a plain ``open()`` would give a new file: ``0o666`` less the umask.

    ``mkstemp`` always makes ``0o600`` files; exported files should be as readable as any
    other file the user makes (a sync client or another account may need to read them).
    The umask is read once per process (reading it means setting it, so not per write).
    """
    global _umask
    with _state_lock:
        if _umask is None:
            _umask = os.umask(0o022)
            os.umask(_umask)
        return 0o666 & ~_umask


@contextlib.contextmanager
def atomic_writer(path: Path, *, mode: int | None = None) -> Iterator[BinaryIO]:
    """Yield a binary stream whose content replaces ``path`` only if the block succeeds.

    On any exception the temporary file is removed and ``path`` is left as it was.
    ``mode`` sets the file's permission bits before the rename (for example ``0o600`` for
    secrets); by default the file gets ``0o666`` less the umask, like any new file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep_once(path.parent)
    pid, token = _tag()
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{path.name}.{_HOST}-{pid}-{token}.", suffix=".tmp", dir=path.parent
    )
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(tmp, _default_mode() if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_bytes_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` atomically."""
    with atomic_writer(path, mode=mode) as stream:
        stream.write(data)
