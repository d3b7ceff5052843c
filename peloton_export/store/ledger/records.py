"""What the ledger records: one frozen dataclass per kind of row, and the content hash."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime

#: ``exports.status`` values.
WRITTEN, NOT_APPLICABLE = "written", "not_applicable"

#: Upload states that mean "done, do not upload again".
DONE_STATES = frozenset({"uploaded", "duplicate", "skipped"})


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """A file written for one workout in one format."""

    workout_id: str
    format: str
    path: str
    content_hash: str
    exported_at: str
    status: str = WRITTEN
    reason: str | None = None

    @property
    def written(self) -> bool:
        """True for a file that was written (not a format recorded as not applying)."""
        return self.status == WRITTEN


@dataclass(frozen=True, slots=True)
class UploadRecord:
    """The state of one workout on one sink."""

    workout_id: str
    sink: str
    state: str
    remote_id: str | None
    error: str | None
    attempts: int
    updated_at: str

    @property
    def done(self) -> bool:
        """True when the workout needs no further upload to this sink."""
        return self.state in DONE_STATES


@dataclass(frozen=True, slots=True)
class WorkoutRecord:
    """A workout the sync saw."""

    workout_id: str
    created_at: int | None
    start_time: int | None
    status: str | None
    origin: str
    first_seen: str
    last_seen: str


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One event for ``peloton-export status``."""

    time: str
    workout_id: str
    kind: str  # "export" or "upload"
    target: str  # format or sink
    detail: str


@dataclass(frozen=True, slots=True)
class PendingItem:
    """Work not done yet for ``peloton-export status``."""

    workout_id: str
    kind: str  # "export", "upload" or "in_progress"
    target: str
    reason: str


@dataclass(frozen=True, slots=True)
class SinkPause:
    """A sink paused by a :class:`~peloton_export.errors.SinkPaused` (kept in ``meta``)."""

    sink: str
    message: str
    since: str  # ISO 8601 UTC, when the pause was first recorded


@dataclass(frozen=True, slots=True)
class FetchFailure:
    """A workout that failed to fetch: ``attempts`` so far, first and last failure (epoch
    seconds), the last one-line ``reason``, and ``archived`` when its detail is archived and
    only the performance graph is missing (it is exported without one)."""

    workout_id: str
    attempts: int
    first_failed: int
    last_failed: int
    reason: str
    archived: bool = False


def content_hash(data: bytes) -> str:
    """The ``content_hash`` recorded for an exported file: ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _now_text(now: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if now is None else now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
