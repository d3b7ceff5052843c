"""Helpers for upload plugins (sinks that talk to a web service).

Used by the first-party Strava, intervals.icu and Garmin Connect plugins, and meant for
third-party sinks too:

* :class:`TokenStore`: a JSON file of credentials written atomically with mode 0600 in a
  0700 folder.
* :func:`protect` / :func:`redact` / :class:`RedactingFilter`: secrets registered with
  :func:`protect` are replaced by ``***`` in every log record handled by the root logger's
  handlers, and :func:`redact` does the same for any text (error messages).
* :class:`Clock`: injectable time and sleep, so tests never sleep for real.
* :func:`send`: one HTTP request with waiting on 429 (``Retry-After`` or a caller's rule)
  and retries on 5xx and connection errors for idempotent requests only.
* :func:`json_object`: read a JSON object from a response or raise a short
  :class:`~peloton_export.errors.UploadError`.
* :func:`plugin_setting`: a setting from ``--option``, the config section or the
  environment, in that order.
* :func:`render_template` / :func:`template_fields`: activity names and descriptions.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import string
import threading
import time as _time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from peloton_export.atomic import write_bytes_atomic
from peloton_export.errors import ConfigError, UploadError
from peloton_export.model import Workout
from peloton_export.specs import ExportContext

__all__ = [
    "Clock",
    "RedactingFilter",
    "TokenStore",
    "UploadJournal",
    "install_redaction",
    "json_object",
    "plugin_setting",
    "protect",
    "redact",
    "render_template",
    "retry_after_seconds",
    "send",
    "template_fields",
]

REDACTED = "***"
_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
_MIN_SECRET_LENGTH = 6


# -- secrets -----------------------------------------------------------------------------


def redact(text: str) -> str:
    """Return ``text`` with every secret registered through :func:`protect` replaced."""
    with _SECRETS_LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that removes registered secrets from a record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message, redact it, and keep the record."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactingFilter()


def install_redaction() -> None:
    """Add :class:`RedactingFilter` to every handler of the root logger (idempotent).

    :func:`protect` calls it; call it again after adding logging handlers (the CLI should,
    right after configuring logging) so that secrets protected earlier stay hidden.
    """
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)


def protect(*secrets: str | None) -> None:
    """Register secrets (tokens, API keys, passwords) never to appear in logs or errors.

    Adds :class:`RedactingFilter` to every handler of the root logger (idempotent), so
    records from any library (urllib3 at DEBUG too) are cleaned before they are written.
    Values shorter than six characters are ignored, as replacing them would mangle text.
    """
    with _SECRETS_LOCK:
        _SECRETS.update(s for s in secrets if s and len(s) >= _MIN_SECRET_LENGTH)
    install_redaction()


# -- token store -------------------------------------------------------------------------


class TokenStore:
    """Credentials kept as one JSON object in ``path`` (mode 0600, folder 0700).

    Every string value read or written is registered with :func:`protect`.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, Any] | None:
        """The stored object, or ``None`` when there is no file.

        An unreadable or corrupt file raises :class:`UploadError` naming the file.
        """
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise UploadError(f"cannot read {self.path}: {exc.strerror or exc}") from None
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise UploadError(f"{self.path} is not valid JSON; log in again to replace it") from None
        if not isinstance(data, dict):
            raise UploadError(f"{self.path} does not hold a JSON object; log in again to replace it")
        protect(*(v for v in data.values() if isinstance(v, str)))
        return data

    def save(self, data: Mapping[str, Any]) -> None:
        """Replace the stored object atomically; the file is created with mode 0600."""
        protect(*(v for v in data.values() if isinstance(v, str)))
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        payload = json.dumps(dict(data), indent=2, sort_keys=True).encode()
        write_bytes_atomic(self.path, payload, mode=0o600)

    def clear(self) -> None:
        """Delete the file (log out)."""
        self.path.unlink(missing_ok=True)


# -- journal -------------------------------------------------------------------------------


class UploadJournal:
    """A sink's own record of uploads in flight, so a crash never causes a second upload.

    The core's ledger records an upload only after the sink returns. If the process dies
    in between (or while the request is on the wire), the ledger knows nothing and the
    workout is offered to the sink again. The journal closes that gap:

    1. :meth:`begin` before the request is sent (phase ``sending``);
    2. :meth:`note` once the service has acknowledged it (e.g. Strava's upload id; phase
       ``sent``);
    3. :meth:`finish` with the remote id when the service says it is done (phase ``done``).

    On the next attempt the sink reads :meth:`get`: ``done`` means answer with the remote id
    without a request, ``sent`` means resume (poll) rather than send, ``sending`` means look
    the workout up on the service (by its ``external_id``) before sending again. Entries of
    finished uploads are dropped after ``keep_days``; by then the ledger has them.
    """

    def __init__(self, path: Path, *, clock: Clock | None = None, keep_days: float = 30.0) -> None:
        self.path = Path(path)
        self.clock = clock or Clock()
        self.keep_s = keep_days * 86400
        self._lock = threading.Lock()

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, UnicodeDecodeError):
            logging.getLogger(__name__).warning("ignoring unreadable upload journal %s", self.path)
            return {}
        return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}

    def _write(self, entries: dict[str, dict[str, Any]]) -> None:
        now = self.clock.time()
        kept = {
            key: entry
            for key, entry in entries.items()
            if entry.get("phase") != "done" or now - float(entry.get("at", now)) < self.keep_s
        }
        write_bytes_atomic(self.path, json.dumps(kept, indent=1, sort_keys=True).encode(), mode=0o600)

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry of ``key`` (a workout id), or ``None``."""
        with self._lock:
            return self._read().get(key)

    def _update(self, key: str, phase: str, fields: Mapping[str, Any]) -> None:
        with self._lock:
            entries = self._read()
            entry = dict(entries.get(key) or {}) if phase != "sending" else {}
            entry.update(fields)
            entry.update(phase=phase, at=self.clock.time())
            entries[key] = entry
            self._write(entries)

    def begin(self, key: str) -> None:
        """Record that a request for ``key`` is about to be sent."""
        self._update(key, "sending", {})

    def note(self, key: str, **fields: Any) -> None:
        """Record that the service acknowledged the request (with e.g. ``upload_id``)."""
        self._update(key, "sent", fields)

    def finish(self, key: str, remote_id: str | None, state: str) -> None:
        """Record the final answer."""
        self._update(key, "done", {"remote_id": remote_id, "state": state})

    def drop(self, key: str) -> None:
        """Forget ``key`` (the request certainly had no effect)."""
        with self._lock:
            entries = self._read()
            if entries.pop(key, None) is not None:
                self._write(entries)


# -- time --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Clock:
    """Wall-clock time and sleeping, replaceable in tests."""

    time: Callable[[], float] = _time.time
    sleep: Callable[[float], None] = _time.sleep


# -- settings ----------------------------------------------------------------------------


def plugin_setting(
    context: ExportContext, plugin: str, key: str, *, env: str | None = None, default: str | None = None
) -> str | None:
    """``--option PLUGIN.KEY=...``, else ``[plugin:PLUGIN] KEY``, else ``$ENV``, else ``default``."""
    value = context.option(f"{plugin}.{key}")
    if value in (None, ""):
        value = context.config_for(plugin).get(key)
    if value in (None, "") and env:
        value = os.environ.get(env)
    return value if value not in (None, "") else default


# -- HTTP --------------------------------------------------------------------------------


def retry_after_seconds(response: requests.Response, now: float) -> float | None:
    """The ``Retry-After`` header as seconds from ``now`` (delta or HTTP date), if any."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    what: str,
    clock: Clock,
    idempotent: bool,
    attempts: int = 4,
    backoff: float = 2.0,
    max_wait: float = 960.0,
    wait_on_429: Callable[[requests.Response], float | None] | None = None,
    timeout: float = 60.0,
    **kwargs: Any,
) -> requests.Response:
    """Send one request, waiting out 429s and retrying what is safe to retry.

    * 429: wait ``wait_on_429(response)`` seconds (a service's own rule), else
      ``Retry-After``, else the backoff, then send again; a wait longer than ``max_wait``
      raises :class:`UploadError` instead. A 429 means the request was not processed, so
      this is safe for any method.
    * 5xx and connection errors: retried with exponential backoff only when ``idempotent``;
      otherwise the 5xx response is returned to the caller (who may know how to check
      whether the request took effect), and a connection error raises.
    * Any other status is returned as it is. ``what`` names the request in error messages,
      which never include request bodies or headers.
    """
    delay = backoff
    response: requests.Response | None = None
    for attempt in range(1, attempts + 1):
        last = attempt == attempts
        try:
            response = session.request(method, url, timeout=timeout, **kwargs)
        except requests.RequestException as exc:
            if not idempotent or last:
                raise UploadError(f"{what}: {type(exc).__name__} ({_host(url)})") from None
            clock.sleep(delay)
            delay *= 2
            continue
        if response.status_code == 429:
            wait = wait_on_429(response) if wait_on_429 else None
            if wait is None:
                wait = retry_after_seconds(response, clock.time())
            wait = delay if wait is None else wait
            if wait > max_wait:
                raise UploadError(f"{what}: rate limited (HTTP 429) for another {wait / 60:.0f} min")
            if last:
                raise UploadError(f"{what}: still rate limited (HTTP 429) after {attempts} tries")
            clock.sleep(wait)
            delay *= 2
            continue
        if response.status_code in RETRYABLE_STATUS and idempotent and not last:
            clock.sleep(delay)
            delay *= 2
            continue
        return response
    assert response is not None  # the loop returns or raises before this
    return response


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc


def json_object(response: requests.Response, what: str) -> dict[str, Any]:
    """The response body as a JSON object, or :class:`UploadError` when it is not one."""
    try:
        data = response.json()
    except ValueError:
        raise UploadError(f"{what}: unreadable answer (HTTP {response.status_code}, not JSON)") from None
    if not isinstance(data, dict):
        raise UploadError(f"{what}: unexpected answer (HTTP {response.status_code}, not a JSON object)")
    return data


# -- names and descriptions ----------------------------------------------------------------


def _duration(seconds: float) -> str:
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def template_fields(workout: Workout) -> dict[str, str]:
    """The fields names and descriptions can use, all as text ("" when unknown).

    ``title``, ``instructor``, ``discipline``, ``workout_id``, ``date`` (YYYY-MM-DD, UTC),
    ``start`` (ISO 8601, UTC), ``duration`` (H:MM:SS of active time), ``minutes``,
    ``calories`` (kcal), ``distance_km``, ``avg_power`` (W), ``avg_cadence``, ``avg_hr``,
    ``max_hr``, ``output_kj`` (total work).
    """
    samples = workout.samples
    power = [s.power_w for s in samples if s.power_w is not None]
    cadence = [s.cadence_rpm for s in samples if s.cadence_rpm is not None]
    heart = [float(s.heart_rate_bpm) for s in samples if s.heart_rate_bpm is not None]

    def num(value: float | None, digits: int = 0) -> str:
        return "" if value is None else f"{value:.{digits}f}"

    return {
        "title": workout.title or workout.discipline.replace("_", " ").title(),
        "instructor": workout.instructor or "",
        "discipline": workout.discipline,
        "workout_id": workout.id,
        "date": workout.start.strftime("%Y-%m-%d"),
        "start": workout.start.isoformat(),
        "duration": _duration(workout.timer_s),
        "minutes": f"{workout.timer_s / 60:.0f}",
        "calories": num(workout.calories_kcal),
        "distance_km": num(workout.distance_m / 1000 if workout.distance_m is not None else None, 2),
        "avg_power": num(_mean(power)),
        "avg_cadence": num(_mean(cadence)),
        "avg_hr": num(_mean(heart)),
        "max_hr": num(max(heart) if heart else None),
        "output_kj": num(workout.total_work_j / 1000 if workout.total_work_j is not None else None),
    }


def render_template(template: str, workout: Workout, *, setting: str) -> str:
    """Fill ``template`` (``str.format`` syntax) with :func:`template_fields`.

    Lines whose fields are all empty are dropped, so a description template may list
    metrics a workout lacks. An unknown field raises :class:`ConfigError` naming
    ``setting`` and the allowed fields.
    """
    fields = template_fields(workout)
    lines = []
    for line in template.replace("\\n", "\n").split("\n"):
        names = [name for _, name, _, _ in string.Formatter().parse(line) if name]
        unknown = [n for n in names if n not in fields]
        if unknown:
            allowed = ", ".join(sorted(fields))
            raise ConfigError(f"{setting}: unknown field {{{unknown[0]}}}; use one of: {allowed}")
        if names and all(not fields[n] for n in names):
            continue
        lines.append(line.format_map(fields))
    return "\n".join(lines).strip()
