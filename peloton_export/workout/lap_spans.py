"""FIT laps by strategy, with a fallback chain.

Strategies (``--option fit.laps=<strategy>``), tried in this order until one applies:

1. ``target``: a new lap wherever the class targets change (cadence, resistance, speed,
   incline, power zone ...). Applies when the targets change at least once.
2. ``segment``: one lap per class segment (Warm Up, Climb, Cool Down ...), from the laps the
   normalizer read from the class plan. Applies when the workout has segment laps.
3. ``distance``: one lap per mile (imperial accounts) or kilometre (metric accounts); 500 m
   for rowing. Applies when the workout covers more than one such distance.
4. ``session``: one lap over the whole workout. Always applies.

``auto`` (the default) starts at ``target``; a named strategy starts at that strategy and
falls back along the rest of the chain. All laps are half-open ranges of active seconds
``[start, end)`` that together cover ``[0, end_offset]`` without gaps or overlaps.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from peloton_export.errors import ConfigError
from peloton_export.model import Workout

__all__ = ["CHAIN", "STRATEGIES", "LapSpan", "plan_laps"]

CHAIN = ("target", "segment", "distance", "session")
STRATEGIES = ("auto", *CHAIN)
METRES_PER_MILE = 1609.344


@dataclass(frozen=True, slots=True)
class LapSpan:
    """One lap: active seconds ``[start, end)``, the FIT ``lap_trigger`` and the strategy used."""

    start: int
    end: int
    trigger: str
    strategy: str


def _spans(bounds: Sequence[int], end: int, trigger: str, strategy: str) -> list[LapSpan]:
    points = sorted({b for b in bounds if 0 < b < end})
    edges = [0, *points, end]
    return [LapSpan(a, b, trigger, strategy) for a, b in pairwise(edges) if b > a]


def _by_target(workout: Workout, end: int) -> list[LapSpan]:
    blocks: dict[tuple[int, int], set[tuple[str, float | None, float | None]]] = {}
    for t in workout.targets:
        blocks.setdefault((t.start_offset, t.end_offset), set()).add((t.metric, t.lower, t.upper))
    bounds: list[int] = []
    previous: frozenset[tuple[str, float | None, float | None]] | None = None
    previous_end: int | None = None
    for (start, stop), values in sorted(blocks.items()):
        frozen = frozenset(values)
        contiguous = previous_end is not None and start <= previous_end + 1
        if frozen != previous or not contiguous:
            bounds.append(start)
            if previous_end is not None and not contiguous:
                bounds.append(previous_end + 1)
        previous, previous_end = frozen, stop
    if previous_end is not None:
        bounds.append(previous_end + 1)
    spans = _spans(bounds, end, "fitness_equipment", "target")
    return spans if len(spans) > 1 else []


def _by_segment(workout: Workout, end: int) -> list[LapSpan]:
    segment_laps = [lap for lap in workout.laps if lap.trigger == "segment"]
    if not segment_laps:
        return []
    return _spans([lap.start_offset for lap in segment_laps], end, "fitness_equipment", "segment")


def lap_distance_m(workout: Workout, family: str) -> float:
    """The distance of one distance lap: 500 m rowing, else a mile or a kilometre."""
    if family == "rowing":
        return 500.0
    return METRES_PER_MILE if workout.units == "imperial" else 1000.0


def _usable(distance: float | None) -> bool:
    """A cumulative distance that can be real (finite, 0 to 100,000 km)."""
    return distance is not None and math.isfinite(distance) and 0 <= distance <= 1e8


def _by_distance(workout: Workout, end: int, family: str) -> list[LapSpan]:
    unit = lap_distance_m(workout, family)
    points = [(s.offset, s.distance_m) for s in workout.samples if _usable(s.distance_m)]
    if not points:
        points = [(p.offset, p.distance_m) for p in workout.track if _usable(p.distance_m)]
    points.sort()
    bounds: list[int] = []
    next_mark = unit
    for offset, distance in points:
        if distance is not None and distance >= next_mark:
            bounds.append(offset)
            next_mark = (math.floor(distance / unit) + 1) * unit
    spans = _spans(bounds, end, "distance", "distance")
    return spans if len(spans) > 1 else []


def plan_laps(workout: Workout, end: int, *, strategy: str = "auto", family: str = "other") -> list[LapSpan]:
    """Return the laps of ``workout`` covering active seconds ``[0, end]``.

    :param end: the last active second (the end of the last lap).
    :param strategy: ``auto`` or one of :data:`CHAIN`.
    :param family: the sport family from :mod:`peloton_export.workout.sports` (rowing laps are 500 m).
    :raises ConfigError: an unknown strategy.
    """
    name = strategy.strip().lower()
    if name not in STRATEGIES:
        raise ConfigError(
            f"unknown lap strategy {strategy!r} (laps / fit.laps); choose one of {', '.join(STRATEGIES)}"
        )
    end = max(end, 1)
    chain = CHAIN if name == "auto" else CHAIN[CHAIN.index(name) :]
    for step in chain:
        if step == "target":
            spans = _by_target(workout, end)
        elif step == "segment":
            spans = _by_segment(workout, end)
        elif step == "distance":
            spans = _by_distance(workout, end, family)
        else:
            spans = [LapSpan(0, end, "session_end", "session")]
        if spans:
            return spans
    return [LapSpan(0, end, "session_end", "session")]  # pragma: no cover - session always applies
