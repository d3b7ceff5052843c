"""The export phase: plan -> archive -> normalize -> filter -> transform -> write -> sinks.

:func:`peloton_export.export.run.run_export` owns the whole run (lock, sync, this phase); the
:class:`Exporter` here plans (:mod:`peloton_export.export.plan`), calls the lifecycle hooks and
exports. Each workout is handled on its own: a workout that cannot be read, normalized or written
is recorded as failed with a one-line reason and the run goes on with the next one.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from peloton_export.errors import (
    AuthRequired,
    ConfigError,
    NormalizeError,
    OutputRefused,
    PelotonExportError,
    PluginError,
    SinkPaused,
    SkipFormat,
    SkipWorkout,
    UploadError,
    refuses_writes,
)
from peloton_export.export.plan import (
    FINISHED_FORMAT,
    Action,
    ExportPlan,
    StackPlan,
    WorkoutPlan,
    make_plan,
    new_stack_plan,
    plan_stacks,
)
from peloton_export.model import Workout
from peloton_export.plugins import PluginHost, create_host
from peloton_export.raw import epoch_seconds, parse_json_object
from peloton_export.readback import StateFileError, read_state_bytes, same_bytes
from peloton_export.results import (
    ExportReport,
    FileResult,
    RunContext,
    Selection,
    SinkResult,
    Status,
    WorkoutResult,
)
from peloton_export.specs import ExportContext, FormatSpec, SinkSpec
from peloton_export.store.archive import MAX_READ_BYTES, Archive, ArchiveError, EntryMeta, read_file
from peloton_export.store.atomic import write_bytes_atomic
from peloton_export.store.ledger import ExportRecord, Ledger, content_hash
from peloton_export.store.selection import select_entries
from peloton_export.workout.filenames import export_stem
from peloton_export.workout.stacking import Candidate, StackSettings, group, stack_workouts

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
    _sinks_down: dict[str, str] = field(default_factory=dict)
    _sinks_paused: dict[str, str] = field(default_factory=dict)
    _write_formats: tuple[FormatSpec, ...] | None = None
    _run_plan: ExportPlan | None = None

    def plan(self, selection: Selection) -> ExportPlan:
        """What :meth:`run` would do for ``selection``; reads no workout body."""
        return self.plan_entries(select_entries(self.archive, selection))

    def plan_entries(self, entries: Sequence[tuple[str, EntryMeta | None]]) -> ExportPlan:
        """The plan of archive ``entries`` (id and ``meta.json``, as :func:`select_entries`)."""
        return make_plan(
            self.ledger,
            entries,
            formats=[spec.name for spec in self._formats_to_write()],
            sinks=[sink.name for sink in self.sinks],
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
        stacking = self._may_stack()  # once per run (reads the ledger's stacks)
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
        for batch in batches:
            batch_results = self.export_batch(plan, batch, jobs=jobs, rebuild=rebuild, stacking=stacking)
            for workout_id, result in batch_results:
                by_workout.setdefault(workout_id, []).append(result)
                if progress:
                    progress(result)
        report.results = [result for item in plan.workouts for result in by_workout.get(item.workout_id, ())]
        report.paused = self._settle_pauses(report.results)
        report.problems.extend(self.host.export_finished(run, report))
        return report

    def _settle_pauses(self, results: Sequence[WorkoutResult]) -> dict[str, str]:
        """The sinks paused in this run, kept in the ledger (``status`` shows them) until the
        sink delivers again; a sink not tried this run that is still recorded as paused
        stays listed, so a notification is not repeated after a quiet run."""
        paused: dict[str, str] = {}
        delivered: set[str] = set()
        for result in results:
            for s in result.sinks:
                if s.status == "paused":
                    paused.setdefault(s.sink, s.reason)
                elif s.status in ("uploaded", "duplicate"):
                    delivered.add(s.sink)
        if self.ledger is None or self.context.dry_run:
            return paused
        for sink in self.sinks:
            if sink.name in paused:
                self.ledger.set_sink_pause(sink.name, paused[sink.name])
            elif sink.name in delivered:
                self.ledger.clear_sink_pause(sink.name)
            else:
                earlier = self.ledger.sink_pauses().get(sink.name)
                if earlier is not None:
                    paused[sink.name] = earlier.message
        return paused

    def _may_stack(self) -> bool:
        """True when stacked classes may be exported (``stack=auto``, or recorded stacks)."""
        if StackSettings.from_options(self.context.options).enabled:
            return True
        return self.ledger is not None and bool(self.ledger.stacks())

    def export_batch(
        self,
        plan: ExportPlan,
        items: list[WorkoutPlan],
        *,
        jobs: int = 1,
        rebuild: Callable[[], Exporter] | None = None,
        stacking: bool | None = None,
    ) -> Iterator[tuple[str, WorkoutResult]]:
        """``(workout id, result)`` of ``items`` (part of ``plan``) in their order: a done one
        is ``unchanged`` without being read; a stacked class gives its stack's result (once,
        at its first class) and, with ``stack_parts``, its own; the others go through
        :meth:`export_one`, in worker processes when :meth:`run`'s rule for ``jobs`` allows
        it for this many. ``stacking`` is :meth:`run`'s answer to whether stacks may form
        (asked here when not given)."""
        if stacking is None:
            stacking = self._may_stack()
        stacks = self._stacks(dataclasses.replace(plan, workouts=items)) if stacking else []
        stacked = {member: stack for stack in stacks for member in stack.members}
        todo = [item for item in items if not item.done and item.workout_id not in stacked]
        if self._parallel(plan, jobs, rebuild, len(todo)):
            assert rebuild is not None
            fresh: Iterator[WorkoutResult] = _run_parallel(todo, jobs, rebuild, self.context)
        else:
            fresh = (self.export_one(item.workout_id, item) for item in todo)
        emitted: set[str] = set()
        for item in items:
            if item.workout_id in stacked:
                for result in self._stack_results(stacked[item.workout_id], item, emitted):
                    yield item.workout_id, result
            elif item.done:
                yield (
                    item.workout_id,
                    WorkoutResult(item.workout_id, "unchanged", ALREADY_DONE),
                )
            else:
                yield item.workout_id, next(fresh)

    # -- stacked classes ------------------------------------------------------------------

    def _stacks(self, plan: ExportPlan) -> list[StackPlan]:
        """Group the plan's workouts into stacks (recorded ones, and new ones with ``stack=auto``)."""
        settings = StackSettings.from_options(self.context.options)
        return plan_stacks(
            self.ledger,
            plan,
            enabled=settings.enabled,
            gap_s=settings.gap_s,
            times=self._stack_times,
            meta=self._entry_meta,
        )

    def _entry_meta(self, workout_id: str) -> EntryMeta | None:
        """The archive entry of a stacked class outside the selection (``None``: unreadable)."""
        try:
            return self.archive.meta(workout_id)
        except ArchiveError:
            return None

    def _stack_times(self, item: WorkoutPlan) -> Candidate | None:
        """A finished workout's discipline and normalized start/end (``None``: unknown, so
        it stays alone). The end is the one the stack is built with (:meth:`_load`: moved to
        the last sample when the samples run past ``end_time``), so a group always builds."""
        meta = item.meta
        if meta is None or not meta.complete or meta.start_time is None:
            return None
        try:
            workout = self._load(item.workout_id)
        except (SkipWorkout, ArchiveError, NormalizeError):
            return None  # exported alone, where its own failure or skip is told
        return Candidate.of(workout, self._overrun(workout))

    def _overrun(self, workout: Workout) -> float:
        """Seconds the normalized end of ``workout`` lies past Peloton's ``end_time`` (0 when
        unknown): how far it may overlap the next class of a stack."""
        try:
            path = self.archive.body_path(workout.id, "workout")
            stated = epoch_seconds(parse_json_object(read_file(path), what=str(path)).get("end_time"))
        except (OSError, ValueError, ArchiveError):
            return 0.0
        if stated is None:
            return 0.0
        return max(workout.end.timestamp() - float(stated), 0.0)

    def _stack_results(self, stack: StackPlan, item: WorkoutPlan, emitted: set[str]) -> list[WorkoutResult]:
        """The stack's result the first time one of its classes comes up; the class's own
        files too with ``stack_parts`` (never its uploads: the stack is the activity)."""
        results = []
        if stack.stack_id not in emitted:
            emitted.add(stack.stack_id)
            if stack.plan.done:
                results.append(WorkoutResult(stack.stack_id, "unchanged", ALREADY_DONE))
            else:
                results += self._export_stack_or_split(stack)
                emitted.update(r.workout_id for r in results)  # classes a broken stack left alone
        parts = StackSettings.from_options(self.context.options).parts
        if parts and item.workout_id not in emitted and not _formats_done(item):
            results.append(self.export_one(item.workout_id, item, deliver=False))
        return results

    def export_stack(self, stack: StackPlan) -> WorkoutResult:
        """Load the stack's classes, build the stacked workout, then write and deliver it once.

        A class that cannot be read fails the stack (one line naming the stack and the class).
        """
        result = WorkoutResult(workout_id=stack.stack_id, status="exported")
        members = []
        for workout_id in stack.members:
            try:
                members.append(self._load(workout_id))
            except (SkipWorkout, ArchiveError, NormalizeError) as exc:
                return _done(result, "failed", f"stack {stack.stack_id}: class {workout_id}: {exc}")
        return self._export_loaded_stack(stack, members)[0]

    def _export_stack_or_split(self, stack: StackPlan) -> list[WorkoutResult]:
        """:meth:`export_stack`, except for a new stack with a class that cannot be read:
        that class fails (or is skipped) alone, with one line naming it, and the others are
        grouped again without it (stacks of the ones still back to back, the rest alone).
        A recorded stack is closed, so it fails whole (nothing of it is delivered alone),
        unless nothing of it was ever written or delivered: then it is dissolved and split
        like a new one."""
        if not stack.new and not self._dissolve_undelivered(stack):
            return [self.export_stack(stack)]
        if self._run_plan is None:
            return [self.export_stack(stack)]
        members: list[Workout] = []
        alone: list[WorkoutResult] = []
        for workout_id in stack.members:
            try:
                members.append(self._load(workout_id))
            except SkipWorkout as exc:
                alone.append(WorkoutResult(workout_id, "skipped", str(exc)))
            except (ArchiveError, NormalizeError) as exc:
                alone.append(WorkoutResult(workout_id, "failed", str(exc)))
        if not alone:
            return self._export_loaded_stack(dataclasses.replace(stack, new=True), members)
        return alone + self._regroup(members, self._run_plan)

    def _dissolve_undelivered(self, stack: StackPlan) -> bool:
        """Forget a recorded stack nothing of which was written or delivered (True), so its
        classes may stack again or go alone; False for one that is an activity somewhere."""
        ledger = self.ledger
        if ledger is None or self.context.dry_run:
            return False
        if ledger.has_records(stack.stack_id):
            return False
        ledger.forget(stack.stack_id)
        return True

    def _regroup(self, members: list[Workout], plan: ExportPlan) -> list[WorkoutResult]:
        """Export the readable classes of a broken new stack: still-consecutive ones stacked."""
        gap = StackSettings.from_options(self.context.options).gap_s
        candidates = [Candidate.of(w, self._overrun(w)) for w in members]
        groups = {ids[0]: ids for ids in group(candidates, gap)}
        grouped = {m for ids in groups.values() for m in ids}
        by_id = {w.id: w for w in members}
        results = []
        for workout in members:
            if workout.id in groups:
                sub = new_stack_plan(self.ledger, plan, groups[workout.id])
                results += self._export_loaded_stack(sub, [by_id[m] for m in sub.members])
            elif workout.id not in grouped:
                results.append(self._export_alone(workout))
        return results

    def _export_alone(self, workout: Workout) -> WorkoutResult:
        """Export and deliver one class of a stack that was not formed, under its own id."""
        plans = {item.workout_id: item for item in self._run_plan.workouts} if self._run_plan else {}
        result = WorkoutResult(workout_id=workout.id, status="exported")
        return self._export_workout(result, workout, plans.get(workout.id))

    def _export_loaded_stack(self, stack: StackPlan, members: list[Workout]) -> list[WorkoutResult]:
        """Build the stacked workout of loaded ``members``, record a new stack, write and deliver.

        A new stack that cannot be built, for any reason, falls back to its classes: one
        warning says why, the ledger records them as exported alone (so they never stack
        later, and toggling stacking never delivers them twice), and each is exported and
        delivered on its own. A recorded stack that cannot be built fails whole."""
        result = WorkoutResult(workout_id=stack.stack_id, status="exported")
        try:
            overrun = {w.id: self._overrun(w) for w in members}
            workout = stack_workouts(members, stack.stack_id, overrun_s=overrun)
        except Exception as exc:  # a bad class or a bug in the builder: never hold the classes back
            reason = f"{type(exc).__name__}: {exc}" if not isinstance(exc, ValueError) else str(exc)
            if not stack.new:
                return [_done(result, "failed", f"stack {stack.stack_id}: {reason}")]
            return self._split_unbuildable(stack, members, reason)
        record = stack.new and self.ledger is not None and not self.context.dry_run
        if record and self.ledger is not None and not self.ledger.record_stack(stack.stack_id, stack.members):
            return [_done(result, "failed", f"stack {stack.stack_id}: a class is in another stack already")]
        return [self._export_workout(result, workout, stack.plan)]

    def _split_unbuildable(
        self, stack: StackPlan, members: list[Workout], reason: str
    ) -> list[WorkoutResult]:
        """The classes of a new stack that cannot be built, each exported alone (one warning)."""
        log.warning(
            "stack %s cannot be built (%s); its %d classes are exported and delivered alone",
            stack.stack_id,
            reason,
            len(members),
        )
        if self.ledger is not None and not self.context.dry_run:
            self.ledger.record_solo([w.id for w in members], f"stack {stack.stack_id}: {reason}")
        ordered = sorted(members, key=lambda w: (w.start, w.id))
        return [self._export_alone(workout) for workout in ordered]

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
            workout = self._load(workout_id)
        except SkipWorkout as exc:
            return _done(result, "skipped", str(exc))
        except (ArchiveError, NormalizeError) as exc:
            return _done(result, "failed", str(exc))
        return self._export_workout(result, workout, plan, deliver=deliver)

    def _export_workout(
        self, result: WorkoutResult, workout: Workout, plan: WorkoutPlan | None, *, deliver: bool = True
    ) -> WorkoutResult:
        """Filter, transform, write and deliver a loaded workout (one class or a stack)."""
        workout_id = workout.id
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

    def _load(self, workout_id: str) -> Workout:
        from peloton_export.normalize import normalize

        raw = self.archive.load(workout_id)
        return (self.normalize or normalize)(raw)

    def _write(self, spec: FormatSpec, workout: Workout, stem: str) -> FileResult:
        path = self.context.output_dir / f"{stem}{spec.suffix}"
        reason = spec.skip_reason(workout)
        if reason:
            return self._record_not_applicable(workout, FileResult(spec.name, "skipped", None, reason))
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
        owner = self.ledger.path_owner(path, workout.id) if self.ledger is not None else None
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

    def _plugin_error(self, spec: FormatSpec, exc: Exception, hook: str) -> PluginError:
        owner = self.host.owner("format", spec.name)
        return PluginError(f"{type(exc).__name__}: {exc}", plugin=owner, hook=hook)

    def _record(self, workout: Workout, file: FileResult, data: bytes) -> FileResult:
        """Write a finished file to the ledger, after the file itself."""
        if self.ledger is not None and not self.context.dry_run:
            assert file.path is not None
            previous = self.ledger.exported(workout.id, file.format)
            self.ledger.record_export(
                workout.id, file.format, file.path, content_hash(data), summary=file.summary
            )
            _retire_renamed(previous, file.path)
        return file

    def _record_not_applicable(self, workout: Workout, file: FileResult) -> FileResult:
        """Remember that a format does not apply to the workout, with the reason."""
        if self.ledger is not None and not self.context.dry_run:
            self.ledger.record_not_applicable(workout.id, file.format, self.context.output_dir, file.reason)
        return file

    def _deliver_once(
        self, sink: SinkSpec, workout: Workout, files: list[FileResult], action: Action
    ) -> SinkResult:
        """Act on the plan's ``action`` for one sink; record what the sink answered."""
        if action is Action.TOMBSTONED:
            return SinkResult(sink.name, "skipped", None, DELETED_REMOTELY)
        if action is Action.SETTLED:
            record = self.ledger.upload_state(workout.id, sink.name) if self.ledger else None
            state = record.state if record else "uploaded"
            return SinkResult(sink.name, "skipped", record.remote_id if record else None, f"already {state}")
        if sink.name in self._sinks_paused:
            return SinkResult(sink.name, "paused", None, self._sinks_paused[sink.name])
        if sink.name in self._sinks_down:
            return SinkResult(sink.name, "skipped", None, self._sinks_down[sink.name])
        if action is Action.REDELIVER and self._deleted_remotely(sink, workout.id):
            if self.ledger is not None and not self.context.dry_run:
                self.ledger.tombstone(workout.id, sink.name, f"deleted on {sink.name}")
            return SinkResult(sink.name, "skipped", None, DELETED_REMOTELY)
        outcome, record_it = self._deliver(sink, workout, files)
        if record_it and self.ledger is not None:
            error = outcome.reason if outcome.status == "failed" else None
            remote_id = None if outcome.status == "failed" else outcome.remote_id
            self.ledger.record_upload(workout.id, sink.name, outcome.status, remote_id, error)
        return outcome

    def _deleted_remotely(self, sink: SinkSpec, workout_id: str) -> bool:
        """True only when the sink positively says the earlier upload is gone."""
        record = self.ledger.upload_state(workout_id, sink.name) if self.ledger else None
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
            self._sinks_paused[sink.name] = str(exc)
            log.info("sink %s paused: %s", sink.name, exc)
            return SinkResult(sink.name, "paused", None, str(exc)), False
        except AuthRequired as exc:
            # Every later upload would fail the same way: stop using this sink for the run.
            self._sinks_down[sink.name] = f"not attempted: {exc}"
            return SinkResult(sink.name, "failed", None, str(exc)), True
        except UploadError as exc:
            return SinkResult(sink.name, "failed", None, str(exc)), True
        except Exception as exc:
            owner = self.host.owner("sink", sink.name)
            error = PluginError(f"{type(exc).__name__}: {exc}", plugin=owner, hook="upload")
            return SinkResult(sink.name, "failed", None, str(error)), True
        return SinkResult(sink.name, outcome.state, outcome.remote_id, outcome.message), True


DELETED_REMOTELY = "deleted on the platform; never sent again"
ALREADY_DONE = "already exported and delivered"


def _formats_done(item: WorkoutPlan) -> bool:
    """True when every format of ``item`` is current or does not apply."""
    return item.meta is not None and all(a in FINISHED_FORMAT for a in item.formats.values())


def _conclude(result: WorkoutResult, *, dry_run: bool) -> WorkoutResult:
    """Set a workout's overall status from its files and sinks."""
    statuses = {f.status for f in result.files} | {"failed" for s in result.sinks if s.status == "failed"}
    if "failed" in statuses:
        failures = [f"{f.format}: {f.reason}" for f in result.files if f.status == "failed"]
        failures += [f"{s.sink}: {s.reason}" for s in result.sinks if s.status == "failed"]
        return _done(result, "failed", f"workout {result.workout_id}: " + "; ".join(failures))
    if "planned" in statuses or (dry_run and any(s.status == "planned" for s in result.sinks)):
        return _done(result, "planned", "")
    if statuses <= {"skipped"}:
        reasons = "; ".join(f"{f.format}: {f.reason}" for f in result.files)
        return _done(result, "skipped", reasons)
    if statuses <= {"unchanged", "skipped"}:
        return _done(result, "unchanged", "")
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

    def __call__(self) -> Exporter:
        """Build the exporter (plugins are loaded again, quietly: the parent reported them)."""
        host = create_host(entry_points=self.entry_points, warn=lambda message: None)
        return Exporter(
            host=host,
            archive=Archive(self.archive_root),
            context=self.context,
            formats=resolve_formats(host, self.formats),
            sinks=resolve_sinks(host, self.sinks),
            ledger=self._ledger(),
        )

    def _ledger(self) -> Ledger | None:
        if self.ledger_path is None:
            return None
        # a dry run only reads the ledger, which may be read-only
        return Ledger.for_reading(self.ledger_path) if self.context.dry_run else Ledger(self.ledger_path)


_WORKER: Exporter | None = None
_PARENT = 0


def _init_worker(rebuild: Callable[[], Exporter], context: ExportContext, parent_pid: int) -> None:
    global _WORKER, _PARENT
    from peloton_export.export.workers import guard_worker

    guard_worker(parent_pid)  # first: a worker never outlives its parent
    _PARENT = parent_pid
    _WORKER = rebuild()
    _WORKER.context = context  # with what export_started prepared in ``context.state``


def _export_in_worker(item: WorkoutPlan) -> WorkoutResult:
    from peloton_export.export.workers import ORPHAN_EXIT, parent_alive

    assert _WORKER is not None
    if not parent_alive(_PARENT):  # the watchdog has not fired yet: write nothing more
        os._exit(ORPHAN_EXIT)
    return _WORKER.export_one(item.workout_id, item)


def _run_parallel(
    items: list[WorkoutPlan], jobs: int, rebuild: Callable[[], Exporter], context: ExportContext
) -> Iterator[WorkoutResult]:
    """Export ``items`` in ``jobs`` worker processes (spawned: no state shared by fork).

    Workers end with the parent (:mod:`peloton_export.export.workers`). When the consumer
    stops early (an exception such as ``KeyboardInterrupt`` from Ctrl-C or SIGTERM, or the
    generator being closed), the workouts not yet started are cancelled and the workers
    finish the one in hand and exit before this returns: no worker writes after the run.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    mp = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=mp,
        initializer=_init_worker,
        initargs=(rebuild, context, os.getpid()),
    )
    try:
        yield from pool.map(_export_in_worker, items, chunksize=2)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


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
    "Exporter",
    "ExporterRecipe",
    "resolve_formats",
    "resolve_sinks",
]
