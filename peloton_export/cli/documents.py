"""The ``--json`` documents of the command line: the run report, ``formats`` and ``sinks``.

Every document is one JSON object with ``schema_version`` (:data:`SCHEMA_VERSION`) and
``kind`` (the schema's name: ``run-report``, ``formats``, ``sinks``, ``status``); its JSON
Schema ships in the package (``peloton_export/data/schemas/<kind>.schema.json``,
:func:`schema`). In JSON mode standard output holds that document and nothing else
(:func:`stdout_to_stderr` sends whatever else a command or plugin prints to standard error).
Times are ISO 8601 in UTC; paths are as the run wrote them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from peloton_export.plugins import PluginHost
    from peloton_export.results import ExportReport, Status, WorkoutResult
    from peloton_export.source.sync import SyncReport

#: The version of every document's shape: raised when a field is removed or changes meaning
#: (a field added keeps it; readers ignore fields they do not know).
SCHEMA_VERSION = 1
#: The documents, by ``kind``, each with its schema file in ``data/schemas``.
KINDS = ("run-report", "status", "formats", "sinks")

Document = dict[str, Any]


def schema(kind: str) -> Document:
    """The JSON Schema (draft 2020-12) of the documents of ``kind`` (one of :data:`KINDS`).

    :raises KeyError: an unknown kind.
    """
    if kind not in KINDS:
        raise KeyError(kind)
    text = (resources.files("peloton_export") / "data" / "schemas" / f"{kind}.schema.json").read_text(
        encoding="utf-8"
    )
    loaded: Document = json.loads(text)
    return loaded


def document(kind: str, body: Mapping[str, Any]) -> Document:
    """``body`` with the ``schema_version`` and ``kind`` fields first."""
    return {"schema_version": SCHEMA_VERSION, "kind": kind, **body}


def emit(doc: Document, stream: TextIO | None = None) -> None:
    """Write ``doc`` as indented JSON and a newline to ``stream`` (standard output)."""
    out = stream if stream is not None else sys.stdout
    out.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    out.flush()


@contextmanager
def stdout_to_stderr(enabled: bool = True) -> Iterator[TextIO]:
    """While the block runs, what anything prints to standard output goes to standard error;
    yields the real standard output (where the one document is written afterwards)."""
    real = sys.stdout
    if not enabled:
        yield real
        return
    with redirect_stdout(sys.stderr):
        yield real


def iso(value: datetime | float | int | None) -> str | None:
    """A time as ISO 8601 in UTC (``2026-01-31T07:00:00+00:00``); epoch seconds are read as
    UTC; ``None`` (or a time the platform cannot show) is ``None``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    try:
        return datetime.fromtimestamp(float(value), UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def _workout(result: WorkoutResult) -> Document:
    return {
        "id": result.workout_id,
        "status": result.status,
        "reason": result.reason,
        "title": result.title,
        "start": iso(result.start),
        "files": [
            {
                "format": f.format,
                "status": f.status,
                "path": str(f.path) if f.path else None,
                "reason": f.reason,
            }
            for f in result.files
        ],
        "sinks": [
            {"sink": s.sink, "status": s.status, "remote_id": s.remote_id, "reason": s.reason}
            for s in result.sinks
        ],
    }


def _failures(report: ExportReport) -> list[Document]:
    """Every failure of the run, one object each: a workout that failed (``stage``
    ``export``, or ``format``/``sink`` for one part of it, ``target`` naming which) and a
    workout the sync could not fetch (``stage`` ``fetch``)."""
    out: list[Document] = []
    if report.sync is not None:
        out += [
            {"id": wid, "stage": "fetch", "target": None, "reason": why}
            for wid, why in report.sync.failed.items()
        ]
    for result in report.results:
        parts = [
            {"id": result.workout_id, "stage": "format", "target": f.format, "reason": f.reason}
            for f in result.files
            if f.status == "failed"
        ] + [
            {"id": result.workout_id, "stage": "sink", "target": s.sink, "reason": s.reason}
            for s in result.sinks
            if s.status == "failed"
        ]
        if parts:
            out += parts
        elif result.status == "failed":
            out.append({"id": result.workout_id, "stage": "export", "target": None, "reason": result.reason})
    return out


def _sync(sync: SyncReport | None) -> Document | None:
    if sync is None:
        return None
    return {
        "offline": sync.offline,
        "pages": sync.pages,
        "listed": sync.listed,
        "new": list(sync.new),
        "updated": list(sync.updated),
        "unchanged": sync.unchanged,
        "skipped_imported": list(sync.skipped_imported),
        "in_progress": list(sync.in_progress),
        "would_fetch": list(sync.would_fetch),
        "not_found": list(sync.not_found),
        "failed": [{"id": wid, "reason": why} for wid, why in sync.failed.items()],
        "graph_missing": [{"id": wid, "reason": why} for wid, why in sync.graph_missing.items()],
        "settled": list(sync.settled),
        "waiting": list(sync.waiting),
        "reached_end": sync.reached_end,
        "stopped": sync.stopped,
        "requests": sync.requests,
        "summary": sync.summary(),
    }


def report_document(report: ExportReport, *, dry_run: bool, exit_code: int) -> Document:
    """The ``run-report`` document of one ``export`` run (the sync before it included).

    ``counts`` has one number per workout status; ``files`` lists the paths written in
    this run (``planned`` in a dry run); ``requests`` is the number of HTTP requests the
    sync sent to Peloton (0 without a sync); ``exit_code`` is the command's.
    """
    statuses: tuple[Status, ...] = ("exported", "unchanged", "planned", "skipped", "failed")
    wanted = "planned" if dry_run else "exported"
    files = [str(f.path) for r in report.results for f in r.files if f.status == wanted and f.path]
    return document(
        "run-report",
        {
            "dry_run": dry_run,
            "ok": exit_code == 0,
            "exit_code": exit_code,
            "workouts_total": len(report.results),
            "counts": {status: report.count(status) for status in statuses},
            "files_written": 0 if dry_run else len(files),
            "files": files,
            "requests": report.sync.requests if report.sync is not None else 0,
            "failures": _failures(report),
            "sync": _sync(report.sync),
            "sync_error": report.sync_error or None,
            "paused": [{"sink": sink, "message": message} for sink, message in report.paused.items()],
            "failing": [{"sink": sink, "message": message} for sink, message in report.failing.items()],
            "problems": list(report.problems),
            "notes": list(report.notes),
            "workouts": [_workout(r) for r in report.results],
        },
    )


def formats_document(host: PluginHost) -> Document:
    """The ``formats`` document: every installed format's name, file suffix, description,
    the plugin that registered it and its option keys (key -> description)."""
    return document(
        "formats",
        {
            "formats": [
                {
                    "name": name,
                    "suffix": spec.suffix,
                    "description": spec.description,
                    "plugin": host.owner("format", name),
                    "options": dict(spec.options),
                }
                for name, spec in host.formats().items()
            ]
        },
    )


def sinks_document(host: PluginHost) -> Document:
    """The ``sinks`` document: every installed sink's name, the formats it accepts, its
    description, the plugin that registered it and its option keys."""
    return document(
        "sinks",
        {
            "sinks": [
                {
                    "name": name,
                    "accepts": list(spec.accepts),
                    "description": spec.description,
                    "plugin": host.owner("sink", name),
                    "options": dict(spec.options),
                }
                for name, spec in host.sinks().items()
            ]
        },
    )
