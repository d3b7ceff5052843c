"""Export while fetching: the sync in a background thread, handing each archived workout over.

:func:`peloton_export.export.run.run_export` runs the sync through a :class:`SyncFeed` when the run
walks the workout list (see "Export while fetching" in docs/fetching.md): the sync runs in one
thread named ``peloton-export-sync`` (with its own fetch pool) and calls
:meth:`SyncFeed.archived` with each workout id right after the workout is written to the
archive; the calling thread consumes :meth:`SyncFeed.batches` and exports, so plugins,
writers and sinks are only ever called from the calling thread.

Stopping: leaving the ``with`` block early (an exception, Ctrl-C) sets a stop flag that the
sync sees at its next archived workout or progress step (it raises :class:`FeedStopped`
there, which ends it as an interruption does: what was archived stays archived), then
waits for the thread. The sync's HTTP client checks the same flag before each attempt,
between the pieces of a body and during backoff, so a slow or dripping answer in flight
does not hold a stopped run (a read blocked on a silent socket still waits up to
``timeout`` seconds).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from peloton_export.export.plan import ExportPlan, WorkoutPlan
    from peloton_export.store.archive import EntryMeta

T = TypeVar("T")
#: ``(workout id, its meta.json or None when unreadable)``, as ``select_entries`` gives them.
Entry = tuple[str, "EntryMeta | None"]

_END = object()


class FeedStopped(Exception):
    """Raised inside the sync thread once the export side has stopped (ends the sync)."""


class SyncFeed(Generic[T]):
    """Run ``work(archived)`` in a thread; each id it passes to ``archived`` is handed over.

    ``work`` is the sync: it calls ``archived(workout_id)`` after writing each workout to the
    archive and returns its outcome (any value), which :meth:`result` gives back once the
    thread ended. Use as a context manager: entering starts the thread, leaving stops it
    (when it still runs) and waits for it.
    """

    def __init__(
        self, work: Callable[[Callable[[str], None]], T], *, name: str = "peloton-export-sync"
    ) -> None:
        self._work = work
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._stop = threading.Event()
        from peloton_export.paths import carry

        # the sync thread works in the run's profile folders (its token file, cooldown)
        self._thread = threading.Thread(target=carry(self._main), name=name, daemon=True)
        self._outcome: T | None = None
        self._error: BaseException | None = None
        self.handed_over = 0  # ids handed to the export so far

    def __enter__(self) -> SyncFeed[T]:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def archived(self, workout_id: str) -> None:
        """Hand ``workout_id`` over (called by the sync thread).

        :raises FeedStopped: the export side stopped; the sync should end.
        """
        self.check()
        self._queue.put(workout_id)

    def check(self) -> None:
        """:raises FeedStopped: when the export side stopped (the sync calls this per step)."""
        if self._stop.is_set():
            raise FeedStopped("the export stopped")

    def _main(self) -> None:
        try:
            self._outcome = self._work(self.archived)
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc
        finally:
            self._queue.put(_END)

    def batches(self) -> Iterator[list[str]]:
        """Lists of ids as they were archived, oldest hand-over first; each list is
        everything waiting at that moment (at least one id). Blocks until the next id and
        ends when the sync has ended."""
        while True:
            item = self._queue.get()
            batch: list[str] = []
            while item is not _END:
                batch.append(str(item))
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self.handed_over += len(batch)
                yield batch
            if item is _END:
                return

    def result(self) -> T:
        """The sync's outcome, after waiting for the thread.

        :raises BaseException: whatever the sync raised (re-raised here, in the caller).
        """
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._outcome is not None
        return self._outcome


def newest_first(workout_id: str, meta: EntryMeta | None) -> tuple[int, str]:
    """The sort key of the export's order: newest start first, then by id (unreadable last)."""
    start = meta.start_time if meta is not None else None
    return (-(start or 0), workout_id)


class GrowingPlan:
    """The plan of a streamed run, in batches: first what was archived at the start, then
    each batch the sync hands over, then whatever is still left (see :meth:`batches`).

    ``select(ids)`` gives the selected archive entries among ``ids``, newest first;
    ``archived()`` lists every archived id (``Archive.ids``: no ``meta.json`` is read);
    ``make(entries)`` plans entries (``Exporter.plan_entries``).
    Workouts handed over are appended to ``plan.workouts`` (one already there is replaced
    by its new plan), so a plugin holding the plan sees it grow; once every batch is out,
    ``plan.workouts`` is in newest-first order again.
    """

    def __init__(
        self,
        plan: ExportPlan,
        *,
        select: Callable[[Sequence[str]], list[Entry]],
        archived: Callable[[], list[str]],
        make: Callable[[list[Entry]], ExportPlan],
    ) -> None:
        self.plan = plan
        self.select = select
        self.archived = archived
        self.make = make
        self._index = {item.workout_id: n for n, item in enumerate(plan.workouts)}
        self._exported: set[str] = set()  # ids planned for export in this run

    def batches(self, feed: Iterable[list[str]]) -> Iterator[list[WorkoutPlan]]:
        """Batches of workout plans to export, in turn.

        First the entries archived complete at the start (the sync never fetches those
        again); entries archived incomplete wait, as the sync may fetch them again. Then,
        per batch of ``feed``, the selected ones among the ids handed over. At the end,
        every selected entry of the archive not exported yet (what waited, what the sync
        archived without handing over, e.g. just before it failed); only those entries'
        ``meta.json`` are read again.
        """
        ready = [item for item in self.plan.workouts if item.meta is not None and item.meta.complete]
        if ready:
            yield self._mark(ready)
        for ids in feed:
            entries = self.select(list(dict.fromkeys(ids)))
            if entries:
                yield self._add(entries)
        left = [workout_id for workout_id in self.archived() if workout_id not in self._exported]
        rest = self.select(left) if left else []
        if rest:
            yield self._add(rest)
        self.plan.workouts.sort(key=lambda item: newest_first(item.workout_id, item.meta))

    def _mark(self, items: list[WorkoutPlan]) -> list[WorkoutPlan]:
        self._exported.update(item.workout_id for item in items)
        return items

    def _add(self, entries: list[Entry]) -> list[WorkoutPlan]:
        items = self.make(entries).workouts
        for item in items:
            where = self._index.get(item.workout_id)
            if where is None:
                self._index[item.workout_id] = len(self.plan.workouts)
                self.plan.workouts.append(item)
            else:
                self.plan.workouts[where] = item
        return self._mark(items)


__all__ = ["FeedStopped", "GrowingPlan", "SyncFeed", "newest_first"]
