"""The analysis-ready Parquet dataset: ``workouts`` and ``samples`` tables, Hive-partitioned.

Layout under the output folder (schema ``peloton-export/parquet@2``, documented in
``docs/parquet-schema.md``)::

    parquet/workouts/year=2026/month=1/<workout id>.parquet   one row per workout
    parquet/samples/year=2026/month=1/<workout id>.parquet    one row per second

``year`` and ``month`` are the workout's local start date in Peloton's own timezone for it.
One file per workout and table: a daily run adds files and never rewrites the history.
Every function here needs ``pyarrow`` (the ``[parquet]`` extra); import this module only
after :func:`pyarrow_missing` said it is there.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import Any

from peloton_export.model import Workout
from peloton_export.workout.laps import planned_laps
from peloton_export.workout.series import workout_points
from peloton_export.workout.sports import fit_sport
from peloton_export.workout.stats import workout_stats
from peloton_export.workout.timeutil import local_time
from peloton_export.workout.totals import session_totals

SCHEMA_NAME = "peloton-export/parquet@2"
SCHEMA_VERSION = 2
ROOT = "parquet"
#: Class target metrics carried per second in ``samples`` (``target_<metric>_lower/upper``).
TARGET_METRICS: tuple[str, ...] = ("cadence", "resistance", "speed", "incline")
#: The fields of one ``workouts.class_cues`` entry, as in the json format's ``class_cues.segments``.
CUE_FIELDS: tuple[str, ...] = (
    "start_offset",
    "end_offset",
    "cadence_low_rpm",
    "cadence_high_rpm",
    "resistance_low_pct",
    "resistance_high_pct",
    "asked_low_w",
    "asked_high_w",
    "delivered_w",
    "delivered_pct",
    "in_band_pct",
)
INSTALL_HINT = "pip install 'peloton-export[parquet]'"


def pyarrow_missing() -> str | None:
    """A usage message when pyarrow is not installed, else ``None``."""
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return f"the parquet format needs pyarrow: {INSTALL_HINT}"
    return None


def partition(workout: Workout) -> str:
    """``year=2026/month=1``: the local start month in Peloton's timezone for the workout."""
    start = local_time(workout.start, workout.timezone)
    return f"year={start.year}/month={start.month}"


def relative_paths(workout: Workout) -> dict[str, str]:
    """The dataset files of ``workout`` relative to the output folder, by table name."""
    part = partition(workout)
    return {table: f"{ROOT}/{table}/{part}/{workout.id}.parquet" for table in ("workouts", "samples")}


def _schemas() -> tuple[Any, Any]:
    import pyarrow as pa

    ts = pa.timestamp("s", tz="UTC")
    f64, text = pa.float64(), pa.string()
    zone = pa.struct(
        [
            ("number", pa.int16()),
            ("name", text),
            ("min_bpm", f64),
            ("max_bpm", f64),
            ("duration_s", f64),
        ]
    )
    cue = pa.struct(
        [("start_offset", pa.int32()), ("end_offset", pa.int32()), *((name, f64) for name in CUE_FIELDS[2:])]
    )
    workouts = pa.schema(
        [
            ("schema_version", pa.int16()),
            ("workout_id", text),
            ("start", ts),
            ("end", ts),
            ("start_local", text),
            ("timezone", text),
            ("discipline", text),
            ("workout_type", text),
            ("title", text),
            ("instructor", text),
            ("class_id", text),
            ("is_outdoor", pa.bool_()),
            ("device_type", text),
            ("platform", text),
            ("origin", text),
            ("units", text),
            ("elapsed_s", f64),
            ("timer_s", f64),
            ("pause_s", f64),
            ("distance_m", f64),
            ("calories_kcal", f64),
            ("total_work_j", f64),
            ("ftp_w", f64),
            ("max_heart_rate_bpm", f64),
            ("avg_power_w", f64),
            ("max_power_w", f64),
            ("avg_heart_rate_bpm", f64),
            ("avg_cadence_rpm", f64),
            ("avg_speed_mps", f64),
            ("samples", pa.int32()),
            ("gps_points", pa.int32()),
            ("laps", pa.int32()),
            ("sets", pa.int32()),
            ("heart_rate_zones", pa.list_(zone)),
            ("targets_present", pa.list_(text)),
            ("ascent_m", f64),
            ("strokes", pa.int32()),
            ("avg_stroke_distance_m", f64),
            ("class_cues_device", text),
            ("class_cues_era", pa.int16()),
            ("class_cues", pa.list_(cue)),
        ]
    )
    samples_fields: list[tuple[str, Any]] = [
        ("workout_id", text),
        ("offset_s", pa.int32()),
        ("time", ts),
        ("power_w", f64),
        ("cadence_rpm", f64),
        ("resistance_pct", f64),
        ("speed_mps", f64),
        ("incline_pct", f64),
        ("altitude_m", f64),
        ("heart_rate_bpm", pa.int16()),
        ("distance_m", f64),
        ("latitude", f64),
        ("longitude", f64),
    ]
    for metric in TARGET_METRICS:
        samples_fields += [(f"target_{metric}_lower", f64), (f"target_{metric}_upper", f64)]
    samples_fields += [("target_power_lower", f64), ("target_power_upper", f64)]
    return workouts, pa.schema(samples_fields)


def cue_rows(cues: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The ``workouts.class_cues`` entries of ``cues`` (the json format's ``class_cues`` dict,
    :meth:`peloton_export.insights.cues.ClassCues.to_json`, or ``None``): the same numbers,
    with the cadence and resistance ranges split into their low and high ends."""
    rows = []
    for seg in (cues or {}).get("segments") or ():
        (c_lo, c_hi), (r_lo, r_hi) = seg["cadence_rpm"], seg["resistance_pct"]
        rows.append(
            {
                **{name: seg[name] for name in ("start_offset", "end_offset")},
                "cadence_low_rpm": c_lo,
                "cadence_high_rpm": c_hi,
                "resistance_low_pct": r_lo,
                "resistance_high_pct": r_hi,
                **{name: seg[name] for name in CUE_FIELDS[6:]},
            }
        )
    return rows


def workouts_table(workout: Workout, laps: str = "auto", cues: Mapping[str, Any] | None = None) -> Any:
    """The one-row ``workouts`` table of ``workout`` (a ``pyarrow.Table``).

    :param laps: the lap strategy; ``laps`` counts the laps of that plan (the FIT file's).
    :param cues: the class cues in watts (the json format's ``class_cues``), or ``None``:
        ``class_cues`` is then empty and ``class_cues_device``/``_era`` null.
    :raises ConfigError: an unknown lap strategy.
    """
    import pyarrow as pa

    schema, _ = _schemas()
    family = fit_sport(workout).family
    totals = session_totals(workout, family)
    stats = workout_stats(workout)
    row: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "workout_id": workout.id,
        "start": workout.start.astimezone(UTC),
        "end": workout.end.astimezone(UTC),
        "start_local": local_time(workout.start, workout.timezone).isoformat(),
        "timezone": workout.timezone,
        "discipline": workout.discipline,
        "workout_type": workout.workout_type,
        "title": workout.title,
        "instructor": workout.instructor,
        "class_id": workout.ride_id,
        "is_outdoor": workout.is_outdoor,
        "device_type": workout.device_type,
        "platform": workout.platform,
        "origin": workout.origin,
        "units": workout.units,
        "elapsed_s": workout.elapsed_s,
        "timer_s": workout.timer_s,
        "pause_s": workout.pause_s,
        "distance_m": workout.distance_m,
        "calories_kcal": workout.calories_kcal,
        "total_work_j": workout.total_work_j,
        "ftp_w": workout.ftp_w,
        "max_heart_rate_bpm": workout.max_heart_rate_bpm,
        "avg_power_w": totals.avg_power_w,
        "max_power_w": stats.max_power_w,
        "avg_heart_rate_bpm": stats.avg_heart_rate_bpm,
        "avg_cadence_rpm": totals.avg_cadence_rpm,
        "avg_speed_mps": totals.avg_speed_mps,
        "samples": len(workout.samples),
        "gps_points": len(workout.track),
        "laps": len(planned_laps(workout, laps, family)),
        "sets": sum(1 for s in workout.sets if s.kind == "active"),
        "heart_rate_zones": [
            {
                "number": z.number,
                "name": z.name,
                "min_bpm": z.min_bpm,
                "max_bpm": z.max_bpm,
                "duration_s": z.duration_s,
            }
            for z in workout.heart_rate_zones
        ],
        "targets_present": sorted({t.metric for t in workout.targets}),
        "ascent_m": totals.ascent_m,
        "strokes": totals.strokes,
        "avg_stroke_distance_m": totals.avg_stroke_distance_m,
        "class_cues_device": cues.get("device") if cues else None,
        "class_cues_era": cues.get("era") if cues else None,
        "class_cues": cue_rows(cues),
    }
    return pa.Table.from_pylist([row], schema=schema)


def _targets_at(workout: Workout, offsets: Sequence[int]) -> dict[str, list[float | None]]:
    """Per target column, the class target at each offset (``None`` where there is none)."""
    columns: dict[str, list[float | None]] = {}
    position = {offset: i for i, offset in enumerate(offsets)}
    for metric in TARGET_METRICS:
        lower: list[float | None] = [None] * len(offsets)
        upper: list[float | None] = [None] * len(offsets)
        for target in workout.targets:
            if target.metric != metric:
                continue
            if target.end_offset - target.start_offset > len(offsets):
                hits = [position[o] for o in offsets if target.start_offset <= o <= target.end_offset]
            else:
                hits = [
                    position[o] for o in range(target.start_offset, target.end_offset + 1) if o in position
                ]
            for i in hits:
                lower[i], upper[i] = target.lower, target.upper
        columns[f"target_{metric}_lower"] = lower
        columns[f"target_{metric}_upper"] = upper
    return columns


def _power_targets_at(
    cues: Mapping[str, Any] | None, offsets: Sequence[int]
) -> dict[str, list[float | None]]:
    """``target_power_lower/upper``: each cue's asked watts over its span (``None`` elsewhere)."""
    lower: list[float | None] = [None] * len(offsets)
    upper: list[float | None] = [None] * len(offsets)
    for seg in (cues or {}).get("segments") or ():
        start, end = int(seg["start_offset"]), int(seg["end_offset"])
        for i, offset in enumerate(offsets):
            if start <= offset <= end:
                lower[i], upper[i] = seg["asked_low_w"], seg["asked_high_w"]
    return {"target_power_lower": lower, "target_power_upper": upper}


def samples_table(workout: Workout, cues: Mapping[str, Any] | None = None) -> Any:
    """The ``samples`` table of ``workout``: one row per instant (samples and GPS fixes
    joined on their offset, as in the CSV format), with the class target at that second.

    :param cues: the class cues in watts (the json format's ``class_cues``), or ``None``:
        ``target_power_lower/upper`` hold each cue's asked watts over its span, else null.
    """
    import pyarrow as pa

    _, schema = _schemas()
    points = workout_points(workout)
    offsets = [p.offset for p in points]

    def col(get: Any) -> list[Any]:
        return [get(p) for p in points]

    def from_sample(name: str) -> list[Any]:
        return [getattr(p.sample, name) if p.sample is not None else None for p in points]

    def from_either(name: str) -> list[Any]:
        out = []
        for p in points:
            value = getattr(p.sample, name) if p.sample is not None else None
            if value is None and p.gps is not None:
                value = getattr(p.gps, name)
            out.append(value)
        return out

    columns: dict[str, list[Any]] = {
        "workout_id": [workout.id] * len(points),
        "offset_s": offsets,
        "time": col(lambda p: p.time.astimezone(UTC)),
        "power_w": from_sample("power_w"),
        "cadence_rpm": from_sample("cadence_rpm"),
        "resistance_pct": from_sample("resistance_pct"),
        "speed_mps": from_sample("speed_mps"),
        "incline_pct": from_sample("incline_pct"),
        "altitude_m": from_either("altitude_m"),
        "heart_rate_bpm": from_sample("heart_rate_bpm"),
        "distance_m": from_either("distance_m"),
        "latitude": col(lambda p: p.gps.latitude if p.gps is not None else None),
        "longitude": col(lambda p: p.gps.longitude if p.gps is not None else None),
        **_targets_at(workout, offsets),
        **_power_targets_at(cues, offsets),
    }
    return pa.Table.from_pydict(columns, schema=schema)


def table_bytes(table: Any) -> bytes:
    """``table`` as Parquet bytes: zstd, no timestamps in the file, same table same bytes."""
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd", write_statistics=True)
    return buffer.getvalue()


__all__ = [
    "CUE_FIELDS",
    "INSTALL_HINT",
    "ROOT",
    "SCHEMA_NAME",
    "SCHEMA_VERSION",
    "TARGET_METRICS",
    "cue_rows",
    "partition",
    "pyarrow_missing",
    "relative_paths",
    "samples_table",
    "table_bytes",
    "workouts_table",
]
