"""Tests of the TCX writer: schema validity, round-tripped values, escaping, determinism."""

from __future__ import annotations

import io
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import workout_factory as wf
import xsd

from peloton_export.default_plugins import tcx as tcx_plugin
from peloton_export.formats import tcx
from peloton_export.formats._xml import format_utc, format_utc_many, xml_attr, xml_text
from peloton_export.model import GpsPoint, Lap, Sample, Workout
from peloton_export.sinkkit.templates import TITLE_LIMIT, activity_title
from peloton_export.specs import ExportContext
from peloton_export.workout.series import iter_points
from peloton_export.workout.stats import apportion, samples_between, summarize
from tests.hypothesis_budget import examples

TCD = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
AX = "http://www.garmin.com/xmlschemas/ActivityExtension/v2"
NS = {"t": TCD, "x": AX}
WORKOUTS = wf.all_workouts()


def write(workout: Workout) -> bytes:
    stream = io.BytesIO()
    spec = next(iter(tcx_plugin.register_formats()))
    spec.write(workout, stream, ExportContext(output_dir=Path(".")))
    return stream.getvalue()


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(no_network=True, resolve_entities=False))


def assert_valid(schemas_dir: Path, data: bytes) -> etree._Element:
    schema = xsd.schema("tcx", schemas_dir)
    root = parse(data)
    assert schema.validate(root), "\n".join(str(e) for e in schema.error_log)
    return root


def texts(root: etree._Element, path: str) -> list[str]:
    return [str(v) for v in root.xpath(path, namespaces=NS)]


def tp_times(root: etree._Element) -> list[str]:
    return texts(root, "//t:Trackpoint/t:Time/text()")


# --------------------------------------------------------------------------- registration


def test_register_formats_declares_tcx() -> None:
    specs = list(tcx_plugin.register_formats())
    assert len(specs) == 1
    spec = specs[0]
    assert (spec.name, spec.suffix, spec.media_type) == (
        "tcx",
        ".tcx",
        "application/vnd.garmin.tcx+xml",
    )
    assert spec.write is tcx.write_tcx
    assert spec.description
    assert all(spec.skip_reason(w) is None for w in WORKOUTS.values())


# --------------------------------------------------------------------------- validity


@pytest.mark.parametrize("name", sorted(WORKOUTS))
def test_every_workout_validates_against_the_xsds(schemas_dir: Path, name: str) -> None:
    root = assert_valid(schemas_dir, write(WORKOUTS[name]))
    assert root.tag == f"{{{TCD}}}TrainingCenterDatabase"


@pytest.mark.parametrize("name", sorted(WORKOUTS))
def test_output_is_deterministic(name: str) -> None:
    assert write(WORKOUTS[name]) == write(WORKOUTS[name])


def test_equal_workouts_built_twice_give_equal_bytes() -> None:
    assert write(wf.cycling(10)) == write(wf.cycling(10))


def test_units_preference_does_not_change_the_file() -> None:
    ride = wf.cycling(10)
    assert write(replace(ride, units="metric")) == write(replace(ride, units="imperial"))


# --------------------------------------------------------------------------- sport


@pytest.mark.parametrize(
    ("discipline", "sport"),
    [
        ("cycling", "Biking"),
        ("bike_bootcamp", "Biking"),
        ("running", "Running"),
        ("walking", "Running"),
        ("caesar", "Other"),
        ("strength", "Other"),
        ("yoga", "Other"),
        ("meditation", "Other"),
        ("", "Other"),
    ],
)
def test_sport_mapping(discipline: str, sport: str) -> None:
    workout = wf.strength(discipline=discipline)
    assert tcx.tcx_sport(workout) == sport
    assert texts(parse(write(workout)), "//t:Activity/@Sport") == [sport]


# --------------------------------------------------------------------------- cycling round trip


def test_cycling_round_trip(schemas_dir: Path) -> None:
    ride = wf.cycling()
    root = assert_valid(schemas_dir, write(ride))
    assert texts(root, "//t:Activity/t:Id/text()") == ["2025-03-01T12:00:00Z"]

    times = tp_times(root)
    assert len(times) == len(ride.samples) == 3600
    assert times[0] == "2025-03-01T12:00:01Z"
    assert times[-1] == "2025-03-01T13:00:00Z"
    assert times == sorted(times)

    laps = root.findall(".//t:Lap", NS)
    assert len(laps) == 3
    assert [lap.get("StartTime") for lap in laps] == [
        "2025-03-01T12:00:00Z",
        "2025-03-01T12:20:00Z",
        "2025-03-01T12:40:00Z",
    ]
    assert sum(float(v) for v in texts(root, "//t:Lap/t:TotalTimeSeconds/text()")) == ride.timer_s
    # Calories split by lap time, whole numbers adding up to the workout's total.
    assert [int(v) for v in texts(root, "//t:Lap/t:Calories/text()")] == [201, 200, 200]
    # Every trackpoint lands in exactly one lap; the sample at offset 3600 (the end of the
    # last half-open lap) is kept in the last lap.
    per_lap = [len(lap.findall(".//t:Trackpoint", NS)) for lap in laps]
    assert per_lap == [1199, 1200, 1201]

    hrs = [int(v) for v in texts(root, "//t:Trackpoint/t:HeartRateBpm/t:Value/text()")]
    expected_hr = [s.heart_rate_bpm for s in ride.samples if s.heart_rate_bpm is not None]
    assert hrs == expected_hr
    lap_max_hr = [int(v) for v in texts(root, "//t:Lap/t:MaximumHeartRateBpm/t:Value/text()")]
    assert max(lap_max_hr) == max(expected_hr)

    watts = [int(v) for v in texts(root, "//x:TPX/x:Watts/text()")]
    assert watts == [round(s.power_w) for s in ride.samples if s.power_w is not None]
    speeds = [float(v) for v in texts(root, "//x:TPX/x:Speed/text()")]
    assert speeds[:3] == [round(s.speed_mps or 0, 3) for s in ride.samples[:3]]
    assert texts(root, "//x:TPX/x:RunCadence") == []  # bike cadence goes in t:Cadence
    cadences = [int(v) for v in texts(root, "//t:Trackpoint/t:Cadence/text()")]
    assert cadences == [round(s.cadence_rpm or 0) for s in ride.samples]

    distances = [float(v) for v in texts(root, "//t:Trackpoint/t:DistanceMeters/text()")]
    assert distances == sorted(distances)
    assert distances[-1] == pytest.approx(ride.samples[-1].distance_m, abs=0.05)
    lap_distances = [float(v) for v in texts(root, "//t:Lap/t:DistanceMeters/text()")]
    assert sum(lap_distances) == pytest.approx(distances[-1], abs=0.2)

    lx_max_watts = [int(v) for v in texts(root, "//t:Lap/t:Extensions/x:LX/x:MaxWatts/text()")]
    assert max(lx_max_watts) == max(watts)
    assert texts(root, "//t:Activity/t:Notes/text()") == ["60 min Power Zone Ride with Denis Morton"]


def test_heart_rate_is_left_out_when_missing() -> None:
    ride = wf.cycling(1, laps=1, hr_missing_first_s=5)
    root = parse(write(ride))
    points = root.findall(".//t:Trackpoint", NS)
    assert [p.find("t:HeartRateBpm", NS) is None for p in points[:6]] == [True] * 5 + [False]


def test_no_heart_rate_anywhere_means_no_lap_heart_rate(schemas_dir: Path) -> None:
    ride = wf.cycling(2, laps=1, hr_missing_first_s=10_000)
    root = assert_valid(schemas_dir, write(ride))
    assert root.findall(".//t:HeartRateBpm", NS) == []
    assert root.findall(".//t:AverageHeartRateBpm", NS) == []
    assert root.findall(".//t:MaximumHeartRateBpm", NS) == []


def test_out_of_range_values_are_clamped_or_dropped(schemas_dir: Path) -> None:
    root = assert_valid(schemas_dir, write(wf.extreme_values()))
    points = root.findall(".//t:Trackpoint", NS)
    assert len(points) == 5

    def value(point: etree._Element, path: str) -> str | None:
        found = point.find(path, NS)
        return None if found is None else found.text

    # Cadence is clamped to the schema's 0..254 (300 -> 254, -3 -> 0, 254.4 -> 254).
    assert [value(p, "t:Cadence") for p in points] == ["254", "0", "254", "90", None]
    # Power is clamped to unsignedShort; NaN is left out.
    assert [value(p, "t:Extensions/x:TPX/x:Watts") for p in points] == ["250", "0", "65535", None, "200"]
    # HR 0 (no reading), None and 300 (impossible) are all left out.
    assert [value(p, "t:HeartRateBpm/t:Value") for p in points] == [None, None, None, "150", "151"]
    assert texts(root, "//t:Lap/t:MaximumHeartRateBpm/t:Value/text()") == ["151"]
    assert texts(root, "//t:Lap/t:Extensions/x:LX/x:MaxBikeCadence/text()") == ["254"]


# --------------------------------------------------------------------------- outdoor


def test_outdoor_run_carries_every_gps_point(schemas_dir: Path) -> None:
    run = wf.outdoor_run()
    root = assert_valid(schemas_dir, write(run))
    assert texts(root, "//t:Activity/@Sport") == ["Running"]

    offsets = {g.offset for g in run.track} | {s.offset for s in run.samples}
    times = tp_times(root)
    assert len(times) == len(offsets)
    assert times[0] == format_utc(run.start)
    assert times[-1] == format_utc(run.start + timedelta(seconds=max(offsets)))

    lats = [float(v) for v in texts(root, "//t:Position/t:LatitudeDegrees/text()")]
    lons = [float(v) for v in texts(root, "//t:Position/t:LongitudeDegrees/text()")]
    assert len(lats) == len(run.track)
    assert lats[0] == pytest.approx(run.track[0].latitude, abs=1e-7)
    assert lons[-1] == pytest.approx(run.track[-1].longitude, abs=1e-7)
    alts = [float(v) for v in texts(root, "//t:Trackpoint/t:AltitudeMeters/text()")]
    assert alts[0] == pytest.approx(run.track[0].altitude_m or 0, abs=0.05)

    # Samples inside the GPS dropout are trackpoints without a position.
    dropout_sample = next(s for s in run.samples if 600 <= s.offset < 660)
    point = root.xpath(f"//t:Trackpoint[t:Time='{format_utc(dropout_sample.time)}']", namespaces=NS)[0]
    assert point.find("t:Position", NS) is None
    assert point.find("t:HeartRateBpm/t:Value", NS).text == str(dropout_sample.heart_rate_bpm)

    # Running cadence goes in TPX/RunCadence, not in the bike Cadence element.
    assert texts(root, "//t:Trackpoint/t:Cadence") == []
    run_cadence = [int(v) for v in texts(root, "//x:TPX/x:RunCadence/text()")]
    assert run_cadence == [round(s.cadence_rpm or 0) for s in run.samples]
    assert texts(root, "//t:Lap/t:Cadence") == []
    # one per lap of the shared lap plan (distance laps for a run: 4 here)
    assert len(texts(root, "//x:LX/x:AvgRunCadence/text()")) == len(root.xpath("//t:Lap", namespaces=NS)) == 4
    assert sum(float(v) for v in texts(root, "//t:Lap/t:TotalTimeSeconds/text()")) == run.timer_s


def test_gps_only_workout_validates(schemas_dir: Path) -> None:
    run = replace(wf.outdoor_run(5), samples=())
    root = assert_valid(schemas_dir, write(run))
    assert len(tp_times(root)) == len(run.track)
    assert root.findall(".//t:HeartRateBpm", NS) == []


def test_impossible_positions_are_left_out(schemas_dir: Path) -> None:
    run = wf.outdoor_run(1, laps=())
    bad = (
        replace(run.track[0], latitude=91.0),
        replace(run.track[1], longitude=180.0),  # written as -180
        replace(run.track[2], latitude=float("nan")),
        replace(run.track[3], longitude=179.99999999),  # rounds to 180, written as -180
    )
    root = assert_valid(schemas_dir, write(replace(run, track=bad + run.track[4:])))
    lons = texts(root, "//t:Position/t:LongitudeDegrees/text()")
    assert len(lons) == len(run.track) - 2
    assert lons[:2] == ["-180.0000000", "-180.0000000"]


# --------------------------------------------------------------------------- no samples


def test_strength_without_samples(schemas_dir: Path) -> None:
    workout = wf.strength()
    root = assert_valid(schemas_dir, write(workout))
    assert texts(root, "//t:Activity/@Sport") == ["Other"]
    assert len(root.findall(".//t:Lap", NS)) == 1
    assert texts(root, "//t:Lap/t:TotalTimeSeconds/text()") == ["1200.0"]
    assert texts(root, "//t:Lap/t:Calories/text()") == ["143"]
    assert texts(root, "//t:Lap/t:DistanceMeters/text()") == ["0.0"]
    assert tp_times(root) == ["2025-03-01T12:00:00Z"]
    assert root.findall(".//t:Trackpoint/t:HeartRateBpm", NS) == []


def test_meditation_without_calories(schemas_dir: Path) -> None:
    root = assert_valid(schemas_dir, write(wf.meditation()))
    assert texts(root, "//t:Lap/t:Calories/text()") == ["0"]


def test_laps_without_samples_stay_valid(schemas_dir: Path) -> None:
    ride = wf.cycling(6, laps=3)
    root = assert_valid(schemas_dir, write(replace(ride, samples=())))
    assert len(root.findall(".//t:Lap", NS)) == 3
    assert len(tp_times(root)) == 1
    assert sum(int(v) for v in texts(root, "//t:Lap/t:Calories/text()")) == 601


# --------------------------------------------------------------------------- gaps and times


def test_sample_gaps_keep_absolute_times(schemas_dir: Path) -> None:
    workout = wf.with_gaps()
    root = assert_valid(schemas_dir, write(workout))
    times = tp_times(root)
    assert len(times) == len(workout.samples)
    assert times == [format_utc(s.time) for s in workout.samples]
    assert "2025-03-01T12:05:00Z" not in times  # offset 300 is missing
    assert "2025-03-01T12:07:00Z" in times  # offset 420 is back


def test_non_utc_times_are_written_in_utc(schemas_dir: Path) -> None:
    plus2 = timezone(timedelta(hours=2))
    start = datetime(2025, 3, 1, 14, 0, tzinfo=plus2)
    ride = wf.cycling(1, laps=1, start=start)
    root = assert_valid(schemas_dir, write(ride))
    assert texts(root, "//t:Activity/t:Id/text()") == ["2025-03-01T12:00:00Z"]
    assert tp_times(root)[0] == "2025-03-01T12:00:01Z"


def test_points_outside_the_laps_are_kept() -> None:
    ride = wf.cycling(2, laps=2)
    laps = (replace(ride.laps[0], start_offset=30), replace(ride.laps[1], end_offset=60))
    root = parse(write(replace(ride, laps=laps)))
    assert len(tp_times(root)) == len(ride.samples)


# --------------------------------------------------------------------------- escaping


def test_hostile_text_is_escaped(schemas_dir: Path) -> None:
    workout = wf.hostile()
    data = write(workout)
    root = assert_valid(schemas_dir, data)
    assert b"<script>" not in data
    assert b"</Notes><script>" not in data
    assert b"]]>" not in data
    assert b"\x00" not in data and b"\x0b" not in data
    notes = root.findall(".//t:Notes", NS)
    assert len(notes) == 1
    title = activity_title(workout)
    assert len(title) <= TITLE_LIMIT and wf.HOSTILE_TITLE.startswith(title)
    assert notes[0].text == (
        f'{title}\nInstructor: Olivia <"O\'Love"> & ]]>\nnote  with a NUL and  control\nÜnïcödé ✓'
    )


def test_escaping_helpers() -> None:
    assert xml_text("a<b>&c]]>") == "a&lt;b&gt;&amp;c]]&gt;"
    assert xml_attr("\"'\n") == "&quot;&apos;&#10;"
    assert xml_text("ok\x00\x1f\ufffe😀") == "ok😀"


def test_format_utc_many_matches_format_utc() -> None:
    base = datetime(1969, 12, 31, 23, 58, 30, 250_000, tzinfo=UTC)
    times = [base + timedelta(seconds=n * 7) for n in range(200)]
    times += [times[5].astimezone(timezone(timedelta(hours=-5))), times[6].replace(tzinfo=None)]
    assert format_utc_many(times) == [format_utc(t) for t in times]


# --------------------------------------------------------------------------- helpers


def test_iter_points_joins_samples_and_fixes_by_offset() -> None:
    start = wf.START

    def sample(offset: int) -> Sample:
        return Sample(offset=offset, time=start + timedelta(seconds=offset), heart_rate_bpm=100)

    def fix(offset: int) -> GpsPoint:
        return GpsPoint(offset=offset, time=start + timedelta(seconds=offset), latitude=1, longitude=2)

    workout = replace(
        wf.strength(),
        samples=(sample(3), sample(1), sample(5), sample(5)),
        track=(fix(1), fix(2), fix(5), fix(9)),
    )
    got = [(p.offset, p.sample is not None, p.gps is not None) for p in iter_points(workout)]
    assert got == [
        (1, True, True),
        (2, False, True),
        (3, True, False),
        (5, True, True),
        (5, True, False),
        (9, False, True),
    ]


def test_summarize_and_samples_between() -> None:
    ride = wf.extreme_values()
    stats = summarize(ride.samples)
    assert stats.count == 5
    assert (stats.start_offset, stats.end_offset) == (1, 5)
    assert stats.max_power_w == 70000.0  # raw statistics: clamping is the writer's job
    assert stats.avg_heart_rate_bpm == pytest.approx((150 + 151) / 2)  # 0 and 300 are not readings
    assert stats.max_heart_rate_bpm == 151
    assert stats.max_cadence_rpm == 300.0
    assert stats.distance_m is None and stats.avg_speed_mps is None
    assert summarize(()).count == 0 and summarize(()).avg_power_w is None

    full = wf.cycling(3, laps=1)
    lap = samples_between(full.samples, 60, 120)
    assert [s.offset for s in lap] == list(range(60, 120))
    before = full.samples[58].distance_m or 0.0
    lap_stats = summarize(lap, distance_start_m=before)
    assert lap_stats.distance_m == pytest.approx((full.samples[118].distance_m or 0) - before)


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (601.4, [1200, 1200, 1200], [201, 200, 200]),
        (10, [1, 1, 1], [4, 3, 3]),
        (10, [0, 0], [5, 5]),
        (0, [5, 5], [0, 0]),
        (float("nan"), [5], [0]),
        (7, [3, 0, 1], [5, 0, 2]),
        (5, [], []),
    ],
)
def test_apportion(total: float, weights: list[float], expected: list[int]) -> None:
    assert apportion(total, weights) == expected


# --------------------------------------------------------------------------- property


def _metric(low: float, high: float) -> st.SearchStrategy[float | None]:
    return st.one_of(
        st.none(),
        st.floats(low, high, allow_nan=False),
        st.sampled_from([float("nan"), float("inf"), -float("inf"), -1.0, 1e9]),
    )


@st.composite
def workouts(draw: st.DrawFn) -> Workout:
    """Small workouts with arbitrary (also broken) readings, laps and GPS fixes."""
    start = wf.START
    offsets = sorted(draw(st.sets(st.integers(0, 300), max_size=40)))
    samples = tuple(
        Sample(
            offset=o,
            time=start + timedelta(seconds=o),
            power_w=draw(_metric(0, 2000)),
            cadence_rpm=draw(_metric(0, 300)),
            speed_mps=draw(_metric(0, 30)),
            altitude_m=draw(_metric(-100, 5000)),
            heart_rate_bpm=draw(st.one_of(st.none(), st.integers(-5, 400))),
            distance_m=draw(_metric(0, 10_000)),
        )
        for o in offsets
    )
    fix_offsets = sorted(draw(st.sets(st.integers(0, 300), max_size=30)))
    track = tuple(
        GpsPoint(
            offset=o,
            time=start + timedelta(seconds=o),
            latitude=draw(st.floats(-91, 91)),
            longitude=draw(st.floats(-181, 181)),
            altitude_m=draw(_metric(-100, 5000)),
            segment=draw(st.integers(0, 2)),
        )
        for o in fix_offsets
    )
    cuts = sorted(draw(st.sets(st.integers(1, 299), max_size=4)))
    bounds = list(zip([0, *cuts], [*cuts, 300], strict=True)) if draw(st.booleans()) else []
    laps = tuple(
        Lap(
            index=i,
            start_offset=a,
            end_offset=b,
            start=start + timedelta(seconds=a),
            end=start + timedelta(seconds=b),
            trigger=draw(st.sampled_from(["segment", "distance", "manual"])),
        )
        for i, (a, b) in enumerate(bounds)
    )
    return Workout(
        id="prop",
        discipline=draw(st.sampled_from(["cycling", "running", "caesar", "strength", "yoga"])),
        start=start,
        end=start + timedelta(seconds=300),
        elapsed_s=300.0,
        timer_s=draw(st.floats(0, 400, allow_nan=False)),
        title=draw(st.text(max_size=30)),
        instructor=draw(st.one_of(st.none(), st.text(max_size=10))),
        calories_kcal=draw(st.one_of(st.none(), st.floats(0, 5000, allow_nan=False))),
        samples=samples,
        track=track,
        laps=laps,
    )


@settings(
    max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(workout=workouts())
def test_any_workout_gives_a_valid_deterministic_tcx(schemas_dir: Path, workout: Workout) -> None:
    data = write(workout)
    root = assert_valid(schemas_dir, data)
    assert data == write(workout)
    offsets = {s.offset for s in workout.samples} | {g.offset for g in workout.track}
    assert len(tp_times(root)) == max(len(offsets), 1)
