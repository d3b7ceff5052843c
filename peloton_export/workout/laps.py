"""One lap plan per workout, shared by every format (FIT, TCX, JSON/CSV lap columns).

:func:`lap_plan` returns the laps of a workout as :class:`~peloton_export.workout.lap_spans.LapSpan`
ranges of active seconds ``[start, end)`` covering ``[0, end]``. The strategy is one
setting per discipline (:data:`DEFAULT_STRATEGY`; the leading exporter's choices), unless
the user picks another (``--option laps=<strategy>``, or the older ``fit.laps``): ``target``
(class targets), ``segment`` (class segments), ``distance`` (a mile or kilometre, 500 m on
the Row) or ``session``; each falls back along the chain of :mod:`peloton_export.workout.lap_spans`.

A stacked activity (``Workout.parts``) has one lap per class under ``auto``.

Laps shorter than :data:`MIN_LAP_S` seconds (a target that flickers) are merged into the
lap before them (the first one into the lap after it).

:func:`planned_laps` gives the same laps with their times and distances, as FIT and TCX
write them (the JSON ``laps`` list): a lap's distance is the last cumulative distance up to
its end (samples', else GPS fixes'; the first lap takes what comes before it, the last what
comes after) minus the previous lap's.

Times: :func:`timeline` is the one wall clock of a workout (FIT, TCX, JSON and the HTML page
use it). Peloton's offsets are active seconds, so where a reading's wall-clock time runs
ahead of its offset by :data:`PAUSE_DRIFT_S` or more than the reading before it, the
difference is a pause (in a stacked activity, the gap between two classes). A lap starts at
the wall time of its first active second; the first lap at the workout's start and the last
one ends at its end. A lap's timer time leaves its pauses out.

Totals: a lap that is a class of a stacked activity carries that class's own Peloton summary
(calories, work, distance, average power and cadence); other laps get the workout's
calories split in proportion to their timer time (whole kilocalories adding up to the
total) and no work or averages of Peloton's (the writers compute averages from samples).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from peloton_export.model import Lap, Workout
from peloton_export.workout.lap_spans import LapSpan, plan_laps
from peloton_export.workout.memo import once
from peloton_export.workout.series import workout_distances, workout_points
from peloton_export.workout.sports import fit_sport
from peloton_export.workout.stats import apportion

__all__ = [
    "DEFAULT_STRATEGY",
    "MIN_LAP_S",
    "PAUSE_DRIFT_S",
    "PlannedLap",
    "Timeline",
    "active_end",
    "class_laps",
    "lap_plan",
    "lap_strategy",
    "planned_laps",
    "timeline",
]

#: A wall clock running this many seconds (or more) further ahead of the active offsets
#: than at the reading before is a pause.
PAUSE_DRIFT_S = 2.0

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
        :data:`peloton_export.workout.lap_spans.STRATEGIES` (the discipline default replaces ``auto``).
    :param family: the sport family (rowing distance laps are 500 m).
    :raises ConfigError: an unknown strategy.
    """
    name = strategy.strip().lower()
    if name == "auto":
        # a stacked activity (:mod:`peloton_export.workout.stacking`): one lap per class
        name = "segment" if workout.parts else DEFAULT_STRATEGY.get(workout.discipline, name)
    # computed once per workout and arguments (:mod:`peloton_export.workout.memo`); each caller
    # gets its own list
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
class Timeline:
    """Wall-clock times of a workout: start, pauses, end of active time, end (all UTC)."""

    start: datetime
    pauses: tuple[tuple[datetime, datetime], ...]
    stop: datetime
    end: datetime
    drift: tuple[tuple[int, float], ...]  # (offset, wall - offset seconds) where it changes

    def at(self, offset: int) -> datetime:
        """Wall-clock time of an active second."""
        shift = 0.0
        for at_offset, value in self.drift:
            if at_offset > offset:
                break
            shift = value
        return self.start + timedelta(seconds=offset + shift)

    def timer_between(self, a: datetime, b: datetime) -> float:
        """Seconds the timer ran between ``a`` and ``b``."""
        b = min(b, self.stop)
        if b <= a:
            return 0.0
        total = (b - a).total_seconds()
        for p0, p1 in self.pauses:
            overlap = (min(b, p1) - max(a, p0)).total_seconds()
            if overlap > 0:
                total -= overlap
        return max(total, 0.0)


def _valid_position(lat: float, lon: float) -> bool:
    return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon < 180


def _clock_points(workout: Workout) -> list[tuple[datetime, int]]:
    """``(wall time, active offset)`` of every reading (samples, then valid GPS fixes of
    seconds without a sample, and the first reading of each class of a stack), in time order."""
    points = [(s.time, s.offset) for s in sorted(workout.samples, key=lambda s: s.offset)]
    seen = {s.offset for s in workout.samples}
    fixes = [
        (p.time, p.offset)
        for p in workout.track
        if p.offset not in seen and _valid_position(p.latitude, p.longitude)
    ]
    anchors = [(lap.start, lap.start_offset) for lap in workout.laps] if workout.parts else []
    if fixes or anchors:
        points = sorted({*points, *fixes, *anchors})
    return points


def timeline(workout: Workout) -> Timeline:
    """The wall clock of ``workout`` (see the module docstring).

    A pause of ``jump`` seconds before a reading at ``time`` is ``[time - jump, time)``, so
    the active seconds between the two readings stay on the timer. Computed once per
    workout (:mod:`peloton_export.workout.memo`).
    """
    return once(workout, "timeline", lambda: _timeline(workout))


def _timeline(workout: Workout) -> Timeline:
    points = _clock_points(workout)
    start = workout.start
    pauses: list[tuple[datetime, datetime]] = []
    drift: list[tuple[int, float]] = []
    previous: float | None = None
    for time, offset in points:
        current = (time - start).total_seconds() - offset
        if previous is not None and current - previous >= PAUSE_DRIFT_S:
            pauses.append((time - timedelta(seconds=current - previous), time))
            drift.append((offset, current))
        if previous is None or current - previous >= PAUSE_DRIFT_S:
            previous = current
    last_offset = points[-1][1] if points else 0
    timer = workout.timer_s if math.isfinite(workout.timer_s) else 0.0
    stop = start + timedelta(seconds=max(float(last_offset), timer) + (previous or 0.0))
    if points:
        stop = max(stop, points[-1][0])
    return Timeline(start, tuple(pauses), stop, max(workout.end, stop), tuple(drift))


@dataclass(frozen=True, slots=True)
class PlannedLap:
    """One lap of the plan: active seconds ``[start_offset, end_offset)``, its UTC times
    (:func:`timeline`), timer seconds (pauses left out), distance in metres (``None`` when
    the workout has no distance), the trigger (``fitness_equipment``, ``distance``,
    ``session_end``), the strategy used, and its totals: calories (kcal), and for a class
    of a stack that class's work (J), average power (W) and cadence (rpm) from Peloton."""

    index: int
    start_offset: int
    end_offset: int
    start: datetime
    end: datetime
    timer_s: float
    distance_m: float | None
    trigger: str
    strategy: str
    calories_kcal: float | None = None
    total_work_j: float | None = None
    avg_power_w: float | None = None
    avg_cadence_rpm: float | None = None


def active_end(workout: Workout) -> int:
    """The last active second the laps cover: the last reading's offset or the timer time."""
    return once(workout, "active_end", lambda: _active_end(workout))


def _active_end(workout: Workout) -> int:
    last = max((s.offset for s in workout.samples), default=0)
    last_fix = max((p.offset for p in workout.track if _valid_position(p.latitude, p.longitude)), default=0)
    timer = math.ceil(workout.timer_s) if math.isfinite(workout.timer_s) else 0
    return max(last, last_fix, timer)


def class_laps(workout: Workout, spans: Sequence[LapSpan]) -> list[Lap] | None:
    """The class laps of a stacked activity when ``spans`` are its classes (one each, same
    starts), else ``None``."""
    if not workout.parts or len(spans) != len(workout.laps):
        return None
    laps = sorted(workout.laps, key=lambda lap: lap.start_offset)
    starts = [0, *(lap.start_offset for lap in laps[1:])]
    return laps if [span.start for span in spans] == starts else None


def _calories(workout: Workout, timers: Sequence[float]) -> list[float | None]:
    """The workout's calories split by timer time (``None`` each without a known total)."""
    total = workout.calories_kcal
    if total is None or not math.isfinite(total) or not 0 <= total <= 1e6:
        return [None] * len(timers)
    return [float(c) for c in apportion(total, timers)]


def planned_laps(workout: Workout, strategy: str = "auto", family: str | None = None) -> list[PlannedLap]:
    """The laps of :func:`lap_plan` with times, distances and totals (see the module docstring).

    :param family: the FIT sport family (looked up when not given).
    :raises ConfigError: an unknown strategy.

    Computed once per workout and arguments (:mod:`peloton_export.workout.memo`); each caller
    gets its own list.
    """
    known = fit_sport(workout).family if family is None else family
    return list(once(workout, ("planned_laps", strategy, known), lambda: _planned(workout, strategy, known)))


def _planned(workout: Workout, strategy: str, family: str) -> tuple[PlannedLap, ...]:
    spans = lap_plan(workout, active_end(workout), strategy=strategy, family=family)
    clock = timeline(workout)
    bounds = [(clock.at(span.start), clock.at(span.end)) for span in spans]
    bounds[0] = (clock.start, bounds[0][1])
    bounds[-1] = (bounds[-1][0], clock.end)
    timers = [clock.timer_between(a, b) for a, b in bounds]
    classes = class_laps(workout, spans)
    calories: Sequence[float | None] = (
        [c.calories_kcal for c in classes] if classes else _calories(workout, timers)
    )
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
        distance = max(lap_end - before, 0.0) if has_distance else None
        one = classes[index] if classes else None
        if one is not None and one.distance_m is not None:
            distance = one.distance_m
        start, end = bounds[index]
        laps.append(
            PlannedLap(
                index=index,
                start_offset=span.start,
                end_offset=span.end,
                start=start,
                end=end,
                timer_s=timers[index],
                distance_m=distance,
                trigger=span.trigger,
                strategy=span.strategy,
                calories_kcal=calories[index],
                total_work_j=one.total_work_j if one else None,
                avg_power_w=one.avg_power_w if one else None,
                avg_cadence_rpm=one.avg_cadence_rpm if one else None,
            )
        )
        before = max(before, lap_end)
    return tuple(laps)
