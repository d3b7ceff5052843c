"""Statistics over runs of samples: a whole workout, a lap, a segment.

Writers use this module so every format reports the same numbers (TCX lap summaries now;
CSV and FIT summaries later). It is deliberately generic: it knows about
:class:`~peloton_export.model.Sample` and nothing about any file format.

Rules, applied the same way to every metric:

* a metric that is ``None`` (not recorded) or not a finite number is left out of both the
  average and the maximum; it is never counted as zero;
* a heart rate outside 1..255 bpm is treated as "no reading" (Peloton reports 0 for that,
  and nothing above 255 is a real pulse or fits the 8-bit field of TCX, GPX and FIT);
* zeros are real readings for power, cadence and speed (coasting, standing still) and are
  included in averages, as Garmin's "average including zeros" does;
* averages are plain means over the samples that carry the metric (samples are 1 Hz in
  practice, so this equals a time-weighted mean except across gaps);
* when no sample carries a metric, its average and maximum are ``None``.

Example::

    from peloton_export.workout.stats import samples_between, summarize

    lap_samples = samples_between(workout.samples, lap.start_offset, lap.end_offset)
    stats = summarize(lap_samples, distance_start_m=distance_before_lap)
    stats.avg_power_w, stats.max_heart_rate_bpm, stats.distance_m
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from peloton_export.model import Sample, Workout

__all__ = ["HR_MAX_BPM", "HR_MIN_BPM", "Stats", "apportion", "samples_between", "summarize", "workout_stats"]

HR_MIN_BPM = 1
"""The lowest heart rate counted as a reading."""
HR_MAX_BPM = 255
"""The highest heart rate counted as a reading."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Stats:
    """Summary of a run of samples. Every value is ``None`` when no sample carries it.

    ``count`` is the number of samples summarized. ``start_offset`` and ``end_offset`` are
    the smallest and largest sample offsets (``None`` when there are no samples).
    ``distance_m`` is the distance covered: the largest cumulative ``distance_m`` seen minus
    the ``distance_start_m`` given to :func:`summarize`, never negative.
    """

    count: int = 0
    start_offset: int | None = None
    end_offset: int | None = None
    avg_power_w: float | None = None
    max_power_w: float | None = None
    avg_heart_rate_bpm: float | None = None
    max_heart_rate_bpm: float | None = None
    avg_cadence_rpm: float | None = None
    max_cadence_rpm: float | None = None
    avg_speed_mps: float | None = None
    max_speed_mps: float | None = None
    distance_m: float | None = None


def _clean(values: Iterable[float | None]) -> list[float]:
    """Keep the finite, non-None values."""
    isfinite = math.isfinite
    return [v for v in values if v is not None and isfinite(v)]


def _avg_max(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return math.fsum(values) / len(values), max(values)


def summarize(samples: Sequence[Sample], *, distance_start_m: float = 0.0) -> Stats:
    """Summarize ``samples`` (any order) into a :class:`Stats`.

    :param samples: the samples of the run (a workout, a lap, a segment).
    :param distance_start_m: the cumulative distance already covered when the run starts
        (for a lap: the distance at the end of the previous lap). ``Sample.distance_m`` is
        cumulative from the workout's start, so the default ``0.0`` suits a whole workout.
    """
    if not samples:
        return Stats()
    offsets = [s.offset for s in samples]
    avg_power, max_power = _avg_max(_clean(s.power_w for s in samples))
    avg_hr, max_hr = _avg_max(
        [v for v in _clean(s.heart_rate_bpm for s in samples) if HR_MIN_BPM <= v <= HR_MAX_BPM]
    )
    avg_cad, max_cad = _avg_max(_clean(s.cadence_rpm for s in samples))
    avg_speed, max_speed = _avg_max(_clean(s.speed_mps for s in samples))
    distances = _clean(s.distance_m for s in samples)
    distance = max(max(distances) - distance_start_m, 0.0) if distances else None
    return Stats(
        count=len(samples),
        start_offset=min(offsets),
        end_offset=max(offsets),
        avg_power_w=avg_power,
        max_power_w=max_power,
        avg_heart_rate_bpm=avg_hr,
        max_heart_rate_bpm=max_hr,
        avg_cadence_rpm=avg_cad,
        max_cadence_rpm=max_cad,
        avg_speed_mps=avg_speed,
        max_speed_mps=max_speed,
        distance_m=distance,
    )


def workout_stats(workout: Workout) -> Stats:
    """``summarize(workout.samples)``, computed once per workout and shared by the writers of
    one export (:mod:`peloton_export.workout.memo`)."""
    from peloton_export.workout.memo import once

    return once(workout, "stats", lambda: summarize(workout.samples))


def samples_between(samples: Iterable[Sample], start_offset: int, end_offset: int) -> list[Sample]:
    """Return the samples with ``start_offset <= offset < end_offset`` (a lap's half-open range)."""
    return [s for s in samples if start_offset <= s.offset < end_offset]


def apportion(total: float, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into non-negative integers proportional to ``weights``.

    Uses the largest-remainder method, so the parts always add up to ``round(total)``
    (for example calories split across laps by lap duration). Ties go to the earlier part,
    so the result is deterministic. Non-positive or non-finite weights count as zero; when
    every weight is zero the split is even. A non-positive or non-finite ``total`` gives
    all zeros.
    """
    if not weights:
        return []
    whole = round(total) if math.isfinite(total) and total > 0 else 0
    clean = [w if math.isfinite(w) and w > 0 else 0.0 for w in weights]
    weight_sum = math.fsum(clean)
    if weight_sum <= 0:
        clean = [1.0] * len(weights)
        weight_sum = float(len(weights))
    exact = [whole * w / weight_sum for w in clean]
    parts = [math.floor(x) for x in exact]
    left = whole - sum(parts)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts
