"""Turn the raw Peloton bodies of one workout into a normalized :class:`Workout`.

Usage::

    from peloton_export.normalize import normalize

    workout = normalize(raw)          # raises SkipWorkout or NormalizeError

What is skipped (:class:`SkipWorkout`, with the reason as its message):

* a ``status`` other than ``COMPLETE`` (an ``IN_PROGRESS`` workout is fetched again later);
* an *empty* COMPLETE workout: no samples, ``end_time == start_time`` and no calories,
  distance, work or strength sets (Peloton records these for classes left at once).

What fails (:class:`NormalizeError`, a one-line message naming the workout and the field):
a workout body that is not an object, a ``status`` that is not a string, and a
``start_time`` that is no plausible epoch time in seconds when no start can be rebuilt
either (from a valid ``end_time`` minus the class length, else ``created_at``, which
Peloton sets when the workout is created, seconds to minutes before its start).

What is repaired or left out, with one line in ``Workout.warnings`` each
(``"<field>: <what was done>"``): a damaged ``start_time`` (rebuilt as above) or
``end_time`` (start plus the class length); a ``ride``, performance graph, offsets or
metrics of the wrong type (left out); a ``fitness_discipline`` that is not a string; NaN,
infinite, negative, absurd or wrong-typed values of the samples (each metric: power,
cadence, resistance, speed or pace, incline, altitude, heart rate; offsets), of the
summaries (calories, total output, distance, elevation, averages, strokes) and of
``total_work`` and ``pause_time_elapsed`` (left out: the value becomes ``None``). A missing
or ``null`` value is no damage (Peloton leaves many out) and warns nothing; a heart rate of
0 is Peloton's "no reading".

Time: sample *i* is at ``start_time + seconds_since_pedaling_start[i]`` (never ``start +
i``: offsets have gaps and leave out pauses). ``elapsed_s`` is ``end - start`` (wall clock,
pauses included; a null ``end_time`` becomes ``start + duration``); ``timer_s`` is the last
sample offset, or the class duration (at most the elapsed time) when there are no samples.
Peloton's ``end_time`` is sometimes earlier than the last sample (by 1 to 60 s in the
recorded fixtures); the end is then moved to the last sample (noted when over 5 s), so every
sample lies in ``[start, end]`` and ``timer_s <= elapsed_s``. Peloton does not say *when* a
pause happened, only its total (``pause_s``), so samples after a pause are placed as if it
had not happened.

Samples: one per usable offset, but none at all when the graph has no metric (meditation,
classes on a TV without sensors); ``timer_s`` still comes from the offsets then.

The work runs as small steps, in this order (their checks and notes happen in it): the
status and start; the bodies (ride, graph, ride details, shape-checked); the series
(samples and track); the clock (end, elapsed, timer); the totals (calories, work, distance,
sets); the assembly of the :class:`Workout` (zones, units, targets, laps, class facts). A new
field belongs to one of them.

See the submodules for the details of each part: :mod:`.metrics` (samples, units,
distance), :mod:`.reconcile` (distance scaled to the summary over moving seconds),
:mod:`.gps`, :mod:`.laps` (laps and targets), :mod:`.strength` and
:mod:`.summary` (calories, work, zones, instructor, origin).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from peloton_export.errors import NormalizeError, SkipWorkout
from peloton_export.model import ExerciseSet, GpsPoint, Sample, Workout
from peloton_export.normalize import summary as _summary
from peloton_export.normalize._common import Context, JsonObject, is_zero_id, num, obj, positive, shown, text
from peloton_export.normalize.gps import read_track
from peloton_export.normalize.laps import read_laps, read_targets
from peloton_export.normalize.metrics import (
    Columns,
    build_samples,
    find_metric,
    infer_units,
    integrate_distance,
    join_distance,
    read_columns,
    read_offsets,
)
from peloton_export.normalize.reconcile import listed_strokes, reconcile_distance, stroke_offsets
from peloton_export.normalize.strength import read_sets
from peloton_export.raw import MAX_EPOCH, MIN_EPOCH, RawWorkout

__all__ = ["normalize"]

# Plausible epoch seconds: 2000-01-01 .. 2100-01-01 (the archive's readers use the same).
_MIN_EPOCH = MIN_EPOCH
_MAX_EPOCH = MAX_EPOCH


def normalize(raw: RawWorkout) -> Workout:
    """Normalize one workout's raw bodies into a :class:`Workout` in SI units.

    :raises SkipWorkout: the workout is not COMPLETE, or it is an empty COMPLETE workout.
    :raises NormalizeError: a body is malformed (see the module docstring).
    """
    workout_id = str(raw.workout_id)
    workout = raw.workout
    if not isinstance(workout, dict):
        raise NormalizeError(
            f"the workout body is a {type(workout).__name__}, not an object", workout_id=workout_id
        )
    try:
        return _normalize(workout_id, workout, raw)
    except (NormalizeError, SkipWorkout):
        raise
    except (TypeError, ValueError, AttributeError, OverflowError, KeyError, IndexError) as exc:
        # A shape nobody has seen yet: report it on one line rather than crash the run.
        raise NormalizeError(
            f"unexpected data ({type(exc).__name__}: {exc})", workout_id=workout_id
        ) from None


def _expect(value: object, kind: type, workout_id: str, field: str, what: str) -> Any:
    if value is not None and not isinstance(value, kind):
        raise NormalizeError(
            f"expected {what}, got {type(value).__name__}", workout_id=workout_id, field=field
        )
    return value


def _epoch(value: object, workout_id: str, field: str) -> float:
    seconds = num(value)
    if seconds is None:
        shown = "null" if value is None else f"{type(value).__name__} {value!r:.40}"
        raise NormalizeError(f"expected epoch seconds, got {shown}", workout_id=workout_id, field=field)
    if not _MIN_EPOCH <= seconds <= _MAX_EPOCH:
        raise NormalizeError(
            f"{seconds:.0f} is not a plausible time in epoch seconds", workout_id=workout_id, field=field
        )
    return seconds


def _normalize(workout_id: str, workout: JsonObject, raw: RawWorkout) -> Workout:
    """The steps, in the order their checks and notes must happen."""
    start_s, repaired = _start_of_complete(workout_id, workout)
    ctx = Context(workout_id=workout_id, start=datetime.fromtimestamp(start_s, UTC))
    if repaired:
        ctx.warn("workout.start_time", repaired)
    bodies = _read_bodies(workout_id, workout, raw, ctx)
    discipline = _discipline(workout, bodies.ride, ctx)
    series = _read_series(bodies.graph, ctx)
    clock = _read_clock(bodies, start_s, series, ctx)
    totals = _read_totals(bodies, series.samples, ctx)
    if not series.samples and clock.elapsed_s <= 0 and totals.empty:
        raise SkipWorkout(
            f"workout {workout_id}: empty workout (COMPLETE, but no samples, "
            "end_time equals start_time and no summary)"
        )
    return _assemble(workout_id, discipline, bodies, series, clock, totals, ctx)


# Step 1: the checks without which the workout makes no sense.


def _start_of_complete(workout_id: str, workout: JsonObject) -> tuple[float, str]:
    """The start in epoch seconds of a COMPLETE workout, and what was done when
    ``start_time`` is damaged (``""`` when it is not).

    :raises SkipWorkout: the status is not ``COMPLETE``.
    :raises NormalizeError: the status is not a string, or ``start_time`` is no epoch time
        and no start can be rebuilt (see the module docstring).
    """
    status = _expect(workout.get("status"), str, workout_id, "status", "a string")
    if status is not None and status.strip().upper() != "COMPLETE":
        raise SkipWorkout(f"workout {workout_id}: status is {status!r}, not COMPLETE")
    try:
        return _epoch(workout.get("start_time"), workout_id, "start_time"), ""
    except NormalizeError:
        rebuilt = _rebuilt_start(workout)
        if rebuilt is None:
            raise
    seconds, source = rebuilt
    return seconds, f"{shown(workout.get('start_time'))} is not a time; the start is {source}"


def _rebuilt_start(workout: JsonObject) -> tuple[float, str] | None:
    """A start from ``end_time`` minus the class length, else ``created_at``, with its source."""
    end_s = num(workout.get("end_time"))
    ride = obj(workout.get("ride"))
    duration = _class_duration(ride, None)
    if end_s is not None and duration is not None and _MIN_EPOCH <= end_s - duration <= _MAX_EPOCH:
        return end_s - duration, "end_time minus the class length"
    created = num(workout.get("created_at"))
    if created is not None and _MIN_EPOCH <= created <= _MAX_EPOCH:
        return created, "created_at (when Peloton created the workout)"
    return None


@dataclass(frozen=True, slots=True)
class _Bodies:
    """The JSON objects a workout is read from (``None`` where absent)."""

    workout: JsonObject
    ride: JsonObject | None
    graph: JsonObject | None
    ride_details: JsonObject | None


def _read_bodies(workout_id: str, workout: JsonObject, raw: RawWorkout, ctx: Context) -> _Bodies:
    """The class, the performance graph and the ride details, shape-checked: a ``ride`` or
    graph that is not an object, and offsets or metrics that are not arrays, are left out
    (warned)."""
    ride = _ride(workout, ctx)
    graph = raw.performance_graph
    if graph is not None and not isinstance(graph, dict):
        ctx.warn("performance_graph", f"{shown(graph)}, not an object; left out (no samples or summaries)")
        graph = None
    ride_details = obj(raw.ride_details)
    if graph is not None:
        for key, kind, name in _GRAPH_SHAPES:
            value = graph.get(key)
            if value is not None and not isinstance(value, kind):
                ctx.warn(f"performance_graph.{key}", f"{shown(value)}, not {name}; left out")
    if ride_details is not None:
        for key, kind, name in _DETAIL_SHAPES:
            value = ride_details.get(key)
            if value is not None and not isinstance(value, kind):
                ctx.warn(f"ride_details.{key}", f"{shown(value)}, not {name}; left out")
    return _Bodies(workout, ride, graph, ride_details)


#: The performance graph's parts the reader uses and their JSON type (a part of another
#: type is left out, warned).
_GRAPH_SHAPES: tuple[tuple[str, type, str], ...] = (
    *((key, list, "an array") for key in ("seconds_since_pedaling_start", "metrics", "segment_list")),
    *((key, list, "an array") for key in ("summaries", "average_summaries", "location_data")),
    *((key, dict, "an object") for key in ("splits_data", "target_metrics_performance_data")),
    *((key, dict, "an object") for key in ("effort_zones", "caesar_metrics")),
)
_DETAIL_SHAPES: tuple[tuple[str, type, str], ...] = (
    ("segments", dict, "an object"),
    ("target_metrics_data", dict, "an object"),
    ("instructor_cues", list, "an array"),
)


# Step 2: the series (samples and GPS track).


@dataclass(frozen=True, slots=True)
class _Series:
    """The per-second data: samples, GPS track, last usable offset (s), speed unit."""

    samples: tuple[Sample, ...] = ()
    track: tuple[GpsPoint, ...] = ()
    last_offset: int | None = None
    speed_unit: str | None = None


def _read_series(graph: JsonObject | None, ctx: Context) -> _Series:
    """Samples and track of ``graph`` (none without a graph)."""
    if graph is None:
        return _Series()
    offsets = read_offsets(graph, ctx)
    columns = read_columns(graph, offsets, ctx)
    track = _read_track_and_distance(graph, columns, ctx)
    return _Series(
        samples=build_samples(columns, ctx),
        track=track,
        last_offset=offsets.offsets[-1] if offsets.offsets else None,
        speed_unit=columns.speed_unit,
    )


def _read_track_and_distance(graph: JsonObject, columns: Columns, ctx: Context) -> tuple[GpsPoint, ...]:
    """The GPS track; fills ``columns.distance`` from the fixes, else from the speed."""
    altitude_by_offset = (
        {o: a for o, a in zip(columns.offsets, columns.altitude, strict=False) if a is not None}
        if columns.altitude
        else {}
    )
    track, gps_distance = read_track(graph, ctx, altitude_by_offset)
    if gps_distance:
        columns.distance = join_distance(columns.offsets, gps_distance)
    elif columns.speed is not None and any(v is not None for v in columns.speed):
        columns.distance = integrate_distance(columns.offsets, columns.speed)
    return track


# Step 3: the clock (end, elapsed and timer time).


@dataclass(frozen=True, slots=True)
class _Clock:
    """The end (UTC), elapsed (wall-clock) seconds and timer (active) seconds."""

    end: datetime
    elapsed_s: float
    timer_s: float


def _read_clock(bodies: _Bodies, start_s: float, series: _Series, ctx: Context) -> _Clock:
    """End, elapsed and timer time (see the module docstring)."""
    duration = _class_duration(bodies.ride, bodies.graph)
    end_s = _stated_end(bodies.workout, start_s, duration, series.last_offset, ctx)
    end_s = _end_at_last_sample(start_s, end_s, series, ctx)
    elapsed = end_s - start_s
    return _Clock(
        end=datetime.fromtimestamp(end_s, UTC),
        elapsed_s=elapsed,
        timer_s=_timer(series.last_offset, duration, elapsed),
    )


def _stated_end(
    workout: JsonObject, start_s: float, duration: float | None, last_offset: int | None, ctx: Context
) -> float:
    """``end_time`` in epoch seconds, or start + class duration (else last offset) when invalid."""
    end_s = num(workout.get("end_time"))
    if end_s is not None and start_s <= end_s <= _MAX_EPOCH:
        return end_s
    length = "the class length" if duration is not None else "the last sample's offset"
    if workout.get("end_time") is not None:
        ctx.warn(
            "workout.end_time",
            f"{shown(workout.get('end_time'))} is not a time after start_time; the end is start + {length}",
        )
    return start_s + (duration if duration is not None else float(last_offset or 0))


def _end_at_last_sample(start_s: float, end_s: float, series: _Series, ctx: Context) -> float:
    """``end_s``, moved to the last sample or fix when that is later (noted when over 5 s)."""
    last_seen = max(series.last_offset or 0, series.track[-1].offset if series.track else 0)
    if start_s + last_seen <= end_s:
        return end_s
    # end_time is often a second or more before the last sample: keep every sample
    # inside [start, end] so that timer_s <= elapsed_s.
    if start_s + last_seen - end_s > 5:
        ctx.note(
            f"end_time is {start_s + last_seen - end_s:.0f} s before the last sample; "
            "the end was moved to the last sample"
        )
    return start_s + last_seen


def _timer(last_offset: int | None, duration: float | None, elapsed: float) -> float:
    """Timer seconds: the last offset, else the class duration (at most elapsed), else elapsed."""
    if last_offset is not None:
        return float(last_offset)
    if duration is not None:
        return min(duration, elapsed) if elapsed > 0 else duration
    return elapsed


# Step 4: the totals.


@dataclass(frozen=True, slots=True)
class _Totals:
    """Calories (kcal), work (J), distance (m) and strength sets of the workout."""

    calories_kcal: float | None
    total_work_j: float | None
    distance_m: float | None
    sets: tuple[ExerciseSet, ...]
    ascent_m: float | None = None
    strokes: int | None = None
    distance_from_summary: bool = False
    avg_power_w: float | None = None
    avg_cadence_rpm: float | None = None

    @property
    def empty(self) -> bool:
        """True when there is no calorie, distance, work or set to show."""
        return not (self.calories_kcal or self.distance_m or self.total_work_j or self.sets)


def _read_totals(bodies: _Bodies, samples: tuple[Sample, ...], ctx: Context) -> _Totals:
    """Totals from Peloton's summaries; the distance falls back to the last sample's."""
    sums = _summary.summaries(bodies.graph)
    calories = _summary.calories(sums)
    work = _summary.total_work(bodies.workout, sums)
    distance = _summary.distance(sums)
    from_summary = distance is not None
    if distance is None and samples and samples[-1].distance_m is not None:
        distance = samples[-1].distance_m
    sets = read_sets(bodies.workout, bodies.ride_details, bodies.graph, ctx)
    totals = _Totals(
        calories_kcal=calories,
        total_work_j=work,
        distance_m=distance,
        sets=sets,
        ascent_m=_summary.elevation_gain(sums),
        strokes=_summary.stroke_count(sums) or listed_strokes(bodies.graph),
        distance_from_summary=from_summary,
        avg_power_w=_summary.average(sums, "avg_output", ceiling=5_000.0),
        avg_cadence_rpm=_summary.average(sums, "avg_cadence", "avg_stroke_rate", ceiling=300.0),
    )
    _warn_totals(bodies.workout, sums, totals, ctx)
    return totals


def _warn_totals(
    workout: JsonObject, sums: dict[str, tuple[object, object]], totals: _Totals, ctx: Context
) -> None:
    """One warning per summary (or ``total_work``) that was given but left out as damaged."""
    kept = {
        "calories": totals.calories_kcal,
        "total_calories": totals.calories_kcal,
        "total_output": totals.total_work_j,
        "distance": totals.distance_m if totals.distance_from_summary else None,
        "elevation": totals.ascent_m,
        "avg_output": totals.avg_power_w,
        "avg_cadence": totals.avg_cadence_rpm,
        "avg_stroke_rate": totals.avg_cadence_rpm,
        "stroke_count": totals.strokes,
    }
    for slug, value in kept.items():
        given = sums.get(slug, (None, None))[0]
        if value is None and _damaged(given):
            ctx.warn(
                f"performance_graph.summaries.{slug}", f"{shown(given)} is not a number in range; left out"
            )
    given = workout.get("total_work")
    usable = positive(given)
    if _damaged(given) and (usable is None or usable >= 1e9):  # what _summary.total_work takes
        done = "left out" if totals.total_work_j is None else "the total_output summary is used"
        ctx.warn("workout.total_work", f"{shown(given)} is not a number of joules in range; {done}")


#: The workout's text fields read as they are (``workout.<key>``; ``ride.<key>`` for the class).
_TEXT_FIELDS = ("workout_type", "device_type", "platform", "timezone", "title", "name")
_RIDE_TEXT_FIELDS = ("title",)


def _warn_wrong_types(workout: JsonObject, ride: JsonObject | None, ctx: Context) -> None:
    """One warning per class fact given with a value the reader cannot use (a number or
    an array for a text, NaN for a number, a string for a flag), which is left out: the
    reader falls back as it does for a missing one."""

    def check(where: str, value: object, usable: bool, done: str = "left out") -> None:
        if value is not None and not usable:
            ctx.warn(where, f"{shown(value)}, {done}")

    for key in _TEXT_FIELDS:
        value = workout.get(key)
        check(f"workout.{key}", value, isinstance(value, str), "not text; left out")
    ftp_info = workout.get("ftp_info")
    check("workout.ftp_info", ftp_info, isinstance(ftp_info, dict), "not an object; no FTP")
    if isinstance(ftp_info, dict):
        ftp = ftp_info.get("ftp")
        watts = num(ftp)
        check("workout.ftp_info.ftp", ftp, watts is not None and watts >= 0, "not a number of watts; no FTP")
    flag = workout.get("is_outdoor")
    check("workout.is_outdoor", flag, isinstance(flag, bool), "not true or false; the GPS track decides")
    if ride is None:
        return
    for key in _RIDE_TEXT_FIELDS:
        value = ride.get(key)
        check(f"workout.ride.{key}", value, isinstance(value, str), "not text; left out")
    person = ride.get("instructor")
    name = person.get("name") if isinstance(person, dict) else None
    check("workout.ride.instructor.name", name, isinstance(name, str), "not text; left out")
    offset = ride.get("pedaling_start_offset")
    pso = num(offset)
    check(
        "workout.ride.pedaling_start_offset",
        offset,
        pso is not None and 0 <= pso < 86_400,
        "not a number of seconds in range; taken as 0",
    )
    length = ride.get("duration")
    seconds = positive(length)
    check(
        "workout.ride.duration",
        length,
        num(length) == 0 or (seconds is not None and seconds < 7 * 86_400),
        "not a number of seconds in range; left out",
    )


def _damaged(given: object) -> bool:
    """True for a value that was given (not ``null``) and is no plain zero."""
    return given is not None and num(given) != 0


# Step 5: assembly (class facts, zones, targets, laps).


def _assemble(
    workout_id: str,
    discipline: str,
    bodies: _Bodies,
    series: _Series,
    clock: _Clock,
    totals: _Totals,
    ctx: Context,
) -> Workout:
    """The :class:`Workout`, with the class facts read last (targets and laps may add notes)."""
    workout, ride, graph = bodies.workout, bodies.ride, bodies.graph
    _warn_wrong_types(workout, ride, ctx)
    zones, max_hr = _summary.heart_rate_zones(graph)
    units = infer_units(graph, series.speed_unit)
    targets = read_targets(graph, _pedaling_start_offset(ride), _target_speed_unit(graph, units), ctx)
    laps = read_laps(graph, clock.timer_s, ctx)
    samples, track = reconcile_distance(
        series.samples,
        series.track,
        totals.distance_m if totals.distance_from_summary else None,
        stroke_offsets(graph),
        ctx,
    )
    return Workout(
        id=workout_id,
        discipline=discipline,
        start=ctx.start,
        end=clock.end,
        elapsed_s=clock.elapsed_s,
        timer_s=clock.timer_s,
        title=_title(workout, ride, discipline),
        workout_type=text(workout.get("workout_type")),
        is_outdoor=_is_outdoor(workout, series.track),
        instructor=_summary.instructor(ride),
        device_type=text(workout.get("device_type")),
        platform=text(workout.get("platform")),
        timezone=text(workout.get("timezone")),
        calories_kcal=totals.calories_kcal,
        total_work_j=totals.total_work_j,
        distance_m=totals.distance_m,
        ftp_w=_summary.ftp(workout),
        max_heart_rate_bpm=max_hr,
        heart_rate_zones=zones,
        pause_s=_pause(workout, ctx),
        ride_id=_ride_id(ride),
        origin=_summary.detect_origin(workout),
        strava_id=_summary.strava_share(workout),
        units=units or "imperial",
        samples=samples,
        laps=laps,
        track=track,
        sets=totals.sets,
        targets=targets,
        notes=tuple(ctx.notes),
        warnings=tuple(ctx.warnings),
        ascent_m=totals.ascent_m,
        strokes=totals.strokes,
        avg_power_w=totals.avg_power_w,
        avg_cadence_rpm=totals.avg_cadence_rpm,
    )


def _pedaling_start_offset(ride: JsonObject | None) -> int:
    """Seconds from the class video's start to pedaling start (0 when unknown or absurd)."""
    pso = num(ride.get("pedaling_start_offset")) if ride else None
    return int(pso) if pso is not None and 0 <= pso < 86_400 else 0


def _ride_id(ride: JsonObject | None) -> str | None:
    """The class id, or ``None`` for none and for Peloton's all-zero id."""
    ride_id = text(ride.get("id")) if ride else None
    return None if ride_id is None or is_zero_id(ride_id) else ride_id


def _pause(workout: JsonObject, ctx: Context) -> float:
    """``pause_time_elapsed`` in seconds (0 when missing, not positive or over a week)."""
    given = workout.get("pause_time_elapsed")
    pause = positive(given)
    if pause is not None and pause < 7 * 86_400:
        return pause
    if _damaged(given):
        ctx.warn(
            "workout.pause_time_elapsed", f"{shown(given)} is not a number of seconds in range; taken as 0"
        )
    return 0.0


def _ride(workout: JsonObject, ctx: Context) -> JsonObject | None:
    ride = workout.get("ride")
    if ride is not None and not isinstance(ride, dict):
        ctx.warn("workout.ride", f"{shown(ride)}, not an object; the class is left out")
        ride = None
    if ride is None:
        # Before December 2020 the class sat under ``peloton.ride``.
        peloton = obj(workout.get("peloton"))
        ride = obj(peloton.get("ride")) if peloton else None
    return ride


def _discipline(workout: JsonObject, ride: JsonObject | None, ctx: Context) -> str:
    value = workout.get("fitness_discipline")
    if value is not None and not isinstance(value, str):
        ctx.warn("workout.fitness_discipline", f"{shown(value)}, not a string; the class's is used")
    name = text(value) or (text(ride.get("fitness_discipline")) if ride else None)
    if name is None:
        ctx.note("no fitness_discipline; exported as a generic workout")
        return "other"
    return name.lower()


def _class_duration(ride: JsonObject | None, graph: JsonObject | None) -> float | None:
    for value in (ride.get("duration") if ride else None, graph.get("duration") if graph else None):
        seconds = positive(value)
        if seconds is not None and seconds < 7 * 86_400:
            return seconds
    return None


def _title(workout: JsonObject, ride: JsonObject | None, discipline: str) -> str:
    for value in (ride.get("title") if ride else None, workout.get("title"), workout.get("name")):
        title = text(value)
        if title is not None:
            return title[:500]
    return f"{discipline.replace('_', ' ').title()} Workout"


def _is_outdoor(workout: JsonObject, track: tuple[GpsPoint, ...]) -> bool:
    flag = workout.get("is_outdoor")
    if isinstance(flag, bool):
        return flag
    # Older records have no flag: GPS fixes (recorded by the phone app) mean outdoors.
    return bool(track)


def _target_speed_unit(graph: JsonObject | None, units: str | None) -> str | None:
    if graph is not None:
        metric = find_metric(graph, "speed")
        if metric is not None and metric.unit:
            return metric.unit
    if units == "metric":
        return "kph"
    if units == "imperial":
        return "mph"
    return None
