"""The Logs page of ``peloton-export serve``: the last runs and their log lines, masked.

``GET /p/NAME/logs?level=&q=`` shows the runs started here (each with its outcome and
lines), the watcher's status lines, and the log events of the profile, newest first:
those ``watch`` keeps in ``<state>/watch-log.jsonl`` (JSON lines, rotated at 1 MB; see
:func:`peloton_export.unattended.logformat.setup_logging`) and those of this server
(:class:`LogBuffer`, the last :data:`KEEP_EVENTS`). ``level`` keeps that level and above,
``q`` the events whose text holds it (case ignored).

Every shown text is masked twice: the secrets this process knows
(:func:`peloton_export.net.redaction.redact`: the config's passwords and keys are
registered when the app is made) and anything shaped like a credential (:func:`mask`:
``Bearer ...``, ``password=...``, ``"access_token": "..."``), since the kept file was
written by another process.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from peloton_export.net.redaction import REDACTED, redact
from peloton_export.web.pagekit import profile_of, render, state_of, threaded

if TYPE_CHECKING:
    from peloton_export.profiles import Profile

#: Events of this server kept in memory.
KEEP_EVENTS = 2000
#: The most of a kept log file read (its end).
TAIL_BYTES = 1_000_000
#: Events shown at most.
SHOWN = 500
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_CREDENTIAL = re.compile(
    r"(?i)((?:(?:password|passwd|secret|api[_-]?key|token|access_token|refresh_token|client_secret|"
    r"session_id|authorization)[\"']?\s*[:=]\s*[\"']?)(?:(?:bearer|basic)\s+)?|(?:bearer|basic)\s+)"
    r"[^\s\"'&,;}]+"
)


def mask(text: str) -> str:
    """``text`` without known secrets and without anything shaped like a credential."""
    return _CREDENTIAL.sub(lambda m: m.group(1) + REDACTED, redact(text))


def _event(data: Any) -> dict[str, str] | None:
    if not isinstance(data, dict):
        return None
    message = data.get("message")
    if not message:
        return None
    text = str(message)
    if not text.isprintable():
        text = " ".join(text.split())
    level = str(data.get("level", "")).upper()
    event = {
        "time": str(data.get("time", ""))[:40],
        "level": level if level in LEVELS else "INFO",
        "logger": str(data.get("logger", ""))[:100],
        "message": text[:2000],
        "profile": str(data.get("profile") or "")[:40],
    }
    if data.get("error"):
        event["message"] += f" ({' '.join(str(data['error']).split())[:400]})"
    return event


class LogBuffer(logging.Handler):
    """The last :data:`KEEP_EVENTS` records of this server, as log events (masked)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.events: deque[dict[str, str]] = deque(maxlen=KEEP_EVENTS)
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        """Keep ``record`` (the JSON log format's fields)."""
        from peloton_export.unattended.logformat import JsonFormatter

        try:
            event = _event(json.loads(JsonFormatter().format(record)))
        except Exception:  # a record that cannot be formatted is not kept
            return
        if event is not None:
            event["message"] = mask(event["message"])
            with self._guard:
                self.events.append(event)

    def snapshot(self) -> list[dict[str, str]]:
        """The kept events, oldest first."""
        with self._guard:
            return list(self.events)


def attach(buffer: LogBuffer) -> None:
    """Make ``buffer`` the one :class:`LogBuffer` of the ``peloton_export`` logger."""
    logger = logging.getLogger("peloton_export")
    for old in [h for h in logger.handlers if isinstance(h, LogBuffer)]:
        logger.removeHandler(old)
    logger.addHandler(buffer)


#: Parsed kept logs: path -> ((size, mtime), events); a file that changed is read again.
_KEPT: dict[Path, tuple[tuple[int, int], list[dict[str, str]]]] = {}


def read_kept(path: Path) -> list[dict[str, str]]:
    """The events of a kept log (and its rotated ``.1``), oldest first; a missing or
    unreadable file is none, a line that is not an event is skipped. Each file is parsed
    once while it stays the same size and age."""
    events: list[dict[str, str]] = []
    for part in (path.with_name(path.name + ".1"), path):
        events.extend(_read_part(part))
    return events


def _read_part(part: Path) -> list[dict[str, str]]:
    try:
        with part.open("rb") as stream:
            info = os.fstat(stream.fileno())
            key = (info.st_size, info.st_mtime_ns)
            cached = _KEPT.get(part)
            if cached is not None and cached[0] == key:
                return cached[1]
            stream.seek(max(0, info.st_size - TAIL_BYTES))
            data = stream.read(TAIL_BYTES)
    except OSError:
        return []
    lines = data.decode("utf-8", "replace").splitlines()
    if info.st_size > TAIL_BYTES and lines:
        lines = lines[1:]  # the first may be cut
    found: list[dict[str, str]] = []
    for line in lines:
        try:
            event = _event(json.loads(line))
        except ValueError:
            continue
        if event is not None:
            found.append(event)
    if len(_KEPT) > 16:
        _KEPT.clear()
    _KEPT[part] = (key, found)
    return found


def profile_events(profile: Profile, household_state: Path, buffer: LogBuffer | None) -> list[dict[str, str]]:
    """The events of ``profile`` (its own, and the household's without a profile), newest
    first, not masked yet (:func:`select_events` masks what it keeps)."""
    from peloton_export.unattended.logformat import KEPT_LOG

    found: list[dict[str, str]] = []
    seen: set[Path] = set()
    for folder in (household_state, profile.state_dir):
        path = (folder / KEPT_LOG).resolve()
        if path not in seen:
            seen.add(path)
            found.extend(read_kept(path))
    found.extend(buffer.snapshot() if buffer else [])
    mine = [e for e in found if e["profile"] in ("", profile.name)]
    mine.sort(key=lambda e: e["time"], reverse=True)
    return mine


def select_events(events: list[dict[str, str]], level: str, query: str) -> list[dict[str, str]]:
    """``events`` at ``level`` and above whose masked text holds ``query`` (at most
    :data:`SHOWN`, the first ones), masked."""
    floor = LEVELS.index(level) if level in LEVELS else 0
    needle = query.strip().lower()
    chosen: list[dict[str, str]] = []
    for event in events:
        if LEVELS.index(event["level"]) < floor:
            continue
        shown = {**event, "message": mask(event["message"])} if needle else event
        # the text searched is the masked one: a search never finds a secret
        if needle and needle not in f"{shown['logger']} {shown['message']} {shown['profile']}".lower():
            continue
        chosen.append(shown)
        if len(chosen) == SHOWN:
            break
    return chosen if needle else [{**e, "message": mask(e["message"])} for e in chosen]


async def logs_page(request: Request) -> Response:
    """``GET /p/NAME/logs``."""
    from peloton_export.paths import default_dirs
    from peloton_export.unattended.status import profile_status_lines, watch_status_lines

    state = state_of(request)
    profile = profile_of(request)
    level = request.query_params.get("level", "INFO").upper()[:10]
    query = request.query_params.get("q", "")[:200]
    buffer = state.logs if isinstance(state.logs, LogBuffer) else None

    def gather() -> tuple[list[dict[str, str]], list[str]]:
        events = profile_events(profile, default_dirs().state, buffer)
        with profile.activate():
            household = len(state.profiles) > 1
            watch = (
                profile_status_lines(profile.state_dir)
                if household
                else watch_status_lines(profile.state_dir)
            )
        return select_events(events, level, query), [mask(line) for line in watch]

    events, watch = await threaded(gather)
    jobs = state.jobs.recent(profile.name)
    runs = [(job, [mask(line) for line in job.lines]) for job in jobs]
    return render(
        request,
        "logs.html",
        title=f"Logs of {profile.name}",
        profile=profile.name,
        events=events,
        runs=runs,
        watch=watch,
        level=level if level in LEVELS else "INFO",
        levels=LEVELS[1:],
        query=query,
    )


__all__ = ["LogBuffer", "attach", "logs_page", "mask", "profile_events", "read_kept", "select_events"]
