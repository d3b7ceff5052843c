"""The normalized workout as plain JSON-ready data, with stable field names.

Schema ``peloton-export/workout@2``::

    {"schema": "peloton-export/workout@2",
     "id", "discipline", "workout_type", "is_outdoor", "title", "instructor",
     "device_type", "platform", "origin", "ride_id", "timezone", "units",
     "start", "end"                      ISO 8601 UTC ("2026-01-31T07:00:00Z"),
     "elapsed_s", "timer_s", "pause_s", "calories_kcal", "total_work_j", "distance_m",
     "ftp_w", "max_heart_rate_bpm",
     "ascent_m", "strokes", "avg_stroke_distance_m"     (:mod:`peloton_export.workout.totals`),
     "heart_rate_zones": [{"number", "name", "min_bpm", "max_bpm", "duration_s"}],
     "laps":    [{"index", "start_offset", "end_offset", "start", "end", "timer_s",
                  "distance_m", "trigger", "strategy", "calories_kcal", "total_work_j",
                  "avg_power_w", "avg_cadence_rpm"}]       the shared lap plan (FIT/TCX laps;
                  start/end on the shared wall clock, pauses and gaps between stacked
                  classes included; a stacked class's lap carries its own Peloton totals),
     "class_segments": [{"index", "name", "trigger", "start_offset", "end_offset", "start",
                  "end", "calories_kcal", "total_work_j", "distance_m", "avg_power_w",
                  "avg_cadence_rpm"}]                      Peloton's class segments (a stack:
                  its classes, with each class's summary),
     "sets":    [{"index", "kind", "movement_id", "movement_name", "start_offset", "start",
                  "duration_s", "repetitions", "weight_kg", "tracking_type", "source"}],
     "targets": [{"metric", "start_offset", "end_offset", "lower", "upper"}],
     "samples": {"offset_s": [...], "time": [...], "power_w": [...], "cadence_rpm": [...],
                 "resistance_pct": [...], "speed_mps": [...], "incline_pct": [...],
                 "altitude_m": [...], "heart_rate_bpm": [...], "distance_m": [...]},
     "track":   {"offset_s": [...], "time": [...], "latitude": [...], "longitude": [...],
                 "altitude_m": [...], "accuracy_m": [...], "distance_m": [...], "segment": [...]},
     "notes": [...],
     "class_cues": {"device", "era", "segments": [{"start_offset", "end_offset",
                  "cadence_rpm": [lo, hi], "resistance_pct": [lo, hi], "asked_low_w",
                  "asked_high_w", "delivered_w", "delivered_pct", "in_band_pct"}]}
                  only with a saved bike model (:mod:`peloton_export.insights.cues`)}

Series are columns (one list per field, all the same length) so the file stays compact and
loads straight into a data frame. Missing values are ``null``. Fields are only ever added
within a version. Version 2 (from version 1): ``laps`` is the lap plan of
:func:`peloton_export.workout.laps.planned_laps` (the laps of the FIT and TCX files, with timer
seconds and metres); Peloton's class segments, ``laps`` in version 1, are
``class_segments``; ``ascent_m``, ``strokes`` and ``avg_stroke_distance_m`` are added.
Added in version 2: the lap totals (``calories_kcal``, ``total_work_j``, ``avg_power_w``,
``avg_cadence_rpm``) and the class summaries of ``class_segments``.
"""

from __future__ import annotations

import math
from dataclasses import fields
from datetime import datetime
from typing import Any

from peloton_export.model import GpsPoint, Sample, Workout
from peloton_export.workout.laps import planned_laps
from peloton_export.workout.sports import fit_sport
from peloton_export.workout.timeutil import iso_utc
from peloton_export.workout.totals import session_totals

SCHEMA = "peloton-export/workout@2"

SAMPLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("offset_s", "offset"),
    ("time", "time"),
    ("power_w", "power_w"),
    ("cadence_rpm", "cadence_rpm"),
    ("resistance_pct", "resistance_pct"),
    ("speed_mps", "speed_mps"),
    ("incline_pct", "incline_pct"),
    ("altitude_m", "altitude_m"),
    ("heart_rate_bpm", "heart_rate_bpm"),
    ("distance_m", "distance_m"),
)
TRACK_COLUMNS: tuple[tuple[str, str], ...] = (
    ("offset_s", "offset"),
    ("time", "time"),
    ("latitude", "latitude"),
    ("longitude", "longitude"),
    ("altitude_m", "altitude_m"),
    ("accuracy_m", "accuracy_m"),
    ("distance_m", "distance_m"),
    ("segment", "segment"),
)
_SCALARS = (
    "id",
    "discipline",
    "workout_type",
    "is_outdoor",
    "title",
    "instructor",
    "device_type",
    "platform",
    "origin",
    "ride_id",
    "timezone",
    "units",
    "start",
    "end",
    "elapsed_s",
    "timer_s",
    "pause_s",
    "calories_kcal",
    "total_work_j",
    "distance_m",
    "ftp_w",
    "max_heart_rate_bpm",
)


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN or infinity
    return value


def _record(obj: Any) -> dict[str, Any]:
    return {f.name: _value(getattr(obj, f.name)) for f in fields(obj)}


def _columns(
    items: tuple[Sample, ...] | tuple[GpsPoint, ...], spec: tuple[tuple[str, str], ...]
) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for key, attr in spec:
        if attr == "time":
            out[key] = [iso_utc(getattr(item, attr)) for item in items]
        else:
            out[key] = [_value(getattr(item, attr)) for item in items]
    return out


def workout_to_dict(workout: Workout, laps: str = "auto") -> dict[str, Any]:
    """The workout as JSON-ready data in schema ``peloton-export/workout@2``.

    :param laps: the lap strategy (:func:`peloton_export.workout.laps.lap_plan`).
    :raises ConfigError: an unknown lap strategy.
    """

    family = fit_sport(workout).family
    data: dict[str, Any] = {"schema": SCHEMA}
    for name in _SCALARS:
        data[name] = _value(getattr(workout, name))
    totals = session_totals(workout, family)
    data["ascent_m"] = _value(totals.ascent_m)
    data["strokes"] = totals.strokes
    data["avg_stroke_distance_m"] = _value(totals.avg_stroke_distance_m)
    data["heart_rate_zones"] = [_record(z) for z in workout.heart_rate_zones]
    data["laps"] = [_record(lap) for lap in planned_laps(workout, laps, family)]
    data["class_segments"] = [_record(lap) for lap in workout.laps]
    data["sets"] = [_record(s) for s in workout.sets]
    data["targets"] = [_record(t) for t in workout.targets]
    data["samples"] = _columns(workout.samples, SAMPLE_COLUMNS)
    data["track"] = _columns(workout.track, TRACK_COLUMNS)
    data["notes"] = list(workout.notes)
    if workout.parts:  # a stacked activity: its classes' workout ids, in start order
        data["parts"] = list(workout.parts)
    return data
