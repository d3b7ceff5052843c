"""Read back every format written for one workout: the totals and laps each file states.

``written_numbers(out, workout_id)`` reads what a run wrote into ``out`` for the workout
(the ``.fit`` with the Garmin SDK decoder, strictly, through :mod:`fit_decode`; ``.tcx``
and ``.gpx`` with lxml; the per-second ``.csv`` and its ``summary.csv`` row; ``.json``;
the Parquet files its ``.parquet-receipt`` names, with pyarrow) and returns one
:class:`Numbers` per format found. ``rendered_numbers(workout, folder)`` writes every
built-in format of a normalized workout into ``folder`` first (the plugins' own writers,
and the ``summary.csv`` row), then reads them back the same way.

``story_problems(numbers)`` compares the formats two by two on what both state: active
duration (s), distance (m), calories (kcal), lap count, average and maximum power (W) and
heart rate (bpm), within each format's rounding (:data:`TOLERANCES`); an empty list is one
story. Every :class:`Numbers` also carries ``values``, every number the file holds (for
"finite and in range" checks).

Where a format states no total, the field is ``None`` (TCX has no session, GPX no laps or
totals, JSON no averages). Maxima of TCX, GPX, CSV and JSON come from their per-second
points; averages only where the file states one (FIT session, TCX laps weighted by their
trackpoints, ``summary.csv``, Parquet), because Peloton's own average wins over the mean of the
samples (the FIT session writes it).
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_decode import decode

from peloton_export.model import Workout

TCX_NS = "{http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2}"


@dataclass
class Numbers:
    """What one written file says about a workout (``None``: the format does not state it).

    Units: seconds, metres, kilocalories, watts, beats per minute.
    """

    format: str
    duration_s: float | None = None
    distance_m: float | None = None
    calories_kcal: float | None = None
    laps: int | None = None
    avg_power_w: float | None = None
    max_power_w: float | None = None
    avg_heart_rate_bpm: float | None = None
    max_heart_rate_bpm: float | None = None
    #: every number found in the file (all fields of every FIT message, every numeric text
    #: of the XML, every CSV cell, JSON number and Parquet cell), for range checks
    values: list[float] = field(default_factory=list, repr=False)


#: How far two formats may differ on a field: the coarsest rounding among the formats
#: (TCX laps: 0.1 s, 0.1 m, whole kcal per lap; FIT: ms, cm, whole kcal, whole W and bpm;
#: summary.csv: whole kcal and 0.1 W; TCX lap averages: whole bpm each).
TOLERANCES: dict[str, float] = {
    "duration_s": 0.5,
    "distance_m": 0.6,
    "calories_kcal": 1.0,
    "laps": 0.0,
    "avg_power_w": 1.0,
    "max_power_w": 1.0,
    "avg_heart_rate_bpm": 1.0,
    "max_heart_rate_bpm": 1.0,
}
COMPARED = tuple(TOLERANCES)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _numbers_in(value: object) -> Iterator[float]:
    """Every number in a nested JSON-like value (datetimes and strings are not numbers)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _numbers_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _numbers_in(item)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield float(value)


def _max(values: list[float]) -> float | None:
    return max(values) if values else None


# ------------------------------------------------------------------------ each format


def read_fit(data: bytes) -> Numbers:
    """The FIT session's totals and the lap count (Garmin SDK decoder, CRC checked)."""
    decoded = decode(data)
    session = decoded.one("session")
    values = [
        v for name, msgs in decoded.garmin.items() if name.endswith("_mesgs") for v in _numbers_in(msgs)
    ]
    return Numbers(
        "fit",
        duration_s=_number(session.get("total_timer_time")),
        distance_m=_number(session.get("total_distance")),
        calories_kcal=_number(session.get("total_calories")),
        laps=len(decoded.all("lap")),
        avg_power_w=_number(session.get("avg_power")),
        max_power_w=_number(session.get("max_power")),
        avg_heart_rate_bpm=_number(session.get("avg_heart_rate")),
        max_heart_rate_bpm=_number(session.get("max_heart_rate")),
        values=values,
    )


def _xml_values(root: Any) -> list[float]:
    found = []
    for element in root.iter():
        number = _number((element.text or "").strip()) if isinstance(element.tag, str) else None
        if number is not None:
            found.append(number)
    return found


def _local(element: Any) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def read_tcx(data: bytes) -> Numbers:
    """Lap sums (time, distance, calories), the lap count, the laps' average heart rate
    (weighted by their trackpoints with one) and largest maximum, and the largest trackpoint power."""
    root = etree.fromstring(data)
    laps = root.findall(f".//{TCX_NS}Lap")
    time = [float(lap.findtext(f"{TCX_NS}TotalTimeSeconds")) for lap in laps]
    distance = [_number(lap.findtext(f"{TCX_NS}DistanceMeters")) for lap in laps]
    calories = [_number(lap.findtext(f"{TCX_NS}Calories")) for lap in laps]
    # each lap's average weighted by its trackpoints with a heart rate (what it averages)
    weighted = [
        (float(len(lap.findall(f".//{TCX_NS}Trackpoint/{TCX_NS}HeartRateBpm"))), float(avg))
        for lap in laps
        if (avg := lap.findtext(f"{TCX_NS}AverageHeartRateBpm/{TCX_NS}Value")) is not None
    ]
    max_hr = [
        float(v) for v in (lap.findtext(f"{TCX_NS}MaximumHeartRateBpm/{TCX_NS}Value") for lap in laps) if v
    ]
    watts = [_number(e.text) for e in root.iter() if _local(e) == "Watts"]
    weight = sum(t for t, _ in weighted)
    return Numbers(
        "tcx",
        duration_s=sum(time) if laps else None,
        distance_m=sum(d for d in distance if d is not None)
        if any(d is not None for d in distance)
        else None,
        calories_kcal=sum(c for c in calories if c is not None)
        if any(c is not None for c in calories)
        else None,
        laps=len(laps),
        avg_heart_rate_bpm=sum(t * v for t, v in weighted) / weight if weight > 0 else None,
        max_heart_rate_bpm=_max(max_hr),
        max_power_w=_max([w for w in watts if w is not None]),
        values=_xml_values(root),
    )


def read_gpx(data: bytes) -> Numbers:
    """The largest heart rate and power of the track points (GPX states no totals)."""
    root = etree.fromstring(data)
    hr = [_number(e.text) for e in root.iter() if _local(e) == "hr"]
    power = [_number(e.text) for e in root.iter() if _local(e) in ("power", "PowerInWatts")]
    return Numbers(
        "gpx",
        max_heart_rate_bpm=_max([v for v in hr if v is not None]),
        max_power_w=_max([v for v in power if v is not None]),
        values=_xml_values(root),
    )


def read_csv(data: bytes, summary: Mapping[str, str] | None = None) -> Numbers:
    """The per-second CSV's largest power and heart rate, and its ``summary.csv`` row's
    totals (``summary``: that row, when there is one)."""
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    values = [
        n
        for row in rows
        for key, cell in row.items()
        if key != "time_utc" and (n := _number(cell)) is not None
    ]

    def column(name: str) -> list[float]:
        return [n for row in rows if (n := _number(row.get(name))) is not None]

    numbers = Numbers(
        "csv",
        max_power_w=_max(column("power_w")),
        max_heart_rate_bpm=_max(column("heart_rate_bpm")),
        values=values,
    )
    if summary is not None:
        cell = {key: _number(value) for key, value in summary.items()}
        numbers.values += [
            n for key, n in cell.items() if n is not None and key not in ("workout_id", "title", "instructor")
        ]
        numbers.duration_s = cell.get("timer_s")
        numbers.distance_m = cell.get("distance_m")
        numbers.calories_kcal = cell.get("calories_kcal")
        laps = cell.get("laps")
        numbers.laps = None if laps is None else int(laps)
        numbers.avg_power_w = cell.get("avg_power_w")
        numbers.max_power_w = cell.get("max_power_w")
        numbers.avg_heart_rate_bpm = cell.get("avg_heart_rate_bpm")
        numbers.max_heart_rate_bpm = cell.get("max_heart_rate_bpm")
    return numbers


def read_json(data: bytes) -> Numbers:
    """Timer time, distance, calories and laps of the JSON, and its samples' maxima."""
    doc = json.loads(data)
    samples = doc.get("samples") or {}
    power = [v for v in samples.get("power_w") or [] if v is not None]
    hr = [v for v in samples.get("heart_rate_bpm") or [] if v is not None]
    return Numbers(
        "json",
        duration_s=_number(doc.get("timer_s")),
        distance_m=_number(doc.get("distance_m")),
        calories_kcal=_number(doc.get("calories_kcal")),
        laps=len(doc.get("laps") or []),
        max_power_w=_max([float(v) for v in power]),
        max_heart_rate_bpm=_max([float(v) for v in hr]),
        values=list(_numbers_in(doc)),
    )


def read_parquet(workouts: Any, samples: Any) -> Numbers:
    """The Parquet workouts row's totals (pyarrow tables, or paths to the files) and the
    samples' largest heart rate (the row's ``max_heart_rate_bpm`` is the user's maximum)."""
    import pyarrow.parquet as pq

    if isinstance(workouts, Path):
        workouts, samples = pq.read_table(workouts), pq.read_table(samples)
    (row,) = workouts.to_pylist()
    hr = [v for v in samples.column("heart_rate_bpm").to_pylist() if v is not None]
    values = [v for v in _numbers_in(row)]
    for name in samples.schema.names:
        values += [
            float(v)
            for v in samples.column(name).to_pylist()
            if isinstance(v, int | float) and not isinstance(v, bool)
        ]
    return Numbers(
        "parquet",
        duration_s=_number(row.get("timer_s")),
        distance_m=_number(row.get("distance_m")),
        calories_kcal=_number(row.get("calories_kcal")),
        laps=row.get("laps"),
        avg_power_w=_number(row.get("avg_power_w")),
        max_power_w=_number(row.get("max_power_w")),
        avg_heart_rate_bpm=_number(row.get("avg_heart_rate_bpm")),
        max_heart_rate_bpm=_max([float(v) for v in hr]),
        values=values,
    )


# ------------------------------------------------------------------------ a run's folder


def _summary_row(out: Path, workout_id: str) -> dict[str, str] | None:
    path = out / "summary.csv"
    if not path.is_file():
        return None
    for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))):
        if row.get("workout_id") == workout_id:
            return row
    return None


def written_numbers(out: Path, workout_id: str) -> dict[str, Numbers]:
    """``format -> Numbers`` of every file written into ``out`` for ``workout_id`` (file
    names end in ``_<id>.<suffix>``, as the exporter names them)."""
    found: dict[str, Numbers] = {}
    for path in sorted(out.glob(f"*_{workout_id}.*")):
        suffix = path.suffix
        data = path.read_bytes()
        if suffix == ".fit":
            found["fit"] = read_fit(data)
        elif suffix == ".tcx":
            found["tcx"] = read_tcx(data)
        elif suffix == ".gpx":
            found["gpx"] = read_gpx(data)
        elif suffix == ".csv" and not path.name.endswith(".sets.csv"):
            found["csv"] = read_csv(data, _summary_row(out, workout_id))
        elif suffix == ".json":
            found["json"] = read_json(data)
        elif suffix == ".parquet-receipt":
            receipt = json.loads(data)
            files = receipt["files"]
            found["parquet"] = read_parquet(out / files["workouts"]["path"], out / files["samples"]["path"])
    return found


def rendered_numbers(workout: Workout, folder: Path) -> dict[str, Numbers]:
    """Write ``workout`` in every built-in format (fit, tcx, gpx when it has a track, csv
    with its ``summary.csv`` row, json, parquet) into ``folder``, then read them back."""
    from peloton_export.formats.csv import SUMMARY_COLUMNS, summary_row
    from peloton_export.plugins import create_host
    from peloton_export.specs import ExportContext

    host = create_host(entry_points=False)
    context = ExportContext(output_dir=folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = ["fit", "tcx", "csv", "json", "parquet"] + (["gpx"] if workout.track else [])
    for spec in host.resolve("format", names):
        stream = io.BytesIO()
        spec.write(workout, stream, context)
        (folder / f"w_{workout.id}{spec.suffix}").write_bytes(stream.getvalue())
    with (folder / "summary.csv").open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(SUMMARY_COLUMNS))
        writer.writeheader()
        writer.writerow(dict(summary_row(workout, context)))
    return written_numbers(folder, workout.id)


# ------------------------------------------------------------------------ the comparison


def story_problems(numbers: Mapping[str, Numbers], tolerances: Mapping[str, float] = TOLERANCES) -> list[str]:
    """Where two formats disagree on a field both state, by more than its tolerance."""
    problems: list[str] = []
    for name in tolerances:
        stated = [(n.format, getattr(n, name)) for n in numbers.values() if getattr(n, name) is not None]
        for i, (fa, a) in enumerate(stated):
            for fb, b in stated[i + 1 :]:
                if abs(a - b) > tolerances[name]:
                    problems.append(f"{name}: {fa} {a} != {fb} {b}")
    return problems


def non_finite(numbers: Mapping[str, Numbers]) -> list[str]:
    """Every number a file holds that is NaN or infinite."""
    return [f"{n.format}: {v}" for n in numbers.values() for v in n.values if not math.isfinite(v)]


def stated(numbers: Numbers) -> dict[str, Any]:
    """The fields ``numbers`` states (for messages)."""
    return {f.name: getattr(numbers, f.name) for f in fields(numbers) if f.name != "values"}


__all__ = [
    "COMPARED",
    "TOLERANCES",
    "Numbers",
    "non_finite",
    "read_csv",
    "read_fit",
    "read_gpx",
    "read_json",
    "read_parquet",
    "read_tcx",
    "rendered_numbers",
    "stated",
    "story_problems",
    "written_numbers",
]
