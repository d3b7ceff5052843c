"""Workout -> FIT messages -> bytes.

Messages, in file order: ``file_id``, ``device_info`` (creator), ``event`` timer start,
``workout`` (the title) and ``workout_step`` (class targets, :mod:`peloton_export.formats.fit.workout`),
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
* Rowing: ``total_cycles`` (strokes) is Peloton's ``stroke_count`` summary, else the stroke
  rate integrated over time; ``avg_stroke_distance`` is the distance over the strokes.
* The file is deterministic: the same workout and options give the same bytes (no "now";
  the serial number is derived from the workout id).
"""

from __future__ import annotations

import hashlib
import logging
import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from peloton_export.config import parse_bool
from peloton_export.formats.fit.adapter import FIT_EPOCH_S, FitWriter
from peloton_export.formats.fit.devices import DeviceIdentity, device_for
from peloton_export.formats.fit.strength import ExerciseMap, load_exercise_map
from peloton_export.formats.fit.workout import PowerCue, step_spans, workout_messages
from peloton_export.model import GpsPoint, Sample, Workout
from peloton_export.sinkkit.templates import activity_title
from peloton_export.specs import ExportContext
from peloton_export.workout.lap_spans import LapSpan
from peloton_export.workout.laps import PlannedLap, Timeline, planned_laps
from peloton_export.workout.laps import timeline as timeline_of
from peloton_export.workout.sports import SportChoice, fit_sport
from peloton_export.workout.stats import Stats, summarize
from peloton_export.workout.totals import ascent_descent, integrated_strokes
from peloton_export.workout.zones import heart_rate_zone_times, power_zone_times

__all__ = ["FitOptions", "Message", "build_messages", "encode_workout", "serial_number"]

Message = tuple[str, dict[str, object]]
log = logging.getLogger("peloton_export.fit.encode")

SEMICIRCLES_PER_DEGREE = 2**31 / 180.0


def semicircles(degrees: float) -> int:
    """``degrees`` (-180 to 180) as FIT semicircles, within the sint32 field: a longitude
    just under 180 degrees rounds to 2**31, past the largest valid value (2**31 - 1 is
    FIT's invalid marker), and is held there."""
    return max(-(2**31), min(round(degrees * SEMICIRCLES_PER_DEGREE), 2**31 - 2))


@dataclass(frozen=True, slots=True)
class FitOptions:
    """FIT writer options (``--option fit.<name>=<value>``).

    ``virtual``: indoor cycling as a virtual activity (Strava "Virtual Ride");
    ``zones``: write time-in-zone messages (default on); ``device``: a preset from
    :mod:`peloton_export.formats.fit.devices`; ``laps``: a strategy from
    :mod:`peloton_export.workout.lap_spans`;
    ``exercise_map``: an extra movement-mapping JSON file; ``power_targets``: write the class
    cues in watts ``power_cues`` (filled by the ``fit`` format's writer from the saved bike
    model) as the workout steps' power targets (:mod:`peloton_export.formats.fit.workout`).
    """

    virtual: bool = False
    zones: bool = True
    device: str = "honest"
    laps: str = "auto"
    exercise_map: str | None = None
    title: str | None = None  # the activity title (``workout.wkt_name``); None: the default template
    power_targets: bool = False
    power_cues: tuple[PowerCue, ...] = ()

    @classmethod
    def from_context(cls, context: ExportContext) -> FitOptions:
        """Read the ``fit.*`` options (then the ``[fit]`` config section) of a run."""
        section = context.config_for("fit")

        def get(name: str) -> str | None:
            value = context.option(f"fit.{name}")
            return value if value is not None else section.get(name)

        def boolean(name: str, default: bool) -> bool:
            return parse_bool(get(name), what=f"fit.{name}", default=default)

        return cls(
            virtual=boolean("virtual", False),
            zones=boolean("zones", True),
            device=get("device") or "honest",
            laps=context.option("laps") or get("laps") or "auto",  # as workout.laps.lap_strategy
            exercise_map=get("exercise_map") or None,
            power_targets=boolean("power_targets", False),
        )


def serial_number(workout_id: str) -> int:
    """A stable non-zero 32-bit serial number derived from the workout id."""
    value = int.from_bytes(hashlib.sha256(workout_id.encode("utf-8")).digest()[:4], "big")
    return value or 1


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _between(lo: float, hi: float) -> Callable[[float], bool]:
    """A check that a value is finite and in ``lo..hi``."""

    def check(value: float) -> bool:
        return math.isfinite(value) and lo <= value <= hi

    return check


def _cadence_fits(divisor: float) -> Callable[[float], bool]:
    """A check that a cadence, divided into the unit written, fits FIT's ``0..254``."""

    def check(value: float) -> bool:
        return math.isfinite(value) and 0 <= value / divisor <= 254.4

    return check


def _heart_rate_fits(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and 1 <= value <= 254.4


class _Cleaner:
    """Leaves out values a FIT record cannot hold, counting them per field."""

    def __init__(self, running: bool) -> None:
        cadence_div = 2.0 if running else 1.0
        self.dropped: Counter[str] = Counter()
        # (sample field, whether a present value fits its FIT field); cadence is checked
        # in the unit written (strides per minute when running).
        self._checks: tuple[tuple[str, Callable[[Any], bool]], ...] = (
            ("power_w", _between(0, 65534.4)),
            ("cadence_rpm", _cadence_fits(cadence_div)),
            ("heart_rate_bpm", _heart_rate_fits),
            ("resistance_pct", _between(0, 100)),
            ("speed_mps", _between(0, 65.534)),
            ("incline_pct", _between(-327.68, 327.66)),
            ("altitude_m", _between(-500, 12606.8)),
            ("distance_m", _between(0, 42_949_672.9)),
        )

    def sample(self, s: Sample) -> Sample:
        """``s``, or a copy with the values no FIT field can hold set to ``None``."""
        bad: dict[str, None] = {}
        for name, fits in self._checks:
            value = getattr(s, name)
            if value is not None and not fits(value):
                bad[name] = None
        if not bad:
            return s
        self.dropped.update(bad.keys())
        return replace(s, **bad)  # type: ignore[arg-type]


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


#: A record message's fields, with its time and offset (s) for ordering.
_Row = tuple[datetime, int, dict[str, object]]


def _records(workout: Workout, samples: Sequence[Sample], family: str) -> tuple[list[_Row], float | None]:
    """Record messages with their times and offsets, and the largest distance seen."""
    running = family in ("running", "walking")
    fixes = {p.offset: p for p in workout.track}
    rows: list[_Row] = []
    max_distance: float | None = None
    for s in samples:
        rec, distance = _sample_record(s, fixes.pop(s.offset, None), running)
        max_distance = _further(max_distance, distance)
        rows.append((s.time, s.offset, rec))
    for fix in fixes.values():
        if not _valid_position(fix.latitude, fix.longitude):
            continue
        rec, distance = _fix_record(fix)
        max_distance = _further(max_distance, distance)
        rows.append((fix.time, fix.offset, rec))
    if workout.track:
        rows.sort(key=lambda row: (row[0], row[1]))
    return rows, max_distance


def _further(known: float | None, distance: float | None) -> float | None:
    """The larger of two distances, either of which may be ``None``."""
    if distance is not None and (known is None or distance > known):
        return distance
    return known


def _sample_record(s: Sample, fix: GpsPoint | None, running: bool) -> tuple[dict[str, object], float | None]:
    """The record of one sample (with the GPS fix at its offset), and its distance in m."""
    rec: dict[str, object] = {"timestamp": s.time}
    if fix is not None and not _valid_position(fix.latitude, fix.longitude):
        fix = None
    if fix is not None:
        rec["position_lat"] = semicircles(fix.latitude)
        rec["position_long"] = semicircles(fix.longitude)
    distance = s.distance_m if s.distance_m is not None else (fix.distance_m if fix else None)
    if distance is not None and not (math.isfinite(distance) and 0 <= distance <= 42_949_672.9):
        distance = None
    if distance is not None:
        rec["distance"] = distance
    altitude = s.altitude_m if s.altitude_m is not None else (fix.altitude_m if fix else None)
    if altitude is not None and math.isfinite(altitude) and -500 <= altitude <= 12606.8:
        rec["altitude"] = altitude
        rec["enhanced_altitude"] = altitude
    _add_sample_metrics(rec, s, running)
    return rec, distance


def _add_sample_metrics(rec: dict[str, object], s: Sample, running: bool) -> None:
    """Speed, power, cadence (strides per minute when running), heart rate, grade, resistance."""
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


def _fix_record(fix: GpsPoint) -> tuple[dict[str, object], float | None]:
    """The record of a valid GPS fix that has no sample, and its distance in m."""
    rec: dict[str, object] = {
        "timestamp": fix.time,
        "position_lat": semicircles(fix.latitude),
        "position_long": semicircles(fix.longitude),
    }
    if _finite(fix.altitude_m) and -500 <= (fix.altitude_m or 0.0) <= 12606.8:
        rec["altitude"] = fix.altitude_m
        rec["enhanced_altitude"] = fix.altitude_m
    distance: float | None = None
    if _finite(fix.distance_m) and 0 <= (fix.distance_m or 0.0) <= 42_949_672.9:
        distance = fix.distance_m
        rec["distance"] = distance
    return rec, distance


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
        if hr.high_boundaries is not None:  # only bounds the data gives (optional fields)
            mesg["hr_zone_high_boundary"] = list(hr.high_boundaries)
            mesg["hr_calc_type"] = "custom"
        mesg["max_heart_rate"] = _int_within(workout.max_heart_rate_bpm, 1, 254)
    if power is not None and workout.ftp_w:
        mesg["time_in_power_zone"] = [min(s, 4_294_967.0) for s in power.seconds]
        mesg["power_zone_high_boundary"] = list(power.high_boundaries or ())
        mesg["pwr_calc_type"] = "percent_ftp"
        mesg["functional_threshold_power"] = _int_within(workout.ftp_w, 1, 65534)
    out.append(mesg)
    return out


def build_messages(
    workout: Workout, options: FitOptions | None = None, logger: logging.Logger | None = None
) -> list[Message]:
    """Return the FIT messages of ``workout`` as ``(message name, fields)`` pairs.

    One step per message group, in file order (see the module docstring).

    :raises ConfigError: an unknown device preset or lap strategy, or a bad exercise map.
    """
    options = options or FitOptions()
    logger = logger or log
    sport: SportChoice = fit_sport(workout, virtual=options.virtual)
    device = device_for(options.device, sport.family)
    activity = _prepare(workout, sport, logger)
    messages = _file_header(activity, device)
    title = activity_title(workout) if options.title is None else options.title
    power = options.power_cues if options.power_targets else ()
    messages.extend(workout_messages(workout, title, sport, power))
    messages.extend(_timed_messages(activity, options, logger))
    messages.append(_timer_event(activity.timeline.stop, "stop_all"))
    laps = _lap_messages(activity, options)
    messages.extend(laps)
    if options.zones:
        messages.extend(("time_in_zone", m) for m in _zone_messages(workout, activity.timeline.end))
    messages.append(("session", _session(activity, num_laps=len(laps))))
    messages.append(("activity", _activity(activity)))
    return messages


@dataclass(frozen=True, slots=True)
class _Activity:
    """What the message groups of one file share."""

    workout: Workout
    sport: SportChoice
    samples: list[Sample]  # cleaned, in offset order
    rows: list[_Row]  # the record messages, in file order
    max_distance: float | None  # the largest record distance (m)
    timeline: Timeline

    @property
    def running(self) -> bool:
        """True for running and walking (cadence in strides per minute)."""
        return self.sport.family in ("running", "walking")


def _prepare(workout: Workout, sport: SportChoice, logger: logging.Logger) -> _Activity:
    """Clean the samples, build the records and find the pauses (warns of dropped values)."""
    cleaner = _Cleaner(sport.family in ("running", "walking"))
    samples = sorted((cleaner.sample(s) for s in workout.samples), key=lambda s: s.offset)
    rows, max_distance = _records(workout, samples, sport.family)
    if cleaner.dropped:
        detail = ", ".join(f"{n} {f.rsplit('_', 1)[0]}" for f, n in sorted(cleaner.dropped.items()))
        logger.warning(
            "workout %s: left out of the FIT records values no FIT field can hold: %s", workout.id, detail
        )
    timeline = timeline_of(workout)
    return _Activity(workout, sport, samples, rows, max_distance, timeline)


def _timer_event(when: datetime, event_type: str) -> Message:
    return ("event", {"timestamp": when, "event": "timer", "event_type": event_type})


def _file_header(activity: _Activity, device: DeviceIdentity) -> list[Message]:
    """``file_id``, the creator's ``device_info`` and the timer start."""
    start = activity.timeline.start
    serial = serial_number(activity.workout.id)
    return [
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
        _timer_event(start, "start"),
    ]


def _timed_messages(activity: _Activity, options: FitOptions, logger: logging.Logger) -> list[Message]:
    """Records, timer stop/start around pauses and strength sets, in time order.

    At one instant a pause's timer start comes first, then the record, the timer stop and
    the set.
    """
    workout, timeline = activity.workout, activity.timeline
    body: list[tuple[datetime, int, Message]] = [(t, 0, ("record", rec)) for t, _, rec in activity.rows]
    for p0, p1 in timeline.pauses:
        body.append((p0, 1, _timer_event(p0, "stop")))
        body.append((p1, -1, _timer_event(p1, "start")))
    if workout.sets:
        body.extend((when, 2, ("set", mesg)) for when, mesg in _sets(workout, options, logger))
    if timeline.pauses or workout.sets:
        body.sort(key=lambda item: (item[0], item[1]))
    return [m for _, _, m in body]


def _sets(
    workout: Workout, options: FitOptions, logger: logging.Logger
) -> list[tuple[datetime, dict[str, object]]]:
    """The ``set`` messages with their end times; logs the movements without a mapping."""
    exercises = load_exercise_map(options.exercise_map)
    unmapped: list[str] = []
    sets = _set_messages(workout, exercises, unmapped)
    if unmapped:
        names = ", ".join(sorted(set(unmapped)))
        logger.info("workout %s: movements without a Garmin exercise mapping: %s", workout.id, names)
    return sets


def _lap_messages(activity: _Activity, options: FitOptions) -> list[Message]:
    """One ``lap`` per lap of the shared plan (:func:`peloton_export.workout.laps.planned_laps`: its
    times and calories; a stacked class's own work, distance and averages).

    A lap that is exactly a workout step's span names it (``wkt_step_index``), as Garmin
    Connect links laps to the class's steps (see :mod:`peloton_export.formats.fit.workout`)."""
    workout, samples = activity.workout, activity.samples
    planned = planned_laps(workout, options.laps, activity.sport.family)
    distance_before = 0.0
    offsets = [s.offset for s in samples]
    steps = {(step.start, step.end): i for i, step in enumerate(step_spans(workout))}
    messages: list[Message] = []
    for plan in planned:
        span = LapSpan(plan.start_offset, plan.end_offset, plan.trigger, plan.strategy)
        last = plan.index == len(planned) - 1
        lo = 0 if plan.index == 0 else bisect_left(offsets, span.start)
        hi = len(samples) if last else bisect_left(offsets, span.end)
        lap_samples = samples[lo:hi]
        stats = summarize(lap_samples, distance_start_m=distance_before)
        distances = _lap_distances(workout, lap_samples, span, last)
        distance = max(max(distances) - distance_before, 0.0) if distances else None
        if distances:
            distance_before = max(distance_before, max(distances))
        if plan.total_work_j is not None or plan.avg_power_w is not None:  # a stacked class
            distance = _within(plan.distance_m, 0, 42_949_672.9) if plan.distance_m is not None else distance
        lap = _Lap(plan.index, span, plan, last, distance, stats)
        fields = _lap_fields(activity, lap)
        fields["wkt_step_index"] = steps.get((span.start, span.end))  # the step this lap is
        messages.append(("lap", fields))
    return messages


def _lap_distances(workout: Workout, lap_samples: Sequence[Sample], span: LapSpan, last: bool) -> list[float]:
    """The cumulative distances (m) in a lap: its samples', else its GPS fixes'; FIT range only."""
    distances = [s.distance_m for s in lap_samples if s.distance_m is not None]
    if not distances and workout.track:
        distances = [
            p.distance_m
            for p in workout.track
            if p.distance_m is not None
            and (span.start <= p.offset < span.end or (last and p.offset >= span.end))
        ]
    return [d for d in distances if _within(d, 0, 42_949_672.9) is not None]


@dataclass(frozen=True, slots=True)
class _Lap:
    """One lap to write: its span, its planned lap (times, calories, a class's own totals),
    distance (m) and stats."""

    index: int
    span: LapSpan
    plan: PlannedLap
    last: bool
    distance_m: float | None
    stats: Stats

    @property
    def start(self) -> datetime:
        """The lap's first wall-clock second."""
        return self.plan.start

    @property
    def end(self) -> datetime:
        """The lap's end (the next lap's start; the workout's end for the last)."""
        return self.plan.end


def _lap_fields(activity: _Activity, lap: _Lap) -> dict[str, object]:
    sport = activity.sport
    timer = activity.timeline.timer_between(lap.start, lap.end)
    fields: dict[str, object] = {
        "message_index": lap.index,
        "timestamp": lap.end,
        "event": "lap",
        "event_type": "stop",
        "start_time": lap.start,
        "total_elapsed_time": (lap.end - lap.start).total_seconds(),
        "total_timer_time": timer,
        "total_distance": lap.distance_m,
        "total_calories": _int_within(lap.plan.calories_kcal, 0, 65534),
        "total_work": _int_within(lap.plan.total_work_j, 0, 4_294_967_294),
        "avg_speed": _avg_speed(lap.distance_m, timer, lap.stats),
        "lap_trigger": "session_end" if lap.last and lap.span.trigger == "session_end" else lap.span.trigger,
        "sport": sport.sport,
        "sub_sport": sport.sub_sport,
        **_summary_fields(lap.stats, activity.running),
    }
    fields["enhanced_avg_speed"] = fields["avg_speed"]
    fields.update(_peloton_averages_of(lap.plan.avg_power_w, lap.plan.avg_cadence_rpm, activity.running))
    return fields


def _session(activity: _Activity, num_laps: int) -> dict[str, object]:
    """The ``session`` message: totals over the whole workout."""
    workout, sport, timeline = activity.workout, activity.sport, activity.timeline
    start, end = timeline.start, timeline.end
    stats = summarize(activity.samples)
    distance = _within(workout.distance_m, 0, 42_949_672.9)
    if distance is None:
        distance = activity.max_distance
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
        "num_laps": num_laps,
        "trigger": "activity_end",
        **_summary_fields(stats, activity.running),
    }
    session["enhanced_avg_speed"] = session["avg_speed"]
    if workout.ftp_w and workout.ftp_w > 0:
        session["threshold_power"] = _int_within(workout.ftp_w, 1, 65534)
    session.update(_peloton_averages(workout, activity.running))
    session.update(_elevation_fields(activity.rows, workout.ascent_m))
    if sport.family == "rowing":
        session.update(_rowing_fields(activity.samples, distance, workout.strokes))
    session.update(_start_position_fields(workout))
    return session


def _peloton_averages(workout: Workout, running: bool) -> dict[str, object]:
    """Peloton's own average power and cadence (``average_summaries``), which win over the
    samples' means (:mod:`peloton_export.workout.totals`); nothing when Peloton gives none."""
    return _peloton_averages_of(workout.avg_power_w, workout.avg_cadence_rpm, running)


def _peloton_averages_of(power: float | None, cadence: float | None, running: bool) -> dict[str, object]:
    """``avg_power`` (W) and ``avg_cadence`` (strides per minute when running) of Peloton's."""
    fields: dict[str, object] = {}
    if power is not None:
        fields["avg_power"] = _int_within(power, 0, 65534)
    if cadence is not None:
        fields["avg_cadence"] = _int_within(cadence / (2.0 if running else 1.0), 0, 254)
    return {k: v for k, v in fields.items() if v is not None}


def _elevation_fields(rows: Sequence[_Row], summary_ascent: float | None = None) -> dict[str, object]:
    """``total_ascent`` and ``total_descent`` (m): the ascent is Peloton's elevation summary
    when there is one, else (like the descent) computed from the records' altitudes."""
    altitudes = [float(r["altitude"]) for _, _, r in rows if "altitude" in r]  # type: ignore[arg-type]
    fields: dict[str, object] = {}
    if len(altitudes) > 1:
        ascent, descent = ascent_descent(altitudes)
        fields = {"total_ascent": round(ascent), "total_descent": round(descent)}
    if summary_ascent is not None and 0 <= summary_ascent <= 65534:
        fields["total_ascent"] = round(summary_ascent)
    return fields


def _rowing_fields(
    samples: Sequence[Sample], distance: float | None, summary_strokes: int | None = None
) -> dict[str, object]:
    """``total_cycles`` (strokes) and ``avg_stroke_distance`` (m) of a row: the strokes are
    Peloton's ``stroke_count`` summary, else the stroke rate integrated over time."""
    strokes = summary_strokes if summary_strokes else integrated_strokes(samples)
    if not strokes:
        return {}
    fields: dict[str, object] = {"total_cycles": strokes}
    if distance:
        fields["avg_stroke_distance"] = min(distance / strokes, 655.34)
    return fields


def _start_position_fields(workout: Workout) -> dict[str, object]:
    """The first valid GPS fix as ``start_position_lat``/``_long`` (semicircles)."""
    valid_fixes = [p for p in workout.track if _valid_position(p.latitude, p.longitude)]
    if not valid_fixes:
        return {}
    first = min(valid_fixes, key=lambda p: p.offset)
    return {
        "start_position_lat": semicircles(first.latitude),
        "start_position_long": semicircles(first.longitude),
    }


def _activity(activity: _Activity) -> dict[str, object]:
    """The closing ``activity`` message (with the workout's local time when its zone is known)."""
    timeline = activity.timeline
    return {
        "timestamp": timeline.end,
        "total_timer_time": timeline.timer_between(timeline.start, timeline.end),
        "num_sessions": 1,
        "type": "manual",
        "event": "activity",
        "event_type": "stop",
        "local_timestamp": _local_timestamp(activity.workout, timeline.end),
    }


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
