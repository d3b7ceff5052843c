"""Log lines for unattended runs: standard output, one event per line.

``text``: ``2026-01-31T07:00:02Z INFO peloton_export.watch: run 1 ok in 4.2 s: ...``
(what ``docker logs`` and journald show well). ``json``: one object per line with
``time`` (ISO 8601, UTC), ``level``, ``logger`` and ``message``. Secrets registered with
:func:`peloton_export.sinkkit.protect` are redacted from both. A record logged while a
named household profile works (:func:`peloton_export.paths.active_profile`, in the thread
that logs it) says whose it is: ``... peloton_export.client: [anna] Peloton sync: ...`` in
text, a ``profile`` field in JSON.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Literal, TextIO

from peloton_export.net.redaction import install_redaction
from peloton_export.paths import DEFAULT_PROFILE, active_profile

LogFormat = Literal["text", "json"]


class JsonFormatter(logging.Formatter):
    """One JSON object per record (exceptions as a one-line ``error`` field)."""

    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": _utc(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        profile = active_profile()
        if profile != DEFAULT_PROFILE:
            event["profile"] = profile
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            event["error"] = f"{type(exc).__name__}: {exc}"
        return json.dumps(event, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``<UTC time> <LEVEL> <logger>: <message>`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage().replace("\n", " | ")
        profile = active_profile()
        if profile != DEFAULT_PROFILE and not message.startswith(f"profile {profile}:"):
            message = f"[{profile}] {message}"
        return f"{_utc(record.created)} {record.levelname} {record.name}: {message}"


def _utc(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


#: The JSON log lines ``watch`` keeps in its state folder for the ``serve`` Logs page.
KEPT_LOG = "watch-log.jsonl"
#: The kept log's size before it is rotated (one older file, ``watch-log.jsonl.1``, stays).
KEPT_LOG_BYTES = 1_000_000


def setup_logging(
    fmt: LogFormat = "text", verbose: int = 0, stream: TextIO | None = None, *, keep: Path | None = None
) -> None:
    """Send every log record to ``stream`` (standard output) in ``fmt``, INFO and up
    (DEBUG with ``verbose``), replacing the root logger's handlers. With ``keep`` (a file:
    ``<state>/watch-log.jsonl``) the records are also appended there as JSON lines, redacted
    the same way, rotated at :data:`KEPT_LOG_BYTES`; a folder that cannot be written leaves
    it out with one warning."""
    from logging.handlers import RotatingFileHandler

    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        if isinstance(old, RotatingFileHandler):
            old.close()
    root.addHandler(handler)
    problem = ""
    if keep is not None:
        try:
            keep.parent.mkdir(parents=True, exist_ok=True)
            kept = RotatingFileHandler(keep, maxBytes=KEPT_LOG_BYTES, backupCount=1, encoding="utf-8")
        except OSError as exc:
            problem = f"cannot keep the log in {keep}: {exc.strerror or exc}"
        else:
            kept.setFormatter(JsonFormatter())
            root.addHandler(kept)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("urllib3", "apprise"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose > 1 else logging.WARNING)
    install_redaction()
    if problem:
        logging.getLogger("peloton_export.watch").warning("%s", problem)
