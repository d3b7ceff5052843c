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


class _Extensions(list[Any]):
    """The extension elements of one trackpoint, and where their serialized text is kept.

    The elements themselves are shared between trackpoints (:class:`_ExtensionFactory`);
    ``texts`` (one dict per document) maps each element to the text gpxpy made for it, so
    :func:`_point_class`'s extensions field serializes an element once, not at every point.
    """

    __slots__ = ("texts",)

    def __init__(self, elements: list[Any], texts: dict[Any, tuple[object, str]]) -> None:
        super().__init__(elements)
        self.texts = texts


class _ExtensionFactory:
    """Builds the ``gpxtpx``/``pwr`` extension elements of a trackpoint.

    Elements with the same content are built once and shared between trackpoints (gpxpy
    only reads them while serializing): heart rate, cadence and power take few distinct
    values, so a 60-minute workout builds a few hundred elements, not three a point.
    """

    __slots__ = ("_element", "_power", "_sub_element", "_texts", "_tpx")

    def __init__(self) -> None:
        from xml.etree.ElementTree import Element, SubElement

        self._element = Element
        self._sub_element = SubElement
        self._tpx: dict[tuple[int | None, int | None], Any] = {}
        self._power: dict[int, Any] = {}
        self._texts: dict[Any, tuple[object, str]] = {}

    def __call__(self, sample: Sample) -> _Extensions | None:
        """The extension elements for ``sample`` (``None`` when it has no metric)."""
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
        return _Extensions(result, self._texts) if result else None


# The fields of gpxpy's GPX 1.1 trackpoint that this writer sets; every other field of a
# point stays None, and gpxpy writes nothing for a None field.
_POINT_FIELDS = ("latitude", "longitude", "elevation", "time", "extensions")
_POINT_CLASS: list[Any] = []


def _point_class() -> Any:
    """gpxpy's ``GPXTrackPoint``, declaring only the fields this writer sets.

    gpxpy serializes a point by walking its class's ``gpx_11_fields`` (24 fields, each read
    and skipped when ``None``). This subclass keeps gpxpy's own field objects for the
    fields :func:`build_gpx` sets (:data:`_POINT_FIELDS`) and drops the rest, which are
    always ``None`` here, so gpxpy writes the same bytes with less work per point; its
    extensions field reuses the text gpxpy made for a shared :class:`_Extensions` list.
    Where gpxpy's fields are not what this expects (another gpxpy version), the plain
    ``GPXTrackPoint`` is used: the same bytes, only slower.
    """
    if _POINT_CLASS:
        return _POINT_CLASS[0]
    import gpxpy.gpx as gpxpy_gpx
    import gpxpy.gpxfield as gpxfield

    base: Any = gpxpy_gpx.GPXTrackPoint
    fields = [f for f in getattr(base, "gpx_11_fields", ()) if getattr(f, "name", None) in _POINT_FIELDS]
    names = tuple(f.name for f in fields)
    extensions_field = fields[-1] if fields else None
    if (
        names != _POINT_FIELDS
        or type(extensions_field) is not gpxfield.GPXExtensionsField
        or not all(isinstance(f, gpxfield.GPXField) for f in fields[:-1])
    ):
        _POINT_CLASS.append(base)
        return base

    class _SharedExtensionsField(gpxfield.GPXExtensionsField):
        """gpxpy's extensions field: a shared element's text is made by gpxpy once."""

        def to_xml(
            self,
            value: Any,
            version: str,
            nsmap: dict[str, str] | None = None,
            prettyprint: bool = True,
            indent: str = "",
        ) -> str:
            nsmap = nsmap or {}
            if type(value) is not _Extensions:
                return str(super().to_xml(value, version, nsmap, prettyprint, indent))
            # The same steps as gpxpy's GPXExtensionsField.to_xml, with the element texts
            # kept (tests/unit/test_format_gpx.py compares the bytes with gpxpy's own).
            if not prettyprint:
                indent = ""
            if not value or version != "1.1":
                return ""
            inner = f"{indent}  "
            key = (prettyprint, inner, tuple(nsmap.items()))
            texts = value.texts
            parts = [f"\n{indent}<{self.tag}>"]
            for element in value:
                hit = texts.get(element)
                if hit is None or hit[0] != key:
                    text = self._ETree_to_xml(element, nsmap, prettyprint=prettyprint, indent=inner)
                    hit = texts[element] = (key, text)
                parts.append(hit[1])
            parts.append(f"\n{indent}</{self.tag}>")
            return "".join(parts)

    fields[-1] = _SharedExtensionsField(extensions_field.name, tag=extensions_field.tag, is_list=True)

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
    """The ``gpxpy.gpx.GPX`` document of ``workout``, not yet serialized (module docstring).

    Its trackpoints are :func:`_point_class` instances (``GPXTrackPoint`` subclasses).

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
    extensions = _ExtensionFactory()
    isfinite = math.isfinite
    get_sample = by_offset.get
    for fixes in segments.values():
        segment = gpxpy_gpx.GPXTrackSegment()
        points = segment.points
        append = points.append
        for fix in fixes:
            lat, lon = fix.latitude, fix.longitude
            if -90.0 <= lat <= 90.0 and -180.0 <= lon < 179.9999999:  # valid_position's usual case
                lat, lon = round(lat, 7), round(lon, 7)
            else:
                pos = valid_position(lat, lon)
                if pos is None:
                    continue
                lat, lon = pos
            offset = fix.offset
            sample = get_sample(offset)
            ele = fix.altitude_m
            if ele is None and sample is not None:
                ele = sample.altitude_m
            point = point_cls(
                lat,
                lon,
                elevation=round(ele, 1) if ele is not None and isfinite(ele) else None,
                time=start + timedelta(seconds=offset),
            )
            if sample is not None:
                found = extensions(sample)
                if found is not None:
                    point.extensions = found
            append(point)
        if points:
            track.segments.append(segment)
    return doc


def write_gpx(workout: Workout, stream: BinaryIO, context: ExportContext) -> None:
    """Write ``workout`` to ``stream`` as UTF-8 GPX 1.1 (the ``gpx`` format's writer)."""
    stream.write(render_gpx(workout).encode("utf-8"))
