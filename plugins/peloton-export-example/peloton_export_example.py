"""peloton-export-example: the smallest complete plugin, and the template to copy.

It adds one format and one sink:

* the ``hello`` format writes one line of text per workout (``--format hello``);
* the ``logbook`` sink appends that line, with the workout id, to a JSON Lines file
  (``--sink logbook``). A workout already in the logbook is reported as a duplicate, which
  is how every sink should answer a second delivery.

Where the logbook is: ``--option example.logbook=PATH``, or in the config file::

    [plugin:example]
    logbook = ~/peloton-logbook.jsonl

Appending is safe against a full disk, a crash and ``--jobs`` workers appending at once:
the file is locked (``flock``, where there is one) while it is read and appended to, each
entry is one ``write`` of a whole line followed by ``fsync``, and a failed or short write
is cut off again. An unfinished last line (left by an older version or a power cut) is
dropped with a warning; any other line that is not a JSON object is kept, with a warning,
and never matches a workout.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from peloton_export import (
    ExportContext,
    FormatSpec,
    SinkSpec,
    UploadError,
    UploadResult,
    Workout,
    hookimpl,
)

log = logging.getLogger(__name__)


def write_hello(workout: Workout, stream: BinaryIO, context: ExportContext) -> None:
    """Write ``<start> <title>: <minutes> min`` and a newline."""
    minutes = workout.elapsed_s / 60
    stream.write(
        f"{workout.start:%Y-%m-%d %H:%M} {workout.title or workout.discipline}: {minutes:.0f} min\n".encode()
    )


def logbook_path(context: ExportContext) -> Path:
    """The logbook file from ``--option example.logbook`` or ``[plugin:example] logbook``."""
    value = context.option("example.logbook") or context.config_for("example").get("logbook")
    if not value:
        raise UploadError(
            "the logbook sink needs a file: pass --option example.logbook=PATH "
            "or set logbook in the [plugin:example] section of the config"
        )
    return Path(value).expanduser()


def append_to_logbook(path: Path, workout: Workout, context: ExportContext) -> UploadResult:
    """Append the workout's line to the logbook once; a second time is a duplicate.

    :raises UploadError: the logbook cannot be read or written (nothing partial is left).
    """
    logbook = logbook_path(context)
    try:
        entry = {"workout_id": workout.id, "text": path.read_text(encoding="utf-8").strip()}
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        logbook.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(logbook, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            _lock(fd)
            return _append_once(fd, logbook, workout.id, line)
        finally:
            os.close(fd)  # releases the lock
    except (OSError, ValueError) as exc:
        raise UploadError(f"cannot update the logbook {logbook}: {exc}") from None


def _lock(fd: int) -> None:
    """Hold an exclusive lock on the open logbook (no-op where ``fcntl`` is missing)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def _logbook_ids(fd: int, logbook: Path) -> list[str | None]:
    """The workout id of each whole line (None for a line that is not an entry).

    An unfinished last line (no newline) is cut off, with a warning.
    """
    os.lseek(fd, 0, os.SEEK_SET)
    data = b"".join(iter(lambda: os.read(fd, 1 << 16), b""))
    end = data.rfind(b"\n") + 1
    if end < len(data):
        log.warning("logbook %s: dropping an unfinished last line (an interrupted write)", logbook)
        os.ftruncate(fd, end)
    ids: list[str | None] = []
    for number, raw in enumerate(data[:end].splitlines(), start=1):
        try:
            value = json.loads(raw)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            log.warning("logbook %s: line %d is not a JSON object; left as it is", logbook, number)
            ids.append(None)
            continue
        found = value.get("workout_id")
        ids.append(found if isinstance(found, str) else None)
    return ids


def _append_once(fd: int, logbook: Path, workout_id: str, line: bytes) -> UploadResult:
    ids = _logbook_ids(fd, logbook)
    if workout_id in ids:
        number = ids.index(workout_id) + 1
        return UploadResult(state="duplicate", remote_id=f"line {number}", message="already in the logbook")
    size = os.fstat(fd).st_size
    try:
        if os.write(fd, line) != len(line):  # a full disk can take part of a line
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        os.fsync(fd)
    except OSError:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, size)  # no partial line stays behind
        raise
    return UploadResult(state="uploaded", remote_id=f"line {len(ids) + 1}")


@hookimpl
def register_formats() -> Iterator[FormatSpec]:
    """The ``hello`` format."""
    yield FormatSpec(
        name="hello",
        suffix=".txt",
        write=write_hello,
        media_type="text/plain",
        description="one line of text per workout (example plugin)",
    )


@hookimpl
def register_sinks() -> Iterator[SinkSpec]:
    """The ``logbook`` sink; it takes the ``hello`` files."""
    yield SinkSpec(
        name="logbook",
        accepts=("hello",),
        upload=append_to_logbook,
        description="append each workout to a JSON Lines logbook (example plugin)",
    )
