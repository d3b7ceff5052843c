"""Time in heart-rate and power zones, for FIT ``time_in_zone`` messages.

Heart rate: Peloton's own zones (``Workout.heart_rate_zones``). When Peloton reports the
time spent in each zone, those durations are used as they are; otherwise the time is
counted from the samples with Peloton's zone bounds. The high boundary of each zone is its
``max_bpm``; a top zone without one ends at the user's max heart rate
(``Workout.max_heart_rate_bpm``). When a bound is not in the data (Peloton's
``effort_zones`` give seconds only), the boundaries are ``None`` and left out of the file:
never made up.

Power: Peloton's seven power zones as fractions of FTP (``Workout.ftp_w``): Z1 up to 55 %,
Z2 up to 75 %, Z3 up to 90 %, Z4 up to 105 %, Z5 up to 120 %, Z6 up to 150 %, Z7 above.
Time is counted from the samples that carry power.

Each sample counts for the seconds until the next sample, at most 5 s (a gap in the data
is not counted as time in a zone); the last sample counts 1 s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from peloton_export.model import HeartRateZone, Sample, Workout
from peloton_export.workout.memo import once

__all__ = ["POWER_ZONE_FRACTIONS", "ZoneTimes", "heart_rate_zone_times", "power_zone_times"]

POWER_ZONE_FRACTIONS = (0.55, 0.75, 0.90, 1.05, 1.20, 1.50)
MAX_SAMPLE_WEIGHT_S = 5


@dataclass(frozen=True, slots=True)
class ZoneTimes:
    """Seconds spent in each zone and each zone's high boundary (bpm or watts; ``None``
    when the data gives no bounds)."""

    seconds: tuple[float, ...]
    high_boundaries: tuple[int, ...] | None


def _weights(samples: Sequence[Sample]) -> list[int]:
    weights: list[int] = []
    if not samples:
        return weights
    for current, following in zip(samples, [*samples[1:], None], strict=True):
        step = 1 if following is None else following.offset - current.offset
        weights.append(min(max(step, 0), MAX_SAMPLE_WEIGHT_S))
    return weights


def _count(values: list[tuple[float, int]], uppers: Sequence[float]) -> list[float]:
    seconds = [0.0] * (len(uppers) + 1)
    for value, weight in values:
        zone = 0
        while zone < len(uppers) and value > uppers[zone]:
            zone += 1
        seconds[zone] += weight
    return seconds


def _seconds(value: float | None) -> float:
    """A zone duration: finite, 0 s to 1,000 hours, else 0."""
    return float(value) if value is not None and math.isfinite(value) and 0 <= value <= 3_600_000 else 0.0


def heart_rate_zone_times(workout: Workout) -> ZoneTimes | None:
    """Time in Peloton's heart-rate zones, or ``None`` when there is nothing to report.
    Computed once per workout (:mod:`peloton_export.workout.memo`)."""
    return once(workout, "hr_zone_times", lambda: _heart_rate_zone_times(workout))


def _heart_rate_zone_times(workout: Workout) -> ZoneTimes | None:
    zones = sorted(workout.heart_rate_zones, key=lambda z: z.number)
    if not zones:
        return None
    highs = _high_boundaries(zones, workout.max_heart_rate_bpm)
    if all(z.duration_s is not None for z in zones):
        seconds = tuple(_seconds(z.duration_s) for z in zones)
        if sum(seconds) <= 0:
            return None
        return ZoneTimes(seconds, highs)
    if highs is None:
        return None  # no durations and no bounds to count the samples with
    samples = sorted(
        (s for s in workout.samples if s.heart_rate_bpm and math.isfinite(s.heart_rate_bpm)),
        key=lambda s: s.offset,
    )
    if not samples:
        return None
    pairs = [(float(s.heart_rate_bpm or 0), w) for s, w in zip(samples, _weights(samples), strict=True)]
    # n zones: n - 1 inner boundaries; readings above the last zone's high stay in it
    counted = _count(pairs, [float(h) for h in highs[:-1]])
    return ZoneTimes(tuple(counted), tuple(highs))


def _bpm_bound(value: float | None) -> int | None:
    """A heart rate FIT's ``hr_zone_high_boundary`` can hold (1-254 bpm), else ``None``."""
    if value is None or not math.isfinite(value) or not 1 <= value <= 254.4:
        return None
    return round(value)


def _high_boundaries(zones: Sequence[HeartRateZone], max_hr: float | None) -> tuple[int, ...] | None:
    """Each zone's ``max_bpm`` (the top zone's: the user's max heart rate when it has none),
    or ``None`` when any bound is missing from the data."""
    highs: list[int] = []
    for i, zone in enumerate(zones):
        high = _bpm_bound(zone.max_bpm)
        if high is None and i == len(zones) - 1:
            high = _bpm_bound(max_hr)
        if high is None:
            return None
        highs.append(high)
    return tuple(highs)


def power_zone_times(workout: Workout) -> ZoneTimes | None:
    """Time in the seven FTP-based power zones, or ``None`` without FTP or power.
    Computed once per workout (:mod:`peloton_export.workout.memo`)."""
    return once(workout, "power_zone_times", lambda: _power_zone_times(workout))


def _power_zone_times(workout: Workout) -> ZoneTimes | None:
    ftp = workout.ftp_w
    if ftp is None or not math.isfinite(ftp) or not 0 < ftp <= 10_000:
        return None
    samples = sorted(
        (s for s in workout.samples if s.power_w is not None and math.isfinite(s.power_w)),
        key=lambda s: s.offset,
    )
    if not samples:
        return None
    uppers = [ftp * f for f in POWER_ZONE_FRACTIONS]
    pairs = [(float(s.power_w or 0.0), w) for s, w in zip(samples, _weights(samples), strict=True)]
    seconds = _count(pairs, uppers)
    highs = (*(int(min(round(u), 65534)) for u in uppers), 65534)
    return ZoneTimes(tuple(seconds), highs)
