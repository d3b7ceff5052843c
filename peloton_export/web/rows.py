"""The workouts table: one :class:`Row` per archived workout, read from its raw body alone.

A row is the date, class, instructor, discipline, duration and output of one workout, read
from its archived ``workout.json`` (never the performance graph: a 2,000-workout table
stays cheap). Peloton facts, the same as :mod:`peloton_export.normalize`:

* title: ``ride.title``, else the workout's ``title``/``name``;
* instructor: :func:`peloton_export.normalize.summary.instructor` (``ride.instructor.name``,
  without Peloton's pseudo-instructors);
* discipline: ``fitness_discipline``;
* duration: ``end_time - start_time`` (seconds), else ``ride.duration``;
* output: ``total_work`` (joules, shown in kJ) when above zero.

A workout whose body cannot be read or parsed is a row with ``error`` set (one line naming
it), never an exception. :class:`RowIndex` keeps the rows of one archive in memory, each
re-read only when its ``meta.json`` changed (the archive writes it last, by rename).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from peloton_export.normalize._common import num, obj, text
from peloton_export.normalize.summary import instructor
from peloton_export.raw import epoch_seconds
from peloton_export.store.archive import Archive, ArchiveError, EntryMeta

_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: The columns the table sorts by (``?sort=``).
SORT_KEYS = ("date", "title", "instructor", "discipline", "duration", "output")
#: Rows per page of the table.
PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Row:
    """One workout of the table: ``start`` (epoch seconds UTC), ``duration_s`` (seconds),
    ``output_kj`` (kilojoules); ``None`` where Peloton gave none. ``error`` is the one line
    saying why the workout could not be read ("" when it could)."""

    workout_id: str
    start: int | None = None
    title: str = ""
    instructor: str = ""
    discipline: str = ""
    duration_s: float | None = None
    output_kj: float | None = None
    error: str = ""

    @property
    def date_text(self) -> str:
        """``2026-01-31 07:00 UTC``, or ``""``."""
        if self.start is None:
            return ""
        try:
            return datetime.fromtimestamp(self.start, UTC).strftime("%Y-%m-%d %H:%M UTC")
        except (OverflowError, OSError, ValueError):
            return ""

    @property
    def duration_text(self) -> str:
        """``45:00`` or ``1:05:00``, or ``""``."""
        if self.duration_s is None:
            return ""
        total = round(self.duration_s)
        hours, rest = divmod(total, 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"

    @property
    def search_text(self) -> str:
        """What a search matches (lower case)."""
        return " ".join((self.workout_id, self.title, self.instructor, self.discipline)).lower()


def read_row(archive: Archive, workout_id: str) -> Row:
    """The :class:`Row` of one archived workout (an error row when it cannot be read)."""
    try:
        body = archive.load_body(workout_id, "workout")
        return row_from_body(workout_id, body)
    except ArchiveError as exc:
        return Row(workout_id, error=_one_line(str(exc)))
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError) as exc:
        return Row(workout_id, error=_one_line(f"workout {workout_id}: unreadable body ({exc})"))


def row_from_body(workout_id: str, body: dict[str, object]) -> Row:
    """The :class:`Row` of a parsed ``workout.json`` (see the module documentation)."""
    ride = obj(body.get("ride"))
    start = epoch_seconds(body.get("start_time")) or epoch_seconds(body.get("created_at"))
    end = epoch_seconds(body.get("end_time"))
    duration: float | None = None
    if start is not None and end is not None and 0 < end - start < 7 * 86400:
        duration = float(end - start)
    elif ride is not None:
        given = num(ride.get("duration"))
        duration = given if given is not None and 0 < given < 7 * 86400 else None
    work = num(body.get("total_work"))
    title = ""
    for value in (ride.get("title") if ride else None, body.get("title"), body.get("name")):
        found = text(value)
        if found:
            title = found[:500]
            break
    return Row(
        workout_id=workout_id,
        start=start,
        title=title,
        instructor=(instructor(ride) or "")[:200],
        discipline=(text(body.get("fitness_discipline")) or "")[:64],
        duration_s=duration,
        output_kj=round(work / 1000, 1) if work is not None and 0 < work < 1e9 else None,
    )


def _one_line(message: str) -> str:
    return " ".join(message.split())[:400]


class RowIndex:
    """The rows of one archive, cached in memory (thread-safe; see the module documentation).

    It also keeps each entry's ``meta.json`` (:class:`EntryMeta`, ``None`` when unreadable)
    and its folder's size, re-read on the same rule, for the dashboard (:meth:`entries`):
    a 2,000-workout archive is then one folder listing and 2,000 ``stat`` calls a page.
    """

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self._rows: dict[str, tuple[int, Row]] = {}
        self._metas: dict[str, tuple[int, EntryMeta | None, int]] = {}
        self._lock = threading.Lock()

    def _scan(self) -> dict[str, int]:
        """Every complete entry's id -> its ``meta.json`` mtime (ns)."""
        seen: dict[str, int] = {}
        try:
            with os.scandir(self.archive.workouts_dir) as found:
                for entry in found:
                    if not _SAFE_ID.match(entry.name):
                        continue
                    try:
                        stamp = os.stat(os.path.join(entry.path, "meta.json")).st_mtime_ns
                    except OSError:
                        continue  # no meta.json: an interrupted write, not an entry
                    seen[entry.name] = stamp
        except (FileNotFoundError, NotADirectoryError):
            return {}
        return seen

    def rows(self) -> list[Row]:
        """Every complete archived workout's row (order undefined)."""
        seen = self._scan()
        with self._lock:
            stale = [w for w, stamp in seen.items() if self._rows.get(w, (None,))[0] != stamp]
        fresh = {w: (seen[w], read_row(self.archive, w)) for w in stale}
        with self._lock:
            self._rows.update(fresh)
            for gone in set(self._rows) - set(seen):
                del self._rows[gone]
            return [row for _, row in self._rows.values()]

    def entries(self) -> tuple[list[tuple[str, EntryMeta | None]], int]:
        """Every complete entry with its metadata, newest start first (then by id; entries
        without a start last), and the archive's size in bytes (each folder's files)."""
        seen = self._scan()
        with self._lock:
            stale = [w for w, stamp in seen.items() if self._metas.get(w, (None,))[0] != stamp]
        fresh = {w: (seen[w], *self._read_meta(w)) for w in stale}
        with self._lock:
            self._metas.update(fresh)
            for gone in set(self._metas) - set(seen):
                del self._metas[gone]
            found = [(w, meta, size) for w, (_, meta, size) in self._metas.items()]
        found.sort(key=lambda item: (-(item[1].start_time or 0) if item[1] else 0, item[0]))
        return [(w, meta) for w, meta, _ in found], sum(size for _, _, size in found)

    def _read_meta(self, workout_id: str) -> tuple[EntryMeta | None, int]:
        try:
            meta: EntryMeta | None = self.archive.meta(workout_id)
        except ArchiveError:
            meta = None  # unreadable: the run reports why
        size = 0
        try:
            with os.scandir(self.archive.workouts_dir / workout_id) as files:
                size = sum(f.stat().st_size for f in files if f.is_file(follow_symlinks=False))
        except OSError:
            pass
        return meta, size

    def row(self, workout_id: str) -> Row | None:
        """One workout's row (read now), ``None`` when it is not archived."""
        if workout_id not in self.archive:
            return None
        return read_row(self.archive, workout_id)


def _key(sort: str, row: Row) -> tuple[int, object]:
    value: object = {
        "date": row.start,
        "title": row.title.lower(),
        "instructor": row.instructor.lower(),
        "discipline": row.discipline,
        "duration": row.duration_s,
        "output": row.output_kj,
    }[sort]
    missing = value is None or value == ""
    return (1 if missing else 0, 0 if missing else value)


@dataclass(frozen=True, slots=True)
class TablePage:
    """One page of the table: its ``rows``, the ``total`` matching, ``page`` (from 1) of
    ``pages``, and the ``sort`` column and direction used."""

    rows: Sequence[Row]
    total: int
    page: int
    pages: int
    sort: str
    descending: bool
    query: str


def select(
    rows: Iterable[Row],
    query: str = "",
    sort: str = "date",
    descending: bool = True,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> TablePage:
    """The rows matching every word of ``query`` (id, title, instructor, discipline; case
    ignored), sorted by ``sort`` (one of :data:`SORT_KEYS`, else ``date``; rows missing the
    value last), page ``page`` of them. Error rows match by id and sort last."""
    sort = sort if sort in SORT_KEYS else "date"
    words = query.lower().split()[:20]
    matched = [r for r in rows if all(w in r.search_text for w in words)]
    good = [r for r in matched if not r.error]
    bad = sorted((r for r in matched if r.error), key=lambda r: r.workout_id)
    present = [r for r in good if _key(sort, r)[0] == 0]
    absent = [r for r in good if _key(sort, r)[0] == 1]
    present.sort(key=lambda r: (_key(sort, r)[1], r.workout_id), reverse=descending)
    ordered = present + sorted(absent, key=lambda r: r.workout_id) + bad
    pages = max(1, -(-len(ordered) // page_size))
    page = min(max(1, page), pages)
    start = (page - 1) * page_size
    return TablePage(ordered[start : start + page_size], len(ordered), page, pages, sort, descending, query)


__all__ = ["PAGE_SIZE", "SORT_KEYS", "Row", "RowIndex", "TablePage", "read_row", "row_from_body", "select"]
