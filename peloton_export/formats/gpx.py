"""GPX 1.1 writer, built with gpxpy.

Only workouts with a GPS track get a GPX file (the format's ``applies_to`` says
``"no GPS track"`` otherwise, and the writer raises :class:`SkipFormat` if called anyway).

What is written:

* ``<metadata>``: ``<name>`` is the workout title and ``<time>`` its start (UTC);
  ``creator="peloton-export <version>"`` on the root.
* One ``<trk>`` (name = title, type = Peloton discipline) with one ``<trkseg>`` per GPS
  segment, in segment order; each fix becomes a ``<trkpt>`` with its own time (the
  workout start plus the fix's offset), ``<ele>`` from the fix (or the sample of the same
  second), latitude and longitude rounded to 7 decimals.
* Sample metrics are joined by offset: heart rate and cadence as Garmin
  TrackPointExtension v2 (``gpxtpx:hr`` only for 1..255 bpm, ``gpxtpx:cad`` rounded and
  clamped to 0..254), power as Garmin PowerExtension v1 (``pwr:PowerInWatts``, rounded and
  clamped to 0..65535). This is the schema-valid encoding; Strava documents a "generic"
  ``<power>`` tag instead, which is not valid GPX 1.1, so FIT is the better format when
  power matters.
* Fixes with an impossible position (latitude outside -90..90, longitude outside
  -180..180, NaN) are left out; a longitude of 180 (after rounding) is written as -180.

Elements are written one per line without indentation (gpxpy's ``prettyprint=False``),
which makes the file about a third smaller and faster to write. The same workout always
gives the same bytes: gpxpy's serialization is deterministic and
no "now" time is written.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING, Any, BinaryIO

from peloton_export import __version__
from peloton_export.errors import SkipFormat
from peloton_export.formats._xml import as_utc, sanitize_text, valid_position
from peloton_export.specs import ExportContext
from peloton_export.workout.disciplines import display_discipline

if TYPE_CHECKING:
    from peloton_export.model import GpsPoint, Sample, Workout

__all__ = ["gpx_skip_reason", "render_gpx", "write_gpx"]

GPX_NS = "http://www.topografix.com/GPX/1/1"
TPX_NS = "http://www.garmin.com/xmlschemas/TrackPointExtension/v2"
PWR_NS = "http://www.garmin.com/xmlschemas/PowerExtension/v1"
NO_GPS = "no GPS track"

_SCHEMA_LOCATIONS = [
    GPX_NS,
    "http://www.topografix.com/GPX/1/1/gpx.xsd",
    TPX_NS,
    "https://www8.garmin.com/xmlschemas/TrackPointExtensionv2.xsd",
    PWR_NS,
    "https://www8.garmin.com/xmlschemas/PowerExtensionv1.xsd",
]
_TPX_TAG = f"{{{TPX_NS}}}TrackPointExtension"
_HR_TAG = f"{{{TPX_NS}}}hr"
_CAD_TAG = f"{{{TPX_NS}}}cad"
_PWR_TAG = f"{{{PWR_NS}}}PowerInWatts"


def gpx_skip_reason(workout: Workout) -> str | None:
    """``"no GPS track"`` when ``workout`` has no location fixes, else ``None``."""
    return None if workout.has_gps else NO_GPS


class _ExtensionFactory:
    """Builds the ``gpxtpx``/``pwr`` extension elements of a trackpoint.

    Elements with the same content are built once and shared between trackpoints (gpxpy
    only reads them while serializing): heart rate, cadence and power take few distinct
    values, so this saves most of the element construction for a long workout.
    """

    __slots__ = ("_element", "_power", "_sub_element", "_tpx")

    def __init__(self) -> None:
        from xml.etree.ElementTree import Element, SubElement

        self._element = Element
        self._sub_element = SubElement
        self._tpx: dict[tuple[int | None, int | None], Any] = {}
        self._power: dict[int, Any] = {}

    def __call__(self, sample: Sample) -> list[Any]:
        """The extension elements for ``sample`` (an empty list when it has no metric)."""
        hr = sample.heart_rate_bpm
        cad = sample.cadence_rpm
        power = sample.power_w
        bpm = round(hr) if hr is not None and 1 <= hr <= 255 else None
        rpm: int | None = None
        if cad is not None and math.isfinite(cad):
            rpm = min(max(round(cad), 0), 254)
        result: list[Any] = []
        if bpm is not None or rpm is not None:
            key = (bpm, rpm)
            tpx = self._tpx.get(key)
            if tpx is None:
                tpx = self._tpx[key] = self._element(_TPX_TAG)
                if bpm is not None:
                    self._sub_element(tpx, _HR_TAG).text = str(bpm)
                if rpm is not None:
                    self._sub_element(tpx, _CAD_TAG).text = str(rpm)
            result.append(tpx)
        if power is not None and math.isfinite(power):
            watts = min(max(round(power), 0), 65535)
            pwr = self._power.get(watts)
            if pwr is None:
                pwr = self._power[watts] = self._element(_PWR_TAG)
                pwr.text = str(watts)
            result.append(pwr)
        return result


def render_gpx(workout: Workout) -> str:
    """Return the GPX 1.1 document for ``workout`` (raises :class:`SkipFormat` without GPS)."""
    reason = gpx_skip_reason(workout)
    if reason is not None:
        raise SkipFormat(reason)
    import gpxpy.gpx as gpxpy_gpx

    start = as_utc(workout.start)
    title = sanitize_text(workout.title)
    doc = gpxpy_gpx.GPX()
    doc.nsmap = {"gpxtpx": TPX_NS, "pwr": PWR_NS}
    doc.schema_locations = list(_SCHEMA_LOCATIONS)
    doc.creator = f"peloton-export {__version__}"
    doc.name = title or None
    doc.time = start
    track = gpxpy_gpx.GPXTrack(name=title or None)
    # gpxpy annotates GPXTrack.type as None (it is an optional string in GPX 1.1).
    track.type = sanitize_text(display_discipline(workout.discipline)) or None  # type: ignore[assignment]
    doc.tracks.append(track)

    by_offset: dict[int, Sample] = {}
    for item in workout.samples:
        by_offset.setdefault(item.offset, item)

    segments: dict[int, list[GpsPoint]] = {}
    for fix in sorted(workout.track, key=lambda f: (f.segment, f.offset)):
        segments.setdefault(fix.segment, []).append(fix)

    point_cls = gpxpy_gpx.GPXTrackPoint
    extensions = _ExtensionFactory()
    isfinite = math.isfinite
    for fixes in segments.values():
        segment = gpxpy_gpx.GPXTrackSegment()
        points = segment.points
        for fix in fixes:
            pos = valid_position(fix.latitude, fix.longitude)
            if pos is None:
                continue
            sample = by_offset.get(fix.offset)
            ele = fix.altitude_m
            if ele is None and sample is not None:
                ele = sample.altitude_m
            point = point_cls(
                pos[0],
                pos[1],
                elevation=round(ele, 1) if ele is not None and isfinite(ele) else None,
                time=start + timedelta(seconds=fix.offset),
            )
            if sample is not None:
                point.extensions = extensions(sample)
            points.append(point)
        if points:
            track.segments.append(segment)
    # prettyprint=False keeps one element per line but drops the indentation: a third
    # smaller and about a third faster to serialize, and no less valid.
    return str(doc.to_xml(version="1.1", prettyprint=False)) + "\n"


def write_gpx(workout: Workout, stream: BinaryIO, context: ExportContext) -> None:
    """Write ``workout`` to ``stream`` as UTF-8 GPX 1.1 (the ``gpx`` format's writer)."""
    stream.write(render_gpx(workout).encode("utf-8"))
