"""The per-second series every writer shares: a workout's samples and GPS fixes merged by
offset into one ordered stream of :class:`Point` (:func:`iter_points`), and a
non-decreasing distance for each point (:func:`cumulative_distances`)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import pairwise
from typing import NamedTuple

from peloton_export.model import GpsPoint, Sample, Workout

__all__ = ["Point", "cumulative_distances", "iter_points", "workout_distances", "workout_points"]


class Point(NamedTuple):
    """One instant of a workout: the sample and/or GPS fix recorded at ``offset``.

    At least one of ``sample`` and ``gps`` is set. ``time`` is the sample's time when there
    is a sample, otherwise the fix's own time. A named tuple, so hot loops can unpack it.
    """

    offset: int
    time: datetime
    sample: Sample | None
    gps: GpsPoint | None


def iter_points(workout: Workout) -> Iterator[Point]:
    """Yield the workout's samples and GPS fixes merged by offset, in offset order.

    * A sample and a fix with the same offset become one :class:`Point`.
    * A fix with no sample at its offset becomes a point of its own (``sample=None``), so an
      outdoor workout with fewer samples than fixes still carries every fix.
    * A sample with no fix (an indoor workout, or a GPS dropout) has ``gps=None``.
    * Duplicates at one offset are joined pairwise (first sample with first fix, and so on);
      the rest become points of their own. Nothing is dropped, and the sort is stable, so
      equal inputs always give equal output.
    """
    samples = workout.samples
    track = workout.track
    ordered_samples: Sequence[Sample] = (
        samples if _is_sorted([s.offset for s in samples]) else sorted(samples, key=_offset)
    )
    if not track:
        for s in ordered_samples:
            yield Point(s.offset, s.time, s, None)
        return
    ordered_track: Sequence[GpsPoint] = (
        track if _is_sorted([g.offset for g in track]) else sorted(track, key=_offset)
    )
    i = j = 0
    n, m = len(ordered_samples), len(ordered_track)
    while i < n or j < m:
        if j >= m or (i < n and ordered_samples[i].offset < ordered_track[j].offset):
            s = ordered_samples[i]
            yield Point(s.offset, s.time, s, None)
            i += 1
        elif i >= n or ordered_track[j].offset < ordered_samples[i].offset:
            g = ordered_track[j]
            yield Point(g.offset, g.time, None, g)
            j += 1
        else:
            s = ordered_samples[i]
            yield Point(s.offset, s.time, s, ordered_track[j])
            i += 1
            j += 1


def cumulative_distances(points: Sequence[Point]) -> list[float | None]:
    """Return a non-decreasing cumulative distance in metres for each point.

    The sample's ``distance_m`` is used first, then the fix's ``distance_m``. A point with
    neither carries the last known value forward. When the workout records no distance at
    all but does record speed, the distance is integrated from speed over the offset steps
    (each step capped at 5 s so a long gap does not invent distance). Points before the first
    known distance get ``None`` (or the integral so far). Backward jumps are flattened, and
    negative or non-finite readings are ignored.
    """
    has_distance = any(
        (p.sample is not None and p.sample.distance_m is not None)
        or (p.gps is not None and p.gps.distance_m is not None)
        for p in points
    )
    if has_distance:
        return _recorded_distances(points)
    if any(p.sample is not None and p.sample.speed_mps is not None for p in points):
        return _distances_from_speed(points)
    return [None] * len(points)


def _recorded_distances(points: Sequence[Point]) -> list[float | None]:
    """The sample's, else the fix's, distance; the last known one carried forward."""
    isfinite = math.isfinite
    result: list[float | None] = []
    last: float | None = None
    for p in points:
        value = p.sample.distance_m if p.sample is not None else None
        if value is None and p.gps is not None:
            value = p.gps.distance_m
        if value is not None and isfinite(value) and value >= 0:
            last = value if last is None or value > last else last
        result.append(last)
    return result


def _distances_from_speed(points: Sequence[Point]) -> list[float | None]:
    """Speed integrated over the offset steps, each step capped at 5 s."""
    isfinite = math.isfinite
    result: list[float | None] = []
    total = 0.0
    prev_offset: int | None = None
    for p in points:
        speed = p.sample.speed_mps if p.sample is not None else None
        if prev_offset is not None and speed is not None and isfinite(speed) and speed > 0:
            step = min(max(p.offset - prev_offset, 0), 5)
            total += speed * step
        prev_offset = p.offset
        result.append(total)
    return result


def _offset(item: Sample | GpsPoint) -> int:
    return item.offset


def _is_sorted(values: list[int]) -> bool:
    return all(a <= b for a, b in pairwise(values))


def workout_points(workout: Workout) -> tuple[Point, ...]:
    """``tuple(iter_points(workout))``, computed once per workout and shared by the writers of
    one export (:mod:`peloton_export.workout.memo`)."""
    from peloton_export.workout.memo import once

    return once(workout, "points", lambda: tuple(iter_points(workout)))


def workout_distances(workout: Workout) -> tuple[float | None, ...]:
    """``cumulative_distances`` of :func:`workout_points` (metres, one per point), computed
    once per workout (:mod:`peloton_export.workout.memo`)."""
    from peloton_export.workout.memo import once

    return once(workout, "distances", lambda: tuple(cumulative_distances(workout_points(workout))))
