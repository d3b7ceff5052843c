"""The normalized workout model.

Every record here is a frozen dataclass in SI units with timezone-aware UTC datetimes.
Writers and sinks only ever see these records, never Peloton's raw JSON.

Units:
    power in watts, cadence in revolutions (or strokes) per minute, resistance in percent
    (0-100), speed in metres per second, incline in percent grade, altitude and distance in
    metres, heart rate in beats per minute, energy in joules (work) and kilocalories
    (calories), durations in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

SetKind = Literal["active", "rest"]
LapTrigger = Literal["segment", "distance", "target", "manual", "session"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    """One reading of the workout's sensors.

    ``offset`` is Peloton's ``seconds_since_pedaling_start`` value: active seconds, which may
    start at 0, 1, 2 or later and may have gaps. ``time`` is ``workout.start + offset``.
    Any metric Peloton did not record at this instant is ``None`` (a heart rate of 0 from
    Peloton means "no reading" and becomes ``None``).
    """

    offset: int
    time: datetime
    power_w: float | None = None
    cadence_rpm: float | None = None
    resistance_pct: float | None = None
    speed_mps: float | None = None
    incline_pct: float | None = None
    altitude_m: float | None = None
    heart_rate_bpm: int | None = None
    distance_m: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GpsPoint:
    """A location fix of an outdoor workout, at its own offset (``seconds_offset_from_start``)."""

    offset: int
    time: datetime
    latitude: float
    longitude: float
    altitude_m: float | None = None
    accuracy_m: float | None = None
    distance_m: float | None = None
    segment: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Lap:
    """A lap: a half-open range of active seconds ``[start_offset, end_offset)``."""

    index: int
    start_offset: int
    end_offset: int
    start: datetime
    end: datetime
    name: str = ""
    trigger: LapTrigger = "session"
    #: A stacked activity's class lap (:mod:`peloton_export.workout.stacking`): that class's own
    #: Peloton summary (kcal, J, m, W, rpm); ``None`` for other laps and unknown values.
    calories_kcal: float | None = None
    total_work_j: float | None = None
    distance_m: float | None = None
    avg_power_w: float | None = None
    avg_cadence_rpm: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExerciseSet:
    """One strength set (``kind="active"``) or the rest between sets (``kind="rest"``)."""

    index: int
    kind: SetKind
    start_offset: int
    start: datetime
    duration_s: float
    movement_id: str | None = None
    movement_name: str | None = None
    repetitions: int | None = None
    weight_kg: float | None = None
    tracking_type: str | None = None
    source: Literal["tracker", "class_plan"] = "tracker"


@dataclass(frozen=True, slots=True, kw_only=True)
class HeartRateZone:
    """A heart-rate zone as Peloton reported it, with the time spent in it."""

    number: int
    name: str
    min_bpm: float | None
    max_bpm: float | None
    duration_s: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetRange:
    """A class target (for example cadence 80-90 rpm) over ``[start_offset, end_offset]``."""

    start_offset: int
    end_offset: int
    metric: str
    lower: float | None
    upper: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Workout:
    """A normalized Peloton workout.

    ``start`` and ``end`` are UTC. ``elapsed_s`` is wall-clock time (``end - start``);
    ``timer_s`` is active time (the last sample offset, or the class duration when there are
    no samples). ``timezone`` is Peloton's own timezone name for the workout (IANA or
    POSIX-style ``Etc/GMT+4``), used for local times; never the host's. ``parts`` names the
    classes of a stacked activity (:mod:`peloton_export.workout.stacking`); its laps are its classes.
    ``warnings`` names each damaged value that was left out or repaired (see the field).
    """

    id: str
    discipline: str
    start: datetime
    end: datetime
    elapsed_s: float
    timer_s: float
    title: str = ""
    workout_type: str | None = None
    is_outdoor: bool = False
    instructor: str | None = None
    device_type: str | None = None
    platform: str | None = None
    timezone: str | None = None
    calories_kcal: float | None = None
    total_work_j: float | None = None
    distance_m: float | None = None
    ftp_w: float | None = None
    max_heart_rate_bpm: float | None = None
    heart_rate_zones: tuple[HeartRateZone, ...] = ()
    pause_s: float = 0.0
    ride_id: str | None = None
    origin: str = "peloton"
    #: The Strava activity id Peloton shared the workout as (its ``strava_id``), else ``None``.
    strava_id: str | None = None
    units: Literal["imperial", "metric"] = "imperial"
    samples: tuple[Sample, ...] = ()
    laps: tuple[Lap, ...] = ()
    track: tuple[GpsPoint, ...] = ()
    sets: tuple[ExerciseSet, ...] = ()
    targets: tuple[TargetRange, ...] = ()
    notes: tuple[str, ...] = field(default=())
    #: Damaged values of Peloton's bodies the normalizer left out or repaired, one line each,
    #: ``"<field>: <what was done>"``: ``<field>`` a dotted path into the bodies
    #: (``workout.start_time``, ``performance_graph.metrics.heart_rate``,
    #: ``performance_graph.summaries.calories``), ``<what was done>`` plain words
    #: (``"NaN is not a time; the start is end_time minus the class length"``). A run
    #: prints each as ``warning <workout id>: <line>``; empty for an intact workout.
    warnings: tuple[str, ...] = ()
    ascent_m: float | None = None
    strokes: int | None = None
    parts: tuple[str, ...] = ()  # a stacked activity's class ids, in start order (empty: one class)
    #: Peloton's own averages (``average_summaries``: ``avg_output`` W, ``avg_cadence`` rpm or
    #: the Row's ``avg_stroke_rate`` spm); ``None`` where Peloton gives none.
    avg_power_w: float | None = None
    avg_cadence_rpm: float | None = None

    @property
    def has_gps(self) -> bool:
        """True when the workout carries at least one location fix."""
        return bool(self.track)
