"""The status file of ``peloton-export watch``: what the last run did and when the next is.

``<state dir>/watch-status.json`` is rewritten atomically at the start and the end of every
run and when the watcher stops. It holds no secret. ``peloton-export status`` prints
:func:`watch_status_lines`; the container's ``HEALTHCHECK`` runs ``peloton-export watch
--health``, which is :func:`health`.

Fields (times are Unix seconds, UTC):

==================  =================================================================
``state``           ``running`` (a run is going on), ``waiting`` (between runs),
                    ``stopped`` (the watcher ended)
``pid``             the watcher's process id
``started_at``      start of the last (or current) run
``finished_at``     end of the last run (``null`` while the first one runs)
``outcome``         ``ok``, ``partial`` (some workouts failed), ``failed`` (the run could
                    not be done: Peloton down, login needed), ``busy`` (another run held
                    the lock), ``stopped`` (abandoned on SIGTERM/SIGINT)
``message``         one line about the last run
``counts``          ``{"new": synced workouts, "exported", "unchanged", "skipped", "failed"}``
``next_run_at``     when the next run is due (``null`` after ``--once`` or a stop)
``failures``        consecutive failed runs (drives the backoff)
``last_ok_at``      end of the last run that was not ``failed``
``interval``        the configured interval in seconds
==================  =================================================================
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from peloton_export.store.atomic import write_bytes_atomic

STATUS_FILE = "watch-status.json"
#: A run may take this long (a first backfill of a long history) before health checks fail.
MAX_RUN_SECONDS = 6 * 3600.0
#: How late the next run may be before the watcher is considered stuck.
LATE_SLACK_SECONDS = 900.0
#: This many failed runs in a row make the watcher unhealthy.
UNHEALTHY_FAILURES = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchStatus:
    """The content of the status file (see the module documentation for each field)."""

    state: str = "waiting"
    pid: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    outcome: str | None = None
    message: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    next_run_at: float | None = None
    failures: int = 0
    last_ok_at: float | None = None
    interval: float = 0.0

    def but(self, **changes: Any) -> WatchStatus:
        """A copy with ``changes`` applied."""
        return replace(self, **changes)

    def to_json(self) -> bytes:
        """The file's content (UTF-8 JSON, one object)."""
        return json.dumps({"format": 1, **asdict(self)}, indent=1, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> WatchStatus | None:
        """Parse the file's content; ``None`` when it is not a status file."""
        try:
            obj = json.loads(data)
        except ValueError:
            return None
        if not isinstance(obj, dict) or obj.get("format") != 1:
            return None

        def number(key: str) -> float | None:
            value = obj.get(key)
            return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

        counts = obj.get("counts")
        return cls(
            state=str(obj.get("state") or "waiting"),
            pid=int(number("pid") or 0),
            started_at=number("started_at"),
            finished_at=number("finished_at"),
            outcome=obj["outcome"] if isinstance(obj.get("outcome"), str) else None,
            message=str(obj.get("message") or ""),
            counts={str(k): int(v) for k, v in counts.items() if isinstance(v, int)}
            if isinstance(counts, dict)
            else {},
            next_run_at=number("next_run_at"),
            failures=int(number("failures") or 0),
            last_ok_at=number("last_ok_at"),
            interval=number("interval") or 0.0,
        )


def status_path(state_dir: Path) -> Path:
    """``<state dir>/watch-status.json``."""
    return Path(state_dir) / STATUS_FILE


def read_status(state_dir: Path) -> WatchStatus | None:
    """The status file's content, or ``None`` when there is none (or it is unreadable)."""
    try:
        data = status_path(state_dir).read_bytes()
    except OSError:
        return None
    return WatchStatus.from_json(data)


def write_status(state_dir: Path, status: WatchStatus) -> None:
    """Replace the status file atomically (readers never see half a file)."""
    Path(state_dir).mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(status_path(state_dir), status.to_json())


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "unknown"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _counts(counts: dict[str, int]) -> str:
    order = ("new", "exported", "unchanged", "skipped", "failed")
    return ", ".join(f"{counts[k]} {k}" for k in order if k in counts)


def watch_status_lines(state_dir: Path) -> list[str]:
    """Lines for ``peloton-export status`` about the watcher (empty when it never ran).

    For example::

        Watch: waiting; last run 2026-01-31 07:00:02 UTC to 07:00:09 UTC: ok (3 new, 3 exported, ...)
        Watch: next run 2026-02-01 07:11:40 UTC
    """
    status = read_status(state_dir)
    if status is None:
        return []
    lines: list[str] = []
    if status.state == "running":
        lines.append(f"Watch: running since {_when(status.started_at)} (pid {status.pid})")
    if status.finished_at is not None:
        ended = _when(status.finished_at)
        start = _when(status.started_at)
        if ended[:10] == start[:10]:
            ended = ended[11:]
        detail = f"{status.outcome}"
        counts = _counts(status.counts)
        if counts:
            detail += f" ({counts})"
        prefix = "Watch: last run" if status.state == "running" else f"Watch: {status.state}; last run"
        lines.append(f"{prefix} {start} to {ended}: {detail}")
        if status.message:
            lines.append(f"  {status.message}")
    if status.failures:
        lines.append(f"Watch: {status.failures} failed run(s) in a row; retrying with backoff")
    if status.next_run_at is not None and status.state != "stopped":
        lines.append(f"Watch: next run {_when(status.next_run_at)}")
    return lines


def health(state_dir: Path, now: float) -> tuple[bool, str]:
    """Whether the watcher looks alive and working, with a one-line reason.

    Unhealthy when there is no status file, a run has taken longer than
    :data:`MAX_RUN_SECONDS`, the next run is overdue by more than
    :data:`LATE_SLACK_SECONDS`, the watcher stopped, or :data:`UNHEALTHY_FAILURES` runs in a
    row failed.
    """
    status = read_status(state_dir)
    if status is None:
        return False, f"no status file in {state_dir}: the watcher has not started"
    if status.state == "stopped":
        return False, "the watcher stopped"
    if status.state == "running":
        started = status.started_at or now
        if now - started > MAX_RUN_SECONDS:
            return False, f"a run has been going on since {_when(status.started_at)}"
        return True, f"running since {_when(status.started_at)}"
    if status.failures >= UNHEALTHY_FAILURES:
        return False, f"{status.failures} runs in a row failed: {status.message}"
    if status.next_run_at is not None and now > status.next_run_at + LATE_SLACK_SECONDS:
        return False, f"the run due at {_when(status.next_run_at)} has not started"
    return True, f"{status.outcome or 'waiting'}; next run {_when(status.next_run_at)}"
