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
from collections.abc import Mapping
from datetime import timedelta
from operator import attrgetter
from typing import TYPE_CHECKING, Any, BinaryIO

from peloton_export import __version__
from peloton_export.errors import SkipFormat
from peloton_export.formats._xml import as_utc, sanitize_text, valid_position
from peloton_export.specs import ExportContext
from peloton_export.workout.disciplines import display_discipline

if TYPE_CHECKING:
    from peloton_export.model import GpsPoint, Sample, Workout

__all__ = ["build_gpx", "gpx_skip_reason", "render_gpx", "write_gpx"]

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
    """Builds the ``gpxpy`` extension list of a trackpoint: ``gpxtpx``/``pwr`` elements.

    Elements with the same content are built once and shared between trackpoints (gpxpy
    only reads them while serializing, :func:`_point_class` once per element): heart rate,
    cadence and power take few distinct values, so a long workout builds a few hundred
    elements, not three a point.
    """

    __slots__ = ("_element", "_power", "_sub_element", "_tpx")

    def __init__(self) -> None:
        from xml.etree.ElementTree import Element, SubElement

        self._element = Element
        self._sub_element = SubElement
        self._tpx: dict[tuple[int | None, int | None], Any] = {}
        self._power: dict[int, Any] = {}

    def by_offset(self, samples: Mapping[int, Sample]) -> dict[int, list[Any]]:
        """The extension elements of each sample, by offset (an empty list: no metric)."""
        isfinite = math.isfinite
        tpx_cache, power_cache = self._tpx, self._power
        out: dict[int, list[Any]] = {}
        for offset, sample in samples.items():
            hr, cad, power = sample.heart_rate_bpm, sample.cadence_rpm, sample.power_w
            bpm = round(hr) if hr is not None and 1 <= hr <= 255 else None
            rpm = min(max(round(cad), 0), 254) if cad is not None and isfinite(cad) else None
            result: list[Any] = []
            if bpm is not None or rpm is not None:
                tpx = tpx_cache.get((bpm, rpm))
                if tpx is None:
                    tpx = self._tpx_element(bpm, rpm)
                result.append(tpx)
            if power is not None and isfinite(power):
                watts = min(max(round(power), 0), 65535)
                pwr = power_cache.get(watts)
                if pwr is None:
                    pwr = power_cache[watts] = self._element(_PWR_TAG)
                    pwr.text = str(watts)
                result.append(pwr)
            out[offset] = result
        return out

    def _tpx_element(self, bpm: int | None, rpm: int | None) -> Any:
        tpx = self._tpx[(bpm, rpm)] = self._element(_TPX_TAG)
        if bpm is not None:
            self._sub_element(tpx, _HR_TAG).text = str(bpm)
        if rpm is not None:
            self._sub_element(tpx, _CAD_TAG).text = str(rpm)
        return tpx


_POINT_CLASS: list[Any] = []


def _point_class() -> Any:
    """gpxpy's ``GPXTrackPoint`` whose extension elements are serialized once per element.

    The extension elements are shared between trackpoints (:class:`_ExtensionFactory`), and
    gpxpy's own ``GPXExtensionsField`` serializes each one again at every point; this
    subclass (gpxpy reads a point's fields from its class's ``gpx_11_fields``) keeps the text
    gpxpy itself made for an element and reuses it, so the bytes are gpxpy's. Where gpxpy
    differs from what this expects, the plain ``GPXTrackPoint`` is used.
    """
    if _POINT_CLASS:
        return _POINT_CLASS[0]
    import gpxpy.gpx as gpxpy_gpx
    import gpxpy.gpxfield as gpxfield

    base: Any = gpxpy_gpx.GPXTrackPoint
    fields = list(getattr(base, "gpx_11_fields", ()))
    spots = [i for i, f in enumerate(fields) if type(f) is gpxfield.GPXExtensionsField]
    if len(spots) != 1 or not hasattr(gpxfield.GPXExtensionsField, "_ETree_to_xml"):
        _POINT_CLASS.append(base)
        return base

    class _SharedExtensions(gpxfield.GPXExtensionsField):
        """Serializes each (shared) extension element once per document, as gpxpy does."""

        def __init__(self, name: str, tag: str) -> None:
            super().__init__(name, tag=tag, is_list=True)
            self.cache: dict[Any, tuple[dict[str, str], str]] = {}

        def to_xml(
            self,
            value: Any,
            version: str,
            nsmap: dict[str, str] | None = None,
            prettyprint: bool = True,
            indent: str = "",
        ) -> str:
            if prettyprint or not value or version != "1.1" or nsmap is None:
                return str(super().to_xml(value, version, nsmap or {}, prettyprint, indent))
            cache = self.cache
            if len(cache) > 4096:
                cache.clear()
            parts = [f"\n<{self.tag}>"]
            for element in value:
                hit = cache.get(element)
                if hit is None or hit[0] != nsmap:
                    text = self._ETree_to_xml(element, nsmap, prettyprint=False, indent="  ")
                    hit = cache[element] = (dict(nsmap), text)
                parts.append(hit[1])
            parts.append(f"\n</{self.tag}>")
            return "".join(parts)

    old = fields[spots[0]]
    fields[spots[0]] = _SharedExtensions(old.name, old.tag)

    class _TrackPoint(base):  # type: ignore[misc]
        __slots__ = ()
        gpx_11_fields = fields

    _POINT_CLASS.append(_TrackPoint)
    return _TrackPoint


def render_gpx(workout: Workout) -> str:
    """Return the GPX 1.1 document for ``workout`` (raises :class:`SkipFormat` without GPS)."""
    # prettyprint=False keeps one element per line but drops the indentation: a third
    # smaller and about a third faster to serialize, and no less valid.
    return str(build_gpx(workout).to_xml(version="1.1", prettyprint=False)) + "\n"


def build_gpx(workout: Workout) -> Any:
    """The ``gpxpy.gpx.GPX`` document of ``workout``, not yet serialized (see the module docstring).

    :raises SkipFormat: the workout has no GPS track.
    """
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
    for fix in sorted(workout.track, key=attrgetter("segment", "offset")):
        segments.setdefault(fix.segment, []).append(fix)

    point_cls = _point_class()
    extensions = _ExtensionFactory().by_offset(by_offset)
    isfinite = math.isfinite
    for fixes in segments.values():
        segment = gpxpy_gpx.GPXTrackSegment()
        points = segment.points
        append = points.append
        for fix in fixes:
            lat, lon = fix.latitude, fix.longitude
            if -90.0 <= lat <= 90.0 and -180.0 <= lon < 179.9999999:  # valid_position's common case
                lat, lon = round(lat, 7), round(lon, 7)
            else:
                found = valid_position(lat, lon)
                if found is None:
                    continue
                lat, lon = found
            offset = fix.offset
            ele = fix.altitude_m
            if ele is None:
                sample = by_offset.get(offset)
                ele = sample.altitude_m if sample is not None else None
            point = point_cls(
                lat,
                lon,
                elevation=round(ele, 1) if ele is not None and isfinite(ele) else None,
                time=start + timedelta(seconds=offset),
            )
            found_extensions = extensions.get(offset)
            if found_extensions is not None:
                point.extensions = found_extensions
            append(point)
        if points:
            track.segments.append(segment)
    return doc


def write_gpx(workout: Workout, stream: BinaryIO, context: ExportContext) -> None:
    """Write ``workout`` to ``stream`` as UTF-8 GPX 1.1 (the ``gpx`` format's writer)."""
    stream.write(render_gpx(workout).encode("utf-8"))
