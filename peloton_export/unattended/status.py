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
import os
import stat
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from peloton_export.readback import (
    Fields,
    StateFileError,
    check_replaceable,
    load_state,
    parse_state_json,
    read_state_bytes,
)
from peloton_export.store.atomic import write_bytes_atomic

STATUS_FILE = "watch-status.json"
#: Each household profile's own last run in a household watch (the same format), in the
#: profile's state folder: the watcher's own file stays ``watch-status.json``.
PROFILE_STATUS_FILE = "profile-status.json"
#: The watcher's lock file (:data:`peloton_export.unattended.watch.LOCK_NAME`).
LOCK_FILE = "watch.lock"
#: The largest status file read (it is a few hundred bytes).
MAX_STATUS_BYTES = 64 * 1024
STATES = frozenset({"running", "waiting", "stopped"})
OUTCOMES = frozenset({"ok", "partial", "failed", "busy", "stopped"})
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
    def from_json(cls, data: bytes, path: Path | str = STATUS_FILE) -> WatchStatus | None:
        """Parse the file's content; ``None`` when it is not a status file.

        Every field is checked (:mod:`peloton_export.readback`): a bad one (a pid of
        ``1e999``, ``NaN`` failures, a time out of the platform's range) is one warning and
        its default, so one bad field never hides the others.
        """
        return load_state(Path(path), _parse_status, what="watch status file", data=data)


def _parse_status(fields: Fields) -> WatchStatus | None:
    if fields.obj.get("format") != 1:
        raise StateFileError(fields.path, f"has format {fields.obj.get('format')!r}, not 1")
    interval = fields.number("interval", 0.0, low=0.0, high=366 * 86400.0)
    return WatchStatus(
        state=fields.choice("state", STATES, "waiting") or "waiting",
        pid=fields.pid("pid"),
        started_at=fields.timestamp("started_at"),
        finished_at=fields.timestamp("finished_at"),
        outcome=fields.choice("outcome", OUTCOMES, None),
        message=" ".join((fields.text("message", "", max_len=4000) or "").split()),
        counts=fields.counts("counts"),
        next_run_at=fields.timestamp("next_run_at"),
        failures=fields.count("failures", 0, high=1_000_000),
        last_ok_at=fields.timestamp("last_ok_at"),
        interval=interval or 0.0,
    )


def status_path(state_dir: Path, name: str = STATUS_FILE) -> Path:
    """``<state dir>/watch-status.json`` (or ``name``)."""
    return Path(state_dir) / name


def read_profile_status(state_dir: Path) -> WatchStatus | None:
    """A household profile's ``profile-status.json`` in its state folder, or ``None`` (none
    yet, or unusable: one warning naming it)."""
    path = status_path(state_dir, PROFILE_STATUS_FILE)
    return load_state(path, _parse_status, what="profile status file", limit=MAX_STATUS_BYTES)


def write_profile_status(state_dir: Path, status: WatchStatus) -> None:
    """Replace a profile's ``profile-status.json`` atomically."""
    Path(state_dir).mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(status_path(state_dir, PROFILE_STATUS_FILE), status.to_json())


def _unread_profile_health(path: Path) -> tuple[bool, str]:
    """The health of a profile whose status file gave nothing: not run yet (no file), or a
    file that cannot be used. A folder in its place is never replaced (unhealthy: each run's
    outcome is lost); anything else is, by the next run's atomic write."""
    if not os.path.lexists(path):
        return True, "not run yet"
    if os.path.isdir(path) and not os.path.islink(path):
        return False, f"its status file {path} is a folder: remove it (each run's outcome is lost)"
    return True, f"its status file {path} is unusable; the next run replaces it"


def profile_health(state_dir: Path) -> tuple[bool, str]:
    """Whether a household profile's runs work, with a one-line reason: unhealthy after
    :data:`UNHEALTHY_FAILURES` failed runs in a row; a profile not run yet is healthy."""
    status = read_profile_status(state_dir)
    if status is None:
        return _unread_profile_health(status_path(state_dir, PROFILE_STATUS_FILE))
    if status.failures >= UNHEALTHY_FAILURES:
        return False, f"{status.failures} runs in a row failed: {status.message}"
    last = f"last run {_when(status.finished_at)}: {status.outcome or 'unknown'}"
    if status.failures:
        last += f" ({status.failures} failed in a row: {status.message})"
    return True, last


def read_status(state_dir: Path) -> WatchStatus | None:
    """The status file's content, or ``None`` when there is none.

    An unusable file (a FIFO, a device, a folder, a dangling symlink, over
    :data:`MAX_STATUS_BYTES`, not JSON) is one warning naming it and ``None``; see
    :func:`peloton_export.readback.load_state`.
    """
    path = status_path(state_dir)
    return load_state(path, _parse_status, what="watch status file", limit=MAX_STATUS_BYTES)


def status_problem(state_dir: Path) -> str | None:
    """Why the status file cannot be used (``None`` when it can, or there is none)."""
    try:
        data = read_state_bytes(status_path(state_dir), limit=MAX_STATUS_BYTES)
        if data is not None and not isinstance(parse_state_json(data, status_path(state_dir)), dict):
            return "it is not a JSON object"
    except StateFileError as exc:
        return f"it {exc.problem}"
    return None


def write_status(state_dir: Path, status: WatchStatus) -> None:
    """Replace the status file atomically (readers never see half a file)."""
    Path(state_dir).mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(status_path(state_dir), status.to_json())


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "unknown"
    try:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):  # read_status checks times; a caller may not
        return "unknown"


def _counts(counts: dict[str, int]) -> str:
    order = ("new", "exported", "unchanged", "skipped", "failed")
    return ", ".join(f"{counts[k]} {k}" for k in order if k in counts)


def profile_status_lines(state_dir: Path) -> list[str]:
    """Lines for ``peloton-export status`` about a household profile's last watch run
    (empty when it has none)::

        Watch: last run 2026-01-31 07:00:02 UTC to 07:00:09 UTC: ok (3 new, 3 exported, ...)
    """
    status = read_profile_status(state_dir)
    if status is None or status.finished_at is None:
        return []
    start, ended = _when(status.started_at), _when(status.finished_at)
    if ended[:10] == start[:10]:
        ended = ended[11:]
    counts = _counts(status.counts)
    lines = [f"Watch: last run {start} to {ended}: {status.outcome}" + (f" ({counts})" if counts else "")]
    if status.message:
        lines.append(f"  {status.message}")
    if status.failures:
        lines.append(f"Watch: {status.failures} failed run(s) in a row for this profile")
    return lines


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
    if watcher_gone(state_dir, status):
        lines.append(
            f"Watch: the watcher (pid {status.pid}) is gone: it was {status.state} and ended without "
            f"stopping (killed or crashed); start it again (a run it left half done is redone)"
        )
    elif status.state == "running":
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


def watcher_running(state_dir: Path) -> bool:
    """Whether a watcher holds ``<state dir>/watch.lock`` (without ever waiting for it).

    Probes with a shared lock for an instant; :func:`peloton_export.store.runlock.run_lock` tries
    a few times over 50 ms before saying another watcher runs, so the probe never stops a
    watcher from starting. ``False`` where ``fcntl`` is missing, or the lock file is not a
    regular file.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return False
    path = Path(state_dir) / LOCK_FILE
    try:
        if not check_replaceable(path):
            return False
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (OSError, StateFileError):
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # releases the probe's lock
    return False


def watcher_gone(state_dir: Path, status: WatchStatus) -> bool:
    """True when ``status`` says a watcher is running or waiting (naming its pid) but no
    process holds ``watch.lock``: it was killed (``kill -9``, out of memory, power lost)
    before it could write ``stopped``. ``False`` where ``fcntl`` is missing (no lock to ask)."""
    if status.state == "stopped" or status.pid <= 0:
        return False
    try:
        import fcntl  # noqa: F401 - only whether the lock can be asked
    except ImportError:  # pragma: no cover - Windows
        return False
    return not watcher_running(state_dir)


def health(state_dir: Path, now: float) -> tuple[bool, str]:
    """Whether the watcher looks alive and working, with a one-line reason.

    A status file that cannot be used at all (a FIFO, ``/dev/zero``, not JSON) says
    healthy when a watcher holds ``watch.lock`` (it replaces the file at its next write),
    unhealthy when none does. Unhealthy when there is no status file, a run has taken longer than
    :data:`MAX_RUN_SECONDS`, the next run is overdue by more than
    :data:`LATE_SLACK_SECONDS`, the watcher stopped, or :data:`UNHEALTHY_FAILURES` runs in a
    row failed, or the watcher the status names is gone (:func:`watcher_gone`).
    """
    status = read_status(state_dir)
    if status is None:
        problem = status_problem(state_dir)
        if problem is None:
            return False, f"no status file in {state_dir}: the watcher has not started"
        where = status_path(state_dir)
        if watcher_running(state_dir):
            return True, f"the watcher is running (it holds {LOCK_FILE}); {where} is unusable: {problem}"
        return False, f"no watcher holds {LOCK_FILE} and {where} is unusable: {problem}"
    if status.state == "stopped":
        return False, "the watcher stopped"
    if watcher_gone(state_dir, status):
        return False, (
            f"the watcher (pid {status.pid}) is gone: no process holds {LOCK_FILE} (killed or "
            f"crashed while {status.state})"
        )
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
