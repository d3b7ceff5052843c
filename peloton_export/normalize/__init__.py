"""Turn the raw Peloton bodies of one workout into a normalized :class:`Workout`.

Usage::

    from peloton_export.normalize import normalize

    workout = normalize(raw)          # raises SkipWorkout or NormalizeError

What is skipped (:class:`SkipWorkout`, with the reason as its message):

* a ``status`` other than ``COMPLETE`` (an ``IN_PROGRESS`` workout is fetched again later);
* an *empty* COMPLETE workout: no samples, ``end_time == start_time`` and no calories,
  distance, work or strength sets (Peloton records these for classes left at once).

What fails (:class:`NormalizeError`, a one-line message naming the workout and the field):
a workout body that is not an object, a missing or non-numeric ``start_time`` (or one that
is not a plausible epoch in seconds), a ``status``/``fitness_discipline`` that is not a
string, a ``ride`` or performance graph that is not an object, and offsets or metrics that
are not arrays. Any other bad value (a string where a number belongs, NaN, a negative
speed, a heart rate of 900) becomes ``None`` for that value only.

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

See the submodules for the details of each part: :mod:`.metrics` (samples, units,
distance), :mod:`.gps`, :mod:`.laps` (laps and targets), :mod:`.strength` and
:mod:`.summary` (calories, work, zones, instructor, origin).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from peloton_export.errors import NormalizeError, SkipWorkout
from peloton_export.model import GpsPoint, Workout
from peloton_export.normalize import summary as _summary
from peloton_export.normalize._common import Context, JsonObject, is_zero_id, num, obj, positive, text
from peloton_export.normalize.gps import read_track
from peloton_export.normalize.laps import read_laps, read_targets
from peloton_export.normalize.metrics import (
    build_samples,
    find_metric,
    infer_units,
    integrate_distance,
    join_distance,
    read_columns,
    read_offsets,
)
from peloton_export.normalize.strength import read_sets
from peloton_export.raw import RawWorkout

__all__ = ["normalize"]

# Plausible epoch seconds: 2000-01-01 .. 2100-01-01.
_MIN_EPOCH = 946_684_800
_MAX_EPOCH = 4_102_444_800


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
    status = _expect(workout.get("status"), str, workout_id, "status", "a string")
    if status is not None and status.strip().upper() != "COMPLETE":
        raise SkipWorkout(f"workout {workout_id}: status is {status!r}, not COMPLETE")
    start_s = _epoch(workout.get("start_time"), workout_id, "start_time")
    start = datetime.fromtimestamp(start_s, UTC)
    ctx = Context(workout_id=workout_id, start=start)

    ride = _ride(workout, workout_id)
    graph = _expect(raw.performance_graph, dict, workout_id, "performance_graph", "an object")
    ride_details = obj(raw.ride_details)
    if graph is not None:
        for key in ("seconds_since_pedaling_start", "metrics"):
            _expect(graph.get(key), list, workout_id, key, "an array")

    discipline = _discipline(workout, ride, workout_id, ctx)

    # Samples.
    offsets = read_offsets(graph, ctx) if graph is not None else None
    columns = read_columns(graph, offsets, ctx) if graph is not None and offsets is not None else None
    track: tuple[GpsPoint, ...] = ()
    if graph is not None and columns is not None:
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
    samples = build_samples(columns, ctx) if columns is not None else ()
    last_offset = offsets.offsets[-1] if offsets is not None and offsets.offsets else None

    # Times.
    duration = _class_duration(ride, graph)
    end_s = num(workout.get("end_time"))
    if end_s is None or end_s < start_s or end_s > _MAX_EPOCH:
        if workout.get("end_time") is not None:
            ctx.note("end_time is not a valid time after start_time; using start + duration")
        end_s = start_s + (duration if duration is not None else float(last_offset or 0))
    last_seen = max(last_offset or 0, track[-1].offset if track else 0)
    if start_s + last_seen > end_s:
        # end_time is often a second or more before the last sample: keep every sample
        # inside [start, end] so that timer_s <= elapsed_s.
        if start_s + last_seen - end_s > 5:
            ctx.note(
                f"end_time is {start_s + last_seen - end_s:.0f} s before the last sample; "
                "the end was moved to the last sample"
            )
        end_s = start_s + last_seen
    end = datetime.fromtimestamp(end_s, UTC)
    elapsed = end_s - start_s
    if last_offset is not None:
        timer = float(last_offset)
    elif duration is not None:
        timer = min(duration, elapsed) if elapsed > 0 else duration
    else:
        timer = elapsed

    # Summaries.
    sums = _summary.summaries(graph)
    calories = _summary.calories(sums)
    work = _summary.total_work(workout, sums)
    distance = _summary.distance(sums)
    if distance is None and samples and samples[-1].distance_m is not None:
        distance = samples[-1].distance_m
    sets = read_sets(workout, ride_details, graph, ctx)

    if not samples and elapsed <= 0 and not (calories or distance or work or sets):
        raise SkipWorkout(
            f"workout {workout_id}: empty workout (COMPLETE, but no samples, "
            "end_time equals start_time and no summary)"
        )

    zones, max_hr = _summary.heart_rate_zones(graph)
    speed_unit = columns.speed_unit if columns is not None else None
    units = infer_units(graph, speed_unit)
    pso = num(ride.get("pedaling_start_offset")) if ride else None
    targets = read_targets(
        graph, int(pso) if pso is not None and 0 <= pso < 86_400 else 0, _target_speed_unit(graph, units), ctx
    )
    ride_id = text(ride.get("id")) if ride else None
    if ride_id is not None and is_zero_id(ride_id):
        ride_id = None
    ftp_info = obj(workout.get("ftp_info"))
    ftp = positive(ftp_info.get("ftp")) if ftp_info else None
    pause = positive(workout.get("pause_time_elapsed"))
    laps = read_laps(graph, timer, ctx)

    return Workout(
        id=workout_id,
        discipline=discipline,
        start=start,
        end=end,
        elapsed_s=elapsed,
        timer_s=timer,
        title=_title(workout, ride, discipline),
        workout_type=text(workout.get("workout_type")),
        is_outdoor=_is_outdoor(workout, track),
        instructor=_summary.instructor(ride),
        device_type=text(workout.get("device_type")),
        platform=text(workout.get("platform")),
        timezone=text(workout.get("timezone")),
        calories_kcal=calories,
        total_work_j=work,
        distance_m=distance,
        ftp_w=ftp if ftp is not None and ftp < 2000 else None,
        max_heart_rate_bpm=max_hr,
        heart_rate_zones=zones,
        pause_s=pause if pause is not None and pause < 7 * 86_400 else 0.0,
        ride_id=ride_id,
        origin=_summary.detect_origin(workout),
        units=units or "imperial",
        samples=samples,
        laps=laps,
        track=track,
        sets=sets,
        targets=targets,
        notes=tuple(ctx.notes),
    )


def _ride(workout: JsonObject, workout_id: str) -> JsonObject | None:
    ride = _expect(workout.get("ride"), dict, workout_id, "ride", "an object")
    if ride is None:
        # Before December 2020 the class sat under ``peloton.ride``.
        peloton = obj(workout.get("peloton"))
        ride = obj(peloton.get("ride")) if peloton else None
    return ride  # type: ignore[no-any-return]


def _discipline(workout: JsonObject, ride: JsonObject | None, workout_id: str, ctx: Context) -> str:
    value = _expect(workout.get("fitness_discipline"), str, workout_id, "fitness_discipline", "a string")
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
