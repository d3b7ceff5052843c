"""One lap plan per workout, shared by every format (FIT, TCX, JSON/CSV lap columns).

:func:`lap_plan` returns the laps of a workout as :class:`~peloton_export.fit.laps.LapSpan`
ranges of active seconds ``[start, end)`` covering ``[0, end]``. The strategy is one
setting per discipline (:data:`DEFAULT_STRATEGY`; the leading exporter's choices), unless
the user picks another (``--option laps=<strategy>``, or the older ``fit.laps``): ``target``
(class targets), ``segment`` (class segments), ``distance`` (a mile or kilometre, 500 m on
the Row) or ``session``; each falls back along the chain of :mod:`peloton_export.fit.laps`.

A stacked activity (``Workout.parts``) has one lap per class under ``auto``.

Laps shorter than :data:`MIN_LAP_S` seconds (a target that flickers) are merged into the
lap before them (the first one into the lap after it).
"""

from __future__ import annotations

from collections.abc import Mapping

from peloton_export.fit.laps import LapSpan, plan_laps
from peloton_export.model import Workout

__all__ = ["DEFAULT_STRATEGY", "MIN_LAP_S", "lap_plan", "lap_strategy"]

#: The lap strategy of each Peloton discipline when the user picks none ("auto").
DEFAULT_STRATEGY: Mapping[str, str] = {
    "cycling": "target",
    "running": "distance",
    "walking": "distance",
    "caesar": "segment",
    "rowing": "segment",
}

#: Laps shorter than this many seconds are merged into their neighbour.
MIN_LAP_S = 10


def lap_strategy(workout: Workout, options: Mapping[str, str] | None = None) -> str:
    """The strategy for ``workout``: ``laps`` or ``fit.laps`` from ``options`` when given and
    not ``auto``, else the discipline's default (``auto`` when the discipline has none)."""
    chosen = ""
    if options:
        chosen = (options.get("laps") or options.get("fit.laps") or "").strip().lower()
    if chosen and chosen != "auto":
        return chosen
    return DEFAULT_STRATEGY.get(workout.discipline, "auto")


def lap_plan(workout: Workout, end: int, *, strategy: str = "auto", family: str = "other") -> list[LapSpan]:
    """The laps of ``workout`` over active seconds ``[0, end]`` (at least one).

    :param strategy: ``auto`` (the discipline's default) or one of
        :data:`peloton_export.fit.laps.STRATEGIES` (the discipline default replaces ``auto``).
    :param family: the sport family (rowing distance laps are 500 m).
    :raises ConfigError: an unknown strategy.
    """
    name = strategy.strip().lower()
    if name == "auto":
        # a stacked activity (:mod:`peloton_export.stacking`): one lap per class
        name = "segment" if workout.parts else DEFAULT_STRATEGY.get(workout.discipline, name)
    return _merge_short(plan_laps(workout, end, strategy=name, family=family))


def _merge_short(spans: list[LapSpan]) -> list[LapSpan]:
    """``spans`` with every lap under :data:`MIN_LAP_S` seconds merged into a neighbour."""
    merged: list[LapSpan] = []
    for span in spans:
        if merged and span.end - span.start < MIN_LAP_S:
            prev = merged[-1]
            merged[-1] = LapSpan(prev.start, span.end, prev.trigger, prev.strategy)
        elif merged and merged[-1].end - merged[-1].start < MIN_LAP_S:
            prev = merged[-1]
            merged[-1] = LapSpan(prev.start, span.end, span.trigger, span.strategy)
        else:
            merged.append(span)
    return merged
