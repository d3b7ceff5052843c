"""Built-in ``csv`` and ``csv-sets`` formats: per-second CSV, strength sets, ``summary.csv``.

The per-workout file has one row per instant (samples and GPS fixes joined by offset):

    time_utc, offset_s, power_w, cadence_rpm, resistance_pct, speed_mps, incline_pct,
    altitude_m, heart_rate_bpm, distance_m, latitude, longitude

``--option csv.units=metric`` (or ``imperial``) adds display-unit columns beside the SI ones
(:data:`DISPLAY_COLUMNS`). A workout without any per-second reading (meditation, for example)
gets a one-row summary file whose first column, ``note``, says so. ``csv-sets`` writes
``<stem>.sets.csv`` with one row per strength set (:data:`SET_COLUMNS`).

``summary.csv`` in the output folder has one row per workout ever exported there (columns
in :data:`SUMMARY_COLUMNS`; its ``distance_m``, ``ascent_m``, ``strokes`` and ``laps`` are
the FIT session's). Text that came from Peloton (titles, instructor names,
discipline, workout type, timezone, device type) is protected against spreadsheet formula
injection: a cell starting with ``= + - @`` or a control character gets a leading
apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from math import isfinite
from typing import BinaryIO

from peloton_export.errors import ConfigError
from peloton_export.formats._xml import point_times
from peloton_export.model import Workout
from peloton_export.specs import ExportContext, SummarySpec
from peloton_export.workout.disciplines import display_discipline
from peloton_export.workout.laps import planned_laps
from peloton_export.workout.series import Point, workout_points
from peloton_export.workout.sports import fit_sport
from peloton_export.workout.stats import workout_stats
from peloton_export.workout.timeutil import iso_utc, local_time
from peloton_export.workout.totals import session_totals
from peloton_export.workout.units import METRES_PER_MILE

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
    "ascent_m",
    "strokes",
    "avg_stroke_distance_m",
    "laps",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(text: str | None) -> str:
    """Text for a CSV cell that a spreadsheet will never run as a formula.

    Control characters (NUL, ESC sequences, CR/LF) and bidirectional overrides are removed,
    so a title cannot recolour a terminal that shows the file or reorder what a person
    reads; a cell that then starts with ``= + - @`` (or started with a tab or control
    character) gets a leading apostrophe.
    """
    if not text:
        return ""
    suspicious = text[0] < " " or text[0] == "\x7f"  # a tab or control character first: as OWASP
    if not text.isprintable():
        text = "".join(ch for ch in text if ch.isprintable() and ch not in _BIDI_CONTROLS)
    elif any(ch in _BIDI_CONTROLS for ch in text):
        text = "".join(ch for ch in text if ch not in _BIDI_CONTROLS)
    if suspicious or (text and text[0] in _FORMULA_START):
        return "'" + text
    return text


#: Embedding, override and isolate marks (U+202A-U+202E, U+2066-U+2069).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


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


#: Display-unit columns added by ``--option csv.units=metric|imperial``, per system.
DISPLAY_COLUMNS: dict[str, tuple[str, ...]] = {
    "metric": ("speed_kmh", "pace_min_per_km", "distance_km"),
    "imperial": ("speed_mph", "pace_min_per_mi", "distance_mi"),
}
_PER_UNIT_M = {"metric": 1000.0, "imperial": METRES_PER_MILE}
#: Columns of the summary-only file written for a workout without per-second readings.
NO_METRICS_COLUMNS = ("note", *SUMMARY_COLUMNS)
NO_METRICS_NOTE = "no per-second readings were recorded for this workout: this file holds its summary only"
SET_COLUMNS = (
    "set",
    "kind",
    "start_utc",
    "offset_s",
    "movement",
    "repetitions",
    "weight_kg",
    "duration_s",
    "tracking_type",
    "source",
)


def display_units(context: ExportContext) -> str | None:
    """The ``csv.units`` option (``metric`` or ``imperial``), or ``None`` when not given.

    :raises ConfigError: for any other value.
    """
    value = context.option("csv.units")
    if value is None or not value.strip():
        return None
    system = value.strip().lower()
    if system not in DISPLAY_COLUMNS:
        raise ConfigError(f"csv.units must be 'metric' or 'imperial', not {value!r}")
    return system


def _display(point: Point, system: str) -> str:
    """``,speed,pace,distance`` in the display units (empty cells where unknown)."""
    per = _PER_UNIT_M[system]
    s, g = point.sample, point.gps
    speed = s.speed_mps if s is not None else None
    distance = s.distance_m if s is not None and s.distance_m is not None else (g.distance_m if g else None)
    shown = None if speed is None else speed * 3600 / per
    pace = None if speed is None or speed < 0.5 else per / speed / 60
    shown_distance = None if distance is None else distance / per
    return f",{_f(shown, '.2f')},{_f(pace, '.2f')},{_f(shown_distance, '.3f')}"


def _no_metrics(workout: Workout, context: ExportContext) -> bytes:
    row = summary_row(workout, context)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(NO_METRICS_COLUMNS)
    writer.writerow([NO_METRICS_NOTE, *(row.get(c, "") for c in SUMMARY_COLUMNS)])
    return text.getvalue().encode("utf-8")


def write_csv(workout: Workout, stream: BinaryIO, context: ExportContext) -> None:
    """Write the per-second CSV of ``workout``.

    Columns: :data:`SAMPLE_COLUMNS`, then with ``csv.units`` set the display-unit columns of
    :data:`DISPLAY_COLUMNS` (speed in km/h or mph, pace in decimal minutes per km or mile,
    distance in km or miles). A workout without any per-second reading gets a one-row file
    with the columns :data:`NO_METRICS_COLUMNS` whose ``note`` says so.

    :raises ConfigError: when ``csv.units`` is neither ``metric`` nor ``imperial``.
    """
    system = display_units(context)
    points = workout_points(workout)
    if not points:
        stream.write(_no_metrics(workout, context))
        return
    times = point_times(workout)
    header = SAMPLE_COLUMNS if system is None else (*SAMPLE_COLUMNS, *DISPLAY_COLUMNS[system])
    lines = [",".join(header) + "\n"]
    if system is None:
        lines.extend(_row(p, t) for p, t in zip(points, times, strict=True))
    else:
        lines.extend(_row(p, t)[:-1] + _display(p, system) + "\n" for p, t in zip(points, times, strict=True))
    stream.write("".join(lines).encode("utf-8"))


def sets_skip_reason(workout: Workout) -> str | None:
    """Why ``csv-sets`` does not apply: the workout has no strength sets."""
    return None if workout.sets else "no strength sets in this workout"


def write_sets_csv(workout: Workout, stream: BinaryIO, context: ExportContext) -> None:
    """Write one row per strength set or rest (columns :data:`SET_COLUMNS`; SI units)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(SET_COLUMNS)
    for s in workout.sets:
        writer.writerow(
            [
                s.index + 1,
                s.kind,
                iso_utc(s.start),
                s.start_offset,
                safe_cell(s.movement_name or s.movement_id),
                "" if s.repetitions is None else s.repetitions,
                _f(s.weight_kg, ".2f"),
                _f(s.duration_s, ".0f"),
                safe_cell(s.tracking_type),
                s.source,
            ]
        )
    stream.write(text.getvalue().encode("utf-8"))


def _num(value: float | None, spec: str = ".1f") -> str:
    return _f(value, spec)


def summary_row(workout: Workout, context: ExportContext) -> Mapping[str, str]:
    """The ``summary.csv`` row of ``workout``: Peloton's totals (distance m, calories kcal,
    work kJ, FTP W), the shared totals of :mod:`peloton_export.workout.totals` (ascent m, strokes,
    average stroke distance m) and the number of laps of the shared lap plan.

    :raises ConfigError: an unknown lap strategy.
    """

    family = fit_sport(workout).family
    totals = session_totals(workout, family)
    laps = planned_laps(workout, context.option("laps") or context.option("fit.laps") or "auto", family)
    stats = workout_stats(workout)
    work = workout.total_work_j / 1000 if workout.total_work_j is not None else None
    return {
        "workout_id": workout.id,
        "start_utc": iso_utc(workout.start),
        "start_local": local_time(workout.start, workout.timezone).isoformat(),
        "timezone": safe_cell(workout.timezone),
        "discipline": safe_cell(display_discipline(workout.discipline)),
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
        "avg_power_w": _num(totals.avg_power_w),
        "max_power_w": _num(stats.max_power_w),
        "avg_heart_rate_bpm": _num(stats.avg_heart_rate_bpm),
        "max_heart_rate_bpm": _num(stats.max_heart_rate_bpm, ".0f"),
        "avg_cadence_rpm": _num(totals.avg_cadence_rpm),
        "avg_speed_mps": _num(totals.avg_speed_mps, ".3f"),
        "ftp_w": _num(workout.ftp_w, ".0f"),
        "samples": str(len(workout.samples)),
        "gps_points": str(len(workout.track)),
        "sets": str(sum(1 for s in workout.sets if s.kind == "active")),
        "device_type": safe_cell(workout.device_type),
        "origin": safe_cell(workout.origin),
        "ascent_m": _num(totals.ascent_m),
        "strokes": "" if totals.strokes is None else str(totals.strokes),
        "avg_stroke_distance_m": _num(totals.avg_stroke_distance_m, ".2f"),
        "laps": str(len(laps)),
    }


SUMMARY = SummarySpec(filename="summary.csv", columns=SUMMARY_COLUMNS, row=summary_row)


__all__ = [
    "DISPLAY_COLUMNS",
    "NO_METRICS_COLUMNS",
    "SAMPLE_COLUMNS",
    "SET_COLUMNS",
    "SUMMARY_COLUMNS",
    "display_units",
    "safe_cell",
    "summary_row",
    "write_csv",
    "write_sets_csv",
]
