"""Session totals every format writes the same way: ascent, strokes, average stroke distance.

One rule per field, shared by FIT (session ``total_ascent``, ``total_cycles``,
``avg_stroke_distance``), JSON, CSV (``summary.csv``) and Parquet (``workouts``):

* ``ascent_m`` (m): Peloton's ``elevation`` summary (:attr:`Workout.ascent_m`), else the
  ascent of the altitude series (samples', else the GPS fixes'; 1 m hysteresis against
  noise), else ``None`` (fewer than two altitudes).
* ``strokes`` (Row only: sport family ``rowing``): Peloton's ``stroke_count`` summary, else
  the number of strokes in its per-stroke list (:attr:`Workout.strokes` carries either), else
  the stroke rate integrated over time (each step at most 5 s), else ``None``.
* ``avg_stroke_distance_m`` (m): the session distance over the strokes, ``None`` without
  either.
* ``avg_power_w`` (W) and ``avg_cadence_rpm`` (rpm; spm on the Row): Peloton's own
  averages (:attr:`Workout.avg_power_w`, :attr:`Workout.avg_cadence_rpm`), else the mean
  of the samples (zeros included), else ``None``.
* ``avg_speed_mps`` (m/s): the session distance over the active time (``timer_s``), as the
  FIT session and Garmin compute it, so it agrees with the distance every format ends at;
  else the mean of the samples' speeds; ``None`` without either.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from peloton_export.model import Sample, Workout
from peloton_export.workout.memo import once
from peloton_export.workout.series import workout_points
from peloton_export.workout.sports import fit_sport

__all__ = ["SessionTotals", "ascent_descent", "integrated_strokes", "session_totals"]

#: Altitudes a FIT record can hold (m); others are left out of the series ascent.
_ALTITUDE_RANGE = (-500.0, 12_606.8)


@dataclass(frozen=True, slots=True)
class SessionTotals:
    """Ascent (m), strokes and average stroke distance (m); ``None`` where there is none."""

    ascent_m: float | None
    strokes: int | None
    avg_stroke_distance_m: float | None
    avg_speed_mps: float | None = None
    avg_power_w: float | None = None
    avg_cadence_rpm: float | None = None


def ascent_descent(altitudes: Sequence[float], threshold: float = 1.0) -> tuple[float, float]:
    """Total ascent and descent (m) of an altitude series, with ``threshold`` m hysteresis."""
    ascent = descent = 0.0
    if not altitudes:
        return 0.0, 0.0
    reference = altitudes[0]
    for value in altitudes[1:]:
        change = value - reference
        if change >= threshold:
            ascent += change
            reference = value
        elif change <= -threshold:
            descent -= change
            reference = value
    return ascent, descent


def integrated_strokes(samples: Sequence[Sample]) -> int | None:
    """Strokes from the stroke rate (``cadence_rpm``) integrated over the offsets, each step
    at most 5 s (the last sample counts 1 s); ``None`` when no sample has a rate."""
    if not samples:
        return None
    total = 0.0
    seen = False
    for current, following in zip(samples, [*samples[1:], None], strict=True):
        if current.cadence_rpm is None:
            continue
        step = 1 if following is None else min(max(following.offset - current.offset, 0), 5)
        total += current.cadence_rpm * step / 60.0
        seen = True
    return round(total) if seen else None


def series_altitudes(workout: Workout) -> list[float]:
    """The altitudes (m) in time order: each sample's, else the GPS fix's at its offset."""

    lo, hi = _ALTITUDE_RANGE
    out: list[float] = []
    for point in workout_points(workout):
        s, g = point.sample, point.gps
        value = s.altitude_m if s is not None and s.altitude_m is not None else (g.altitude_m if g else None)
        if value is not None and math.isfinite(value) and lo <= value <= hi:
            out.append(value)
    return out


def _ascent(workout: Workout) -> float | None:
    if workout.ascent_m is not None and math.isfinite(workout.ascent_m) and workout.ascent_m >= 0:
        return workout.ascent_m
    altitudes = series_altitudes(workout)
    return ascent_descent(altitudes)[0] if len(altitudes) > 1 else None


def session_totals(workout: Workout, family: str | None = None) -> SessionTotals:
    """The shared totals of ``workout`` (see the module docstring).

    :param family: the FIT sport family (:func:`peloton_export.workout.sports.fit_sport`);
        looked up when not given. Strokes are only counted for ``rowing``. Computed once per
        workout and family (:mod:`peloton_export.workout.memo`).
    """
    known = fit_sport(workout).family if family is None else family
    return once(workout, ("session_totals", known), lambda: _session_totals(workout, known))


def _session_totals(workout: Workout, family: str) -> SessionTotals:
    strokes: int | None = None
    if family == "rowing":
        samples = sorted(workout.samples, key=lambda s: s.offset)
        strokes = workout.strokes if workout.strokes else integrated_strokes(samples)
        strokes = strokes or None
    distance = workout.distance_m
    if distance is None or not math.isfinite(distance):
        distance = max((s.distance_m for s in workout.samples if s.distance_m is not None), default=None)
    per_stroke = distance / strokes if strokes and distance else None
    return SessionTotals(
        ascent_m=_ascent(workout),
        strokes=strokes,
        avg_stroke_distance_m=per_stroke,
        avg_speed_mps=_avg_speed(workout, distance),
        avg_power_w=_peloton_or_mean(workout.avg_power_w, [s.power_w for s in workout.samples]),
        avg_cadence_rpm=_peloton_or_mean(workout.avg_cadence_rpm, [s.cadence_rpm for s in workout.samples]),
    )


def _peloton_or_mean(peloton: float | None, values: Sequence[float | None]) -> float | None:
    """Peloton's average when it gives one, else the mean of the finite ``values``."""
    if peloton is not None and math.isfinite(peloton):
        return peloton
    clean = [v for v in values if v is not None and math.isfinite(v)]
    return math.fsum(clean) / len(clean) if clean else None


def _avg_speed(workout: Workout, distance: float | None) -> float | None:
    """Distance over active time, else the mean sample speed (see the module docstring)."""
    timer = workout.timer_s
    if distance is not None and math.isfinite(distance) and math.isfinite(timer) and timer > 0:
        return distance / timer
    speeds = [s.speed_mps for s in workout.samples if s.speed_mps is not None and math.isfinite(s.speed_mps)]
    return math.fsum(speeds) / len(speeds) if speeds else None
