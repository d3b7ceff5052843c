"""Which archived workouts a run looks at: :class:`~peloton_export.results.Selection` applied
to the archive, from each entry's ``meta.json`` (``workout.json`` when that is unreadable)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from peloton_export.raw import epoch_seconds
from peloton_export.results import Selection
from peloton_export.store.archive import Archive, ArchiveError, EntryMeta


def select_ids(archive: Archive, selection: Selection) -> list[str]:
    """Archived workout ids matching ``selection``, newest start first, at most ``limit``.

    Dates and disciplines are compared with what each entry's ``meta.json`` records, so
    unselected workouts are never parsed (entries stored before ``meta.json`` recorded the
    discipline fall back to reading ``workout.json``).
    """
    return [workout_id for workout_id, _ in select_entries(archive, selection)]


def select_entries(
    archive: Archive, selection: Selection, ids: Sequence[str] | None = None
) -> list[tuple[str, EntryMeta | None]]:
    """Like :func:`select_ids`, with each entry's metadata (``None`` when unreadable).

    ``ids`` looks at those archived ids only (default: every archived workout); ``limit``
    then counts among them.
    """
    chosen: list[tuple[int, str, EntryMeta | None]] = []
    for workout_id in archive.ids() if ids is None else ids:
        if selection.workout_ids is not None and workout_id not in selection.workout_ids:
            continue
        try:
            meta: EntryMeta | None = archive.meta(workout_id)
        except ArchiveError:
            meta = None  # unreadable: filter on workout.json; the export reports why
        start, discipline = _start_and_discipline(archive, workout_id, meta)
        if start is not None:
            if selection.since and start < selection.since.timestamp():
                continue
            if selection.until and start >= selection.until.timestamp():
                continue
        if selection.disciplines and discipline() not in selection.disciplines:
            continue
        chosen.append((start or 0, workout_id, meta))
    chosen.sort(key=lambda item: (-item[0], item[1]))
    entries = [(workout_id, meta) for _, workout_id, meta in chosen]
    return entries if selection.limit is None else entries[: selection.limit]


def _start_and_discipline(
    archive: Archive, workout_id: str, meta: EntryMeta | None
) -> tuple[int | None, Callable[[], str | None]]:
    """An entry's start time and a lazy lookup of its discipline, from ``meta.json`` or, when
    that is unreadable or lacks them, from ``workout.json`` (so filters never skip an entry
    only because its ``meta.json`` is broken)."""
    if meta is not None and meta.start_time is not None:
        return meta.start_time, lambda: _discipline(archive, workout_id, meta.discipline)
    try:
        workout = archive.load_body(workout_id, "workout")
    except ArchiveError:
        return None, lambda: None
    start_time = epoch_seconds(workout.get("start_time"))  # None for NaN, inf, huge: the export reports it
    recorded = str(workout.get("fitness_discipline") or "").lower() or None
    return start_time, lambda: recorded


def _discipline(archive: Archive, workout_id: str, recorded: str | None) -> str | None:
    if recorded is not None:
        return recorded
    try:
        return str(archive.load(workout_id).workout.get("fitness_discipline") or "").lower() or None
    except ArchiveError:
        return None
