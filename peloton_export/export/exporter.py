"""The export phase: plan -> archive -> normalize -> filter -> transform -> write -> sinks.

:func:`peloton_export.export.run.run_export` owns the whole run (lock, sync, this phase); the
:class:`Exporter` here plans (:mod:`peloton_export.export.plan`), calls the lifecycle hooks and
exports; stacked classes are :mod:`peloton_export.export.stacks`'s, worker processes
:mod:`peloton_export.export.workers`'. The ledger is read once, when planning (the plan
carries its records: :mod:`peloton_export.export.records`); exporting a workout only writes
to it. Each workout is handled on its own: a workout that cannot be read, normalized or written
is recorded as failed with a one-line reason and the run goes on with the next one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import tempfile
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from peloton_export.errors import (
    AuthRequired,
    LocalFileError,
    NormalizeError,
    OutputRefused,
    PelotonExportError,
    PluginError,
    ServiceFailing,
    SinkPaused,
    SkipFormat,
    SkipWorkout,
    UploadError,
    refuses_writes,
)
from peloton_export.export.breaker import STATE_KEY, SinkBreakers
from peloton_export.export.plan import ALREADY_DONE, Action, ExportPlan, WorkoutPlan, finish, make_plan
from peloton_export.export.records import RunRecords
from peloton_export.export.stacks import Stacks
from peloton_export.export.workers import run_parallel
from peloton_export.model import Workout
from peloton_export.net.redaction import redact
from peloton_export.paths import ProfileDirs, active_profile, enter_dirs
from peloton_export.plugins import PluginHost, create_host
from peloton_export.profiles import for_profile
from peloton_export.readback import StateFileError, read_state_bytes, same_bytes
from peloton_export.results import (
    ExportReport,
    FileResult,
    RunContext,
    Selection,
    SinkResult,
    WorkoutResult,
)
from peloton_export.specs import ExportContext, FormatSpec, SinkSpec
from peloton_export.store.archive import MAX_READ_BYTES, Archive, ArchiveError, EntryMeta
from peloton_export.store.atomic import write_bytes_atomic
from peloton_export.store.ledger import ExportRecord, Ledger, content_hash
from peloton_export.store.selection import select_entries
from peloton_export.workout.filenames import export_stem

if TYPE_CHECKING:
    from peloton_export.config import Config

log = logging.getLogger("peloton_export.pipeline")


#: Below this many workouts to export, worker processes cost more than they save.
PARALLEL_MIN_WORKOUTS = 8


@dataclass(slots=True)
class Exporter:
    """Runs the export phase for a set of formats and sinks against one archive.

    :meth:`run` plans (see :mod:`peloton_export.export.plan`), calls the ``export_started`` hooks,
    exports every workout with work left (in batches: :meth:`export_batch`, one workout at
    a time through :meth:`export_one`; while fetching, each batch is what the sync archived
    since the last one), then calls the ``export_finished`` hooks.
    """

    host: PluginHost
    archive: Archive
    context: ExportContext
    formats: tuple[FormatSpec, ...]
    sinks: tuple[SinkSpec, ...] = ()
    ledger: Ledger | None = None
    normalize: Callable[..., Workout] | None = None
    config: Config | None = None
    _sinks_paused: dict[str, str] = field(default_factory=dict)
    #: the sinks' circuit breakers (:mod:`peloton_export.export.breaker`)
    _breakers: SinkBreakers | None = None
    _write_formats: tuple[FormatSpec, ...] | None = None
    _run_plan: ExportPlan | None = None
    _records: RunRecords | None = None
    _output_ready: bool = False

    def plan(self, selection: Selection) -> ExportPlan:
        """What :meth:`run` would do for ``selection``; reads no workout body."""
        return self.plan_entries(select_entries(self.archive, selection))

    def plan_entries(self, entries: Sequence[tuple[str, EntryMeta | None]]) -> ExportPlan:
        """The plan of archive ``entries`` (id and ``meta.json``, as :func:`select_entries`):
        from the records of the run under way (no ledger read), else from the ledger."""
        formats = [spec.name for spec in self._formats_to_write()]
        sinks = [sink.name for sink in self.sinks]
        records = self._records
        return make_plan(
            records if records is not None and records.serves(self.ledger, formats, sinks) else self.ledger,
            entries,
            formats=formats,
            sinks=sinks,
            output_dir=self.context.output_dir,
            force=self.context.force,
            dry_run=self.context.dry_run,
        )

    def run(
        self,
        selection: Selection,
        *,
        progress: Callable[[WorkoutResult], None] | None = None,
        jobs: int = 1,
        rebuild: Callable[[], Exporter] | None = None,
        plan: ExportPlan | None = None,
        feed: Iterable[list[str]] | None = None,
    ) -> ExportReport:
        """Export every selected workout; never raises for one workout's failure.

        With ``jobs > 1`` and a picklable ``rebuild`` callable (which makes an equivalent
        Exporter in a worker process), workouts are spread over that many processes unless
        a plugin or format asked for one process; results come back in the same order.

        ``plan`` is one made by :meth:`plan` beforehand (default: made here). ``feed``
        (export while fetching) yields batches of workout ids as the sync archives them and
        ends with the sync: the workouts archived complete at the start are exported first,
        then each batch's selected workouts are planned, added to the plan and exported,
        then whatever is selected and still left (see
        :class:`peloton_export.export.streaming.GrowingPlan`). ``progress`` sees each result as it
        comes; the report's results are in the plan's order (newest start first) either way.
        Everything, hooks included, runs in the calling thread.
        """
        plan = self.plan(selection) if plan is None else plan
        self._run_plan = plan
        if not plan.records.serves(self.ledger, plan.formats, plan.sinks):  # a plan made elsewhere
            plan.records = RunRecords.load(self.ledger, plan.formats, plan.sinks)
        self.use_records(plan.records)
        run = RunContext(
            self.context,
            self.archive,
            self.ledger,
            self.host,
            formats=plan.formats,
            sinks=plan.sinks,
            config=self.config,
        )
        report = ExportReport()
        report.problems.extend(self.host.export_started(run, plan))
        batches: Iterable[list[WorkoutPlan]] = [plan.workouts]
        stacking = self._stacks().may_stack()  # once per run
        if feed is not None:
            from peloton_export.export.streaming import GrowingPlan

            growing = GrowingPlan(
                plan,
                select=lambda ids: select_entries(self.archive, selection, ids),
                archived=self.archive.ids,
                make=self.plan_entries,
            )
            batches = growing.batches(feed)
            if stacking:
                # stacks need their neighbours: wait for the sync, then export in one batch
                for _ in batches:
                    pass
                batches = [plan.workouts]
        by_workout: dict[str, list[WorkoutResult]] = {}
        shared = self._share_breakers(jobs, rebuild)
        try:
            for batch in batches:
                batch_results = self.export_batch(plan, batch, jobs=jobs, rebuild=rebuild, stacking=stacking)
                with contextlib.closing(batch_results):  # closed here, never by the collector
                    for workout_id, result in batch_results:
                        by_workout.setdefault(workout_id, []).append(result)
                        if progress:
                            progress(result)
        finally:
            self._records = None  # a later plan reads the ledger again (workers wrote to it)
        report.results = [result for item in plan.workouts for result in by_workout.get(item.workout_id, ())]
        report.paused = self._settle_pauses(report.results)
        report.failing = self._failing_sinks(report.results)
        if shared is not None:
            self._breakers = SinkBreakers(None)  # the holds were read: the folder goes
            self.context.state.pop(STATE_KEY, None)
            shared.cleanup()
        report.problems.extend(self.host.export_finished(run, report))
        return report

    def _settle_pauses(self, results: Sequence[WorkoutResult]) -> dict[str, str]:
        """The sinks paused in this run, kept in the ledger (``status`` shows them) until the
        sink delivers again or answers otherwise (fails for another reason: the service
        said something else, so the pause's message no longer holds); a sink not tried
        this run that is still recorded as paused stays listed, so a notification is not
        repeated after a quiet run."""
        paused: dict[str, str] = {}
        answered: set[str] = set()
        for result in results:
            for s in result.sinks:
                if s.status == "paused":
                    paused.setdefault(s.sink, s.reason)
                elif s.status in ("uploaded", "duplicate", "failed"):
                    answered.add(s.sink)
        if self.ledger is None or self.context.dry_run:
            return paused
        for sink in self.sinks:
            if sink.name in paused:
                self.ledger.set_sink_pause(sink.name, paused[sink.name])
            elif sink.name in answered:
                self.ledger.clear_sink_pause(sink.name)
            else:
                earlier = self.ledger.sink_pauses().get(sink.name)
                if earlier is not None:
                    paused[sink.name] = earlier.message
        return paused

    def _share_breakers(
        self, jobs: int, rebuild: Callable[[], Exporter] | None
    ) -> tempfile.TemporaryDirectory[str] | None:
        """With worker processes possible, a folder for the sinks' breakers they share
        (named in ``context.state``, which the workers get); ``None`` otherwise."""
        if jobs <= 1 or rebuild is None or not self.sinks or self.context.dry_run:
            return None
        folder = tempfile.TemporaryDirectory(prefix="peloton-export-breakers-")
        self.context.state[STATE_KEY] = {"folder": folder.name}
        self._breakers = SinkBreakers(Path(folder.name))
        return folder

    def breakers(self) -> SinkBreakers:
        """The run's sink breakers (shared with the workers when the run has a folder)."""
        if self._breakers is None:
            folder = self.context.state.get(STATE_KEY, {}).get("folder")
            self._breakers = SinkBreakers(Path(folder) if isinstance(folder, str) else None)
        return self._breakers

    def _failing_sinks(self, results: Sequence[WorkoutResult]) -> dict[str, str]:
        """The sinks whose breaker opened in this run (here or in a worker process)."""
        down = self.breakers().holds().items()
        failing = {name: hold.message for name, hold in down if hold.cause == "service-failing"}
        for result in results:
            for s in result.sinks:
                if s.held == "service-failing":
                    failing.setdefault(s.sink, s.reason.removeprefix("not attempted: "))
        return failing

    def use_records(self, records: RunRecords) -> None:
        """Export with ``records`` (the run's, from its plan) instead of reading the ledger."""
        self._records = records

    def records(self) -> RunRecords:
        """The run's ledger records (read from the ledger once when no run gave them)."""
        if self._records is None:
            formats = [spec.name for spec in self._formats_to_write()]
            self._records = RunRecords.load(self.ledger, formats, [sink.name for sink in self.sinks])
        return self._records

    def _stacks(self) -> Stacks:
        return Stacks(self, self.records(), self._run_plan)

    def export_batch(
        self,
        plan: ExportPlan,
        items: list[WorkoutPlan],
        *,
        jobs: int = 1,
        rebuild: Callable[[], Exporter] | None = None,
        stacking: bool | None = None,
    ) -> Generator[tuple[str, WorkoutResult], None, None]:
        """``(workout id, result)`` of ``items`` (part of ``plan``) in their order: a done one
        is ``unchanged`` without being read; a stacked class gives its stack's result (once,
        at its first class) and, with ``stack_parts``, its own; the others go through
        :meth:`export_one`, in worker processes when :meth:`run`'s rule for ``jobs`` allows
        it for this many. ``stacking`` is :meth:`run`'s answer to whether stacks may form
        (asked here when not given)."""
        run_stacks = self._stacks()
        if stacking is None:
            stacking = run_stacks.may_stack()
        stacks = run_stacks.plan(dataclasses.replace(plan, workouts=items)) if stacking else []
        stacked = {member: stack for stack in stacks for member in stack.members}
        todo = [item for item in items if not item.done and item.workout_id not in stacked]
        if self._parallel(plan, jobs, rebuild, len(todo)):
            assert rebuild is not None
            fresh: Iterator[WorkoutResult] = run_parallel(todo, jobs, rebuild, self.context, self.records())
        else:
            fresh = (self.export_one(item.workout_id, item) for item in todo)
        emitted: set[str] = set()
        try:
            for item in items:
                if item.workout_id in stacked:
                    for result in run_stacks.results(stacked[item.workout_id], item, emitted):
                        yield item.workout_id, result
                elif item.done:
                    yield (
                        item.workout_id,
                        WorkoutResult(item.workout_id, "unchanged", ALREADY_DONE),
                    )
                else:
                    yield item.workout_id, next(fresh)
        finally:
            # the pool shuts down here, in this run's flow: left to the garbage collector, a
            # stop during its shutdown was an "Exception ignored" traceback and exit 0
            close = getattr(fresh, "close", None)
            if close is not None:
                close()

    def _parallel(
        self, plan: ExportPlan, jobs: int, rebuild: Callable[[], Exporter] | None, todo: int
    ) -> bool:
        if jobs <= 1 or rebuild is None or todo < PARALLEL_MIN_WORKOUTS:
            return False
        serial = [f"format {spec.name}" for spec in self._formats_to_write() if not spec.parallel_safe]
        reasons = plan.one_process_reasons + serial
        if reasons:
            log.info("exporting in one process: %s", "; ".join(reasons))
            return False
        return True

    # -- one workout --------------------------------------------------------------------

    def export_one(
        self, workout_id: str, plan: WorkoutPlan | None = None, *, deliver: bool = True
    ) -> WorkoutResult:
        """Load, normalize, filter, transform, write and deliver one workout.

        ``plan`` says what to do for each sink; without one, every sink is delivered to.
        ``deliver=False`` writes the files only (a stacked class's own files).
        """
        result = WorkoutResult(workout_id=workout_id, status="exported")
        try:
            workout = self.load(workout_id)
        except SkipWorkout as exc:
            return finish(result, "skipped", str(exc))
        except (ArchiveError, NormalizeError) as exc:
            return finish(result, "failed", str(exc))
        return self.export_workout(result, workout, plan, deliver=deliver)

    def export_workout(
        self, result: WorkoutResult, workout: Workout, plan: WorkoutPlan | None, *, deliver: bool = True
    ) -> WorkoutResult:
        """Filter, transform, write and deliver a loaded workout (one class or a stack)."""
        workout_id = workout.id
        result.title, result.start = workout.title, workout.start
        result.warnings = list(workout.warnings)
        try:
            keep, veto = self.host.keep(workout, self.context)
            if not keep:
                return finish(result, "skipped", f"excluded by plugin {veto!r}")
            workout = self.host.transform(workout, self.context)
        except PelotonExportError as exc:
            return finish(result, "failed", f"workout {workout_id}: {exc}")
        try:
            stem = export_stem(workout)
        except Exception as exc:  # a transform may have left a field no name can be built from
            return finish(result, "failed", f"workout {workout_id}: cannot name its files: {exc}")
        for spec in self._formats_to_write():
            result.files.append(self._write(spec, workout, stem))
        for sink in self.sinks if deliver else ():
            action = plan.sinks.get(sink.name, Action.DELIVER) if plan else Action.DELIVER
            result.sinks.append(self._deliver_once(sink, workout, result.files, action))
        return _conclude(result, dry_run=self.context.dry_run)

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

    def load(self, workout_id: str) -> Workout:
        """The archived workout ``workout_id``, normalized.

        :raises ArchiveError: it cannot be read. :raises NormalizeError: it cannot be
            normalized. :raises SkipWorkout: it is not a workout to export.
        """
        from peloton_export.normalize import normalize

        raw = self.archive.load(workout_id)
        return (self.normalize or normalize)(raw)

    def _write(self, spec: FormatSpec, workout: Workout, stem: str) -> FileResult:
        path = self.context.output_dir / f"{stem}{spec.suffix}"
        reason = spec.skip_reason(workout)
        if reason:
            return self._record_not_applicable(workout, FileResult(spec.name, "skipped", None, reason))
        if not self.context.dry_run:
            self._ensure_output()
        buffer = io.BytesIO()
        try:
            spec.write(workout, buffer, self.context)
        except SkipFormat as exc:
            return self._record_not_applicable(workout, FileResult(spec.name, "skipped", None, str(exc)))
        except OutputRefused:
            raise  # the whole run stops: every other workout would fail the same way
        except PelotonExportError as exc:
            return FileResult(spec.name, "failed", None, str(exc))
        except Exception as exc:  # a plugin's bug: attribute it, keep going
            return FileResult(spec.name, "failed", None, str(self._plugin_error(spec, exc, "write")))
        try:
            row = dict(spec.summary.row(workout, self.context)) if spec.summary else None
        except Exception as exc:
            return FileResult(spec.name, "failed", None, str(self._plugin_error(spec, exc, "summary row")))
        data = buffer.getvalue()
        owner = self.records().path_owner(path, workout.id)
        if owner is not None:  # never overwrite another workout's file (see filenames.id_part)
            return FileResult(spec.name, "failed", None, f"{path.name} already belongs to workout {owner}")
        if not self.context.force and _same_content(path, data):
            return self._record(workout, FileResult(spec.name, "unchanged", path, summary=row), data)
        if self.context.dry_run:
            return FileResult(spec.name, "planned", path, summary=row)
        try:
            write_bytes_atomic(path, data)
        except OSError as exc:
            if refuses_writes(exc):
                raise OutputRefused.at(self.context.output_dir, path, exc) from None
            return FileResult(spec.name, "failed", path, f"cannot write {path}: {exc.strerror or exc}")
        return self._record(workout, FileResult(spec.name, "exported", path, summary=row), data)

    def _ensure_output(self) -> None:
        """Make the output folder before the run's first write (once per exporter).

        :raises OutputRefused: it cannot be made or is not a folder (a file in its place or
            on its path, ``/proc``, a read-only disk): every workout would fail the same way.
        """
        if self._output_ready:
            return
        folder = self.context.output_dir
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputRefused.creating(folder, exc) from None
        self._output_ready = True

    def _plugin_error(self, spec: FormatSpec, exc: Exception, hook: str) -> PluginError:
        owner = self.host.owner("format", spec.name)
        return PluginError(f"{type(exc).__name__}: {exc}", plugin=owner, hook=hook)

    def _record(self, workout: Workout, file: FileResult, data: bytes) -> FileResult:
        """Write a finished file to the ledger, after the file itself."""
        if self.ledger is not None and not self.context.dry_run:
            assert file.path is not None
            records = self.records()
            previous = records.export(workout.id, file.format)
            records.wrote_export(
                self.ledger.record_export(
                    workout.id, file.format, file.path, content_hash(data), summary=file.summary
                )
            )
            _retire_renamed(previous, file.path)
        return file

    def _record_not_applicable(self, workout: Workout, file: FileResult) -> FileResult:
        """Remember that a format does not apply to the workout, with the reason."""
        if self.ledger is not None and not self.context.dry_run:
            record = self.ledger.record_not_applicable(
                workout.id, file.format, self.context.output_dir, file.reason
            )
            self.records().wrote_export(record)
        return file

    def _deliver_once(
        self, sink: SinkSpec, workout: Workout, files: list[FileResult], action: Action
    ) -> SinkResult:
        """Act on the plan's ``action`` for one sink; record what the sink answered."""
        if action is Action.TOMBSTONED:
            return SinkResult(sink.name, "skipped", None, DELETED_REMOTELY)
        if action is Action.SETTLED:
            record = self.records().upload(workout.id, sink.name)
            state = record.state if record else "uploaded"
            return SinkResult(sink.name, "skipped", record.remote_id if record else None, f"already {state}")
        if sink.name in self._sinks_paused:
            return SinkResult(sink.name, "paused", None, self._sinks_paused[sink.name])
        hold = self.breakers().hold(sink.name)
        if hold is not None:
            return SinkResult(sink.name, "skipped", None, f"not attempted: {hold.message}", held=hold.cause)
        if action is Action.REDELIVER and self._deleted_remotely(sink, workout.id):
            if self.ledger is not None and not self.context.dry_run:
                self.ledger.tombstone(workout.id, sink.name, f"deleted on {sink.name}")
                self.records().wrote_tombstone(workout.id, sink.name)
            return SinkResult(sink.name, "skipped", None, DELETED_REMOTELY)
        outcome, record_it = self._deliver(sink, workout, files)
        if record_it and self.ledger is not None:
            error = outcome.reason if outcome.status == "failed" else None
            remote_id = None if outcome.status == "failed" else outcome.remote_id
            self.ledger.record_upload(workout.id, sink.name, outcome.status, remote_id, error)
            self.records().wrote_upload(workout.id, sink.name, outcome.status, remote_id, error)
        return outcome

    def _deleted_remotely(self, sink: SinkSpec, workout_id: str) -> bool:
        """True only when the sink positively says the earlier upload is gone."""
        record = self.records().upload(workout_id, sink.name)
        if sink.exists is None or record is None or not record.remote_id:
            return False
        try:
            return sink.exists(record.remote_id, self.context) is False
        except Exception as exc:  # unknown is not deleted: never drop an upload on a guess
            log.warning(
                "sink %s could not check %s: %s: %s", sink.name, record.remote_id, type(exc).__name__, exc
            )
            return False

    def _deliver(self, sink: SinkSpec, workout: Workout, files: list[FileResult]) -> tuple[SinkResult, bool]:
        """Send the best accepted file; the flag says whether the outcome goes in the ledger."""
        by_format = {f.format: f for f in files if f.path is not None and f.status != "failed"}
        chosen = next((by_format[name] for name in sink.accepts if name in by_format), None)
        if chosen is None or chosen.path is None:
            wanted = ", ".join(sink.accepts)
            return SinkResult(sink.name, "skipped", None, f"no file in a format it accepts ({wanted})"), False
        if self.context.dry_run:
            return SinkResult(sink.name, "planned", None, f"would send {chosen.path.name}"), False
        try:
            outcome = sink.upload(chosen.path, workout, self.context)
        except SinkPaused as exc:
            # A typed state: nothing recorded (the workout stays pending), no later workout
            # offered to the sink in this run, told once in the report.
            message = _user_text(exc)
            self._sinks_paused[sink.name] = message
            log.info("sink %s paused: %s", sink.name, message)
            return SinkResult(sink.name, "paused", None, message), False
        except AuthRequired as exc:
            # Every later upload would fail the same way: stop using this sink for the run.
            message = _user_text(exc)
            self.breakers().put_hold(sink.name, "login", message)
            return SinkResult(sink.name, "failed", None, message), True
        except LocalFileError:
            raise  # the state folder refuses writes: the whole run stops, nothing recorded
        except ServiceFailing as exc:
            # Recorded as failed (a later run tries it again); enough of them in a row, or a
            # wait the service named, and the rest of the run leaves the sink alone.
            message = _user_text(exc)
            opened = self.breakers().failed(sink.name, message, exc.retry_after)
            if opened is not None:
                log.info("%s", opened.message)
            return SinkResult(sink.name, "failed", None, message), True
        except UploadError as exc:
            self.breakers().answered(sink.name)  # the service answered (about this file)
            return SinkResult(sink.name, "failed", None, _user_text(exc)), True
        except Exception as exc:
            owner = self.host.owner("sink", sink.name)
            error = PluginError(f"{type(exc).__name__}: {exc}", plugin=owner, hook="upload")
            return SinkResult(sink.name, "failed", None, _user_text(error)), True
        self.breakers().answered(sink.name)
        message = redact(outcome.message) if outcome.message else outcome.message
        return SinkResult(sink.name, outcome.state, outcome.remote_id, message), True


def _user_text(exc: Exception) -> str:
    """A sink's error as its user reads it (report, ledger, ``status``, notifications): no
    registered secret (a service's error body may echo a token or the client secret), and
    every command it names run as this run's profile (``--profile NAME strava login``)."""
    return for_profile(redact(str(exc)), active_profile())


DELETED_REMOTELY = "deleted on the platform; never sent again"


def _conclude(result: WorkoutResult, *, dry_run: bool) -> WorkoutResult:
    """Set a workout's overall status from its files and sinks."""
    statuses = {f.status for f in result.files} | {"failed" for s in result.sinks if s.status == "failed"}
    if "failed" in statuses:
        failures = [f"{f.format}: {f.reason}" for f in result.files if f.status == "failed"]
        failures += [f"{s.sink}: {s.reason}" for s in result.sinks if s.status == "failed"]
        return finish(result, "failed", f"workout {result.workout_id}: " + "; ".join(failures))
    if "planned" in statuses or (dry_run and any(s.status == "planned" for s in result.sinks)):
        return finish(result, "planned", "")
    if statuses <= {"skipped"}:
        reasons = "; ".join(f"{f.format}: {f.reason}" for f in result.files)
        return finish(result, "skipped", reasons)
    if statuses <= {"unchanged", "skipped"}:
        return finish(result, "unchanged", "")
    return result


@dataclass(frozen=True, slots=True)
class ExporterRecipe:
    """Everything needed to build an equivalent :class:`Exporter` in a worker process."""

    archive_root: Path
    context: ExportContext
    formats: tuple[str, ...]
    sinks: tuple[str, ...] = ()
    ledger_path: Path | None = None
    entry_points: bool = True
    #: The run's profile folders (:func:`peloton_export.paths.active_dirs`): a worker
    #: process works in them too.
    dirs: ProfileDirs | None = None

    def __call__(self) -> Exporter:
        """Build the exporter (plugins are loaded again, quietly: the parent reported them)."""
        if self.dirs is not None:
            enter_dirs(self.dirs)  # a worker process is this run's for its whole life
        host = create_host(entry_points=self.entry_points, warn=lambda message: None)
        return Exporter(
            host=host,
            archive=Archive(self.archive_root),
            context=self.context,
            formats=host.resolve("format", self.formats),
            sinks=host.resolve("sink", self.sinks),
            ledger=self._ledger(),
        )

    def _ledger(self) -> Ledger | None:
        if self.ledger_path is None:
            return None
        # a dry run only reads the ledger, which may be read-only
        return Ledger.for_reading(self.ledger_path) if self.context.dry_run else Ledger(self.ledger_path)


def _retire_renamed(previous: ExportRecord | None, path: Path) -> None:
    """Remove the workout's earlier file of this format when its name changed (a rename).

    Only a file in the same folder whose content is still exactly what was recorded: a file
    the user edited, or one elsewhere, is kept.
    """
    if previous is None or not previous.written or Path(previous.path) == path:
        return
    old = Path(previous.path)
    if old.parent != path.parent or old.name.casefold() == path.name.casefold():
        return  # another folder, or the same file on a case-insensitive disk
    if not _same_hash(old, previous.content_hash):
        return
    try:
        old.unlink()
    except OSError as exc:
        log.warning("cannot remove %s (now %s): %s", old, path.name, exc.strerror or exc)
        return
    log.info("renamed %s to %s", old.name, path.name)


def _same_hash(path: Path, digest: str) -> bool:
    """Whether the file at ``path`` still has content hash ``digest`` (read as a state file:
    a FIFO, device or folder there, or a file over :data:`MAX_READ_BYTES`, is not the same)."""
    try:
        data = read_state_bytes(path, limit=MAX_READ_BYTES)
    except StateFileError:
        return False
    return data is not None and content_hash(data) == digest


def _same_content(path: Path, data: bytes) -> bool:
    return same_bytes(path, data)


__all__ = [
    "Exporter",
    "ExporterRecipe",
]
