"""The raw archive: every workout's raw Peloton bodies, on disk, exactly as received.

Layout (one folder per workout)::

    <root>/workouts/<workout id>/workout.json            GET /api/workout/{id}
    <root>/workouts/<workout id>/performance_graph.json  GET .../performance_graph?every_n=1
    <root>/workouts/<workout id>/ride_details.json       GET /api/ride/{ride id}/details (optional)
    <root>/workouts/<workout id>/meta.json               written last: source, time, status

Every file is written atomically and ``meta.json`` is written after the bodies, so a folder
without ``meta.json`` is an interrupted write and is ignored (and replaced on the next
fetch). A complete entry is never rewritten unless the caller asks for it (a workout that
was still in progress when it was fetched).
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from peloton_export.raw import JsonObject, RawWorkout, epoch_seconds, parse_json_object
from peloton_export.store.atomic import write_bytes_atomic

ARCHIVE_FORMAT = 1
#: Raw bodies carry the member's user id and profile fields: only the owner may read them.
PRIVATE = 0o600
BODY_FILES = {
    "workout": "workout.json",
    "performance_graph": "performance_graph.json",
    "ride_details": "ride_details.json",
}
#: The largest archive file read back (the sync's body cap is 64 MB by default, 4 GB at most
#: by setting; imports are capped at 256 MB): larger files fail their workout alone.
MAX_READ_BYTES = 256 * 1024 * 1024
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class ArchiveError(ValueError):
    """An archive entry is missing or unreadable; the message names the file."""


def check_workout_id(workout_id: str) -> str:
    """Return ``workout_id`` if it is safe as a folder name, else raise ``ArchiveError``."""
    if not isinstance(workout_id, str) or not _SAFE_ID.match(workout_id):
        raise ArchiveError(f"invalid workout id {workout_id!r}: expected 1-64 letters, digits, - or _")
    return workout_id


def read_file(path: Path, *, limit: int = MAX_READ_BYTES) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    A FIFO, device or socket (also behind a symlink) is refused without blocking, and a
    file larger than ``limit`` is not read.

    :raises FileNotFoundError: the file does not exist.
    :raises ArchiveError: not a regular file, too large, or unreadable (naming the file).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ArchiveError(f"cannot read {path} ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ArchiveError(f"{path} is not a regular file (a FIFO, device, socket or folder); not read")
        if info.st_size > limit:
            raise ArchiveError(
                f"{path} is too large ({info.st_size // 1_000_000} MB, limit {limit // 1_000_000} MB)"
            )
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise
        raise ArchiveError(f"cannot read {path} ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise ArchiveError(f"{path} grew over {limit // 1_000_000} MB while it was read")
    return data


@dataclass(frozen=True, slots=True)
class EntryMeta:
    """What ``meta.json`` records about an archived workout."""

    workout_id: str
    source: str
    stored_at: str
    status: str | None
    start_time: int | None
    created_at: int | None
    has_performance_graph: bool
    discipline: str | None = None

    @property
    def complete(self) -> bool:
        """True when the workout was finished and its performance graph was stored."""
        return self.status == "COMPLETE" and self.has_performance_graph


class Archive:
    """A folder of raw workouts. Safe to share between processes (writes are atomic)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.workouts_dir = self.root / "workouts"

    def folder(self, workout_id: str) -> Path:
        """The folder of one workout."""
        return self.workouts_dir / check_workout_id(workout_id)

    def ids(self) -> list[str]:
        """Ids of every complete entry (with ``meta.json``), sorted."""
        if not self.workouts_dir.is_dir():
            return []
        return sorted(
            p.name
            for p in self.workouts_dir.iterdir()
            if _SAFE_ID.match(p.name) and (p / "meta.json").is_file()
        )

    def __contains__(self, workout_id: object) -> bool:
        return (
            isinstance(workout_id, str)
            and bool(_SAFE_ID.match(workout_id))
            and (self.workouts_dir / workout_id / "meta.json").is_file()
        )

    def __len__(self) -> int:
        return len(self.ids())

    def meta(self, workout_id: str) -> EntryMeta:
        """Read the ``meta.json`` of one entry."""
        path = self.folder(workout_id) / "meta.json"
        try:
            data = parse_json_object(read_file(path), what=str(path))
        except FileNotFoundError:
            raise ArchiveError(f"workout {workout_id} is not in the archive ({path})") from None
        except ValueError as exc:
            raise ArchiveError(str(exc)) from None
        return EntryMeta(
            workout_id=workout_id,
            source=str(data.get("source", "unknown")),
            stored_at=str(data.get("stored_at", "")),
            status=data.get("status") if isinstance(data.get("status"), str) else None,
            start_time=epoch_seconds(data.get("start_time")),
            created_at=epoch_seconds(data.get("created_at")),
            has_performance_graph=bool(data.get("has_performance_graph")),
            discipline=data.get("discipline") if isinstance(data.get("discipline"), str) else None,
        )

    def is_complete(self, workout_id: str) -> bool:
        """True when the entry exists, the workout was COMPLETE and its graph is stored."""
        return workout_id in self and self.meta(workout_id).complete

    def put(
        self,
        workout_id: str,
        bodies: Mapping[str, bytes],
        *,
        source: str = "api",
        replace: bool = False,
    ) -> bool:
        """Store the raw ``bodies`` (keys from ``BODY_FILES``) of one workout.

        The bytes are stored exactly as given. ``workout`` is required and must parse as a
        JSON object whose ``id`` matches ``workout_id``. Returns ``False`` (and stores
        nothing) when a complete entry exists and ``replace`` is false.
        """
        check_workout_id(workout_id)
        unknown = set(bodies) - set(BODY_FILES)
        if unknown:
            raise ArchiveError(f"unknown body kinds {sorted(unknown)}")
        if "workout" not in bodies:
            raise ArchiveError(f"workout {workout_id}: the workout body is required")
        workout = parse_json_object(bodies["workout"], what=f"workout {workout_id} body")
        body_id = workout.get("id")
        if body_id is not None and str(body_id) != workout_id:
            raise ArchiveError(f"workout {workout_id}: body has id {body_id!r}")
        graph_ok = False
        if bodies.get("performance_graph") is not None:
            parse_json_object(bodies["performance_graph"], what=f"workout {workout_id} performance graph")
            graph_ok = True
        if bodies.get("ride_details") is not None:
            parse_json_object(bodies["ride_details"], what=f"workout {workout_id} ride details")
        folder = self.folder(workout_id)
        meta_path = folder / "meta.json"
        if meta_path.is_file() and not replace and self.meta(workout_id).complete:
            return False
        if meta_path.is_file():
            # Replacing: drop the old marker first so a crash mid-replace reads as incomplete.
            meta_path.unlink()
        for kind, data in bodies.items():
            write_bytes_atomic(folder / BODY_FILES[kind], data, mode=PRIVATE)
        meta: dict[str, Any] = {
            "format": ARCHIVE_FORMAT,
            "workout_id": workout_id,
            "source": source,
            "stored_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "status": workout.get("status"),
            "start_time": epoch_seconds(workout.get("start_time")),
            "created_at": epoch_seconds(workout.get("created_at")),
            "discipline": str(workout.get("fitness_discipline") or "").lower() or None,
            "has_performance_graph": graph_ok or (folder / BODY_FILES["performance_graph"]).is_file(),
            "files": sorted(BODY_FILES[k] for k in bodies),
        }
        write_bytes_atomic(meta_path, json.dumps(meta, indent=1, sort_keys=True).encode(), mode=PRIVATE)
        return True

    def put_raw(self, raw: RawWorkout, *, replace: bool = False) -> bool:
        """Store a :class:`RawWorkout` (its objects serialized as JSON)."""
        bodies: dict[str, bytes] = {"workout": _dump(raw.workout)}
        if raw.performance_graph is not None:
            bodies["performance_graph"] = _dump(raw.performance_graph)
        if raw.ride_details is not None:
            bodies["ride_details"] = _dump(raw.ride_details)
        return self.put(raw.workout_id, bodies, source=raw.source, replace=replace)

    def body_path(self, workout_id: str, kind: str) -> Path:
        """Path of one body file of an entry."""
        return self.folder(workout_id) / BODY_FILES[kind]

    def load_body(self, workout_id: str, kind: str) -> JsonObject:
        """One body of an entry (``kind`` from ``BODY_FILES``), without reading ``meta.json``.

        :raises ArchiveError: missing, not a regular file, too large or not a JSON object.
        """
        path = self.body_path(workout_id, kind)
        try:
            return parse_json_object(read_file(path), what=str(path))
        except FileNotFoundError:
            raise ArchiveError(f"workout {workout_id}: {path} is missing") from None
        except ValueError as exc:
            raise ArchiveError(str(exc)) from None

    def load(self, workout_id: str) -> RawWorkout:
        """Read one entry back. Raises ``ArchiveError`` naming the file that is bad."""
        meta = self.meta(workout_id)
        parts: dict[str, JsonObject | None] = {}
        for kind in BODY_FILES:
            path = self.body_path(workout_id, kind)
            try:
                data = read_file(path)
            except FileNotFoundError:
                if kind == "workout":
                    raise ArchiveError(f"workout {workout_id}: {path} is missing") from None
                parts[kind] = None
                continue
            except ArchiveError as exc:
                raise ArchiveError(f"workout {workout_id}: {exc}") from None
            try:
                parts[kind] = parse_json_object(data, what=str(path))
            except ValueError as exc:
                raise ArchiveError(f"workout {workout_id}: {exc}") from None
        workout = parts["workout"]
        assert workout is not None
        return RawWorkout(
            workout_id=workout_id,
            workout=workout,
            performance_graph=parts["performance_graph"],
            ride_details=parts["ride_details"],
            source=meta.source,
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids())


def _dump(obj: JsonObject) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
