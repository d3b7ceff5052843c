"""What a run will do, per workout, format and sink: one answer for export, dry run and status.

:func:`make_plan` reads the ledger once (:class:`~peloton_export.export.records.RunRecords`)
and the output folder once, and gives each selected workout an :class:`Action` per format
and per sink. The plan carries those records to the exporter, which reads nothing more.
The export runs the plan, ``--dry-run`` prints it (refined by writing in memory), and
``peloton-export status`` counts it, so the three always agree.

The rules, per (workout, format):

* ``CURRENT``: the ledger records a file written into this output folder after the archive
  entry was stored, and the file is still there.
* ``NOT_APPLICABLE``: the ledger records, after the entry was stored, that the format does
  not apply to the workout (GPX without GPS).
* ``WRITE``: anything else, or ``--force``.

Per (workout, sink):

* ``TOMBSTONED``: the upload was deleted on the platform; never sent again (even with
  ``--force``; ``peloton-export ledger forget`` clears it).
* ``SETTLED``: uploaded, or the service said it already had it (``duplicate``).
* ``REDELIVER``: settled, but ``--force``: the sink is asked whether its copy still exists,
  and the workout is sent again unless it was deleted there (then it is tombstoned).
* ``DELIVER``: never sent, or the last attempt failed.

A workout is *done* when every format is current or not applicable and every sink settled
or tombstoned; done workouts are not even parsed.
"""

from __future__ import annotations

import enum
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from peloton_export.export.records import RunRecords
from peloton_export.store.ledger import PendingItem

if TYPE_CHECKING:
    from peloton_export.results import Status, WorkoutResult
    from peloton_export.store.archive import EntryMeta
    from peloton_export.store.ledger import ExportRecord, Ledger, UploadRecord


class Action(enum.StrEnum):
    """What a run does for one workout in one format or sink."""

    WRITE = "write"
    CURRENT = "current"
    NOT_APPLICABLE = "not applicable"
    DELIVER = "deliver"
    REDELIVER = "redeliver"
    SETTLED = "settled"
    TOMBSTONED = "tombstoned"

    @property
    def pending(self) -> bool:
        """True when the run has work to do for this target."""
        return self in (Action.WRITE, Action.DELIVER, Action.REDELIVER)


FINISHED_FORMAT = frozenset({Action.CURRENT, Action.NOT_APPLICABLE})
FINISHED_SINK = frozenset({Action.SETTLED, Action.TOMBSTONED})
#: The reason given for a workout (or stack) the plan found done.
ALREADY_DONE = "already exported and delivered"


def finish(result: WorkoutResult, status: Status, reason: str) -> WorkoutResult:
    """``result`` with its overall ``status`` and one-line ``reason`` set."""
    result.status = status
    result.reason = reason
    return result


@dataclass(frozen=True, slots=True)
class WorkoutPlan:
    """The actions for one workout: ``formats`` and ``sinks`` map a name to an :class:`Action`."""

    workout_id: str
    meta: EntryMeta | None
    formats: Mapping[str, Action]
    sinks: Mapping[str, Action]

    @property
    def done(self) -> bool:
        """True when nothing is left to write or deliver (the workout is not parsed)."""
        return (
            self.meta is not None
            and all(action in FINISHED_FORMAT for action in self.formats.values())
            and all(action in FINISHED_SINK for action in self.sinks.values())
        )


@dataclass(slots=True)
class ExportPlan:
    """Every selected workout's :class:`WorkoutPlan`, newest start first.

    Plugins see it in ``export_started``; one that cannot run in worker processes (it needs
    one view of every workout) calls :meth:`run_in_one_process` with its reason.
    ``records`` are the ledger's records the plan was made from, for the exporter.
    """

    workouts: list[WorkoutPlan]
    formats: tuple[str, ...]
    sinks: tuple[str, ...]
    output_dir: Path
    force: bool = False
    dry_run: bool = False
    one_process_reasons: list[str] = field(default_factory=list)
    records: RunRecords = field(default_factory=RunRecords)

    def run_in_one_process(self, reason: str) -> None:
        """Ask for the run to export in this process only (no ``--jobs`` workers)."""
        self.one_process_reasons.append(reason)

    @property
    def todo(self) -> list[WorkoutPlan]:
        """The workouts with something left to do."""
        return [w for w in self.workouts if not w.done]

    def counts(self) -> Counter[tuple[str, str, Action]]:
        """How many workouts get each action: keys ``("format"|"sink", name, action)``."""
        counts: Counter[tuple[str, str, Action]] = Counter()
        for workout in self.workouts:
            for name, action in workout.formats.items():
                counts[("format", name, action)] += 1
            for name, action in workout.sinks.items():
                counts[("sink", name, action)] += 1
        return counts


def format_action(
    record: ExportRecord | None, stored_at: str, out_dir: Path, present: set[str], *, force: bool
) -> Action:
    """The :class:`Action` for one workout in one format (see the module docstring)."""
    if force or record is None or record.exported_at < stored_at:
        return Action.WRITE
    path = Path(record.path)
    if not record.written:
        return Action.NOT_APPLICABLE if path == out_dir else Action.WRITE
    return Action.CURRENT if path.parent == out_dir and path.name in present else Action.WRITE


def sink_action(record: UploadRecord | None, tombstoned: bool, *, force: bool) -> Action:
    """The :class:`Action` for one workout on one sink (see the module docstring)."""
    if tombstoned:
        return Action.TOMBSTONED
    if record is None or not record.done:
        return Action.DELIVER
    return Action.REDELIVER if force else Action.SETTLED


def should_upload(ledger: Ledger, workout_id: str, sink: str, *, force: bool = False) -> bool:
    """True when the plan would send ``workout_id`` to ``sink``: :func:`sink_action` on the
    ledger's upload record and tombstone (one query each)."""
    record = ledger.upload_state(workout_id, sink)
    return sink_action(record, ledger.is_tombstoned(workout_id, sink), force=force).pending


def ledger_pending(
    ledger: Ledger, formats: Iterable[str] = (), sinks: Iterable[str] = ()
) -> list[PendingItem]:
    """Work not done yet, from the ledger alone: Peloton-recorded COMPLETE workouts with
    no export recorded in one of ``formats`` or still to deliver to one of ``sinks``
    (the plan's rule), and workouts still in progress. ``status`` uses the full plan
    (archive and output folder too); this is its ledger-only part."""
    out: list[PendingItem] = []
    fmts, snks = list(formats), list(sinks)
    exports = ledger.exports_for(fmts)
    uploads = ledger.uploads_for(snks)
    tombstones = ledger.tombstones_for(snks)
    for record in ledger.workouts():
        if record.origin != "peloton":
            continue
        if record.status != "COMPLETE":
            out.append(PendingItem(record.workout_id, "in_progress", "", f"status {record.status}"))
            continue
        for fmt in fmts:
            if (record.workout_id, fmt) not in exports:
                out.append(PendingItem(record.workout_id, "export", fmt, "not exported"))
        for sink in snks:
            key = (record.workout_id, sink)
            up = uploads.get(key)
            if not sink_action(up, key in tombstones, force=False).pending:
                continue
            reason = "not uploaded" if up is None else f"{up.state}: {up.error or ''}".rstrip(": ")
            out.append(PendingItem(record.workout_id, "upload", sink, reason))
    return out


def make_plan(
    ledger: Ledger | RunRecords | None,
    entries: Sequence[tuple[str, EntryMeta | None]],
    *,
    formats: Sequence[str],
    sinks: Sequence[str],
    output_dir: Path,
    force: bool = False,
    dry_run: bool = False,
) -> ExportPlan:
    """Plan ``entries`` (archive ids with their ``meta.json``, newest first).

    ``ledger`` is the ledger (its records are read: :meth:`RunRecords.load`, six queries
    whatever the number of entries) or records read before for this run (nothing is read;
    they must cover ``formats`` and ``sinks``). Without a ledger (the demo, a bare
    :class:`~peloton_export.export.exporter.Exporter`) nothing is known, so every format is
    written and every sink delivered. One folder listing in all. The plan carries the
    records (:attr:`ExportPlan.records`).

    :raises ValueError: ``ledger`` is records that do not cover ``formats`` or ``sinks``.
    """
    formats, sinks = tuple(formats), tuple(sinks)
    if isinstance(ledger, RunRecords):
        records = ledger
        if not (set(formats) <= records.formats and set(sinks) <= records.sinks):
            raise ValueError("the records do not cover the formats and sinks planned")
    else:
        records = RunRecords.load(ledger, formats, sinks)
    exports = _without_shared_files({k: r for k, r in records.exports.items() if k[1] in formats})
    present = _files_in(output_dir) if exports else set()
    plans = []
    for workout_id, meta in entries:
        stored_at = meta.stored_at if meta is not None else "~"  # unreadable: always write
        plans.append(
            WorkoutPlan(
                workout_id,
                meta,
                {
                    name: format_action(
                        exports.get((workout_id, name)), stored_at, output_dir, present, force=force
                    )
                    for name in formats
                },
                {
                    name: sink_action(
                        records.upload(workout_id, name), records.tombstoned(workout_id, name), force=force
                    )
                    for name in sinks
                },
            )
        )
    return ExportPlan(plans, formats, sinks, output_dir, force=force, dry_run=dry_run, records=records)


def _without_shared_files(
    exports: Mapping[tuple[str, str], ExportRecord],
) -> dict[tuple[str, str], ExportRecord]:
    """``exports`` without the files recorded for more than one workout (ignoring case).

    Versions before file names were unique per workout could give two workouts one file;
    each such workout is written again, under its own name.
    """
    owners: dict[str, set[str]] = {}
    for (workout_id, _), record in exports.items():
        if record.written:
            owners.setdefault(record.path.casefold(), set()).add(workout_id)
    return {
        key: record
        for key, record in exports.items()
        if not (record.written and len(owners[record.path.casefold()]) > 1)
    }


def _files_in(folder: Path) -> set[str]:
    try:
        return {entry.name for entry in os.scandir(folder) if entry.is_file()}
    except OSError:
        return set()


def pending_summary(plan: ExportPlan) -> list[str]:
    """Lines for ``status``: per format and sink, how many workouts have work left."""
    lines = []
    counts = plan.counts()
    for kind, names in (("format", plan.formats), ("sink", plan.sinks)):
        for name in names:
            parts = _parts(counts, kind, name)
            if parts:
                lines.append(f"{kind} {name}: " + ", ".join(parts))
    return lines


def _parts(counts: Mapping[tuple[str, str, Action], int], kind: str, name: str) -> list[str]:
    return [
        f"{counts[(kind, name, action)]} {action}" for action in Action if counts.get((kind, name, action))
    ]


__all__ = [
    "ALREADY_DONE",
    "Action",
    "ExportPlan",
    "WorkoutPlan",
    "finish",
    "format_action",
    "make_plan",
    "pending_summary",
    "sink_action",
]
