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

:func:`planned_laps` gives the same laps with their times and distances, as FIT and TCX
write them (the JSON ``laps`` list): a lap's distance is the last cumulative distance up to
its end (samples', else GPS fixes'; the first lap takes what comes before it, the last what
comes after) minus the previous lap's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from peloton_export.fit.laps import LapSpan, plan_laps
from peloton_export.model import Workout

__all__ = [
    "DEFAULT_STRATEGY",
    "MIN_LAP_S",
    "PlannedLap",
    "active_end",
    "lap_plan",
    "lap_strategy",
    "planned_laps",
]

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
    from peloton_export.memo import once

    name = strategy.strip().lower()
    if name == "auto":
        # a stacked activity (:mod:`peloton_export.stacking`): one lap per class
        name = "segment" if workout.parts else DEFAULT_STRATEGY.get(workout.discipline, name)
    # computed once per workout and arguments; each caller gets its own list
    spans = once(
        workout,
        ("lap_plan", end, name, family),
        lambda: tuple(_merge_short(plan_laps(workout, end, strategy=name, family=family))),
    )
    return list(spans)


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


@dataclass(frozen=True, slots=True)
class PlannedLap:
    """One lap of the plan: active seconds ``[start_offset, end_offset)``, its UTC times,
    timer seconds, distance in metres (``None`` when the workout has no distance), the
    trigger (``fitness_equipment``, ``distance``, ``session_end``) and the strategy used."""

    index: int
    start_offset: int
    end_offset: int
    start: datetime
    end: datetime
    timer_s: float
    distance_m: float | None
    trigger: str
    strategy: str


def active_end(workout: Workout) -> int:
    """The last active second the laps cover: the last sample offset or the timer time."""
    last = max((s.offset for s in workout.samples), default=0)
    timer = math.ceil(workout.timer_s) if math.isfinite(workout.timer_s) else 0
    return max(last, timer)


def planned_laps(workout: Workout, strategy: str = "auto", family: str | None = None) -> list[PlannedLap]:
    """The laps of :func:`lap_plan` with times and distances (see the module docstring).

    :param family: the FIT sport family (looked up when not given).
    :raises ConfigError: an unknown strategy.
    """
    from peloton_export.memo import once

    if family is None:
        from peloton_export.fit.sports import fit_sport

        family = fit_sport(workout).family
    known = family
    return list(once(workout, ("planned_laps", strategy, family), lambda: _planned(workout, strategy, known)))


def _planned(workout: Workout, strategy: str, family: str) -> tuple[PlannedLap, ...]:
    from peloton_export.default_plugins._xml import workout_distances, workout_points

    spans = lap_plan(workout, active_end(workout), strategy=strategy, family=family)
    points = workout_points(workout)
    distances = workout_distances(workout)
    has_distance = any(d is not None for d in distances)
    laps: list[PlannedLap] = []
    before = 0.0
    k = 0
    for index, span in enumerate(spans):
        last = index == len(spans) - 1
        lap_end = before
        while k < len(points) and (last or points[k].offset < span.end):
            value = distances[k]
            lap_end = value if value is not None and value > lap_end else lap_end
            k += 1
        laps.append(
            PlannedLap(
                index=index,
                start_offset=span.start,
                end_offset=span.end,
                start=workout.start + timedelta(seconds=span.start),
                end=workout.start + timedelta(seconds=span.end),
                timer_s=float(span.end - span.start),
                distance_m=max(lap_end - before, 0.0) if has_distance else None,
                trigger=span.trigger,
                strategy=span.strategy,
            )
        )
        before = max(before, lap_end)
    return tuple(laps)
