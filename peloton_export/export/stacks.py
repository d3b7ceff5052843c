"""Stacked classes in a run: which stacks a plan holds, and exporting each one once.

The pure part (grouping by start and end, the stack id, building the stacked
:class:`~peloton_export.model.Workout`) is :mod:`peloton_export.workout.stacking`; this
module is the run's side of it, in one place:

* planning (:func:`plan_stacks`, :func:`new_stack_plan`, :func:`fold_stacks`): recorded
  stacks and new ones among the plan's workouts, each planned like a workout under its
  stack id, from the plan's records (:class:`~peloton_export.export.records.RunRecords`:
  no ledger read);
* exporting (:class:`Stacks`): loading a stack's classes, building it, recording a new
  stack, and the fallbacks when a class cannot be read. Writing and delivering the
  stacked workout is the exporter's (:class:`StackExporter`).

The rules are in docs/stacks.md.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from peloton_export.errors import NormalizeError, SkipWorkout
from peloton_export.export.plan import (
    ALREADY_DONE,
    FINISHED_FORMAT,
    ExportPlan,
    WorkoutPlan,
    finish,
    make_plan,
)
from peloton_export.raw import epoch_seconds, parse_json_object
from peloton_export.results import WorkoutResult
from peloton_export.store.archive import ArchiveError, read_file
from peloton_export.workout.stacking import (
    Candidate,
    StackSettings,
    group,
    near_neighbours,
    stack_id,
    stack_workouts,
)

if TYPE_CHECKING:
    from peloton_export.export.records import RunRecords
    from peloton_export.model import Workout
    from peloton_export.specs import ExportContext
    from peloton_export.store.archive import Archive, EntryMeta
    from peloton_export.store.ledger import Ledger


log = logging.getLogger("peloton_export.pipeline")  # the exporter's logger, as before


# -- planning ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StackPlan:
    """One stacked activity (:mod:`peloton_export.workout.stacking`): its id, member workout ids in
    start order, the actions for the stack id, and whether this run forms it (``new``)."""

    stack_id: str
    members: tuple[str, ...]
    plan: WorkoutPlan
    new: bool


def plan_stacks(
    plan: ExportPlan,
    *,
    enabled: bool,
    gap_s: float,
    times: Callable[[WorkoutPlan], Candidate | None],
    meta: Callable[[str], EntryMeta | None] = lambda workout_id: None,
) -> list[StackPlan]:
    """The stacks of ``plan``'s workouts (see docs/stacks.md).

    * A stack the ledger recorded is kept as it is whenever one of its classes is selected,
      even with stacking off (it was delivered as one activity; its classes are never
      delivered alone). Its members are fixed: a class that arrives later never joins it.
    * With ``enabled``, new stacks form (:func:`peloton_export.workout.stacking.group`) only among
      workouts with work left that are in no recorded stack and were never uploaded to,
      nor tombstoned on, any sink on their own. ``times`` gives a workout's discipline and
      start/end (``None``: it cannot stack).

    A stack's files and uploads are planned like a workout's, under the stack id, as stored
    when its newest class was (``meta`` gives the archive entry of a class outside the
    selection; without one the stack is always written). The ledger's facts are the plan's
    records (:attr:`ExportPlan.records`): nothing is read here.
    """
    recorded = plan.records.stacks
    member_of = {m: sid for sid, members in recorded.items() for m in members}
    by_id = {item.workout_id: item for item in plan.workouts}
    chosen = sorted({member_of[w] for w in by_id if w in member_of})
    found: list[tuple[str, tuple[str, ...], bool]] = [(sid, recorded[sid], False) for sid in chosen]
    if enabled:
        found += [(stack_id(m), m, True) for m in _new_stacks(plan, set(member_of), gap_s, times)]
    if not found:
        return []

    def member_meta(workout_id: str) -> EntryMeta | None:
        return by_id[workout_id].meta if workout_id in by_id else meta(workout_id)

    entries = [(sid, _stack_meta(sid, [member_meta(m) for m in members])) for sid, members, _ in found]
    planned = _plan_like(plan, entries)
    return [
        StackPlan(sid, members, item, new)
        for (sid, members, new), item in zip(found, planned.workouts, strict=True)
    ]


def new_stack_plan(plan: ExportPlan, members: Sequence[str]) -> StackPlan:
    """A new stack of ``members`` (workouts of ``plan``, in start order), planned as
    :func:`plan_stacks` plans one (used when a stack loses an unreadable class)."""
    by_id = {item.workout_id: item for item in plan.workouts}
    sid = stack_id(members)
    entry = (sid, _stack_meta(sid, [by_id[m].meta if m in by_id else None for m in members]))
    return StackPlan(sid, tuple(members), _plan_like(plan, [entry]).workouts[0], True)


def _plan_like(plan: ExportPlan, entries: list[tuple[str, EntryMeta | None]]) -> ExportPlan:
    """``entries`` planned with ``plan``'s formats, sinks, folder, flags and records."""
    return make_plan(
        plan.records,
        entries,
        formats=plan.formats,
        sinks=plan.sinks,
        output_dir=plan.output_dir,
        force=plan.force,
        dry_run=plan.dry_run,
    )


def _stack_meta(identifier: str, metas: Sequence[EntryMeta | None]) -> EntryMeta | None:
    """The newest class's entry under the stack id (``None`` when a class's is unknown)."""
    known = [m for m in metas if m is not None]
    if not known or len(known) != len(metas):
        return None
    latest = max(known, key=lambda m: m.stored_at)
    return dataclasses.replace(latest, workout_id=identifier)


def _new_stacks(
    plan: ExportPlan,
    taken: set[str],
    gap_s: float,
    times: Callable[[WorkoutPlan], Candidate | None],
) -> list[tuple[str, ...]]:
    """Stacks among the workouts with work left that are in no stack, were never uploaded
    alone and were not exported alone after their stack could not be built
    (:meth:`Ledger.solo_workouts`); only workouts with a near neighbour have their times read."""
    uploaded = plan.records.uploaded | plan.records.solo
    free = [
        item
        for item in plan.todo
        if item.workout_id not in taken and item.workout_id not in uploaded and item.meta is not None
    ]
    starts = [
        (i.workout_id, i.meta.discipline, float(i.meta.start_time))
        for i in free
        if i.meta and i.meta.start_time
    ]
    near = near_neighbours(starts, gap_s)
    candidates = [c for c in (times(item) for item in free if item.workout_id in near) if c is not None]
    return group(candidates, gap_s)


def fold_stacks(plan: ExportPlan, stacks: Sequence[StackPlan]) -> ExportPlan:
    """``plan`` with the classes of each stack replaced by the stack's own plan (once, at its
    newest class), so ``status`` counts a stacked activity as one workout."""
    by_member = {member: stack for stack in stacks for member in stack.members}
    folded: list[WorkoutPlan] = []
    seen: set[str] = set()
    for item in plan.workouts:
        stack = by_member.get(item.workout_id)
        if stack is None:
            folded.append(item)
        elif stack.stack_id not in seen:
            seen.add(stack.stack_id)
            folded.append(stack.plan)
    return dataclasses.replace(plan, workouts=folded)


# -- exporting --------------------------------------------------------------------------


class StackExporter(Protocol):
    """What :class:`Stacks` needs of the exporter: the archive, ledger and context, loading a
    class, and writing and delivering a workout (a class or the stacked one)."""

    @property
    def archive(self) -> Archive: ...

    @property
    def ledger(self) -> Ledger | None: ...

    @property
    def context(self) -> ExportContext: ...

    def load(self, workout_id: str) -> Workout: ...

    def export_one(
        self, workout_id: str, plan: WorkoutPlan | None = None, *, deliver: bool = True
    ) -> WorkoutResult: ...

    def export_workout(
        self, result: WorkoutResult, workout: Workout, plan: WorkoutPlan | None, *, deliver: bool = True
    ) -> WorkoutResult: ...


@dataclass(slots=True)
class Stacks:
    """The stacked classes of one run (``stack``, ``stack_gap_s``, ``stack_parts`` from the
    exporter's options): :meth:`plan` finds a batch's stacks, :meth:`results` exports each
    once. ``records`` are the run's (a new stack is added to them); ``run_plan`` is the whole
    run's plan (a broken new stack regroups within it)."""

    exporter: StackExporter
    records: RunRecords
    run_plan: ExportPlan | None = None

    @property
    def settings(self) -> StackSettings:
        """The run's stack settings (:class:`~peloton_export.workout.stacking.StackSettings`)."""
        return StackSettings.from_options(self.exporter.context.options)

    def may_stack(self) -> bool:
        """True when stacked classes may be exported (``stack=auto``, or recorded stacks)."""
        return self.settings.enabled or bool(self.records.stacks)

    def plan(self, plan: ExportPlan) -> list[StackPlan]:
        """Group the plan's workouts into stacks (recorded ones, and new ones with ``stack=auto``)."""
        settings = self.settings
        return plan_stacks(
            plan, enabled=settings.enabled, gap_s=settings.gap_s, times=self._times, meta=self._entry_meta
        )

    def _entry_meta(self, workout_id: str) -> EntryMeta | None:
        """The archive entry of a stacked class outside the selection (``None``: unreadable)."""
        try:
            return self.exporter.archive.meta(workout_id)
        except ArchiveError:
            return None

    def _times(self, item: WorkoutPlan) -> Candidate | None:
        """A finished workout's discipline and normalized start/end (``None``: unknown, so
        it stays alone). The end is the one the stack is built with (the exporter's ``load``:
        moved to the last sample when the samples run past ``end_time``), so a group always
        builds."""
        meta = item.meta
        if meta is None or not meta.complete or meta.start_time is None:
            return None
        try:
            workout = self.exporter.load(item.workout_id)
        except (SkipWorkout, ArchiveError, NormalizeError):
            return None  # exported alone, where its own failure or skip is told
        return Candidate.of(workout, self._overrun(workout))

    def _overrun(self, workout: Workout) -> float:
        """Seconds the normalized end of ``workout`` lies past Peloton's ``end_time`` (0 when
        unknown): how far it may overlap the next class of a stack."""
        try:
            path = self.exporter.archive.body_path(workout.id, "workout")
            stated = epoch_seconds(parse_json_object(read_file(path), what=str(path)).get("end_time"))
        except (OSError, ValueError, ArchiveError):
            return 0.0
        if stated is None:
            return 0.0
        return max(workout.end.timestamp() - float(stated), 0.0)

    def results(self, stack: StackPlan, item: WorkoutPlan, emitted: set[str]) -> list[WorkoutResult]:
        """The stack's result the first time one of its classes comes up; the class's own
        files too with ``stack_parts`` (never its uploads: the stack is the activity)."""
        results = []
        if stack.stack_id not in emitted:
            emitted.add(stack.stack_id)
            if stack.plan.done:
                results.append(WorkoutResult(stack.stack_id, "unchanged", ALREADY_DONE))
            else:
                results += self._export_or_split(stack)
                emitted.update(r.workout_id for r in results)  # classes a broken stack left alone
        if self.settings.parts and item.workout_id not in emitted and not _formats_done(item):
            results.append(self.exporter.export_one(item.workout_id, item, deliver=False))
        return results

    def export(self, stack: StackPlan) -> WorkoutResult:
        """Load the stack's classes, build the stacked workout, then write and deliver it once.

        A class that cannot be read fails the stack (one line naming the stack and the class).
        """
        result = WorkoutResult(workout_id=stack.stack_id, status="exported")
        members = []
        for workout_id in stack.members:
            try:
                members.append(self.exporter.load(workout_id))
            except (SkipWorkout, ArchiveError, NormalizeError) as exc:
                return finish(result, "failed", f"stack {stack.stack_id}: class {workout_id}: {exc}")
        return self._export_loaded(stack, members)[0]

    def _export_or_split(self, stack: StackPlan) -> list[WorkoutResult]:
        """:meth:`export`, except for a new stack with a class that cannot be read:
        that class fails (or is skipped) alone, with one line naming it, and the others are
        grouped again without it (stacks of the ones still back to back, the rest alone).
        A recorded stack is closed, so it fails whole (nothing of it is delivered alone),
        unless nothing of it was ever written or delivered: then it is dissolved and split
        like a new one."""
        if not stack.new and not self._dissolve_undelivered(stack):
            return [self.export(stack)]
        if self.run_plan is None:
            return [self.export(stack)]
        members: list[Workout] = []
        alone: list[WorkoutResult] = []
        for workout_id in stack.members:
            try:
                members.append(self.exporter.load(workout_id))
            except SkipWorkout as exc:
                alone.append(WorkoutResult(workout_id, "skipped", str(exc)))
            except (ArchiveError, NormalizeError) as exc:
                alone.append(WorkoutResult(workout_id, "failed", str(exc)))
        if not alone:
            return self._export_loaded(dataclasses.replace(stack, new=True), members)
        return alone + self._regroup(members, self.run_plan)

    def _dissolve_undelivered(self, stack: StackPlan) -> bool:
        """Forget a recorded stack nothing of which was written or delivered (True), so its
        classes may stack again or go alone; False for one that is an activity somewhere.
        (One query, for each recorded stack that is exported again: any format or sink
        counts, not only this run's.)"""
        ledger = self.exporter.ledger
        if ledger is None or self.exporter.context.dry_run:
            return False
        if ledger.has_records(stack.stack_id):
            return False
        ledger.forget(stack.stack_id)
        self.records.forgot(stack.stack_id)
        return True

    def _regroup(self, members: list[Workout], plan: ExportPlan) -> list[WorkoutResult]:
        """Export the readable classes of a broken new stack: still-consecutive ones stacked."""
        candidates = [Candidate.of(w, self._overrun(w)) for w in members]
        groups = {ids[0]: ids for ids in group(candidates, self.settings.gap_s)}
        grouped = {m for ids in groups.values() for m in ids}
        by_id = {w.id: w for w in members}
        results = []
        for workout in members:
            if workout.id in groups:
                sub = new_stack_plan(plan, groups[workout.id])
                results += self._export_loaded(sub, [by_id[m] for m in sub.members])
            elif workout.id not in grouped:
                results.append(self._export_alone(workout))
        return results

    def _export_alone(self, workout: Workout) -> WorkoutResult:
        """Export and deliver one class of a stack that was not formed, under its own id."""
        plans = {item.workout_id: item for item in self.run_plan.workouts} if self.run_plan else {}
        result = WorkoutResult(workout_id=workout.id, status="exported")
        return self.exporter.export_workout(result, workout, plans.get(workout.id))

    def _export_loaded(self, stack: StackPlan, members: list[Workout]) -> list[WorkoutResult]:
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
                return [finish(result, "failed", f"stack {stack.stack_id}: {reason}")]
            return self._split_unbuildable(stack, members, reason)
        ledger = self.exporter.ledger
        if stack.new and ledger is not None and not self.exporter.context.dry_run:
            if not ledger.record_stack(stack.stack_id, stack.members):
                reason = f"stack {stack.stack_id}: a class is in another stack already"
                return [finish(result, "failed", reason)]
            self.records.wrote_stack(stack.stack_id, stack.members)
        return [self.exporter.export_workout(result, workout, stack.plan)]

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
        ledger = self.exporter.ledger
        if ledger is not None and not self.exporter.context.dry_run:
            ids = [w.id for w in members]
            ledger.record_solo(ids, f"stack {stack.stack_id}: {reason}")
            self.records.wrote_solo(ids)
        ordered = sorted(members, key=lambda w: (w.start, w.id))
        return [self._export_alone(workout) for workout in ordered]


def _formats_done(item: WorkoutPlan) -> bool:
    """True when every format of ``item`` is current or does not apply."""
    return item.meta is not None and all(a in FINISHED_FORMAT for a in item.formats.values())


__all__ = [
    "StackExporter",
    "StackPlan",
    "Stacks",
    "fold_stacks",
    "new_stack_plan",
    "plan_stacks",
]
