"""Per-workout results computed once and shared by every writer of one export (issue 24).

An export writes one workout in several formats in turn (FIT, TCX, GPX, CSV, JSON, HTML,
Parquet); each used to compute the workout's statistics, lap plan, zone times, totals and
merged per-second points again. :func:`once` keeps what was computed for the last few
workouts seen (:data:`KEEP`, by object identity, holding the workout so that its ``id``
cannot be reused while the entry lives), so the second writer gets the first one's result.
A :class:`~peloton_export.model.Workout` is frozen (its samples and track are tuples), so a
result stays right for as long as the workout exists; a transformed or merged workout is
another object and gets its own results.

Shapes: the kept value is whatever ``compute`` returns; callers keep immutable values
(tuples, frozen dataclasses) or hand out copies. Raises whatever ``compute`` raises (and
keeps nothing then). One export process writes one workout at a time; two threads asking
at once only compute a value twice.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from peloton_export.model import Workout

__all__ = ["KEEP", "clear", "once"]

T = TypeVar("T")

#: How many workouts' results are kept (an export holds one at a time; stacks and merges a few).
KEEP = 4

_CACHE: OrderedDict[int, tuple[Workout, dict[Hashable, object]]] = OrderedDict()


def once(workout: Workout, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` the first time ``key`` is asked for ``workout``, the kept value after."""
    ident = id(workout)
    entry = _CACHE.get(ident)
    if entry is None or entry[0] is not workout:
        entry = (workout, {})
        _CACHE[ident] = entry
        while len(_CACHE) > KEEP:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(ident)
    values = entry[1]
    if key in values:
        return values[key]  # type: ignore[return-value]
    value = compute()
    values[key] = value
    return value


def clear() -> None:
    """Forget every kept result (tests; memory is bounded by :data:`KEEP` anyway)."""
    _CACHE.clear()
