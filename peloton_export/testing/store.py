"""The fake API's workouts: list items in memory, full bodies made on request.

A :class:`WorkoutStore` takes either a finite iterable of :class:`RawWorkout` (kept as is:
hand-made test data) or a *factory*, a callable that returns a fresh iterator of the same
workouts each time (``lambda: synth_workouts(2000, seed=1)``). From a factory it keeps only
the list items and a small window of recent bodies; a body outside the window is made
again by restarting the factory. Syncs read pages and then the bodies of that page, so
the window almost always hits and 2,000+ workouts stay cheap.

Workouts are served in the order given, which must be newest first (by ``created_at``),
as Peloton's ``sort_by=-created`` list is. :meth:`WorkoutStore.add` puts a new workout
in front.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from peloton_export.raw import RawWorkout
from peloton_export.testing.synth import list_item as synth_list_item

ListItemFn = Callable[[RawWorkout], dict[str, Any]]
Factory = Callable[[], Iterator[RawWorkout]]


def default_list_item(raw: RawWorkout) -> dict[str, Any]:
    """The list-page form of a workout (:func:`peloton_export.testing.synth.list_item`)."""
    return synth_list_item(raw)


class WorkoutStore:
    """Thread-safe access to the fake's workouts (see the module docstring)."""

    WINDOW = 400

    def __init__(
        self,
        workouts: Iterable[RawWorkout] | Factory,
        *,
        count: int | None = None,
        list_item: ListItemFn = default_list_item,
    ) -> None:
        self._lock = threading.RLock()
        self._list_item = list_item
        self._head: list[RawWorkout] = []
        self._overrides: dict[str, RawWorkout] = {}
        self._removed: set[str] = set()
        self._items: list[dict[str, Any]] = []
        self._index: dict[str, int] = {}
        self._ride_owner: dict[str, str] = {}
        self._bodies: OrderedDict[str, RawWorkout] = OrderedDict()
        self._count = count
        if callable(workouts):
            self._factory: Factory | None = workouts
            self._iter: Iterator[RawWorkout] | None = None
            self._exhausted = False
        else:
            self._factory = None
            self._iter = None
            self._exhausted = True
            for raw in itertools.islice(workouts, count) if count is not None else workouts:
                self._remember(raw, keep=True)
            self._count = len(self._items)

    # -- building -------------------------------------------------------------------------
    def _remember(self, raw: RawWorkout, *, keep: bool) -> None:
        self._index[raw.workout_id] = len(self._items)
        self._items.append(self._list_item(raw))
        ride = raw.workout.get("ride")
        if isinstance(ride, dict) and raw.ride_details is not None and ride.get("id"):
            self._ride_owner.setdefault(str(ride["id"]), raw.workout_id)
        self._cache(raw, permanent=keep)

    def _cache(self, raw: RawWorkout, *, permanent: bool = False) -> None:
        if permanent:
            self._overrides.setdefault(raw.workout_id, raw)
            return
        self._bodies[raw.workout_id] = raw
        self._bodies.move_to_end(raw.workout_id)
        while len(self._bodies) > self.WINDOW:
            self._bodies.popitem(last=False)

    def _advance(self, upto: int | None) -> None:
        """Generate list items until there are ``upto`` of them (``None``: all)."""
        if self._exhausted or self._factory is None:
            return
        if self._iter is None:
            self._iter = self._factory()
        while upto is None or len(self._items) < upto:
            if self._count is not None and len(self._items) >= self._count:
                self._exhausted = True
                return
            raw = next(self._iter, None)
            if raw is None:
                self._exhausted = True
                self._count = len(self._items)
                return
            self._remember(raw, keep=False)

    def _regenerate(self, workout_id: str) -> RawWorkout | None:
        """Run the factory again up to ``workout_id``, refilling the window around it."""
        assert self._factory is not None
        target = self._index[workout_id]
        start = max(0, target - self.WINDOW // 4)
        found = None
        for i, raw in enumerate(itertools.islice(self._factory(), target + self.WINDOW // 4)):
            if i >= start:
                self._cache(raw)
            if raw.workout_id == workout_id:
                found = raw
        return found

    # -- reading --------------------------------------------------------------------------
    def total(self) -> int:
        """How many workouts the account has."""
        with self._lock:
            if self._count is None:
                self._advance(None)
            base = self._count if self._count is not None else len(self._items)
            removed = sum(1 for wid in self._removed if wid in self._index)
            return len(self._head) + base - removed

    def page(self, offset: int, limit: int) -> list[dict[str, Any]]:
        """List items ``offset .. offset + limit`` (newest first)."""
        with self._lock:
            out: list[dict[str, Any]] = []
            visible = 0
            for raw in self._head:
                if len(out) >= limit:
                    return out
                if visible >= offset:
                    out.append(self._list_item(raw))
                visible += 1
            j = 0
            while len(out) < limit:
                self._advance(j + 1)
                if j >= len(self._items):
                    break
                item = self._items[j]
                j += 1
                if str(item.get("id")) in self._removed:
                    continue
                if visible >= offset:
                    out.append(item)
                visible += 1
            return out

    def get(self, workout_id: str) -> RawWorkout | None:
        """The full bodies of one workout, or ``None``."""
        with self._lock:
            if workout_id in self._removed:
                return None
            for head in self._head:
                if head.workout_id == workout_id:
                    return head
            if workout_id in self._overrides:
                return self._overrides[workout_id]
            if workout_id in self._bodies:
                self._bodies.move_to_end(workout_id)
                return self._bodies[workout_id]
            if workout_id not in self._index:
                self._advance(None)
                if workout_id not in self._index:
                    return None
                if workout_id in self._bodies:
                    return self._bodies[workout_id]
            return self._regenerate(workout_id) if self._factory is not None else None

    def ride_details(self, ride_id: str) -> dict[str, Any] | None:
        """The ``/api/ride/{id}/details`` body of a class some workout took."""
        with self._lock:
            for raw in self._head:
                ride = raw.workout.get("ride")
                if isinstance(ride, dict) and str(ride.get("id")) == ride_id and raw.ride_details:
                    return raw.ride_details
            owner = self._ride_owner.get(ride_id)
        if owner is None:
            return None
        found = self.get(owner)
        return found.ride_details if found is not None else None

    # -- changing -------------------------------------------------------------------------
    def add(self, raw: RawWorkout) -> None:
        """Add a new workout in front of the list (the newest)."""
        with self._lock:
            self._head.insert(0, raw)

    def replace(self, raw: RawWorkout) -> None:
        """Replace the bodies of an existing workout (for example IN_PROGRESS -> COMPLETE)."""
        with self._lock:
            for i, old in enumerate(self._head):
                if old.workout_id == raw.workout_id:
                    self._head[i] = raw
                    return
            self._overrides[raw.workout_id] = raw
            if raw.workout_id in self._index:
                self._items[self._index[raw.workout_id]] = self._list_item(raw)

    def remove(self, workout_id: str) -> None:
        """Delete a workout from the account."""
        with self._lock:
            self._head = [r for r in self._head if r.workout_id != workout_id]
            self._removed.add(workout_id)
