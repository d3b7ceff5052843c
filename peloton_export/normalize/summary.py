"""Workout-level facts: summaries, heart-rate zones, class, instructor and origin.

* Calories: the ``calories`` summary, else ``total_calories`` (Apple Watch), in kcal (a
  summary in kJ is converted).
* Total work: ``workout.total_work`` (joules) when above zero, else the ``total_output``
  summary converted by its unit (kJ). Zero means "no output" (strength) and gives ``None``.
* Distance: the ``distance`` summary converted by its own ``display_unit`` (mi, km, or m on
  the Row).
* Elevation gain: the ``elevation`` summary converted by its ``display_unit`` (ft when
  missing), in metres; wins over any ascent computed from an altitude series.
* Averages: ``avg_output`` (W) and ``avg_cadence`` (rpm; the Row's ``avg_stroke_rate``,
  spm) of ``average_summaries``, when finite and in range.
* Strokes: the ``stroke_count`` summary (a whole number of strokes, Row); without one, the
  number of strokes in Peloton's per-stroke list (``caesar_metrics.output.data``).
* FTP: see :func:`ftp` (by ``ftp_info.ftp_source``).
* Heart-rate zones: the ``zones`` of the ``heart_rate`` metric (``zoneN``, min/max bpm,
  seconds spent); else the durations of ``effort_zones.heart_rate_zone_durations`` without
  bounds. ``max_heart_rate_bpm`` is the user's maximum heart rate as Peloton set up the
  zones (the top zone's ``max_value``), not the highest reading of the workout.
* Instructor: ``ride.instructor.name``, except Peloton's pseudo-instructors for classes
  without one (``JUST RIDE``, ``JUST WALK``, ``GYM WORKOUT``, ``LANEBREAK``, ...: an
  all-capitals name with no ``instructor_id``, or any name on an all-zero ride).
* Origin: see :func:`detect_origin`.
"""

from __future__ import annotations

import re

from peloton_export.model import HeartRateZone
from peloton_export.normalize._common import JsonObject, arr, is_zero_id, num, obj, positive, text
from peloton_export.normalize.metrics import find_metric
from peloton_export.workout.origin import PELOTON, workout_origin
from peloton_export.workout.units import distance_to_m, energy_to_j

_PSEUDO_INSTRUCTORS = frozenset(
    {"JUST RIDE", "JUST RUN", "JUST WALK", "JUST ROW", "JUST LIFT", "GYM WORKOUT", "LANEBREAK", "SCENIC RIDE"}
)


def summaries(graph: JsonObject | None) -> dict[str, tuple[object, object]]:
    """``slug -> (value, display_unit)`` of the graph's summaries (first one wins)."""
    out: dict[str, tuple[object, object]] = {}
    if graph is None:
        return out
    for key in ("summaries", "average_summaries"):
        for raw in arr(graph.get(key)):
            item = obj(raw)
            slug = text(item.get("slug")) if item else None
            if item is not None and slug is not None and slug not in out:
                out[slug] = (item.get("value"), item.get("display_unit"))
    return out


#: Joules per kilocalorie (thermochemical).
J_PER_KCAL = 4184.0


def _energy_unit(unit: object) -> bool:
    """True for a unit of energy other than calories (``kJ``, ``J``, ``MJ``)."""
    return isinstance(unit, str) and unit.strip().lower() in {"kj", "j", "mj"}


def calories(sums: dict[str, tuple[object, object]]) -> float | None:
    """Kilocalories from ``calories`` or ``total_calories``: a value in an energy unit
    (``kJ``, ``J``) is converted; any other unit (``kcal``, ``Cal``, none) is kilocalories."""
    for slug in ("calories", "total_calories"):
        if slug in sums:
            value, unit = sums[slug]
            joules = energy_to_j(value, unit) if _energy_unit(unit) else None
            kcal = joules / J_PER_KCAL if joules is not None else num(value)
            if kcal is not None and 0.0 <= kcal < 100_000.0:
                return kcal
    return None


def total_work(workout: JsonObject, sums: dict[str, tuple[object, object]]) -> float | None:
    """Joules from ``total_work``, else the ``total_output`` summary."""
    work = positive(workout.get("total_work"))
    if work is not None and work < 1e9:
        return work
    if "total_output" in sums:
        value, unit = sums["total_output"]
        joules = energy_to_j(value, unit or "kj")
        if joules is not None and 0.0 < joules < 1e9:
            return joules
    return None


def distance(sums: dict[str, tuple[object, object]]) -> float | None:
    """Metres from the ``distance`` summary and its own unit."""
    if "distance" not in sums:
        return None
    value, unit = sums["distance"]
    if value is None:
        return None
    metres = distance_to_m(value, unit)
    return metres if metres is not None and metres < 1e8 else None


def elevation_gain(sums: dict[str, tuple[object, object]]) -> float | None:
    """Metres of ascent from the ``elevation`` summary (unit ``ft`` when none is given)."""
    if "elevation" not in sums:
        return None
    value, unit = sums["elevation"]
    if value is None:
        return None
    metres = distance_to_m(value, unit or "ft")
    return metres if metres is not None and metres < 100_000.0 else None


def average(sums: dict[str, tuple[object, object]], *slugs: str, ceiling: float) -> float | None:
    """Peloton's average from the first of ``slugs`` present (``avg_output`` in W,
    ``avg_cadence`` in rpm, ``avg_stroke_rate`` in spm): a finite value in ``[0, ceiling)``."""
    for slug in slugs:
        if slug in sums:
            value = num(sums[slug][0])
            return value if value is not None and 0.0 <= value < ceiling else None
    return None


def stroke_count(sums: dict[str, tuple[object, object]]) -> int | None:
    """The number of strokes from the ``stroke_count`` summary (``None`` when absent or zero)."""
    if "stroke_count" not in sums:
        return None
    value = num(sums["stroke_count"][0])
    if value is None or not 0.0 < value < 1_000_000.0:
        return None
    return round(value)


#: The share of the stored value that is the FTP, by ``ftp_info.ftp_source``. For a manual
#: source Peloton stores the best 20-minute average output; the FTP is 95 % of it. Workout
#: (``ftp_workout_source``) and estimated sources are used as given.
FTP_SOURCE_FACTORS = {"ftp_manual_source": 0.95}

#: The FTP range taken as real, in watts: outside it (a typo, a test account's 1 W) the
#: workout has no FTP, so no zones are drawn from nonsense.
FTP_RANGE_W = (30.0, 2000.0)


def ftp(workout: JsonObject) -> float | None:
    """The FTP in watts: ``ftp_info.ftp`` times its source's factor (see
    :data:`FTP_SOURCE_FACTORS`), when the result is within :data:`FTP_RANGE_W`."""
    ftp_info = obj(workout.get("ftp_info"))
    stored = positive(ftp_info.get("ftp")) if ftp_info else None
    if stored is None or ftp_info is None:
        return None
    source = (text(ftp_info.get("ftp_source")) or "").lower()
    value = stored * FTP_SOURCE_FACTORS.get(source, 1.0)
    low, high = FTP_RANGE_W
    return value if low <= value < high else None


def heart_rate_zones(graph: JsonObject | None) -> tuple[tuple[HeartRateZone, ...], float | None]:
    """The heart-rate zones and the user's max heart rate (the top zone's upper bound)."""
    if graph is None:
        return (), None
    metric = find_metric(graph, "heart_rate")
    zones = _metric_zones(metric.raw) if metric is not None else []
    if not zones:
        zones = _effort_zones(graph)
    tops = [z.max_bpm for z in zones if z.max_bpm is not None and 100 <= z.max_bpm <= 250]
    return tuple(zones), (max(tops) if tops else None)


def _metric_zones(metric: JsonObject) -> list[HeartRateZone]:
    """The ``zones`` of the heart-rate metric, with their bounds and durations."""
    zones: list[HeartRateZone] = []
    for i, raw in enumerate(arr(metric.get("zones"))):
        zone = obj(raw)
        if zone is not None:
            zones.append(_metric_zone(zone, i + 1))
    return zones


def _metric_zone(zone: JsonObject, position: int) -> HeartRateZone:
    """One zone; its number comes from its slug (``zone3``), else its 1-based ``position``."""
    slug = text(zone.get("slug")) or ""
    digits = "".join(ch for ch in slug if ch.isdigit())
    number = int(digits) if digits and len(digits) < 3 else position
    duration = num(zone.get("duration"))
    return HeartRateZone(
        number=number,
        name=text(zone.get("display_name")) or f"Zone {number}",
        min_bpm=_bpm(zone.get("min_value")),
        max_bpm=_bpm(zone.get("max_value")),
        duration_s=duration if duration is not None and duration >= 0 else None,
    )


def _effort_zones(graph: JsonObject) -> list[HeartRateZone]:
    """Zones 1-5 from ``effort_zones.heart_rate_zone_durations``: durations, no bounds."""
    effort = obj(graph.get("effort_zones"))
    durations = obj(effort.get("heart_rate_zone_durations")) if effort else None
    if durations is None:
        return []
    zones: list[HeartRateZone] = []
    for n in range(1, 6):
        value = num(durations.get(f"heart_rate_z{n}_duration"))
        if value is not None and value >= 0:
            zones.append(
                HeartRateZone(number=n, name=f"Zone {n}", min_bpm=None, max_bpm=None, duration_s=value)
            )
    return zones


def _bpm(value: object) -> float | None:
    v = num(value)
    return v if v is not None and 0 <= v <= 300 else None


def instructor(ride: JsonObject | None) -> str | None:
    """The instructor's name, or ``None`` for none and for Peloton's pseudo-instructors."""
    if ride is None or is_zero_id(ride.get("id")):
        return None
    person = obj(ride.get("instructor"))
    name = text(person.get("name")) if person else None
    if name is None:
        return None
    if name.upper() in _PSEUDO_INSTRUCTORS or (name.isupper() and not text(ride.get("instructor_id"))):
        return None
    return name


def detect_origin(workout: JsonObject) -> str:
    """``"peloton"``, or ``"imported:<service>"`` when Peloton imported the workout.

    The rules are :func:`peloton_export.workout.origin.workout_origin`'s (the same ones the sync
    uses to skip imported workouts): only an explicit mention of a known outside service in
    a source, platform or device field counts; ``strava_id``/``fitbit_id`` (exports *from*
    Peloton) and an all-zero ride id on their own do not.
    """
    origin = workout_origin(workout)
    return PELOTON if origin == PELOTON else f"imported:{origin}"


#: A Strava activity id: a positive 64-bit integer (Strava's ids are ``long``), in ASCII digits.
STRAVA_ID = re.compile(r"[0-9]{1,19}")


def strava_activity_id(value: object) -> str | None:
    """``value`` as a Strava activity id (``"4456039585"``), or ``None`` when it is not one:
    a positive integer below 2**63, as ASCII digits or a JSON integer. Anything else (a
    dict, a negative, ``"-1"``, a float, other scripts' digits, a 5,000-digit string) is
    ``None``, never an error."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    raw = str(value).strip() if isinstance(value, str) else (str(value) if 0 < value < 2**63 else "")
    if not STRAVA_ID.fullmatch(raw):
        return None
    return raw if 0 < int(raw) < 2**63 else None


def strava_share(workout: JsonObject) -> str | None:
    """The Strava activity id Peloton shared the workout as: the detail body's ``strava_id``
    when it is a Strava activity id (:func:`strava_activity_id`), else ``None`` (Peloton
    sends ``null``, or ``"-1"`` when it did not share it; fixtures of 2021-2026 bodies)."""
    return strava_activity_id(workout.get("strava_id"))
