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
* fixes whose offset does not increase are dropped (duplicates).
"""

from __future__ import annotations

from datetime import timedelta

from peloton_export.model import GpsPoint
from peloton_export.normalize._common import Context, JsonObject, arr, num, obj, offset_value
from peloton_export.units import distance_factor


def read_track(
    graph: JsonObject, ctx: Context, altitude_by_offset: dict[int, float]
) -> tuple[tuple[GpsPoint, ...], dict[int, float]]:
    """The track, and the cumulative distance in metres of each fix by offset."""
    points: list[GpsPoint] = []
    distances: dict[int, float] = {}
    segment = 0
    after_gap = False
    last_offset = -1
    factors: dict[object, float | None] = {}
    dropped = 0
    for raw_segment in arr(graph.get("location_data")):
        seg = obj(raw_segment)
        if seg is None:
            continue
        coordinates = arr(seg.get("coordinates"))
        if seg.get("is_gap") is True:
            after_gap = bool(points) or after_gap
            continue
        if after_gap and points:
            segment += 1
            after_gap = False
        for raw_point in coordinates:
            point = obj(raw_point)
            if point is None:
                dropped += 1
                continue
            lat = num(point.get("latitude"))
            lon = num(point.get("longitude"))
            off = offset_value(point.get("seconds_offset_from_start"))
            if (
                lat is None
                or lon is None
                or off is None
                or off <= last_offset
                or not -90.0 <= lat <= 90.0
                or not -180.0 <= lon <= 180.0
                or (lat == 0.0 and lon == 0.0)
            ):
                dropped += 1
                continue
            last_offset = off
            accuracy = num(point.get("accuracy"))
            unit = point.get("distance_display_unit")
            if unit not in factors:
                factors[unit] = distance_factor(unit) if unit is not None else None
            factor = factors[unit]
            raw_distance = num(point.get("distance"))
            distance = (
                raw_distance * factor
                if factor is not None and raw_distance is not None and 0.0 <= raw_distance * factor < 1e8
                else None
            )
            if distance is not None:
                distances[off] = distance
            points.append(
                GpsPoint(
                    offset=off,
                    time=ctx.start + timedelta(seconds=off),
                    latitude=lat,
                    longitude=lon,
                    altitude_m=altitude_by_offset.get(off),
                    accuracy_m=accuracy if accuracy is not None and accuracy >= 0.0 else None,
                    distance_m=distance,
                    segment=segment,
                )
            )
    if dropped:
        ctx.note(f"{dropped} GPS fix(es) without a valid position or offset were left out")
    if points and graph.get("is_location_data_accurate") is False:
        ctx.note("Peloton marks this workout's location data as inaccurate")
    return tuple(points), distances
