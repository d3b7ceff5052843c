"""The ledger's records for one run, read once: what the plan carries to the exporter.

:meth:`RunRecords.load` reads what a run needs from the ledger in seven queries (the
export and upload records of its formats and sinks, its sinks' tombstones, every written
path, the recorded stacks, the workouts uploaded anywhere, the classes exported alone after
their stack could not be built), whatever the number of workouts.
:func:`peloton_export.export.plan.make_plan` plans from it and hands it on in
:attr:`ExportPlan.records <peloton_export.export.plan.ExportPlan.records>`; the exporter
looks up a workout's records here and only *writes* to the ledger, telling these records
what it wrote (the ``wrote_*`` methods) so they stay what the ledger holds.

Only the exporter writes exports, uploads, tombstones and stacks, one run at a time (the
run lock), so records read at the start of the run and kept current this way are what a
query would return. A worker process (``--jobs``) gets its own copy: the parent's does
not see the workers' writes, which concern only the workouts each worker exports (file
names are unique per workout id: :func:`peloton_export.workout.filenames.id_part`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from peloton_export.store.ledger import DONE_STATES, ExportRecord, UploadRecord
from peloton_export.store.ledger.records import _now_text

if TYPE_CHECKING:
    from peloton_export.store.ledger import Ledger

#: SQLite's ``COLLATE NOCASE`` folds ASCII letters only; paths are compared the same way.
_NOCASE = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _path_key(path: str | Path) -> str:
    return str(path).translate(_NOCASE)


@dataclass(slots=True)
class RunRecords:
    """The ledger's rows one run needs (see the module docstring).

    ``ledger_path`` is the ledger they came from (``None``: no ledger, nothing is known);
    ``formats`` and ``sinks`` the names whose export and upload records were read.
    ``exports`` and ``uploads`` are keyed by (workout id, format or sink); ``owners`` maps a
    written path (ASCII case folded) to the (workout id, format) pairs recorded there, any
    format; ``stacks`` is stack id ->
    member ids; ``uploaded`` the ids uploaded to, or tombstoned on, any sink; ``solo`` the
    classes exported alone because their stack could not be built (:meth:`Ledger.solo_workouts`).
    """

    ledger_path: Path | None = None
    formats: frozenset[str] = frozenset()
    sinks: frozenset[str] = frozenset()
    exports: dict[tuple[str, str], ExportRecord] = field(default_factory=dict)
    uploads: dict[tuple[str, str], UploadRecord] = field(default_factory=dict)
    tombstones: set[tuple[str, str]] = field(default_factory=set)
    owners: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    stacks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    uploaded: set[str] = field(default_factory=set)
    solo: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, ledger: Ledger | None, formats: Iterable[str], sinks: Iterable[str]) -> RunRecords:
        """Read the records of ``formats`` and ``sinks`` from ``ledger`` (seven queries; none
        without a ledger).

        :raises LedgerError: the ledger cannot be read (one line naming it).
        """
        formats, sinks = frozenset(formats), frozenset(sinks)
        if ledger is None:
            return cls(None, formats, sinks)
        owners: dict[str, set[tuple[str, str]]] = {}
        for workout_id, fmt, path in ledger.written_paths():
            owners.setdefault(_path_key(path), set()).add((workout_id, fmt))
        return cls(
            ledger.path,
            formats,
            sinks,
            exports=ledger.exports_for(sorted(formats)),
            uploads=ledger.uploads_for(sorted(sinks)),
            tombstones=ledger.tombstones_for(sorted(sinks)),
            owners=owners,
            stacks=ledger.stacks(),
            uploaded=ledger.uploaded_workouts(),
            solo=set(ledger.solo_workouts()),
        )

    def serves(self, ledger: Ledger | None, formats: Iterable[str], sinks: Iterable[str]) -> bool:
        """True when these records came from ``ledger`` and cover ``formats`` and ``sinks``."""
        path = ledger.path if ledger is not None else None
        return path == self.ledger_path and set(formats) <= self.formats and set(sinks) <= self.sinks

    # -- reads (what the ledger's queries of the same name answer) -------------------------

    def export(self, workout_id: str, fmt: str) -> ExportRecord | None:
        """The export of ``workout_id`` in ``fmt`` (:meth:`Ledger.exported`)."""
        return self.exports.get((workout_id, fmt))

    def upload(self, workout_id: str, sink: str) -> UploadRecord | None:
        """The upload state of ``workout_id`` on ``sink`` (:meth:`Ledger.upload_state`)."""
        return self.uploads.get((workout_id, sink))

    def tombstoned(self, workout_id: str, sink: str) -> bool:
        """True when ``workout_id`` must not be uploaded to ``sink`` again."""
        return (workout_id, sink) in self.tombstones

    def path_owner(self, path: str | Path, workout_id: str) -> str | None:
        """Another workout whose written file is recorded at ``path`` (:meth:`Ledger.path_owner`:
        ASCII case ignored; ``None`` when ``workout_id`` itself is recorded there)."""
        owners = {owner for owner, _ in self.owners.get(_path_key(path), ())}
        if workout_id in owners:
            return None
        return min(owners) if owners else None

    # -- what the run wrote ----------------------------------------------------------------

    def wrote_export(self, record: ExportRecord) -> None:
        """The exporter recorded ``record`` (as :meth:`Ledger.record_export` returned it;
        it replaces the row of its workout and format)."""
        key = (record.workout_id, record.format)
        previous = self.exports.get(key)
        if previous is not None and previous.written:
            self.owners.get(_path_key(previous.path), set()).discard(key)
        self.exports[key] = record
        if record.written:
            self.owners.setdefault(_path_key(record.path), set()).add(key)

    def wrote_upload(
        self, workout_id: str, sink: str, state: str, remote_id: str | None, error: str | None
    ) -> None:
        """The exporter recorded an upload attempt (:meth:`Ledger.record_upload`'s rule)."""
        previous = self.uploads.get((workout_id, sink))
        self.uploads[(workout_id, sink)] = UploadRecord(
            workout_id,
            sink,
            state,
            remote_id if remote_id is not None else previous.remote_id if previous else None,
            error,
            previous.attempts + 1 if previous else 1,
            _now_text(),
        )
        if state in DONE_STATES:
            self.uploaded.add(workout_id)

    def wrote_tombstone(self, workout_id: str, sink: str) -> None:
        """The exporter tombstoned ``workout_id`` on ``sink``."""
        self.tombstones.add((workout_id, sink))
        self.uploaded.add(workout_id)

    def wrote_stack(self, stack_id: str, members: Iterable[str]) -> None:
        """The exporter recorded a stack."""
        self.stacks.setdefault(stack_id, tuple(members))

    def wrote_solo(self, workout_ids: Iterable[str]) -> None:
        """The exporter recorded classes exported alone (:meth:`Ledger.record_solo`)."""
        self.solo.update(workout_ids)

    def forgot(self, workout_id: str) -> None:
        """The exporter forgot ``workout_id`` or a stack id (:meth:`Ledger.forget`)."""
        self.exports = {k: r for k, r in self.exports.items() if k[0] != workout_id}
        self.uploads = {k: r for k, r in self.uploads.items() if k[0] != workout_id}
        self.tombstones = {k for k in self.tombstones if k[0] != workout_id}
        for owners in self.owners.values():
            owners.difference_update({o for o in owners if o[0] == workout_id})
        self.stacks.pop(workout_id, None)
        self.uploaded.discard(workout_id)
        self.solo.discard(workout_id)


__all__ = ["RunRecords"]
