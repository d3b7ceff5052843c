"""The GPS track of an outdoor workout, from the graph's ``location_data``.

``location_data`` is a list of segments (they line up with the class segments), each with
``is_gap`` and ``coordinates[]``; every fix carries its own ``seconds_offset_from_start``,
which is the same clock as the sample offsets, so fixes are joined to samples by that value
(never by position). Rules:

* a fix without a finite latitude in ``[-90, 90]`` and longitude in ``[-180, 180]``, or at
  exactly (0, 0), or without a valid offset, is left out;
* segments marked ``is_gap`` are not part of the track (Peloton uses them for stretches it
  could not track); the fixes after a gap start a new ``GpsPoint.segment`` so GPX writes a
  new ``<trkseg>`` there instead of drawing a straight line across the gap;
* ``accuracy`` (metres) may be ``null``; ``distance`` is cumulative in the unit named by
  ``distance_display_unit`` (mi or km) and is converted to metres;
* ``altitude_m`` comes from the ``altitude`` sample at the same offset, when there is one;
* fixes whose offset does not increase are dropped (duplicates);
* when no fix carries a distance above zero (old recordings write ``distance: 0.0``), the
  cumulative distance is computed from the positions (great-circle, within a segment); a
  step faster than 180 km/h (a fix thrown far away by a glitch) adds no distance.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta

from peloton_export.model import GpsPoint
from peloton_export.normalize._common import Context, JsonObject, arr, num, obj, offset_value
from peloton_export.workout.units import distance_factor


def read_track(
    graph: JsonObject, ctx: Context, altitude_by_offset: dict[int, float]
) -> tuple[tuple[GpsPoint, ...], dict[int, float]]:
    """The track, and the cumulative distance in metres of each fix by offset."""
    reader = _TrackReader(ctx.start, altitude_by_offset)
    for raw_segment in arr(graph.get("location_data")):
        seg = obj(raw_segment)
        if seg is not None:
            reader.add_segment(seg)
    if reader.dropped:
        ctx.note(f"{reader.dropped} GPS fix(es) without a valid position or offset were left out")
    if reader.points and graph.get("is_location_data_accurate") is False:
        ctx.note("Peloton marks this workout's location data as inaccurate")
    if reader.points and not any(d > 0 for d in reader.distances.values()):
        return _distance_from_positions(reader.points, ctx)
    return tuple(reader.points), reader.distances


_EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)


def _haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two positions in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


#: A step between two fixes faster than this (m/s, 180 km/h) is a GPS glitch, not movement.
MAX_GPS_SPEED_MPS = 50.0


def _distance_from_positions(
    points: list[GpsPoint], ctx: Context
) -> tuple[tuple[GpsPoint, ...], dict[int, float]]:
    """The track with cumulative distance (m) from its positions, when the fixes' own
    ``distance`` is absent or zero everywhere. Jumps across a gap (a new segment) add
    nothing, nor does a step faster than :data:`MAX_GPS_SPEED_MPS` (a glitch: one fix
    thrown far away and back)."""
    total = 0.0
    out: list[GpsPoint] = []
    distances: dict[int, float] = {}
    previous: GpsPoint | None = None
    glitches = 0
    for point in points:
        if previous is not None and previous.segment == point.segment:
            step = _haversine_m(previous.latitude, previous.longitude, point.latitude, point.longitude)
            if step <= MAX_GPS_SPEED_MPS * max(point.offset - previous.offset, 1):
                total += step
            else:
                glitches += 1
        out.append(replace(point, distance_m=total))
        distances[point.offset] = total
        previous = point
    if total > 0:
        ctx.note("the GPS fixes carry no distance; it was computed from their positions")
    if glitches:
        ctx.note(f"{glitches} GPS step(s) faster than {MAX_GPS_SPEED_MPS * 3.6:.0f} km/h added no distance")
    return tuple(out), distances


class _TrackReader:
    """Collects the fixes of one track, segment by segment (see the module docstring)."""

    def __init__(self, start: datetime, altitude_by_offset: dict[int, float]) -> None:
        self.start = start
        self.altitude_by_offset = altitude_by_offset
        self.points: list[GpsPoint] = []
        self.distances: dict[int, float] = {}  # metres by offset
        self.dropped = 0
        self._segment = 0
        self._after_gap = False
        self._last_offset = -1
        self._factors: dict[object, float | None] = {}  # metres per distance unit

    def add_segment(self, seg: JsonObject) -> None:
        """Add the fixes of one ``location_data`` segment (none for a gap)."""
        coordinates = arr(seg.get("coordinates"))
        if seg.get("is_gap") is True:
            self._after_gap = bool(self.points) or self._after_gap
            return
        if self._after_gap and self.points:
            self._segment += 1
            self._after_gap = False
        for raw_point in coordinates:
            self._add_fix(obj(raw_point))

    def _add_fix(self, point: JsonObject | None) -> None:
        place = self._place(point) if point is not None else None
        if point is None or place is None:
            self.dropped += 1
            return
        lat, lon, off = place
        self._last_offset = off
        accuracy = num(point.get("accuracy"))
        distance = self._distance(point)
        if distance is not None:
            self.distances[off] = distance
        self.points.append(
            GpsPoint(
                offset=off,
                time=self.start + timedelta(seconds=off),
                latitude=lat,
                longitude=lon,
                altitude_m=self.altitude_by_offset.get(off),
                accuracy_m=accuracy if accuracy is not None and accuracy >= 0.0 else None,
                distance_m=distance,
                segment=self._segment,
            )
        )

    def _place(self, point: JsonObject) -> tuple[float, float, int] | None:
        """``(latitude, longitude, offset)`` of a usable fix, else ``None``."""
        lat = num(point.get("latitude"))
        lon = num(point.get("longitude"))
        off = offset_value(point.get("seconds_offset_from_start"))
        if (
            lat is None
            or lon is None
            or off is None
            or off <= self._last_offset
            or not -90.0 <= lat <= 90.0
            or not -180.0 <= lon <= 180.0
            or (lat == 0.0 and lon == 0.0)
        ):
            return None
        return lat, lon, off

    def _distance(self, point: JsonObject) -> float | None:
        """The fix's cumulative distance in metres, or ``None`` (no, unknown-unit or absurd value)."""
        unit = point.get("distance_display_unit")
        if unit not in self._factors:
            self._factors[unit] = distance_factor(unit) if unit is not None else None
        factor = self._factors[unit]
        raw_distance = num(point.get("distance"))
        if factor is None or raw_distance is None or not 0.0 <= raw_distance * factor < 1e8:
            return None
        return raw_distance * factor
