"""Tests of the GPX writer: skip rule, schema validity, round-tripped values, escaping."""

from __future__ import annotations

import io
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import gpxpy
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import workout_factory as wf
import xsd

from peloton_export import __version__
from peloton_export.default_plugins import gpx as gpx_plugin
from peloton_export.errors import SkipFormat
from peloton_export.formats import gpx
from peloton_export.model import GpsPoint, Sample, Workout
from peloton_export.specs import ExportContext, FormatSpec
from tests.hypothesis_budget import examples

GPX_NS = "http://www.topografix.com/GPX/1/1"
TPX = "http://www.garmin.com/xmlschemas/TrackPointExtension/v2"
PWR = "http://www.garmin.com/xmlschemas/PowerExtension/v1"
NS = {"g": GPX_NS, "tpx": TPX, "pwr": PWR}


def spec() -> FormatSpec:
    return next(iter(gpx_plugin.register_formats()))


def write(workout: Workout) -> bytes:
    stream = io.BytesIO()
    spec().write(workout, stream, ExportContext(output_dir=Path(".")))
    return stream.getvalue()


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(no_network=True, resolve_entities=False))


def assert_valid(schemas_dir: Path, data: bytes) -> etree._Element:
    schema = xsd.schema("gpx", schemas_dir)
    root = parse(data)
    assert schema.validate(root), "\n".join(str(e) for e in schema.error_log)
    return root


def texts(root: etree._Element, path: str) -> list[str]:
    return [str(v) for v in root.xpath(path, namespaces=NS)]


def ride_with_gps(minutes: int = 5) -> Workout:
    """An outdoor ride: 1 Hz samples with power plus a GPS fix every second."""
    ride = wf.cycling(minutes, laps=1, is_outdoor=True)
    track = tuple(
        GpsPoint(
            offset=s.offset,
            time=s.time,
            latitude=51.5 + s.offset * 1e-5,
            longitude=-0.12 - s.offset * 1e-5,
            altitude_m=20.0 + s.offset % 10,
        )
        for s in ride.samples
    )
    return replace(ride, track=track)


GPS_WORKOUTS = {
    "outdoor_run": wf.outdoor_run(),
    "walking_outdoor": wf.all_workouts()["walking_outdoor"],
    "ride_with_gps": ride_with_gps(),
    "hostile_with_gps": replace(wf.hostile(), track=ride_with_gps().track),
    "extreme_with_gps": replace(wf.extreme_values(), track=ride_with_gps(1).track[:5]),
}


# --------------------------------------------------------------------------- registration, skip


def test_register_formats_declares_gpx() -> None:
    specs = list(gpx_plugin.register_formats())
    assert len(specs) == 1
    assert (specs[0].name, specs[0].suffix, specs[0].media_type) == (
        "gpx",
        ".gpx",
        "application/gpx+xml",
    )
    assert specs[0].write is gpx.write_gpx
    assert specs[0].description


@pytest.mark.parametrize("name", ["cycling", "rowing", "strength", "meditation", "gaps", "hostile"])
def test_workouts_without_gps_are_skipped(name: str) -> None:
    workout = wf.all_workouts()[name]
    assert spec().skip_reason(workout) == "no GPS track"
    with pytest.raises(SkipFormat, match="no GPS track"):
        write(workout)


@pytest.mark.parametrize("name", sorted(GPS_WORKOUTS))
def test_workouts_with_gps_apply(name: str) -> None:
    assert spec().skip_reason(GPS_WORKOUTS[name]) is None


# --------------------------------------------------------------------------- validity, determinism


@pytest.mark.parametrize("name", sorted(GPS_WORKOUTS))
def test_every_gps_workout_validates_against_the_xsds(schemas_dir: Path, name: str) -> None:
    root = assert_valid(schemas_dir, write(GPS_WORKOUTS[name]))
    assert root.tag == f"{{{GPX_NS}}}gpx"
    assert root.get("version") == "1.1"


@pytest.mark.parametrize("name", sorted(GPS_WORKOUTS))
def test_output_is_deterministic(name: str) -> None:
    assert write(GPS_WORKOUTS[name]) == write(GPS_WORKOUTS[name])
    assert write(wf.outdoor_run(3)) == write(wf.outdoor_run(3))


# --------------------------------------------------------------------------- gpxpy's own bytes


def plain_gpxpy_copy(doc: gpxpy.gpx.GPX) -> gpxpy.gpx.GPX:
    """``doc`` with every trackpoint rebuilt as gpxpy's own ``GPXTrackPoint`` (plain lists)."""
    for track in doc.tracks:
        for segment in track.segments:
            plain = []
            for point in segment.points:
                copy = gpxpy.gpx.GPXTrackPoint(
                    point.latitude, point.longitude, elevation=point.elevation, time=point.time
                )
                copy.extensions = list(point.extensions)
                plain.append(copy)
            segment.points = plain
    return doc


def assert_gpxpy_bytes(workout: Workout) -> None:
    """Our trackpoint class (fewer fields, shared extension text) writes gpxpy's bytes."""
    ours = gpx.build_gpx(workout)
    theirs = plain_gpxpy_copy(gpx.build_gpx(workout))
    assert gpx.render_gpx(workout) == theirs.to_xml(version="1.1", prettyprint=False) + "\n"
    for pretty in (False, True):
        assert ours.to_xml(version="1.1", prettyprint=pretty) == theirs.to_xml(
            version="1.1", prettyprint=pretty
        )


def test_the_fast_trackpoint_class_is_in_use() -> None:
    cls = gpx._point_class()
    assert cls is not gpxpy.gpx.GPXTrackPoint
    assert issubclass(cls, gpxpy.gpx.GPXTrackPoint)
    assert [f.name for f in cls.gpx_11_fields] == ["latitude", "longitude", "elevation", "time", "extensions"]


@pytest.mark.parametrize("name", sorted(GPS_WORKOUTS))
def test_bytes_are_gpxpy_own(name: str) -> None:
    assert_gpxpy_bytes(GPS_WORKOUTS[name])


def test_a_shared_extension_is_serialized_once() -> None:
    run = wf.outdoor_run(10)
    calls = 0
    field = gpx._point_class().gpx_11_fields[-1]
    real = field._ETree_to_xml

    def counting(*args: object, **kwargs: object) -> str:
        nonlocal calls
        calls += 1
        return str(real(*args, **kwargs))

    field._ETree_to_xml = counting
    try:
        gpx.render_gpx(run)
    finally:
        del field._ETree_to_xml
    points = len(run.track)
    assert 0 < calls < points / 4


# --------------------------------------------------------------------------- round trip


def test_outdoor_run_round_trip(schemas_dir: Path) -> None:
    run = wf.outdoor_run()
    data = write(run)
    root = assert_valid(schemas_dir, data)
    assert root.get("creator") == f"peloton-export {__version__}"
    assert texts(root, "/g:gpx/g:metadata/g:name/text()") == [run.title]
    assert texts(root, "/g:gpx/g:metadata/g:time/text()") == ["2025-03-01T12:00:00Z"]
    assert texts(root, "//g:trk/g:name/text()") == [run.title]
    assert len(root.findall("g:trk", NS)) == 1

    parsed = gpxpy.parse(data.decode("utf-8"))
    segments = parsed.tracks[0].segments
    assert len(segments) == 2  # the dropout splits the track into GPS segments 0 and 1
    points = [p for seg in segments for p in seg.points]
    assert len(points) == len(run.track)
    assert [len(seg.points) for seg in segments] == [
        sum(1 for g in run.track if g.segment == n) for n in (0, 1)
    ]
    assert points[0].time == run.start
    assert points[-1].time == run.start + timedelta(seconds=run.track[-1].offset)
    assert all(
        p.time == run.start + timedelta(seconds=g.offset) for p, g in zip(points, run.track, strict=True)
    )
    assert points[0].latitude == pytest.approx(run.track[0].latitude, abs=1e-7)
    assert points[-1].longitude == pytest.approx(run.track[-1].longitude, abs=1e-7)
    assert points[10].elevation == pytest.approx(run.track[10].altitude_m or 0, abs=0.05)

    # Heart rate and cadence are joined by offset: only fixes at a sample's offset get them.
    by_offset = {s.offset: s for s in run.samples}
    for trkpt, fix in zip(root.iterfind(".//g:trkpt", NS), run.track, strict=True):
        hr = trkpt.find("g:extensions/tpx:TrackPointExtension/tpx:hr", NS)
        cad = trkpt.find("g:extensions/tpx:TrackPointExtension/tpx:cad", NS)
        sample = by_offset.get(fix.offset)
        if sample is None:
            assert trkpt.find("g:extensions", NS) is None
        else:
            assert hr is not None and int(hr.text) == sample.heart_rate_bpm
            assert cad is not None and int(cad.text) == round(sample.cadence_rpm or 0)
    assert root.findall(".//pwr:PowerInWatts", NS) == []  # the run has no power


def test_ride_power_round_trip(schemas_dir: Path) -> None:
    ride = ride_with_gps()
    root = assert_valid(schemas_dir, write(ride))
    watts = [int(v) for v in texts(root, "//g:trkpt/g:extensions/pwr:PowerInWatts/text()")]
    assert watts == [round(s.power_w or 0) for s in ride.samples]
    hrs = texts(root, "//tpx:hr/text()")
    assert len(hrs) == len(ride.samples) - 5  # no HR element for the first five seconds
    first = root.find(".//g:trkpt", NS)
    assert first is not None and first.find("g:extensions/tpx:TrackPointExtension/tpx:hr", NS) is None


def test_elevation_falls_back_to_the_sample() -> None:
    ride = ride_with_gps(1)
    track = tuple(replace(g, altitude_m=None) for g in ride.track)
    samples = tuple(replace(s, altitude_m=123.44) for s in ride.samples)
    root = parse(write(replace(ride, track=track, samples=samples)))
    assert set(texts(root, "//g:trkpt/g:ele/text()")) == {"123.4"}


def test_out_of_range_values_are_clamped_or_dropped(schemas_dir: Path) -> None:
    root = assert_valid(schemas_dir, write(GPS_WORKOUTS["extreme_with_gps"]))
    points = root.findall(".//g:trkpt", NS)

    def value(point: etree._Element, path: str) -> str | None:
        found = point.find(path, NS)
        return None if found is None else found.text

    assert [value(p, ".//tpx:cad") for p in points] == ["254", "0", "254", "90", None]
    assert [value(p, ".//tpx:hr") for p in points] == [None, None, None, "150", "151"]
    assert [value(p, ".//pwr:PowerInWatts") for p in points] == ["250", "0", "65535", None, "200"]


def test_impossible_positions_are_left_out(schemas_dir: Path) -> None:
    run = wf.outdoor_run(1, laps=())
    bad = (
        replace(run.track[0], latitude=-90.5),
        replace(run.track[1], longitude=180.0),  # written as -180
        replace(run.track[2], longitude=float("inf")),
        replace(run.track[3], longitude=179.99999999),  # rounds to 180, written as -180
    )
    root = assert_valid(schemas_dir, write(replace(run, track=bad + run.track[4:])))
    lons = texts(root, "//g:trkpt/@lon")
    assert len(lons) == len(run.track) - 2
    assert [float(v) for v in lons[:2]] == [-180.0, -180.0]


# --------------------------------------------------------------------------- escaping


def test_hostile_title_is_escaped(schemas_dir: Path) -> None:
    data = write(GPS_WORKOUTS["hostile_with_gps"])
    root = assert_valid(schemas_dir, data)
    assert b"<script>" not in data
    assert b"]]>" not in data
    assert texts(root, "/g:gpx/g:metadata/g:name/text()") == [wf.HOSTILE_TITLE]
    assert texts(root, "//g:trk/g:name/text()") == [wf.HOSTILE_TITLE]


def test_control_characters_in_the_title_are_dropped(schemas_dir: Path) -> None:
    run = replace(wf.outdoor_run(1), title="Run\x00 \x1b[31mred\x0c")
    root = assert_valid(schemas_dir, write(run))
    assert texts(root, "/g:gpx/g:metadata/g:name/text()") == ["Run [31mred"]


# --------------------------------------------------------------------------- property

_BROKEN = st.sampled_from([float("nan"), float("inf"), -float("inf"), -1.0, 1e9])


@st.composite
def gps_workouts(draw: st.DrawFn) -> Workout:
    """Small workouts with at least one fix and arbitrary (also broken) readings."""
    start = wf.START
    fix_offsets = sorted(draw(st.sets(st.integers(0, 120), min_size=1, max_size=30)))
    track = tuple(
        GpsPoint(
            offset=o,
            time=start + timedelta(seconds=o),
            latitude=draw(st.one_of(st.floats(-90, 90), st.floats(-95, 95))),
            longitude=draw(st.one_of(st.floats(-180, 180), st.floats(-185, 185))),
            altitude_m=draw(st.one_of(st.none(), st.floats(-100, 9000), _BROKEN)),
            segment=draw(st.integers(0, 3)),
        )
        for o in fix_offsets
    )
    sample_offsets = sorted(draw(st.sets(st.integers(0, 120), max_size=30)))
    samples = tuple(
        Sample(
            offset=o,
            time=start + timedelta(seconds=o),
            power_w=draw(st.one_of(st.none(), st.floats(0, 3000), _BROKEN)),
            cadence_rpm=draw(st.one_of(st.none(), st.floats(0, 400), _BROKEN)),
            heart_rate_bpm=draw(st.one_of(st.none(), st.integers(-5, 400))),
            altitude_m=draw(st.one_of(st.none(), st.floats(-100, 9000))),
        )
        for o in sample_offsets
    )
    return replace(
        wf.outdoor_run(1, laps=()),
        title=draw(st.text(max_size=30)),
        track=track,
        samples=samples,
    )


@settings(
    max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(workout=gps_workouts())
def test_any_gps_workout_gives_a_valid_deterministic_gpx(schemas_dir: Path, workout: Workout) -> None:
    data = write(workout)
    root = assert_valid(schemas_dir, data)
    assert data == write(workout)
    assert_gpxpy_bytes(workout)
    valid = [g for g in workout.track if -90 <= g.latitude <= 90 and -180 <= g.longitude <= 180]
    assert len(root.findall(".//g:trkpt", NS)) == len(valid)
