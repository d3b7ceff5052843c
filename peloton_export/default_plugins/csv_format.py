"""Built-in ``csv`` format: one per-second CSV per workout, plus ``summary.csv``.

The per-workout file has one row per instant (samples and GPS fixes joined by offset):

    time_utc, offset_s, power_w, cadence_rpm, resistance_pct, speed_mps, incline_pct,
    altitude_m, heart_rate_bpm, distance_m, latitude, longitude

``summary.csv`` in the output folder has one row per workout ever exported there (columns
in :data:`SUMMARY_COLUMNS`). Text that came from Peloton (titles, instructor names,
discipline, workout type, timezone, device type) is protected against spreadsheet formula
injection: a cell starting with ``= + - @`` or a control character gets a leading
apostrophe.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from math import isfinite
from typing import TYPE_CHECKING, BinaryIO

from peloton_export.default_plugins._xml import Point, format_utc_many, iter_points
from peloton_export.hookspecs import hookimpl
from peloton_export.model import Workout
from peloton_export.specs import ExportContext, FormatSpec, SummarySpec
from peloton_export.stats import summarize
from peloton_export.summaries import update_summary_file
from peloton_export.timeutil import iso_utc, local_time

if TYPE_CHECKING:
    from peloton_export.pipeline import ExportReport, RunContext

SAMPLE_COLUMNS = (
    "time_utc",
    "offset_s",
    "power_w",
    "cadence_rpm",
    "resistance_pct",
    "speed_mps",
    "incline_pct",
    "altitude_m",
    "heart_rate_bpm",
    "distance_m",
    "latitude",
    "longitude",
)
SUMMARY_COLUMNS = (
    "workout_id",
    "start_utc",
    "start_local",
    "timezone",
    "discipline",
    "workout_type",
    "title",
    "instructor",
    "is_outdoor",
    "elapsed_s",
    "timer_s",
    "pause_s",
    "distance_m",
    "calories_kcal",
    "total_work_kj",
    "avg_power_w",
    "max_power_w",
    "avg_heart_rate_bpm",
    "max_heart_rate_bpm",
    "avg_cadence_rpm",
    "avg_speed_mps",
    "ftp_w",
    "samples",
    "gps_points",
    "sets",
    "device_type",
    "origin",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(text: str | None) -> str:
    """Text for a CSV cell that a spreadsheet will never run as a formula.

    A leading control character counts too (``"\x00=1+1"``): spreadsheets drop some of
    them on import, which would leave the formula first.
    """
    if not text:
        return ""
    first = text[0]
    if first in _FORMULA_START or first < " " or first == "\x7f":
        return "'" + text
    return text


def _f(value: float | None, spec: str) -> str:
    return "" if value is None or not isfinite(value) else format(value, spec)


def _row(point: Point, time_text: str) -> str:
    s, g = point.sample, point.gps
    if s is not None:
        altitude = s.altitude_m if s.altitude_m is not None else (g.altitude_m if g else None)
        distance = s.distance_m if s.distance_m is not None else (g.distance_m if g else None)
        hr = "" if s.heart_rate_bpm is None else str(s.heart_rate_bpm)
        head = (
            f"{time_text},{point.offset},{_f(s.power_w, '.1f')},{_f(s.cadence_rpm, '.1f')},"
            f"{_f(s.resistance_pct, '.1f')},{_f(s.speed_mps, '.3f')},{_f(s.incline_pct, '.1f')},"
            f"{_f(altitude, '.1f')},{hr},{_f(distance, '.1f')}"
        )
    else:
        assert g is not None
        head = f"{time_text},{point.offset},,,,,,{_f(g.altitude_m, '.1f')},,{_f(g.distance_m, '.1f')}"
    if g is None:
        return head + ",,\n"
    return f"{head},{g.latitude:.7f},{g.longitude:.7f}\n"


def write_csv(workout: Workout, stream: BinaryIO, context: ExportContext) -> None:
    """Write the per-second CSV of ``workout`` (header only when it has no samples)."""
    points = list(iter_points(workout))
    times = format_utc_many(p.time for p in points)
    lines = [",".join(SAMPLE_COLUMNS) + "\n"]
    lines.extend(_row(p, t) for p, t in zip(points, times, strict=True))
    stream.write("".join(lines).encode("utf-8"))


def _num(value: float | None, spec: str = ".1f") -> str:
    return _f(value, spec)


def summary_row(workout: Workout, context: ExportContext) -> Mapping[str, str]:
    """The ``summary.csv`` row of ``workout``."""
    stats = summarize(workout.samples)
    work = workout.total_work_j / 1000 if workout.total_work_j is not None else None
    return {
        "workout_id": workout.id,
        "start_utc": iso_utc(workout.start),
        "start_local": local_time(workout.start, workout.timezone).isoformat(),
        "timezone": safe_cell(workout.timezone),
        "discipline": safe_cell(workout.discipline),
        "workout_type": safe_cell(workout.workout_type),
        "title": safe_cell(workout.title),
        "instructor": safe_cell(workout.instructor),
        "is_outdoor": "true" if workout.is_outdoor else "false",
        "elapsed_s": _num(workout.elapsed_s, ".0f"),
        "timer_s": _num(workout.timer_s, ".0f"),
        "pause_s": _num(workout.pause_s, ".0f"),
        "distance_m": _num(workout.distance_m),
        "calories_kcal": _num(workout.calories_kcal, ".0f"),
        "total_work_kj": _num(work),
        "avg_power_w": _num(stats.avg_power_w),
        "max_power_w": _num(stats.max_power_w),
        "avg_heart_rate_bpm": _num(stats.avg_heart_rate_bpm),
        "max_heart_rate_bpm": _num(stats.max_heart_rate_bpm, ".0f"),
        "avg_cadence_rpm": _num(stats.avg_cadence_rpm),
        "avg_speed_mps": _num(stats.avg_speed_mps, ".3f"),
        "ftp_w": _num(workout.ftp_w, ".0f"),
        "samples": str(len(workout.samples)),
        "gps_points": str(len(workout.track)),
        "sets": str(sum(1 for s in workout.sets if s.kind == "active")),
        "device_type": safe_cell(workout.device_type),
        "origin": safe_cell(workout.origin),
    }


SUMMARY = SummarySpec(filename="summary.csv", columns=SUMMARY_COLUMNS, row=summary_row)


@hookimpl
def register_formats() -> Iterator[FormatSpec]:
    """The ``csv`` format and its ``summary.csv``."""
    yield FormatSpec(
        name="csv",
        suffix=".csv",
        media_type="text/csv",
        write=write_csv,
        description="per-second CSV per workout, plus summary.csv with one row per workout",
        summary=SUMMARY,
    )


@hookimpl
def export_finished(context: RunContext, report: ExportReport) -> None:
    """Rewrite ``summary.csv`` with every workout exported as CSV into the output folder."""
    update_summary_file(context, report, "csv", SUMMARY)


__all__ = [
    "SAMPLE_COLUMNS",
    "SUMMARY_COLUMNS",
    "export_finished",
    "register_formats",
    "safe_cell",
    "summary_row",
    "write_csv",
]
