"""Per-workout summary facts: the small numbers the history page is built from.

:func:`workout_facts` reduces a whole :class:`~peloton_export.model.Workout` (thousands of
samples) to a JSON-ready dict of about a kilobyte: when, what, how long, how far, the
mean-maximal power curve and the fastest times over the record distances. The workout
page embeds these facts, and ``index.html`` is built from them alone, so a history of
thousands of workouts is never parsed again (see :mod:`peloton_export.formats.report.index`).

Computations (all deterministic, pure functions of the samples):

* **mean-maximal power** for a duration ``d`` seconds: the highest average power over any
  ``d`` consecutive seconds. Samples are placed on a 1 s grid by offset; seconds without a
  power reading count as 0 W (a gap is no effort). ``None`` when the workout is shorter.
* **fastest distance** ``D`` metres: the shortest time between two samples whose cumulative
  distances differ by at least ``D`` (distance is made non-decreasing first). ``None`` when
  the workout never covers ``D``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from itertools import accumulate
from operator import sub
from typing import Any

from peloton_export.model import Sample, Workout
from peloton_export.workout.stats import workout_stats
from peloton_export.workout.timeutil import iso_utc, local_time

#: Version of the facts dict; a page or cache entry with another version is recomputed.
FACTS_VERSION = 1

#: Durations (s) of the power-duration curve kept per workout.
CURVE_DURATIONS_S: tuple[int, ...] = (1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 2700, 3600)
#: Durations (s) shown as power records, with their labels.
POWER_RECORDS: tuple[tuple[int, str], ...] = (
    (5, "5 s"),
    (60, "1 min"),
    (300, "5 min"),
    (1200, "20 min"),
    (3600, "60 min"),
)
#: Tread record distances (m) with their labels.
RUN_DISTANCES: tuple[tuple[float, str], ...] = ((1609.344, "1 mi"), (5000.0, "5 km"), (10000.0, "10 km"))
#: Row record distances (m) with their labels.
ROW_DISTANCES: tuple[tuple[float, str], ...] = ((500.0, "500 m"), (2000.0, "2,000 m"))

RUN_DISCIPLINES = frozenset({"running", "walking"})
ROW_DISCIPLINES = frozenset({"rowing", "caesar"})
RIDE_DISCIPLINES = frozenset({"cycling"})


def power_grid(samples: Sequence[Sample]) -> list[float]:
    """Power (W) on a 1 s grid from the first to the last sample offset; gaps are 0 W."""
    readings = [(s.offset, s.power_w) for s in samples if s.power_w is not None and math.isfinite(s.power_w)]
    if not readings:
        return []
    first = min(o for o, _ in readings)
    last = max(o for o, _ in readings)
    grid = [0.0] * (last - first + 1)
    for offset, watts in readings:
        grid[offset - first] = max(float(watts), 0.0)
    return grid


def mean_max(grid: Sequence[float], duration_s: int) -> float | None:
    """Best average of ``duration_s`` consecutive values of ``grid``; ``None`` if too short."""
    if duration_s <= 0 or len(grid) < duration_s:
        return None
    return _mean_max_prefix(list(accumulate(grid, initial=0.0)), duration_s)


def _mean_max_prefix(prefix: Sequence[float], duration_s: int) -> float | None:
    if len(prefix) - 1 < duration_s:
        return None
    best: float = max(map(sub, prefix[duration_s:], prefix))  # b - a over every window, in C
    return max(best, 0.0) / duration_s


def power_curve(samples: Sequence[Sample], durations: Iterable[int] = CURVE_DURATIONS_S) -> dict[str, float]:
    """Mean-maximal power (W, 1 decimal) by duration in seconds (keys are decimal strings).

    Durations longer than the workout are left out.
    """
    prefix = list(accumulate(power_grid(samples), initial=0.0))
    out: dict[str, float] = {}
    for duration in durations:
        value = _mean_max_prefix(prefix, duration)
        if value is not None:
            out[str(duration)] = round(value, 1)
    return out


def fastest(samples: Sequence[Sample], distance_m: float) -> int | None:
    """Shortest time (s) in which ``distance_m`` metres were covered, or ``None``."""
    points: list[tuple[int, float]] = []
    high = -math.inf
    for s in sorted(samples, key=lambda s: s.offset):
        if s.distance_m is None or not math.isfinite(s.distance_m):
            continue
        high = max(high, s.distance_m)
        points.append((s.offset, high))
    if len(points) < 2 or points[-1][1] - points[0][1] < distance_m:
        return None
    best: int | None = None
    i = 0
    for j in range(len(points)):
        while i + 1 <= j and points[j][1] - points[i + 1][1] >= distance_m:
            i += 1
        if points[j][1] - points[i][1] >= distance_m:
            span = points[j][0] - points[i][0]
            if best is None or span < best:
                best = span
    return best


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, digits)


def workout_facts(workout: Workout, page: str) -> dict[str, Any]:
    """The facts of ``workout`` whose page is the file named ``page`` (relative to the index).

    Shape (every number may be ``None``)::

        {"v": 1, "id", "page", "title", "instructor", "discipline", "is_outdoor", "units",
         "start": "2026-01-31T07:00:00Z", "local": "2026-01-31T02:00:00-05:00",
         "duration_s", "distance_m", "calories_kcal", "work_kj", "avg_power_w",
         "avg_heart_rate_bpm", "ftp_w",
         "curve": {"<seconds>": watts, ...},
         "best": {"<record label>": seconds, ...}}
    """
    stats = workout_stats(workout)
    distance = workout.distance_m if workout.distance_m is not None else stats.distance_m
    best: dict[str, int] = {}
    table: tuple[tuple[float, str], ...] = ()
    if workout.discipline in RUN_DISCIPLINES and not workout.is_outdoor:
        table = RUN_DISTANCES
    elif workout.discipline in ROW_DISCIPLINES:
        table = ROW_DISTANCES
    for metres, label in table:
        seconds = fastest(workout.samples, metres)
        if seconds is not None:
            best[label] = seconds
    return {
        "v": FACTS_VERSION,
        "id": workout.id,
        "page": page,
        "title": workout.title,
        "instructor": workout.instructor,
        "discipline": workout.discipline,
        "is_outdoor": workout.is_outdoor,
        "units": workout.units,
        "start": iso_utc(workout.start),
        "local": local_time(workout.start, workout.timezone).isoformat(),
        "duration_s": _round(workout.timer_s, 0),
        "distance_m": _round(distance),
        "calories_kcal": _round(workout.calories_kcal, 0),
        "work_kj": _round(workout.total_work_j / 1000 if workout.total_work_j is not None else None),
        "avg_power_w": _round(workout.avg_power_w if workout.avg_power_w is not None else stats.avg_power_w),
        "avg_heart_rate_bpm": _round(stats.avg_heart_rate_bpm),
        "ftp_w": _round(workout.ftp_w, 0),
        "curve": power_curve(workout.samples),
        "best": best,
    }


def valid_facts(value: object) -> Mapping[str, Any] | None:
    """``value`` when it looks like facts of the current version (plain JSON, every number
    finite), else ``None``."""
    if not isinstance(value, dict) or value.get("v") != FACTS_VERSION:
        return None
    if not isinstance(value.get("id"), str) or not isinstance(value.get("page"), str):
        return None
    if not isinstance(value.get("start"), str) or not isinstance(value.get("curve"), dict):
        return None
    return value if _plain(value, 0) else None


def _plain(value: object, depth: int) -> bool:
    """True for JSON made of finite numbers, text, booleans and nulls, at most 8 deep (facts
    read back from a page or the cache may hold anything: ``NaN``, ``1e999``)."""
    if value is None or isinstance(value, str | bool | int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if depth >= 8:
        return False
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v, depth + 1) for v in value)
    return False


__all__ = [
    "CURVE_DURATIONS_S",
    "FACTS_VERSION",
    "POWER_RECORDS",
    "RIDE_DISCIPLINES",
    "ROW_DISTANCES",
    "RUN_DISTANCES",
    "fastest",
    "mean_max",
    "power_curve",
    "power_grid",
    "valid_facts",
    "workout_facts",
]
