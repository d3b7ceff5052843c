"""The export pipeline: archive -> normalize -> filter -> transform -> write -> sinks.

Each workout is handled on its own: a workout that cannot be read, normalized or written
is recorded as failed with a one-line reason and the run goes on with the next one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from peloton_export.archive import Archive, ArchiveError, EntryMeta
from peloton_export.atomic import atomic_writer, write_bytes_atomic
from peloton_export.errors import (
    AuthRequired,
    ConfigError,
    NormalizeError,
    PelotonExportError,
    PluginError,
    SkipFormat,
    SkipWorkout,
    UploadError,
)
from peloton_export.filenames import export_stem
from peloton_export.ledger import ExportRecord, Ledger, content_hash
from peloton_export.model import Workout
from peloton_export.plugins import PluginHost, create_host
from peloton_export.specs import ExportContext, FormatSpec, SinkSpec, SummarySpec

log = logging.getLogger("peloton_export.pipeline")

Status = Literal["exported", "unchanged", "skipped", "failed", "planned"]

#: Below this many workouts to export, worker processes cost more than they save.
PARALLEL_MIN_WORKOUTS = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """Which archived workouts a run looks at (all filters are optional)."""

    since: datetime | None = None
    until: datetime | None = None
    disciplines: frozenset[str] | None = None
    workout_ids: frozenset[str] | None = None
    limit: int | None = None


@dataclass(slots=True)
class FileResult:
    """One format of one workout."""

    format: str
    status: Status
    path: Path | None = None
    reason: str = ""
    summary: dict[str, str] | None = None


@dataclass(slots=True)
class SinkResult:
    """One sink delivery of one workout."""

    sink: str
    status: Literal["uploaded", "duplicate", "skipped", "failed"]
    remote_id: str | None = None
    reason: str = ""


@dataclass(slots=True)
class WorkoutResult:
    """What happened to one workout in this run."""

    workout_id: str
    status: Status
    reason: str = ""
    title: str = ""
    start: datetime | None = None
    files: list[FileResult] = field(default_factory=list)
    sinks: list[SinkResult] = field(default_factory=list)


@dataclass(slots=True)
class ExportReport:
    """Every workout's result, in the order they were handled."""

    results: list[WorkoutResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # run-level failures (summary files)

    def count(self, status: Status) -> int:
        """How many workouts ended with ``status``."""
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> list[WorkoutResult]:
        """Workouts that failed (in whole or in one format or sink)."""
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        """True when no workout failed and every summary file was written."""
        return not self.failed and not self.problems


def select_ids(archive: Archive, selection: Selection) -> list[str]:
    """Archived workout ids matching ``selection``, newest start first, at most ``limit``.

    Dates and disciplines are compared with what each entry's ``meta.json`` records, so
    unselected workouts are never parsed (entries stored before ``meta.json`` recorded the
    discipline fall back to reading ``workout.json``).
    """
    return [workout_id for workout_id, _ in select_entries(archive, selection)]


def select_entries(archive: Archive, selection: Selection) -> list[tuple[str, EntryMeta | None]]:
    """Like :func:`select_ids`, with each entry's metadata (``None`` when unreadable)."""
    chosen: list[tuple[int, str, EntryMeta | None]] = []
    for workout_id in archive.ids():
        if selection.workout_ids is not None and workout_id not in selection.workout_ids:
            continue
        try:
            meta = archive.meta(workout_id)
        except ArchiveError:
            chosen.append((0, workout_id, None))  # unreadable: let the export report why
            continue
        start = meta.start_time
        if start is not None:
            if selection.since and start < selection.since.timestamp():
                continue
            if selection.until and start >= selection.until.timestamp():
                continue
        if (
            selection.disciplines
            and _discipline(archive, workout_id, meta.discipline) not in selection.disciplines
        ):
            continue
        chosen.append((start or 0, workout_id, meta))
    chosen.sort(key=lambda item: (-item[0], item[1]))
    entries = [(workout_id, meta) for _, workout_id, meta in chosen]
    return entries if selection.limit is None else entries[: selection.limit]


def _discipline(archive: Archive, workout_id: str, recorded: str | None) -> str | None:
    if recorded is not None:
        return recorded
    try:
        return str(archive.load(workout_id).workout.get("fitness_discipline") or "").lower() or None
    except ArchiveError:
        return None


@dataclass(slots=True)
class Exporter:
    """Runs the pipeline for a set of formats and sinks against one archive."""

    host: PluginHost
    archive: Archive
    context: ExportContext
    formats: tuple[FormatSpec, ...]
    sinks: tuple[SinkSpec, ...] = ()
    ledger: Ledger | None = None
    normalize: Callable[..., Workout] | None = None
    _sinks_down: dict[str, str] = field(default_factory=dict)
    _write_formats: tuple[FormatSpec, ...] | None = None

    def run(
        self,
        selection: Selection,
        *,
        progress: Callable[[WorkoutResult], None] | None = None,
        jobs: int = 1,
        rebuild: Callable[[], Exporter] | None = None,
    ) -> ExportReport:
        """Export every selected workout; never raises for one workout's failure.

        With ``jobs > 1`` and a picklable ``rebuild`` callable (which makes an equivalent
        Exporter in a worker process), workouts are spread over that many processes; the
        results come back in the same order as with one job.
        """
        entries = select_entries(self.archive, selection)
        ids = [workout_id for workout_id, _ in entries]
        report = ExportReport()
        done = self._already_done(entries)
        todo = [workout_id for workout_id in ids if workout_id not in done]
        if jobs > 1 and rebuild is not None and len(todo) >= PARALLEL_MIN_WORKOUTS:
            fresh: Iterator[WorkoutResult] = _run_parallel(todo, jobs, rebuild)
        else:
            fresh = (self.export_one(workout_id) for workout_id in todo)
        for workout_id in ids:
            if workout_id in done:
                result = WorkoutResult(workout_id, "unchanged", "already exported and delivered")
            else:
                result = next(fresh)
            report.results.append(result)
            if progress:
                progress(result)
        if not self.context.dry_run:
            self.write_summaries(report)
        return report

    # -- one workout --------------------------------------------------------------------

    def export_one(self, workout_id: str) -> WorkoutResult:
        """Load, normalize, filter, transform, write and deliver one workout."""
        result = WorkoutResult(workout_id=workout_id, status="exported")
        try:
            workout = self._load(workout_id)
        except SkipWorkout as exc:
            return _done(result, "skipped", str(exc))
        except (ArchiveError, NormalizeError) as exc:
            return _done(result, "failed", str(exc))
        result.title, result.start = workout.title, workout.start
        try:
            keep, veto = self.host.keep(workout, self.context)
            if not keep:
                return _done(result, "skipped", f"excluded by plugin {veto!r}")
            workout = self.host.transform(workout, self.context)
        except PelotonExportError as exc:
            return _done(result, "failed", f"workout {workout_id}: {exc}")
        try:
            stem = export_stem(workout)
        except Exception as exc:  # a transform may have left a field no name can be built from
            return _done(result, "failed", f"workout {workout_id}: cannot name its files: {exc}")
        for spec in self._formats_to_write():
            result.files.append(self._write(spec, workout, stem))
        for sink in self.sinks:
            result.sinks.append(self._deliver_once(sink, workout, result.files))
        statuses = {f.status for f in result.files} | {"failed" for s in result.sinks if s.status == "failed"}
        if "failed" in statuses:
            failures = [f"{f.format}: {f.reason}" for f in result.files if f.status == "failed"]
            failures += [f"{s.sink}: {s.reason}" for s in result.sinks if s.status == "failed"]
            return _done(result, "failed", f"workout {workout_id}: " + "; ".join(failures))
        if self.context.dry_run:
            return _done(result, "planned", "")
        if statuses <= {"skipped"}:
            reasons = "; ".join(f"{f.format}: {f.reason}" for f in result.files)
            return _done(result, "skipped", reasons)
        if statuses <= {"unchanged", "skipped"}:
            return _done(result, "unchanged", "")
        return result

    def _formats_to_write(self) -> tuple[FormatSpec, ...]:
        """The requested formats plus each sink's preferred format among those installed."""
        if self._write_formats is None:
            self._write_formats = self._choose_formats()
        return self._write_formats

    def _choose_formats(self) -> tuple[FormatSpec, ...]:
        chosen = list(self.formats)
        available = self.host.formats()
        for sink in self.sinks:
            if not any(spec.name in sink.accepts for spec in chosen):
                preferred = next((available[n] for n in sink.accepts if n in available), None)
                if preferred is not None:
                    chosen.append(preferred)
        return tuple(chosen)

    def _already_done(self, entries: list[tuple[str, EntryMeta | None]]) -> set[str]:
        """Workouts the ledger shows fully done: every file written in this output folder
        since the archive entry was stored (and still there), every sink delivered. Those
        are not even parsed. One ledger query per table and one folder listing in all."""
        if self.ledger is None or self.context.force or self.context.dry_run or not entries:
            return set()
        formats = [spec.name for spec in self._formats_to_write()]
        records = self.ledger.exports_for(formats)
        settled = self.ledger.settled_uploads(sink.name for sink in self.sinks)
        out_dir = self.context.output_dir
        try:
            present = {entry.name for entry in os.scandir(out_dir) if entry.is_file()}
        except OSError:
            present = set()
        done: set[str] = set()
        for workout_id, meta in entries:
            if meta is None:
                continue
            if all(
                _export_current(records.get((workout_id, fmt)), meta.stored_at, out_dir, present)
                for fmt in formats
            ) and all((workout_id, sink.name) in settled for sink in self.sinks):
                done.add(workout_id)
        return done

    def _load(self, workout_id: str) -> Workout:
        from peloton_export.normalize import normalize

        raw = self.archive.load(workout_id)
        return (self.normalize or normalize)(raw)

    def _write(self, spec: FormatSpec, workout: Workout, stem: str) -> FileResult:
        path = self.context.output_dir / f"{stem}{spec.suffix}"
        reason = spec.skip_reason(workout)
        if reason:
            return self._record(workout, FileResult(spec.name, "skipped", None, reason))
        buffer = io.BytesIO()
        try:
            spec.write(workout, buffer, self.context)
        except SkipFormat as exc:
            return self._record(workout, FileResult(spec.name, "skipped", None, str(exc)))
        except PelotonExportError as exc:
            return FileResult(spec.name, "failed", None, str(exc))
        except Exception as exc:  # a plugin's bug: attribute it, keep going
            owner = self.host.owner("format", spec.name)
            error = PluginError(f"{type(exc).__name__}: {exc}", plugin=owner, hook="write")
            return FileResult(spec.name, "failed", None, str(error))
        try:
            row = dict(spec.summary.row(workout, self.context)) if spec.summary else None
        except Exception as exc:
            owner = self.host.owner("format", spec.name)
            error = PluginError(f"{type(exc).__name__}: {exc}", plugin=owner, hook="summary row")
            return FileResult(spec.name, "failed", None, str(error))
        if self.context.dry_run:
            return FileResult(spec.name, "planned", path)
        data = buffer.getvalue()
        if not self.context.force and _same_content(path, data):
            return self._record(workout, FileResult(spec.name, "unchanged", path, summary=row), data)
        try:
            write_bytes_atomic(path, data)
        except OSError as exc:
            return FileResult(spec.name, "failed", path, f"cannot write {path}: {exc.strerror or exc}")
        return self._record(workout, FileResult(spec.name, "exported", path, summary=row), data)

    def _record(self, workout: Workout, file: FileResult, data: bytes | None = None) -> FileResult:
        """Write a finished (or deliberately skipped) file to the ledger, after the file itself."""
        if self.ledger is not None and not self.context.dry_run:
            if data is None:  # the format does not apply: remember that, with the reason
                self.ledger.record_export(workout.id, file.format, self.context.output_dir, "skipped")
            else:
                assert file.path is not None
                self.ledger.record_export(workout.id, file.format, file.path, content_hash(data))
        return file

    def _deliver_once(self, sink: SinkSpec, workout: Workout, files: list[FileResult]) -> SinkResult:
        """Deliver unless the ledger shows it done or tombstoned; record the outcome."""
        ledger = self.ledger
        if sink.name in self._sinks_down:
            return SinkResult(sink.name, "skipped", None, self._sinks_down[sink.name])
        if ledger is not None:
            if ledger.is_tombstoned(workout.id, sink.name):
                return SinkResult(sink.name, "skipped", None, "deleted on the platform; never sent again")
            record = ledger.upload_state(workout.id, sink.name)
            if record is not None and record.done:
                if not self.context.force:
                    return SinkResult(sink.name, "skipped", record.remote_id, f"already {record.state}")
                if record.remote_id and self._deleted_remotely(sink, record.remote_id):
                    ledger.tombstone(workout.id, sink.name, f"deleted on {sink.name}")
                    return SinkResult(sink.name, "skipped", None, "deleted on the platform; never sent again")
        outcome = self._deliver(sink, workout, files)
        if ledger is not None and not self.context.dry_run and outcome.reason != "dry run":
            if outcome.status == "failed":
                ledger.record_upload(workout.id, sink.name, "failed", None, outcome.reason)
            elif not (outcome.status == "skipped" and outcome.reason.startswith("no file")):
                ledger.record_upload(workout.id, sink.name, outcome.status, outcome.remote_id, None)
        return outcome

    def _deleted_remotely(self, sink: SinkSpec, remote_id: str) -> bool:
        """True only when the sink positively says the earlier upload is gone."""
        if sink.exists is None:
            return False
        try:
            return sink.exists(remote_id, self.context) is False
        except Exception as exc:  # unknown is not deleted: never drop an upload on a guess
            log.warning("sink %s could not check %s: %s: %s", sink.name, remote_id, type(exc).__name__, exc)
            return False

    def _deliver(self, sink: SinkSpec, workout: Workout, files: list[FileResult]) -> SinkResult:
        by_format = {f.format: f for f in files if f.path is not None and f.status != "failed"}
        chosen = next((by_format[name] for name in sink.accepts if name in by_format), None)
        if chosen is None or chosen.path is None:
            wanted = ", ".join(sink.accepts)
            return SinkResult(sink.name, "skipped", None, f"no file in a format it accepts ({wanted})")
        if self.context.dry_run:
            return SinkResult(sink.name, "skipped", None, "dry run")
        try:
            outcome = sink.upload(chosen.path, workout, self.context)
        except AuthRequired as exc:
            # Every later upload would fail the same way: stop using this sink for the run.
            self._sinks_down[sink.name] = f"not attempted: {exc}"
            return SinkResult(sink.name, "failed", None, str(exc))
        except UploadError as exc:
            return SinkResult(sink.name, "failed", None, str(exc))
        except Exception as exc:
            owner = self.host.owner("sink", sink.name)
            error = PluginError(f"{type(exc).__name__}: {exc}", plugin=owner, hook="upload")
            return SinkResult(sink.name, "failed", None, str(error))
        state = outcome.state if outcome.state != "failed" else "failed"
        return SinkResult(sink.name, state, outcome.remote_id, outcome.message)

    # -- summaries ----------------------------------------------------------------------

    def write_summaries(self, report: ExportReport) -> None:
        """Merge this run's summary rows into each format's summary file."""
        for spec in self._formats_to_write():
            if spec.summary is None:
                continue
            rows = {
                r.workout_id: f.summary
                for r in report.results
                for f in r.files
                if f.format == spec.name and f.summary is not None
            }
            if rows:
                path = self.context.output_dir / spec.summary.filename
                try:
                    merge_summary(path, spec.summary, rows)
                except (OSError, ValueError) as exc:
                    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                    report.problems.append(f"{spec.summary.filename}: cannot write {path}: {reason}")


@dataclass(frozen=True, slots=True)
class ExporterRecipe:
    """Everything needed to build an equivalent :class:`Exporter` in a worker process."""

    archive_root: Path
    context: ExportContext
    formats: tuple[str, ...]
    sinks: tuple[str, ...] = ()
    ledger_path: Path | None = None
    entry_points: bool = True

    def __call__(self) -> Exporter:
        """Build the exporter (plugins are loaded again, quietly: the parent reported them)."""
        host = create_host(entry_points=self.entry_points, warn=lambda message: None)
        return Exporter(
            host=host,
            archive=Archive(self.archive_root),
            context=self.context,
            formats=resolve_formats(host, self.formats),
            sinks=resolve_sinks(host, self.sinks),
            ledger=Ledger(self.ledger_path) if self.ledger_path else None,
        )


_WORKER: Exporter | None = None


def _init_worker(rebuild: Callable[[], Exporter]) -> None:
    global _WORKER
    _WORKER = rebuild()


def _export_in_worker(workout_id: str) -> WorkoutResult:
    assert _WORKER is not None
    return _WORKER.export_one(workout_id)


def _run_parallel(ids: list[str], jobs: int, rebuild: Callable[[], Exporter]) -> Iterator[WorkoutResult]:
    """Export ``ids`` in ``jobs`` worker processes (spawned: no state shared by fork)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_init_worker, initargs=(rebuild,)
    ) as pool:
        yield from pool.map(_export_in_worker, ids, chunksize=2)


def merge_summary(path: Path, spec: SummarySpec, rows: Mapping[str, Mapping[str, str]]) -> None:
    """Merge ``rows`` (by workout id) into the CSV at ``path``, atomically."""
    merged: dict[str, Mapping[str, str]] = {}
    if path.is_file():
        with path.open(newline="", encoding="utf-8") as handle:
            for old in csv.DictReader(handle):
                key = old.get(spec.key)
                if key:
                    merged[key] = old
    merged.update(rows)
    ordered = sorted(merged.values(), key=lambda row: (row.get(spec.order_by) or "", row.get(spec.key) or ""))
    with atomic_writer(path) as stream:
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        writer = csv.DictWriter(
            text, fieldnames=list(spec.columns), extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        for row in ordered:
            writer.writerow({column: row.get(column, "") for column in spec.columns})
        text.flush()
        text.detach()


def _export_current(record: ExportRecord | None, stored_at: str, out_dir: Path, present: set[str]) -> bool:
    """True when ``record`` is a file written in ``out_dir`` after the entry was stored and
    still there (or a format recorded as not applying to the workout)."""
    if record is None or record.exported_at < stored_at:
        return False
    path = Path(record.path)
    if record.content_hash == "skipped":
        return path == out_dir
    return path.parent == out_dir and path.name in present


def _same_content(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(data).digest()
    except OSError:
        return False


def _done(result: WorkoutResult, status: Status, reason: str) -> WorkoutResult:
    result.status = status
    result.reason = reason
    return result


def resolve_formats(host: PluginHost, names: Iterable[str]) -> tuple[FormatSpec, ...]:
    """Look up ``--format`` names; an unknown one raises ``ConfigError`` listing the choices."""
    available = host.formats()
    chosen: list[FormatSpec] = []
    for name in names:
        if name not in available:
            raise ConfigError(host.unknown_message("format", name))
        if available[name] not in chosen:
            chosen.append(available[name])
    return tuple(chosen)


def resolve_sinks(host: PluginHost, names: Iterable[str]) -> tuple[SinkSpec, ...]:
    """Look up ``--sink`` names; an unknown one raises ``ConfigError`` listing the choices."""
    available = host.sinks()
    chosen: list[SinkSpec] = []
    for name in names:
        if name not in available:
            raise ConfigError(host.unknown_message("sink", name))
        chosen.append(available[name])
    return tuple(chosen)


__all__ = [
    "ExportReport",
    "Exporter",
    "FileResult",
    "Selection",
    "SinkResult",
    "WorkoutResult",
    "merge_summary",
    "resolve_formats",
    "resolve_sinks",
    "select_ids",
]
