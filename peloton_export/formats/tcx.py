"""TCX (Garmin Training Center Database v2) writer.

The document is built with plain string formatting and a single ``"".join``: an element
tree per trackpoint is an order of magnitude slower for a one-hour 1 Hz workout. Every
number is formatted here with a fixed precision, and no "now" timestamp is written, so the
same :class:`~peloton_export.model.Workout` always gives the same bytes.

What is written, and the limits a user should know about:

* ``Activity/@Sport`` is ``Biking`` for cycling disciplines (``cycling``, ``bike_bootcamp``),
  ``Running`` for ``running`` and ``walking``, and ``Other`` for everything else (rowing,
  strength, yoga, meditation, ...): the TCX schema allows only those three values, so
  Strava and Garmin cannot tell a row from a yoga class in a TCX file. Use FIT for those.
* ``Id`` is the start time in UTC. There is one ``Lap`` per lap of the shared plan
  (:func:`peloton_export.workout.laps.planned_laps`, the FIT file's laps), starting at the same wall
  time as FIT's (the gap before a stacked class included); workout calories are split across
  laps in proportion to timer time, as whole kilocalories that add up to the total, except
  that a stacked class's lap carries that class's own calories, distance and averages.
* One ``Trackpoint`` per sample, at the sample's time, joined by offset with the GPS fix of
  the same second (``Position``, ``AltitudeMeters``). GPS fixes without a sample get a
  trackpoint of their own. Trackpoints before the first lap belong to the first lap and
  those after the last lap to the last one, so nothing is dropped.
* Heart rate is written only when recorded and between 1 and 255 bpm. Cadence is rounded
  and **clamped to 0..254** (the schema's maximum). Power is rounded and clamped to
  0..65535 W (``unsignedShort``). Non-finite values are left out.
* Bike and rowing cadence goes in ``Cadence``; running cadence in ``ns3:TPX/ns3:RunCadence``,
  written as Peloton reports it (Garmin devices write strides per minute there, so a
  steps-per-minute value would show doubled in some apps).
* A workout without samples or GPS (strength, meditation) gets one trackpoint at its start
  time, so the file still has a time for Strava's "every trackpoint has a time" rule.
* ``Creator`` names ``peloton-export`` honestly (``Device_t`` with unit and product id 0);
  no Garmin device is emulated.
* ``Notes``: the activity title (the run's title template, ``tcx.title_template`` to
  override; see :mod:`peloton_export.sinkkit.templates`), then ``Instructor: NAME`` unless
  the title already names the instructor, then the normalizer's notes. TCX v2 has no other
  element for an activity name (``Training/Plan/Name`` is a 15-character token).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, BinaryIO

from peloton_export import __version__
from peloton_export.formats._xml import format_utc, point_times, valid_position, xml_text
from peloton_export.specs import ExportContext
from peloton_export.workout.laps import PlannedLap, planned_laps
from peloton_export.workout.series import Point, workout_distances, workout_points
from peloton_export.workout.sports import fit_sport
from peloton_export.workout.stats import Stats, summarize

if TYPE_CHECKING:
    from datetime import datetime

    from peloton_export.model import Sample, Workout

__all__ = ["render_tcx", "tcx_sport", "write_tcx"]

TCX_NS = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
AX_NS = "http://www.garmin.com/xmlschemas/ActivityExtension/v2"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

BIKING_DISCIPLINES = frozenset({"cycling", "bike_bootcamp", "outdoor_cycling", "bike"})
RUNNING_DISCIPLINES = frozenset({"running", "walking", "outdoor_running", "outdoor_walking"})

_CREATOR_NAME = "peloton-export"
_isfinite = math.isfinite  # a module global: cheaper than math.isfinite in the per-sample helper
_HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<TrainingCenterDatabase xmlns="{TCX_NS}" xmlns:ns3="{AX_NS}" xmlns:xsi="{XSI_NS}" '
    f'xsi:schemaLocation="{TCX_NS} https://www8.garmin.com/xmlschemas/TrainingCenterDatabasev2.xsd '
    f'{AX_NS} https://www8.garmin.com/xmlschemas/ActivityExtensionv2.xsd">\n'
)


def tcx_sport(workout: Workout) -> str:
    """Return the TCX ``Sport`` value for ``workout``: ``Biking``, ``Running`` or ``Other``."""
    discipline = (workout.discipline or "").strip().lower()
    if discipline in BIKING_DISCIPLINES:
        return "Biking"
    if discipline in RUNNING_DISCIPLINES:
        return "Running"
    return "Other"


def _version_parts() -> tuple[int, int, int]:
    parts: list[int] = []
    for piece in __version__.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(min(int(digits), 65535) if digits else 0)
    while len(parts) < 3:
        parts.append(0)
    return parts[0], parts[1], parts[2]


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _cadence(value: float) -> int:
    """Round and clamp a cadence to the schema's ``0..254``."""
    return min(max(round(value), 0), 254)


def _watts(value: float) -> int:
    """Round and clamp a power to ``unsignedShort``."""
    return min(max(round(value), 0), 65535)


def _heart_rate(value: float | None) -> int | None:
    """A heart rate the schema accepts (1..255), or ``None`` for none."""
    if value is None or not math.isfinite(value):
        return None
    bpm = round(value)
    return bpm if 1 <= bpm <= 255 else None


class _LapPlan:
    """A lap to write: the planned lap, and the points that fall in it."""

    __slots__ = ("lap", "points", "trigger")

    def __init__(self, lap: PlannedLap) -> None:
        self.lap = lap
        self.trigger = "Distance" if lap.trigger == "distance" else "Manual"
        self.points: list[int] = []  # indexes into the workout's point list

    @property
    def start(self) -> datetime:
        """The lap's start (the shared timeline's wall time of its first active second)."""
        return self.lap.start

    @property
    def total_s(self) -> float:
        """The lap's timer seconds (pauses left out)."""
        return self.lap.timer_s


def _plan_laps(workout: Workout, points: Sequence[Point], strategy: str = "auto") -> list[_LapPlan]:
    """One plan per lap of :func:`peloton_export.workout.laps.planned_laps` (the FIT file's laps),
    with each point assigned to a lap by its active offset."""
    laps = planned_laps(workout, strategy, fit_sport(workout).family)
    plans = [_LapPlan(lap) for lap in laps]
    k = 0
    last = len(laps) - 1
    for i, p in enumerate(points):
        while k < last and p.offset >= laps[k + 1].start_offset:
            k += 1
        plans[k].points.append(i)
    return plans


def _lap_xml(
    out: list[str],
    plan: _LapPlan,
    calories: int,
    stats: Stats,
    distance_m: float,
    running: bool,
) -> None:
    """Append a ``<Lap>`` opening and its summary elements, in the schema's order."""
    out.append(f'   <Lap StartTime="{format_utc(plan.start)}">\n')
    out.append(f"    <TotalTimeSeconds>{plan.total_s:.1f}</TotalTimeSeconds>\n")
    out.append(f"    <DistanceMeters>{distance_m:.1f}</DistanceMeters>\n")
    if _finite(stats.max_speed_mps):
        out.append(f"    <MaximumSpeed>{stats.max_speed_mps:.3f}</MaximumSpeed>\n")
    out.append(f"    <Calories>{min(max(calories, 0), 65535)}</Calories>\n")
    avg_hr = _heart_rate(stats.avg_heart_rate_bpm)
    max_hr = _heart_rate(stats.max_heart_rate_bpm)
    if avg_hr is not None:
        out.append(f"    <AverageHeartRateBpm><Value>{avg_hr}</Value></AverageHeartRateBpm>\n")
    if max_hr is not None:
        out.append(f"    <MaximumHeartRateBpm><Value>{max_hr}</Value></MaximumHeartRateBpm>\n")
    out.append("    <Intensity>Active</Intensity>\n")
    if not running and stats.avg_cadence_rpm is not None:
        out.append(f"    <Cadence>{_cadence(stats.avg_cadence_rpm)}</Cadence>\n")
    out.append(f"    <TriggerMethod>{plan.trigger}</TriggerMethod>\n")


def _lap_extension_xml(stats: Stats, running: bool) -> str:
    """The ``<Extensions><ns3:LX>`` of a lap, or ``""`` when there is nothing to say."""
    items: list[str] = []
    if stats.avg_speed_mps is not None:
        items.append(f"<ns3:AvgSpeed>{stats.avg_speed_mps:.3f}</ns3:AvgSpeed>")
    if stats.max_cadence_rpm is not None and not running:
        items.append(f"<ns3:MaxBikeCadence>{_cadence(stats.max_cadence_rpm)}</ns3:MaxBikeCadence>")
    if running and stats.avg_cadence_rpm is not None and stats.max_cadence_rpm is not None:
        items.append(f"<ns3:AvgRunCadence>{_cadence(stats.avg_cadence_rpm)}</ns3:AvgRunCadence>")
        items.append(f"<ns3:MaxRunCadence>{_cadence(stats.max_cadence_rpm)}</ns3:MaxRunCadence>")
    if stats.avg_power_w is not None and stats.max_power_w is not None:
        items.append(f"<ns3:AvgWatts>{_watts(stats.avg_power_w)}</ns3:AvgWatts>")
        items.append(f"<ns3:MaxWatts>{_watts(stats.max_power_w)}</ns3:MaxWatts>")
    if not items:
        return ""
    return f"    <Extensions><ns3:LX>{''.join(items)}</ns3:LX></Extensions>\n"


def _trackpoints(
    out: list[str],
    points: Sequence[Point],
    indexes: Iterable[int],
    times: Sequence[str],
    distances: Sequence[float | None],
    running: bool,
) -> None:
    """Append one ``<Trackpoint>`` string per point to ``out``.

    This is the hot loop (3,600 iterations for an hour at 1 Hz): the time, altitude and
    distance are written inline; the position (outdoor only) and the sample's readings each
    take one helper call.
    """
    isfinite = math.isfinite
    append = out.append
    for i in indexes:
        s = points[i].sample
        g = points[i].gps
        buf = f"     <Trackpoint>\n      <Time>{times[i]}</Time>\n"
        alt = None
        if g is not None:
            buf += _position_xml(g.latitude, g.longitude)
            alt = g.altitude_m
        if alt is None and s is not None:
            alt = s.altitude_m
        if alt is not None and isfinite(alt):
            buf += f"      <AltitudeMeters>{alt:.1f}</AltitudeMeters>\n"
        dist = distances[i]
        if dist is not None:
            buf += f"      <DistanceMeters>{dist:.1f}</DistanceMeters>\n"
        append(buf + ("     </Trackpoint>\n" if s is None else _readings_xml(s, running)))


def _position_xml(lat: float, lon: float) -> str:
    """The ``<Position>`` line of a fix, or ``""`` when it is not a valid position."""
    # Fast path: in range and cannot round up to 180.0000000 when formatted.
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon < 179.9999999):
        pos = valid_position(lat, lon)
        if pos is None:
            return ""
        lat, lon = pos
    return (
        f"      <Position><LatitudeDegrees>{lat:.7f}</LatitudeDegrees>"
        f"<LongitudeDegrees>{lon:.7f}</LongitudeDegrees></Position>\n"
    )


def _readings_xml(s: Sample, running: bool) -> str:
    """A sample's heart rate, cadence and ``TPX`` extension lines, and the closing tag."""
    buf = ""
    hr = s.heart_rate_bpm
    if hr is not None and 1 <= hr <= 255:
        buf += f"      <HeartRateBpm><Value>{hr:.0f}</Value></HeartRateBpm>\n"
    cad = s.cadence_rpm
    cad_text = ""
    if cad is not None and _isfinite(cad):
        c = round(cad)
        cad_text = str(0 if c < 0 else 254 if c > 254 else c)
        if not running:
            buf += f"      <Cadence>{cad_text}</Cadence>\n"
    ext = ""
    speed = s.speed_mps
    if speed is not None and _isfinite(speed) and speed >= 0:
        ext = f"<ns3:Speed>{speed:.3f}</ns3:Speed>"
    if running and cad_text:
        ext += f"<ns3:RunCadence>{cad_text}</ns3:RunCadence>"
    power = s.power_w
    if power is not None and _isfinite(power):
        w = round(power)
        ext += f"<ns3:Watts>{0 if w < 0 else 65535 if w > 65535 else w}</ns3:Watts>"
    if ext:
        return f"{buf}      <Extensions><ns3:TPX>{ext}</ns3:TPX></Extensions>\n     </Trackpoint>\n"
    return buf + "     </Trackpoint>\n"


def _with_peloton_averages(stats: Stats, lap: PlannedLap) -> Stats:
    """``stats`` with a stacked class's own average power and cadence (Peloton's) when known."""
    changes: dict[str, float] = {}
    if lap.avg_power_w is not None and stats.max_power_w is not None:
        changes["avg_power_w"] = lap.avg_power_w
    if lap.avg_cadence_rpm is not None and stats.max_cadence_rpm is not None:
        changes["avg_cadence_rpm"] = lap.avg_cadence_rpm
    return replace(stats, **changes) if changes else stats  # type: ignore[arg-type]


def _notes(workout: Workout, title: str) -> str:
    lines = [title] if title else []
    if workout.instructor and workout.instructor not in title:
        lines.append(f"Instructor: {workout.instructor}")
    lines.extend(note for note in workout.notes if note)
    return "\n".join(lines)


def render_tcx(workout: Workout, laps: str = "auto", title: str | None = None) -> str:
    """Return the TCX document for ``workout`` as a string (see the module docs for the rules).

    ``laps`` is the lap strategy of :func:`peloton_export.workout.laps.lap_plan` (the same laps as the
    FIT file's). ``title`` is the activity title, the first line of ``Notes`` (default: the
    default title template, :func:`peloton_export.sinkkit.templates.activity_title`).
    """
    sport = tcx_sport(workout)
    running = sport == "Running"
    points = workout_points(workout)
    distances = workout_distances(workout)
    times = point_times(workout)
    plans = _plan_laps(workout, points, laps)
    major, minor, build = _version_parts()

    out: list[str] = [_HEADER, " <Activities>\n"]
    out.append(f'  <Activity Sport="{sport}">\n   <Id>{format_utc(workout.start)}</Id>\n')
    distance_before = 0.0
    for n, plan in enumerate(plans):
        lap_samples = [s for s in (points[i].sample for i in plan.points) if s is not None]
        stats = _with_peloton_averages(summarize(lap_samples), plan.lap)
        lap_end = next(
            (d for d in (distances[i] for i in reversed(plan.points)) if d is not None),
            distance_before,
        )
        distance = max(lap_end - distance_before, 0.0)
        if plan.lap.distance_m is not None and (plan.lap.total_work_j or plan.lap.avg_power_w):
            distance = plan.lap.distance_m  # a stacked class: its own summary
        _lap_xml(out, plan, round(plan.lap.calories_kcal or 0.0), stats, distance, running)
        distance_before = max(lap_end, distance_before)
        if plan.points:
            out.append("    <Track>\n")
            _trackpoints(out, points, plan.points, times, distances, running)
            out.append("    </Track>\n")
        elif n == 0 and not points:
            # No samples and no GPS at all: a single trackpoint at the start keeps a time.
            out.append(f"    <Track><Trackpoint><Time>{format_utc(workout.start)}</Time>")
            out.append("</Trackpoint></Track>\n")
        out.append(_lap_extension_xml(stats, running))
        out.append("   </Lap>\n")
    if title is None:
        from peloton_export.sinkkit.templates import activity_title  # sinkkit loads requests

        title = activity_title(workout)
    notes = _notes(workout, title)
    if notes:
        out.append(f"   <Notes>{xml_text(notes)}</Notes>\n")
    out.append(
        f'   <Creator xsi:type="Device_t"><Name>{_CREATOR_NAME}</Name><UnitId>0</UnitId>'
        f"<ProductID>0</ProductID><Version><VersionMajor>{major}</VersionMajor>"
        f"<VersionMinor>{minor}</VersionMinor><BuildMajor>{build}</BuildMajor>"
        "<BuildMinor>0</BuildMinor></Version></Creator>\n"
    )
    out.append("  </Activity>\n </Activities>\n")
    out.append(
        f' <Author xsi:type="Application_t"><Name>{_CREATOR_NAME}</Name><Build><Version>'
        f"<VersionMajor>{major}</VersionMajor><VersionMinor>{minor}</VersionMinor>"
        f"<BuildMajor>{build}</BuildMajor><BuildMinor>0</BuildMinor></Version></Build>"
        "<LangID>en</LangID><PartNumber>000-00000-00</PartNumber></Author>\n"
    )
    out.append("</TrainingCenterDatabase>\n")
    return "".join(out)


def write_tcx(workout: Workout, stream: BinaryIO, context: ExportContext) -> None:
    """Write ``workout`` to ``stream`` as UTF-8 TCX v2 (the ``tcx`` format's writer)."""
    from peloton_export.sinkkit.templates import activity_title

    laps = context.option("laps") or context.option("fit.laps") or "auto"
    title = activity_title(workout, context, plugin="tcx")
    stream.write(render_tcx(workout, laps, title).encode("utf-8"))
