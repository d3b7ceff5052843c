"""Workout -> FIT messages -> bytes.

Messages, in file order: ``file_id``, ``device_info`` (creator), ``event`` timer start,
one ``record`` per sample (and per GPS fix without a sample, joined by offset), ``event``
timer stop/start around pauses, strength ``set`` messages, ``event`` timer stop_all, the
``lap`` messages, ``time_in_zone`` (heart rate and power), ``session`` and ``activity``.

Rules a user should know:

* Times are UTC; ``activity.local_timestamp`` uses Peloton's own ``timezone`` of the workout
  (never the host's) and is left out when the workout has none or it is unknown.
* Pauses: Peloton places samples on its active clock and reports only a total pause time,
  so a pause is written (timer stop, then start) only where the data shows one: where a
  sample's wall-clock time runs ahead of its active offset by 2 s or more more than the
  previous sample's did. A jump of N s before a sample at time T is the pause [T - N, T).
  The timer stops (stop_all) at the last active second; the session's elapsed time runs to
  the workout's end, so a pause Peloton did not place shows as elapsed minus timer time.
* Values a FIT field cannot hold, or that cannot be real (negative power, cadence above 254,
  a heart rate of 255 or more, NaN), are left out of the record they belong to; every
  workout with such values gets one warning naming the fields and counts. Nothing is clamped.
* Running and walking cadence is written in strides per minute (half of Peloton's steps per
  minute), as FIT and Garmin devices do; rowing cadence is the stroke rate.
* Resistance is mapped from Peloton's 0-100 % to FIT's relative 0-254.
* Rowing: ``total_cycles`` (strokes) is the stroke rate integrated over time.
* The file is deterministic: the same workout and options give the same bytes (no "now";
  the serial number is derived from the workout id).
"""

from __future__ import annotations

import hashlib
import logging
import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from peloton_export.errors import ConfigError
from peloton_export.fit.adapter import FIT_EPOCH_S, FitWriter
from peloton_export.fit.devices import device_for
from peloton_export.fit.laps import LapSpan, plan_laps
from peloton_export.fit.sports import SportChoice, fit_sport
from peloton_export.fit.strength import ExerciseMap, load_exercise_map
from peloton_export.fit.zones import heart_rate_zone_times, power_zone_times
from peloton_export.model import Sample, Workout
from peloton_export.specs import ExportContext
from peloton_export.stats import Stats, apportion, summarize

__all__ = ["FitOptions", "Message", "build_messages", "encode_workout", "serial_number"]

Message = tuple[str, dict[str, object]]
log = logging.getLogger(__name__)

PAUSE_DRIFT_S = 2.0
SEMICIRCLES_PER_DEGREE = 2**31 / 180.0
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True, slots=True)
class FitOptions:
    """FIT writer options (``--option fit.<name>=<value>``).

    ``virtual``: indoor cycling as a virtual activity (Strava "Virtual Ride");
    ``zones``: write time-in-zone messages (default on); ``device``: a preset from
    :mod:`peloton_export.fit.devices`; ``laps``: a strategy from :mod:`peloton_export.fit.laps`;
    ``exercise_map``: an extra movement-mapping JSON file.
    """

    virtual: bool = False
    zones: bool = True
    device: str = "honest"
    laps: str = "auto"
    exercise_map: str | None = None

    @classmethod
    def from_context(cls, context: ExportContext) -> FitOptions:
        """Read the ``fit.*`` options (then the ``[fit]`` config section) of a run."""
        section = context.config_for("fit")

        def get(name: str) -> str | None:
            value = context.option(f"fit.{name}")
            return value if value is not None else section.get(name)

        def boolean(name: str, default: bool) -> bool:
            value = get(name)
            if value is None:
                return default
            text = value.strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ConfigError(f"fit.{name} must be true or false, not {value!r}")

        return cls(
            virtual=boolean("virtual", False),
            zones=boolean("zones", True),
            device=get("device") or "honest",
            laps=get("laps") or "auto",
            exercise_map=get("exercise_map") or None,
        )


def serial_number(workout_id: str) -> int:
    """A stable non-zero 32-bit serial number derived from the workout id."""
    value = int.from_bytes(hashlib.sha256(workout_id.encode("utf-8")).digest()[:4], "big")
    return value or 1


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


class _Cleaner:
    """Leaves out values a FIT record cannot hold, counting them per field."""

    def __init__(self, running: bool) -> None:
        self.cadence_div = 2.0 if running else 1.0
        self.dropped: Counter[str] = Counter()

    def sample(self, s: Sample) -> Sample:
        bad: dict[str, None] = {}
        p = s.power_w
        if p is not None and not (math.isfinite(p) and 0 <= p <= 65534.4):
            bad["power_w"] = None
        c = s.cadence_rpm
        if c is not None and not (math.isfinite(c) and 0 <= c / self.cadence_div <= 254.4):
            bad["cadence_rpm"] = None
        h = s.heart_rate_bpm
        if h is not None and not (isinstance(h, int | float) and math.isfinite(h) and 1 <= h <= 254.4):
            bad["heart_rate_bpm"] = None
        r = s.resistance_pct
        if r is not None and not (math.isfinite(r) and 0 <= r <= 100):
            bad["resistance_pct"] = None
        v = s.speed_mps
        if v is not None and not (math.isfinite(v) and 0 <= v <= 65.534):
            bad["speed_mps"] = None
        g = s.incline_pct
        if g is not None and not (math.isfinite(g) and -327.68 <= g <= 327.66):
            bad["incline_pct"] = None
        a = s.altitude_m
        if a is not None and not (math.isfinite(a) and -500 <= a <= 12606.8):
            bad["altitude_m"] = None
        d = s.distance_m
        if d is not None and not (math.isfinite(d) and 0 <= d <= 42_949_672.9):
            bad["distance_m"] = None
        if not bad:
            return s
        self.dropped.update(bad.keys())
        return replace(s, **bad)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class _Timeline:
    """Wall-clock times of the workout: start, pauses, end of active time, end."""

    start: datetime
    pauses: tuple[tuple[datetime, datetime], ...]
    stop: datetime
    end: datetime
    drift: tuple[tuple[int, float], ...]  # (offset, wall - offset seconds) where it changes

    def at(self, offset: int) -> datetime:
        """Wall-clock time of an active second."""
        shift = 0.0
        for at_offset, value in self.drift:
            if at_offset > offset:
                break
            shift = value
        return self.start + timedelta(seconds=offset + shift)

    def timer_between(self, a: datetime, b: datetime) -> float:
        """Seconds the timer ran between ``a`` and ``b``."""
        b = min(b, self.stop)
        if b <= a:
            return 0.0
        total = (b - a).total_seconds()
        for p0, p1 in self.pauses:
            overlap = (min(b, p1) - max(a, p0)).total_seconds()
            if overlap > 0:
                total -= overlap
        return max(total, 0.0)


def _timeline(workout: Workout, points: Sequence[tuple[datetime, int]]) -> _Timeline:
    """Find pauses: the wall clock running ahead of the active offsets by 2 s or more.

    A pause of ``jump`` seconds before a point at ``time`` is ``[time - jump, time)``, so the
    active seconds between the two points stay on the timer.
    """
    start = workout.start
    pauses: list[tuple[datetime, datetime]] = []
    drift: list[tuple[int, float]] = []
    previous_drift: float | None = None
    for time, offset in points:
        current = (time - start).total_seconds() - offset
        if previous_drift is not None and current - previous_drift >= PAUSE_DRIFT_S:
            jump = current - previous_drift
            pauses.append((time - timedelta(seconds=jump), time))
            drift.append((offset, current))
        if previous_drift is None or current - previous_drift >= PAUSE_DRIFT_S:
            previous_drift = current
    last_drift = previous_drift or 0.0
    last_offset = points[-1][1] if points else 0
    active_end = max(float(last_offset), workout.timer_s if _finite(workout.timer_s) else 0.0)
    stop = start + timedelta(seconds=active_end + last_drift)
    if points:
        stop = max(stop, points[-1][0])
    end = max(workout.end, stop)
    return _Timeline(start, tuple(pauses), stop, end, tuple(drift))


def _round(value: float | None) -> int | None:
    return None if value is None or not math.isfinite(value) else round(value)


def _within(value: float | None, lo: float, hi: float) -> float | None:
    """``value`` when it is finite and in ``lo..hi``, else ``None`` (a summary left out)."""
    return value if value is not None and math.isfinite(value) and lo <= value <= hi else None


def _int_within(value: float | None, lo: int, hi: int) -> int | None:
    kept = _within(value, lo, hi)
    return None if kept is None else round(kept)


def _valid_position(lat: float, lon: float) -> bool:
    return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon < 180


def _records(
    workout: Workout, samples: Sequence[Sample], family: str
) -> tuple[list[tuple[datetime, int, dict[str, object]]], float | None]:
    """Record messages with their times and offsets, and the largest distance seen."""
    running = family in ("running", "walking")
    fixes = {p.offset: p for p in workout.track}
    rows: list[tuple[datetime, int, dict[str, object]]] = []
    max_distance: float | None = None
    semi = SEMICIRCLES_PER_DEGREE
    for s in samples:
        rec: dict[str, object] = {"timestamp": s.time}
        fix = fixes.pop(s.offset, None)
        if fix is not None and not _valid_position(fix.latitude, fix.longitude):
            fix = None
        if fix is not None:
            rec["position_lat"] = round(fix.latitude * semi)
            rec["position_long"] = round(fix.longitude * semi)
        distance = s.distance_m if s.distance_m is not None else (fix.distance_m if fix else None)
        if distance is not None and not (math.isfinite(distance) and 0 <= distance <= 42_949_672.9):
            distance = None
        if distance is not None:
            rec["distance"] = distance
            if max_distance is None or distance > max_distance:
                max_distance = distance
        altitude = s.altitude_m if s.altitude_m is not None else (fix.altitude_m if fix else None)
        if altitude is not None and math.isfinite(altitude) and -500 <= altitude <= 12606.8:
            rec["altitude"] = altitude
            rec["enhanced_altitude"] = altitude
        if s.speed_mps is not None:
            rec["speed"] = s.speed_mps
            rec["enhanced_speed"] = s.speed_mps
        if s.power_w is not None:
            rec["power"] = round(s.power_w)
        if s.cadence_rpm is not None:
            rec["cadence"] = round(s.cadence_rpm / 2) if running else round(s.cadence_rpm)
        if s.heart_rate_bpm is not None:
            rec["heart_rate"] = round(s.heart_rate_bpm)
        if s.incline_pct is not None:
            rec["grade"] = s.incline_pct
        if s.resistance_pct is not None:
            rec["resistance"] = round(s.resistance_pct * 2.54)
        rows.append((s.time, s.offset, rec))
    for fix in fixes.values():
        if not _valid_position(fix.latitude, fix.longitude):
            continue
        rec = {
            "timestamp": fix.time,
            "position_lat": round(fix.latitude * semi),
            "position_long": round(fix.longitude * semi),
        }
        if _finite(fix.altitude_m) and -500 <= (fix.altitude_m or 0.0) <= 12606.8:
            rec["altitude"] = fix.altitude_m
            rec["enhanced_altitude"] = fix.altitude_m
        if _finite(fix.distance_m) and 0 <= (fix.distance_m or 0.0) <= 42_949_672.9:
            rec["distance"] = fix.distance_m
            if max_distance is None or (fix.distance_m or 0.0) > max_distance:
                max_distance = fix.distance_m
        rows.append((fix.time, fix.offset, rec))
    if workout.track:
        rows.sort(key=lambda row: (row[0], row[1]))
    return rows, max_distance


def _ascent_descent(altitudes: Sequence[float], threshold: float = 1.0) -> tuple[float, float]:
    """Total ascent and descent with a small hysteresis against noise."""
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


def _avg_speed(distance: float | None, timer: float, stats: Stats) -> float | None:
    """Distance over timer time (as Garmin does), else the mean sample speed; in FIT range."""
    value = distance / timer if distance is not None and timer > 0 else stats.avg_speed_mps
    return _within(value, 0, 65.534)


def _summary_fields(stats: Stats, running: bool) -> dict[str, object]:
    div = 2.0 if running else 1.0
    fields: dict[str, object] = {
        "avg_power": _round(stats.avg_power_w),
        "max_power": _round(stats.max_power_w),
        "avg_heart_rate": _round(stats.avg_heart_rate_bpm),
        "max_heart_rate": _round(stats.max_heart_rate_bpm),
        "avg_cadence": _round(None if stats.avg_cadence_rpm is None else stats.avg_cadence_rpm / div),
        "max_cadence": _round(None if stats.max_cadence_rpm is None else stats.max_cadence_rpm / div),
        "max_speed": stats.max_speed_mps,
        "enhanced_max_speed": stats.max_speed_mps,
    }
    return fields


def _strokes(samples: Sequence[Sample]) -> int | None:
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


def _local_timestamp(workout: Workout, when: datetime) -> int | None:
    if not workout.timezone:
        return None
    try:
        zone = ZoneInfo(workout.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    offset = when.astimezone(zone).utcoffset()
    if offset is None:
        return None
    return int(when.timestamp()) - FIT_EPOCH_S + int(offset.total_seconds())


def _set_messages(
    workout: Workout, exercises: ExerciseMap, unmapped: list[str]
) -> list[tuple[datetime, dict[str, object]]]:
    unit = "pound" if workout.units == "imperial" else "kilogram"
    out: list[tuple[datetime, dict[str, object]]] = []
    for index, item in enumerate(sorted(workout.sets, key=lambda s: (s.start, s.index))):
        duration = item.duration_s if _within(item.duration_s, 0, 86_400) is not None else 0.0
        end = item.start + timedelta(seconds=duration)
        mesg: dict[str, object] = {
            "timestamp": end,
            "start_time": item.start,
            "duration": min(duration, 4_294_967.0),
            "set_type": "active" if item.kind == "active" else "rest",
            "message_index": index,
        }
        if item.kind == "active":
            if item.repetitions is not None and 0 <= item.repetitions <= 65534:
                mesg["repetitions"] = item.repetitions
            if _finite(item.weight_kg) and 0 < (item.weight_kg or 0.0) <= 4095.8:
                mesg["weight"] = item.weight_kg
                mesg["weight_display_unit"] = unit
            exercise = exercises.lookup(item.movement_id, item.movement_name)
            if exercise is not None:
                mesg["category"] = [exercise.category]
                mesg["category_subtype"] = [exercise.exercise_num]
            elif item.movement_name or item.movement_id:
                unmapped.append(item.movement_name or item.movement_id or "")
        out.append((end, mesg))
    return out


def _zone_messages(workout: Workout, when: datetime) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    hr = heart_rate_zone_times(workout)
    power = power_zone_times(workout)
    if hr is None and power is None:
        return out
    mesg: dict[str, object] = {"timestamp": when, "reference_mesg": "session", "reference_index": 0}
    if hr is not None:
        mesg["time_in_hr_zone"] = [min(s, 4_294_967.0) for s in hr.seconds]
        mesg["hr_zone_high_boundary"] = list(hr.high_boundaries)
        mesg["hr_calc_type"] = "custom"
        mesg["max_heart_rate"] = _int_within(workout.max_heart_rate_bpm, 1, 254)
    if power is not None and workout.ftp_w:
        mesg["time_in_power_zone"] = [min(s, 4_294_967.0) for s in power.seconds]
        mesg["power_zone_high_boundary"] = list(power.high_boundaries)
        mesg["pwr_calc_type"] = "percent_ftp"
        mesg["functional_threshold_power"] = _int_within(workout.ftp_w, 1, 65534)
    out.append(mesg)
    return out


def build_messages(
    workout: Workout, options: FitOptions | None = None, logger: logging.Logger | None = None
) -> list[Message]:
    """Return the FIT messages of ``workout`` as ``(message name, fields)`` pairs.

    :raises ConfigError: an unknown device preset or lap strategy, or a bad exercise map.
    """
    options = options or FitOptions()
    logger = logger or log
    sport: SportChoice = fit_sport(workout, virtual=options.virtual)
    running = sport.family in ("running", "walking")
    device = device_for(options.device, sport.family)
    cleaner = _Cleaner(running)
    samples = sorted((cleaner.sample(s) for s in workout.samples), key=lambda s: s.offset)
    rows, max_distance = _records(workout, samples, sport.family)
    if cleaner.dropped:
        detail = ", ".join(f"{n} {f.rsplit('_', 1)[0]}" for f, n in sorted(cleaner.dropped.items()))
        logger.warning(
            "workout %s: left out of the FIT records values no FIT field can hold: %s", workout.id, detail
        )
    timeline = _timeline(workout, [(t, o) for t, o, _ in rows])
    start, end = timeline.start, timeline.end
    serial = serial_number(workout.id)

    messages: list[Message] = [
        (
            "file_id",
            {
                "type": "activity",
                "manufacturer": device.manufacturer,
                "product": device.product,
                "serial_number": serial,
                "time_created": start,
                "product_name": device.product_name,
            },
        ),
        (
            "device_info",
            {
                "timestamp": start,
                "device_index": "creator",
                "manufacturer": device.manufacturer,
                "product": device.product,
                "product_name": device.product_name,
                "software_version": device.software_version,
                "serial_number": serial,
            },
        ),
        ("event", {"timestamp": start, "event": "timer", "event_type": "start"}),
    ]
    body: list[tuple[datetime, int, Message]] = [(t, 0, ("record", rec)) for t, _, rec in rows]
    for p0, p1 in timeline.pauses:
        body.append((p0, 1, ("event", {"timestamp": p0, "event": "timer", "event_type": "stop"})))
        body.append((p1, -1, ("event", {"timestamp": p1, "event": "timer", "event_type": "start"})))
    unmapped: list[str] = []
    if workout.sets:
        exercises = load_exercise_map(options.exercise_map)
        for when, mesg in _set_messages(workout, exercises, unmapped):
            body.append((when, 2, ("set", mesg)))
        if unmapped:
            names = ", ".join(sorted(set(unmapped)))
            logger.info("workout %s: movements without a Garmin exercise mapping: %s", workout.id, names)
    if timeline.pauses or workout.sets:
        body.sort(key=lambda item: (item[0], item[1]))
    messages.extend(m for _, _, m in body)
    messages.append(("event", {"timestamp": timeline.stop, "event": "timer", "event_type": "stop_all"}))

    # Laps
    last_offset = max([o for _, o, _ in rows], default=0)
    active_end = max(last_offset, math.ceil(workout.timer_s) if _finite(workout.timer_s) else 0)
    spans: list[LapSpan] = plan_laps(workout, active_end, strategy=options.laps, family=sport.family)
    lap_bounds = [(timeline.at(span.start), timeline.at(span.end)) for span in spans]
    lap_bounds[0] = (start, lap_bounds[0][1])
    lap_bounds[-1] = (lap_bounds[-1][0], end)
    calories = apportion(
        _within(workout.calories_kcal, 0, 1e6) or 0.0, [(b - a).total_seconds() for a, b in lap_bounds]
    )
    distance_before = 0.0
    offsets = [s.offset for s in samples]
    for index, (span, (lap_start, lap_end)) in enumerate(zip(spans, lap_bounds, strict=True)):
        last = index == len(spans) - 1
        lo = 0 if index == 0 else bisect_left(offsets, span.start)
        hi = len(samples) if last else bisect_left(offsets, span.end)
        lap_samples = samples[lo:hi]
        stats = summarize(lap_samples, distance_start_m=distance_before)
        lap_distances = [s.distance_m for s in lap_samples if s.distance_m is not None]
        if not lap_distances and workout.track:
            lap_distances = [
                p.distance_m
                for p in workout.track
                if p.distance_m is not None
                and (span.start <= p.offset < span.end or (last and p.offset >= span.end))
            ]
        lap_distances = [d for d in lap_distances if _within(d, 0, 42_949_672.9) is not None]
        lap_distance = max(max(lap_distances) - distance_before, 0.0) if lap_distances else None
        if lap_distances:
            distance_before = max(distance_before, max(lap_distances))
        timer = timeline.timer_between(lap_start, lap_end)
        lap: dict[str, object] = {
            "message_index": index,
            "timestamp": lap_end,
            "event": "lap",
            "event_type": "stop",
            "start_time": lap_start,
            "total_elapsed_time": (lap_end - lap_start).total_seconds(),
            "total_timer_time": timer,
            "total_distance": lap_distance,
            "total_calories": _int_within(calories[index], 0, 65534) if workout.calories_kcal else None,
            "avg_speed": _avg_speed(lap_distance, timer, stats),
            "lap_trigger": "session_end" if last and span.trigger == "session_end" else span.trigger,
            "sport": sport.sport,
            "sub_sport": sport.sub_sport,
            **_summary_fields(stats, running),
        }
        lap["enhanced_avg_speed"] = lap["avg_speed"]
        messages.append(("lap", lap))

    # Zones, session, activity
    if options.zones:
        messages.extend(("time_in_zone", m) for m in _zone_messages(workout, end))
    stats = summarize(samples)
    distance = _within(workout.distance_m, 0, 42_949_672.9)
    if distance is None:
        distance = max_distance
    total_timer = timeline.timer_between(start, end)
    session: dict[str, object] = {
        "message_index": 0,
        "timestamp": end,
        "event": "session",
        "event_type": "stop",
        "start_time": start,
        "sport": sport.sport,
        "sub_sport": sport.sub_sport,
        "total_elapsed_time": (end - start).total_seconds(),
        "total_timer_time": total_timer,
        "total_distance": distance,
        "total_calories": _int_within(workout.calories_kcal, 0, 65534),
        "total_work": _int_within(workout.total_work_j, 0, 4_294_967_294),
        "avg_speed": _avg_speed(distance, total_timer, stats),
        "first_lap_index": 0,
        "num_laps": len(spans),
        "trigger": "activity_end",
        **_summary_fields(stats, running),
    }
    session["enhanced_avg_speed"] = session["avg_speed"]
    if workout.ftp_w and workout.ftp_w > 0:
        session["threshold_power"] = _int_within(workout.ftp_w, 1, 65534)
    altitudes = [float(r["altitude"]) for _, _, r in rows if "altitude" in r]  # type: ignore[arg-type]
    if len(altitudes) > 1:
        ascent, descent = _ascent_descent(altitudes)
        session["total_ascent"] = round(ascent)
        session["total_descent"] = round(descent)
    if sport.family == "rowing":
        strokes = _strokes(samples)
        if strokes:
            session["total_cycles"] = strokes
            if distance:
                session["avg_stroke_distance"] = min(distance / strokes, 655.34)
    valid_fixes = [p for p in workout.track if _valid_position(p.latitude, p.longitude)]
    if valid_fixes:
        first = min(valid_fixes, key=lambda p: p.offset)
        session["start_position_lat"] = round(first.latitude * SEMICIRCLES_PER_DEGREE)
        session["start_position_long"] = round(first.longitude * SEMICIRCLES_PER_DEGREE)
    messages.append(("session", session))
    messages.append(
        (
            "activity",
            {
                "timestamp": end,
                "total_timer_time": total_timer,
                "num_sessions": 1,
                "type": "manual",
                "event": "activity",
                "event_type": "stop",
                "local_timestamp": _local_timestamp(workout, end),
            },
        )
    )
    return messages


def write_messages(workout_id: str, messages: Sequence[Message]) -> bytes:
    """Encode ``messages`` through the checked :class:`FitWriter` and return the file."""
    writer = FitWriter(workout_id)
    write = writer.write
    for name, fields in messages:
        write(name, fields)
    return writer.close()


def encode_workout(
    workout: Workout, options: FitOptions | None = None, logger: logging.Logger | None = None
) -> bytes:
    """Return the FIT file of ``workout``.

    :raises FitEncodeError: a value reached the encoder that the FIT profile cannot hold.
    :raises ConfigError: a bad option.
    """
    return write_messages(workout.id, build_messages(workout, options, logger))
