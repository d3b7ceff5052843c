"""normalize(): one test per Peloton quirk on small hand-built bodies, then real fixtures."""

from __future__ import annotations

import copy
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from peloton_export.errors import NormalizeError, SkipWorkout
from peloton_export.model import Workout
from peloton_export.normalize import normalize
from peloton_export.raw import RawWorkout
from peloton_export.source.importers import import_path
from peloton_export.store.archive import Archive

START = 1_700_000_000
T0 = datetime.fromtimestamp(START, UTC)
WID = "a" * 32
MPH = 1609.344 / 3600


def workout_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": WID,
        "status": "COMPLETE",
        "fitness_discipline": "cycling",
        "start_time": START,
        "end_time": START + 600,
        "name": "Cycling Workout",
        "ride": {
            "id": "b" * 32,
            "title": "10 min Ride",
            "duration": 600,
            "pedaling_start_offset": 60,
            "instructor": {"name": "Denis Morton"},
            "instructor_id": "c" * 32,
        },
    }
    body.update(fields)
    return body


def metric(slug: str, unit: str | None, values: list[Any], **extra: Any) -> dict[str, Any]:
    return {"slug": slug, "display_unit": unit, "values": values, **extra}


def graph_body(offsets: list[Any], *metrics: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "duration": 600,
        "seconds_since_pedaling_start": offsets,
        "metrics": list(metrics),
        "summaries": [],
        "segment_list": [],
    }
    body.update(fields)
    return body


def run(
    workout: dict[str, Any] | None = None,
    graph: dict[str, Any] | None = None,
    ride_details: dict[str, Any] | None = None,
) -> Workout:
    return normalize(
        RawWorkout(
            workout_id=WID,
            workout=workout if workout is not None else workout_body(),
            performance_graph=graph,
            ride_details=ride_details,
        )
    )


# --- time mapping -------------------------------------------------------------------------


def test_sample_time_is_start_plus_offset_value_not_index() -> None:
    w = run(graph=graph_body([1, 2, 5, 9], metric("output", "watts", [10, 20, 30, 40])))
    assert [s.offset for s in w.samples] == [1, 2, 5, 9]
    assert [s.time for s in w.samples] == [T0 + timedelta(seconds=o) for o in (1, 2, 5, 9)]
    assert w.start == T0 and w.start.tzinfo is UTC


def test_value_arrays_shorter_or_longer_than_offsets() -> None:
    w = run(
        graph=graph_body(
            [1, 2, 3], metric("output", "watts", [100]), metric("cadence", "rpm", [80, 81, 82, 83, 84])
        )
    )
    assert [s.power_w for s in w.samples] == [100, None, None]
    assert [s.cadence_rpm for s in w.samples] == [80, 81, 82]


def test_bad_repeated_and_out_of_order_offsets_are_dropped() -> None:
    w = run(
        graph=graph_body(
            [1, "x", 2, 2, None, -4, 3.0, 1, 4], metric("output", "watts", [1, 2, 3, 4, 5, 6, 7, 8, 9])
        )
    )
    assert [(s.offset, s.power_w) for s in w.samples] == [(1, 1), (2, 3), (3, 7), (4, 9)]
    assert any("offset" in n for n in w.notes)


def test_null_end_time_falls_back_to_start_plus_duration() -> None:
    w = run(workout_body(end_time=None), graph_body([1, 2], metric("output", "watts", [1, 2])))
    assert w.end == T0 + timedelta(seconds=600)
    assert w.elapsed_s == 600


def test_elapsed_timer_and_pause() -> None:
    body = workout_body(end_time=START + 800, pause_time_elapsed=200, has_paused=True)
    w = run(body, graph_body(list(range(1, 601)), metric("output", "watts", [100] * 600)))
    assert w.elapsed_s == 800
    assert w.timer_s == 600
    assert w.pause_s == 200
    assert w.timer_s < w.elapsed_s


def test_timer_is_class_duration_without_samples() -> None:
    w = run(workout_body(end_time=START + 700), None)
    assert w.timer_s == 600 and w.samples == ()
    short = run(workout_body(end_time=START + 300), None)  # left early, no graph
    assert short.timer_s == 300


def test_end_moved_to_last_sample_when_end_time_is_early() -> None:
    w = run(workout_body(end_time=START + 100), graph_body([1, 150], metric("output", "watts", [1, 2])))
    assert w.end == T0 + timedelta(seconds=150)
    assert w.timer_s <= w.elapsed_s
    assert any("end_time" in n for n in w.notes)


# --- metrics ------------------------------------------------------------------------------


def test_heart_rate_zero_is_no_reading() -> None:
    w = run(graph=graph_body([1, 2, 3], metric("heart_rate", "bpm", [0, 120, 121.6])))
    assert [s.heart_rate_bpm for s in w.samples] == [None, 120, 122]


def test_speed_mph_and_kph() -> None:
    mph = run(graph=graph_body([1], metric("speed", "mph", [20.0])))
    assert mph.samples[0].speed_mps == pytest.approx(20 * MPH)
    assert mph.units == "imperial"
    kph = run(graph=graph_body([1], metric("speed", "kph", [36.0])))
    assert kph.samples[0].speed_mps == pytest.approx(10.0)
    assert kph.units == "metric"


def test_speed_from_pace_null_pace_is_none() -> None:
    w = run(graph=graph_body([1, 2, 3], metric("pace", "min/mi", [None, 10.0, 0])))
    assert w.samples[0].speed_mps is None
    assert w.samples[1].speed_mps == pytest.approx(1609.344 / 600)
    assert w.samples[2].speed_mps is None


def test_pace_in_min_per_km() -> None:
    w = run(graph=graph_body([1], metric("pace", "min/km", [5.0])))
    assert w.samples[0].speed_mps == pytest.approx(1000 / 300)
    assert w.units == "metric"


def test_speed_alternative_of_pace_is_preferred() -> None:
    pace = metric("pace", "min/mi", [None, 20.0], alternatives=[metric("speed", "mph", [0.0, 3.0])])
    w = run(graph=graph_body([1, 2], pace))
    assert [s.speed_mps for s in w.samples] == [0.0, pytest.approx(3 * MPH)]


def test_speed_only_in_alternatives_of_another_metric() -> None:
    other = metric("output", "watts", [50], alternatives=[metric("speed", "kph", [18.0])])
    w = run(graph=graph_body([1], other))
    assert w.samples[0].speed_mps == pytest.approx(5.0)


def test_row_split_pace_and_stroke_rate() -> None:
    body = workout_body(fitness_discipline="caesar", device_type="caesar")
    w = run(
        body,
        graph_body(
            [1, 2], metric("split_pace", "min/500m", [2.0, None]), metric("stroke_rate", "spm", [24, 0])
        ),
    )
    assert w.samples[0].speed_mps == pytest.approx(500 / 120)
    assert w.samples[1].speed_mps is None
    assert [s.cadence_rpm for s in w.samples] == [24, 0]
    assert w.discipline == "caesar"


def test_incline_and_altitude_feet_to_metres() -> None:
    w = run(
        graph=graph_body([1, 2], metric("incline", "%", [1.5, -3.0]), metric("altitude", "ft", [1000, None]))
    )
    assert [s.incline_pct for s in w.samples] == [1.5, -3.0]
    assert w.samples[0].altitude_m == pytest.approx(304.8)
    assert w.samples[1].altitude_m is None


def test_distance_integrates_speed_over_offsets_with_gaps() -> None:
    w = run(graph=graph_body([1, 2, 5], metric("speed", "kph", [36.0, 36.0, 36.0])))
    assert [s.distance_m for s in w.samples] == pytest.approx([10.0, 20.0, 50.0])


def test_unknown_metric_unit_is_left_out_and_noted() -> None:
    w = run(
        graph=graph_body(
            [1],
            metric("speed", "furlongs", [3.0]),
            metric("output", "kw", [1.0]),
            metric("cadence", "rpm", [80]),
        )
    )
    assert w.samples[0].speed_mps is None and w.samples[0].power_w is None
    assert w.samples[0].cadence_rpm == 80
    assert any("furlongs" in n for n in w.notes) and any("'kw'" in n for n in w.notes)


def test_bootcamp_nulls_off_the_machine() -> None:
    body = workout_body(fitness_discipline="bike_bootcamp")
    w = run(
        body,
        graph_body(
            [1, 2, 3],
            metric("output", "watts", [120, None, None]),
            metric("cadence", "rpm", [80, None, 0]),
            metric("heart_rate", "bpm", [130, 140, 0]),
        ),
    )
    assert [s.power_w for s in w.samples] == [120, None, None]
    assert [s.cadence_rpm for s in w.samples] == [80, None, 0]
    assert [s.heart_rate_bpm for s in w.samples] == [130, 140, None]
    assert w.discipline == "bike_bootcamp"


def test_garbage_values_become_none_without_crashing() -> None:
    bad: list[Any] = [float("nan"), float("inf"), -5, "12", True, {"x": 1}, 10**400, 1e300]
    n = len(bad)
    w = run(
        graph=graph_body(
            list(range(1, n + 1)),
            metric("output", "watts", bad),
            metric("cadence", "rpm", bad),
            metric("resistance", "%", bad),
            metric("speed", "mph", bad),
            metric("heart_rate", "bpm", bad),
            metric("altitude", "ft", bad),
            summaries=[
                {"slug": "calories", "display_unit": "kcal", "value": float("nan")},
                {"slug": "distance", "display_unit": "mi", "value": "far"},
            ],
        )
    )
    assert len(w.samples) == n
    for s in w.samples:
        assert (s.power_w, s.cadence_rpm, s.resistance_pct, s.speed_mps, s.heart_rate_bpm) == (
            None,
            None,
            None,
            None,
            None,
        )
    # altitude may be negative (below sea level); everything else there is garbage
    assert [s.altitude_m for s in w.samples] == [
        None,
        None,
        pytest.approx(-1.524),
        None,
        None,
        None,
        None,
        None,
    ]
    assert w.calories_kcal is None and w.distance_m is None


def test_out_of_range_values_become_none() -> None:
    w = run(
        graph=graph_body(
            [1],
            metric("resistance", "%", [150]),
            metric("heart_rate", "bpm", [900]),
            metric("pace", "min/mi", [0.001]),
        )
    )
    s = w.samples[0]
    assert s.resistance_pct is None and s.heart_rate_bpm is None and s.speed_mps is None


def test_no_metrics_class_has_no_samples_but_timer_from_offsets() -> None:
    body = workout_body(fitness_discipline="meditation", end_time=START + 300)
    w = run(body, graph_body(list(range(1, 299)), summaries=[]))
    assert w.samples == ()
    assert w.timer_s == 298
    assert w.discipline == "meditation"


# --- GPS ------------------------------------------------------------------------------------


def _coords(
    offsets: list[int], lat0: float = 45.0, unit: str = "km", accuracy: Any = 5.0
) -> list[dict[str, Any]]:
    return [
        {
            "seconds_offset_from_start": o,
            "latitude": lat0 + o / 10_000,
            "longitude": -93.0,
            "accuracy": accuracy,
            "distance": o / 100,
            "distance_display_unit": unit,
        }
        for o in offsets
    ]


def test_gps_track_joined_by_offset_value() -> None:
    graph = graph_body(
        [1, 2, 3, 4],
        metric("pace", "min/km", [6, 6, 6, 6]),
        metric("altitude", "ft", [100] * 4),
        location_data=[{"segment_id": "s1", "is_gap": False, "coordinates": _coords([2, 4])}],
    )
    w = run(workout_body(fitness_discipline="running"), graph)
    assert [p.offset for p in w.track] == [2, 4]
    assert w.track[0].time == T0 + timedelta(seconds=2)
    assert w.track[0].altitude_m == pytest.approx(30.48)
    assert w.track[1].distance_m == pytest.approx(40.0)
    # cumulative distance comes from the fixes, carried forward between them
    assert [s.distance_m for s in w.samples] == [
        None,
        pytest.approx(20.0),
        pytest.approx(20.0),
        pytest.approx(40.0),
    ]
    assert w.is_outdoor and w.has_gps


def test_gps_null_accuracy_bad_fixes_and_gap_segments() -> None:
    bad = [
        {"seconds_offset_from_start": 3, "latitude": None, "longitude": 1.0},
        {"seconds_offset_from_start": 4, "latitude": 0.0, "longitude": 0.0},
        {"seconds_offset_from_start": 5, "latitude": 95.0, "longitude": 1.0},
    ]
    location = [
        {"is_gap": False, "coordinates": _coords([1, 2], accuracy=None) + bad},
        {"is_gap": True, "coordinates": _coords([10, 11])},
        {"is_gap": False, "coordinates": _coords([20, 21])},
    ]
    w = run(workout_body(fitness_discipline="walking"), graph_body([1, 2, 20, 21], location_data=location))
    assert [(p.offset, p.segment) for p in w.track] == [(1, 0), (2, 0), (20, 1), (21, 1)]
    assert w.track[0].accuracy_m is None
    assert any("GPS" in n for n in w.notes)


def test_is_outdoor_flag_wins_and_old_records_infer_from_gps() -> None:
    assert run(workout_body(is_outdoor=True), None).is_outdoor
    loc = [{"is_gap": False, "coordinates": _coords([1])}]
    assert not run(workout_body(is_outdoor=False), graph_body([1], location_data=loc)).is_outdoor
    assert run(workout_body(device_type="iPhone"), graph_body([1], location_data=loc)).is_outdoor
    assert not run(
        workout_body(device_type="iPhone"), graph_body([1], metric("output", "watts", [1]))
    ).is_outdoor


# --- laps and targets ---------------------------------------------------------------------


SEGMENTS = [
    {"name": "Warm Up", "start_time_offset": 0, "length": 100},
    {"name": "Main", "start_time_offset": 100, "length": 400},
    {"name": "Cool Down", "start_time_offset": 500, "length": 100},
]


def test_laps_from_segment_list() -> None:
    w = run(
        graph=graph_body(list(range(1, 601)), metric("output", "watts", [1] * 600), segment_list=SEGMENTS)
    )
    assert [(lap.start_offset, lap.end_offset, lap.name) for lap in w.laps] == [
        (0, 100, "Warm Up"),
        (100, 500, "Main"),
        (500, 600, "Cool Down"),
    ]
    assert all(lap.trigger == "segment" for lap in w.laps)
    assert w.laps[1].start == T0 + timedelta(seconds=100)


def test_laps_clipped_for_ended_early_and_empty_laps_dropped() -> None:
    segments = [*SEGMENTS[:2], {"name": "Empty", "start_time_offset": 450, "length": 0}, SEGMENTS[2]]
    w = run(
        graph=graph_body(list(range(1, 229)), metric("output", "watts", [1] * 228), segment_list=segments)
    )
    assert [(lap.start_offset, lap.end_offset) for lap in w.laps] == [(0, 100), (100, 228)]
    assert w.timer_s == 228


def test_one_session_lap_without_segments() -> None:
    w = run(graph=graph_body([0, 1, 2, 3], metric("output", "watts", [1, 2, 3, 4])))
    assert len(w.laps) == 1
    assert (w.laps[0].start_offset, w.laps[0].end_offset, w.laps[0].trigger) == (0, 3, "session")


def test_targets_are_shifted_by_pedaling_start_offset_and_inclusive() -> None:
    data = {
        "target_metrics": [
            {
                "offsets": {"start": 60, "end": 119},
                "metrics": [
                    {"name": "cadence", "lower": 80, "upper": 90},
                    {"name": "resistance", "lower": None, "upper": None},
                ],
            },
            {
                "offsets": {"start": 120, "end": 179},
                "metrics": [{"name": "speed", "lower": 3.0, "upper": 4.0}],
            },
            {"offsets": {"start": 10, "end": 30}, "metrics": [{"name": "cadence", "lower": 1, "upper": 2}]},
        ]
    }
    graph = graph_body([1], metric("speed", "mph", [3.0]), target_metrics_performance_data=data)
    w = run(graph=graph)
    assert [(t.start_offset, t.end_offset, t.metric) for t in w.targets] == [
        (0, 59, "cadence"),
        (60, 119, "speed"),
    ]
    assert (w.targets[0].lower, w.targets[0].upper) == (80, 90)
    assert w.targets[1].lower == pytest.approx(3 * MPH)


# --- workout-level fields ---------------------------------------------------------------


def test_title_instructor_and_ride_id() -> None:
    w = run()
    assert (w.title, w.instructor, w.ride_id) == ("10 min Ride", "Denis Morton", "b" * 32)
    no_ride = run(workout_body(ride=None, name="Strength Workout"))
    assert no_ride.title == "Strength Workout" and no_ride.ride_id is None and no_ride.instructor is None


def test_freestyle_just_ride_has_no_ride_id_or_instructor() -> None:
    ride = {"id": "0" * 32, "title": "20 min Just Ride", "instructor": {"name": "JUST RIDE"}}
    w = run(workout_body(ride=ride, workout_type="freestyle"))
    assert w.ride_id is None and w.instructor is None
    assert "Just Ride" in w.title
    gym = run(
        workout_body(ride={"id": "301aabb0-7139", "title": "Gym", "instructor": {"name": "GYM WORKOUT"}})
    )
    assert gym.instructor is None and gym.ride_id == "301aabb0-7139"


def test_legacy_peloton_ride_location() -> None:
    body = workout_body(
        peloton={"ride": {"id": "d" * 32, "title": "Old Ride", "instructor": {"name": "Robin"}}}
    )
    del body["ride"]
    w = run(body)
    assert (w.title, w.instructor) == ("Old Ride", "Robin")


def test_calories_and_total_calories() -> None:
    cal = [{"slug": "calories", "display_unit": "kcal", "value": 250}]
    assert run(graph=graph_body([], summaries=cal)).calories_kcal == 250
    watch = [{"slug": "total_calories", "display_unit": "kcal", "value": 300}]
    assert run(graph=graph_body([], summaries=watch)).calories_kcal == 300


def test_total_work_from_workout_else_total_output() -> None:
    summaries = [{"slug": "total_output", "display_unit": "kj", "value": 206}]
    assert (
        run(workout_body(total_work=205916.09), graph_body([], summaries=summaries)).total_work_j == 205916.09
    )
    assert run(workout_body(total_work=0), graph_body([], summaries=summaries)).total_work_j == 206_000
    assert run(workout_body(total_work=0), graph_body([])).total_work_j is None


@pytest.mark.parametrize(
    ("value", "unit", "metres"), [(1.53, "mi", 2462.29632), (8.37, "km", 8370), (1023.28, "m", 1023.28)]
)
def test_distance_summary_by_its_unit(value: float, unit: str, metres: float) -> None:
    summaries = [{"slug": "distance", "display_unit": unit, "value": value}]
    assert run(graph=graph_body([], summaries=summaries)).distance_m == pytest.approx(metres)


def test_ftp_and_heart_rate_zones() -> None:
    zones = [
        {
            "slug": f"zone{i}",
            "display_name": f"Zone {i}",
            "duration": 60 * i,
            "min_value": 100 + 20 * (i - 1),
            "max_value": 119 + 20 * (i - 1),
        }
        for i in range(1, 6)
    ]
    zones[-1]["max_value"] = 189
    graph = graph_body([1], metric("heart_rate", "bpm", [120], zones=zones))
    w = run(workout_body(ftp_info={"ftp": 171, "ftp_source": "ftp_estimated_source"}), graph)
    assert w.ftp_w == 171
    assert [z.number for z in w.heart_rate_zones] == [1, 2, 3, 4, 5]
    assert (
        w.heart_rate_zones[1].min_bpm,
        w.heart_rate_zones[1].max_bpm,
        w.heart_rate_zones[1].duration_s,
    ) == (120, 139, 120)
    assert w.max_heart_rate_bpm == 189
    assert run(workout_body(ftp_info={"ftp": 0})).ftp_w is None


def test_zone_durations_from_effort_zones_when_no_metric_zones() -> None:
    effort = {"heart_rate_zone_durations": {f"heart_rate_z{i}_duration": i for i in range(1, 6)}}
    w = run(graph=graph_body([], effort_zones=effort))
    assert [(z.number, z.duration_s, z.min_bpm) for z in w.heart_rate_zones][:2] == [
        (1, 1, None),
        (2, 2, None),
    ]


def test_discipline_lowercased_and_unknown_passes_through() -> None:
    assert run(workout_body(fitness_discipline="Caesar_Bootcamp")).discipline == "caesar_bootcamp"
    assert run(workout_body(fitness_discipline="pilates")).discipline == "pilates"
    ride = {"id": "b" * 32, "fitness_discipline": "Cycling"}
    assert run(workout_body(fitness_discipline=None, ride=ride)).discipline == "cycling"
    nothing = run(workout_body(fitness_discipline=None, ride=None))
    assert nothing.discipline == "other" and nothing.notes


@pytest.mark.parametrize(
    ("fields", "origin"),
    [
        ({}, "peloton"),
        ({"strava_id": "123", "fitbit_id": "9"}, "peloton"),
        ({"platform": "apple_health", "ride": {"id": "0" * 32}}, "imported:apple_health"),
        ({"workout_source": "HealthKit"}, "imported:apple_health"),
        ({"device_type": "garmin_connect"}, "imported:garmin"),
        ({"source": "Strava"}, "imported:strava"),
        ({"platform": "iOS_app", "ride": {"id": "0" * 32}}, "peloton"),
    ],
)
def test_origin_detection_is_conservative(fields: dict[str, Any], origin: str) -> None:
    assert run(workout_body(**fields)).origin == origin


# --- strength -----------------------------------------------------------------------------


def _tracker(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"completed_movements_summary_data": {"repetition_summary_data": items}}


def test_strength_sets_2025_schema_with_rests_and_weights() -> None:
    items = [
        {
            "movement_id": "m1",
            "movement_name": "Goblet Squat",
            "tracking_type": "rep_counting",
            "completed_reps": 12,
            "completed_duration": 40,
            "offset": 60,
            "length": 45,
            "weight": [
                {"weight_data": {"weight_value": 20, "weight_unit": "lb"}},
                {"weight_data": {"weight_value": 25, "weight_unit": "lb"}},
            ],
        },
        {
            "movement_id": "m2",
            "movement_name": "Plank",
            "tracking_type": "time_based",
            "completed_reps": 0,
            "completed_duration": 30,
            "offset": 102,
            "length": 30,
            "weight": [],
        },
        {
            "movement_id": "m3",
            "movement_name": "Curl",
            "tracking_type": "time_tracked_rep",
            "completed_reps": 8,
            "offset": 140,
            "length": 30,
            "weight": [{"weight_data": {"weight_value": 0, "weight_unit": "lb"}}],
        },
    ]
    w = run(workout_body(fitness_discipline="strength", movement_tracker_data=_tracker(items)))
    kinds = [(s.kind, s.start_offset, s.duration_s) for s in w.sets]
    assert kinds == [("active", 60, 40), ("active", 102, 30), ("rest", 132, 8), ("active", 140, 30)]
    squat, plank, rest, curl = w.sets
    assert squat.repetitions == 12 and squat.weight_kg == pytest.approx(20 * 0.45359237)
    assert squat.tracking_type == "rep_counting" and squat.source == "tracker"
    assert plank.repetitions is None and plank.tracking_type == "time_based"
    assert curl.weight_kg is None and curl.repetitions == 8
    assert rest.movement_name is None and [s.index for s in w.sets] == [0, 1, 2, 3]
    assert squat.start == T0 + timedelta(seconds=60)


def test_strength_sets_2023_schema() -> None:
    items = [
        {
            "movement_id": "m1",
            "movement_name": "Press",
            "is_hold": False,
            "completed_number": 10,
            "offset": 90,
            "length": 30,
            "weight": [{"weight_data": {"weight_value": 10, "weight_unit": "lb"}}],
        },
        {
            "movement_id": "m2",
            "movement_name": "Wall Sit",
            "is_hold": True,
            "completed_number": 25,
            "offset": 120,
            "length": 30,
            "weight": None,
        },
    ]
    w = run(workout_body(fitness_discipline="strength", movement_tracker_data=_tracker(items)))
    press, hold = w.sets
    assert (press.repetitions, press.tracking_type, press.duration_s) == (10, "rep_counting", 30)
    assert press.weight_kg == pytest.approx(4.5359237)
    assert (hold.repetitions, hold.tracking_type, hold.duration_s) == (None, "time_based", 25)


def test_strength_sets_from_class_plan() -> None:
    details = {
        "segments": {
            "segment_list": [
                {
                    "subsegments_v2": [
                        {
                            "type": "movement",
                            "offset": 0,
                            "length": 60,
                            "rounds": 10,
                            "movements": [{"id": "a", "name": "Squat"}, {"id": "b", "name": "Lunge"}],
                        },
                        {"type": "rest", "offset": 60, "length": 15, "movements": []},
                        {
                            "type": "movement",
                            "offset": 75,
                            "length": 0,
                            "movements": [{"id": "c", "name": "Skipped"}],
                        },
                    ]
                }
            ]
        }
    }
    w = run(workout_body(fitness_discipline="strength"), None, ride_details=details)
    assert [(s.kind, s.start_offset, s.duration_s, s.movement_name, s.repetitions) for s in w.sets] == [
        ("active", 0, 30, "Squat", 10),
        ("active", 30, 30, "Lunge", 10),
        ("rest", 60, 15, None, None),
    ]
    assert {s.source for s in w.sets} == {"class_plan"}


def test_bad_strength_items_are_ignored() -> None:
    items: list[Any] = [
        None,
        "x",
        {"offset": "late"},
        {"offset": 5, "length": -3, "completed_number": float("nan")},
    ]
    w = run(workout_body(movement_tracker_data=_tracker(items)))
    assert len(w.sets) == 1 and w.sets[0].duration_s == 0 and w.sets[0].repetitions is None


# --- skips and errors ---------------------------------------------------------------------


def test_non_complete_status_is_skipped() -> None:
    with pytest.raises(SkipWorkout, match="IN_PROGRESS"):
        run(workout_body(status="IN_PROGRESS"))


def test_empty_complete_workout_is_skipped() -> None:
    empty = graph_body(
        [],
        metric("output", "watts", []),
        summaries=[{"slug": "calories", "display_unit": "kcal", "value": None}],
    )
    with pytest.raises(SkipWorkout, match="empty workout"):
        run(workout_body(end_time=START), empty)


@pytest.mark.parametrize(
    ("workout", "field"),
    [
        (workout_body(start_time=None, end_time=None), "start_time"),
        (workout_body(start_time="2024-01-01", end_time="x"), "start_time"),
        (workout_body(start_time=1_700_000_000_000, end_time=None, created_at=float("nan")), "start_time"),
        (workout_body(status=3), "status"),
    ],
)
def test_a_workout_that_cannot_be_exported_raises_one_line_normalize_error(
    workout: dict[str, Any], field: str
) -> None:
    with pytest.raises(NormalizeError) as info:
        run(workout, None)
    assert info.value.workout_id == WID and info.value.field == field
    message = str(info.value)
    assert WID in message and field in message and "\n" not in message


@pytest.mark.parametrize(
    ("workout", "graph", "warning"),
    [
        (
            workout_body(fitness_discipline=["cycling"]),
            None,
            "workout.fitness_discipline: an array, not a string",
        ),
        (workout_body(ride="a ride"), None, "workout.ride: the string 'a ride', not an object"),
        (workout_body(), graph_body("1,2,3"), "performance_graph.seconds_since_pedaling_start: the string"),  # type: ignore[arg-type]
        (
            workout_body(),
            {"metrics": {"slug": "output"}},
            "performance_graph.metrics: an object, not an array",
        ),
        (workout_body(), [1, 2], "performance_graph: an array, not an object"),
    ],
)
def test_a_body_of_the_wrong_shape_is_left_out_with_a_warning(
    workout: dict[str, Any], graph: Any, warning: str
) -> None:
    normalized = normalize(RawWorkout(workout_id=WID, workout=workout, performance_graph=graph))
    assert [w for w in normalized.warnings if w.startswith(warning)], normalized.warnings
    assert len(normalized.warnings) == 1, normalized.warnings


@pytest.mark.parametrize(
    ("fields", "start", "warning"),
    [
        (
            {"start_time": float("nan")},
            START,
            "NaN is not a time; the start is end_time minus the class length",
        ),
        ({"start_time": None}, START, "null is not a time; the start is end_time minus the class length"),
        (
            {"start_time": float("inf"), "end_time": None, "created_at": START - 60},
            START - 60,
            "inf is not a time; the start is created_at",
        ),
        (
            {"start_time": -1, "end_time": -1, "created_at": START},
            START,
            "-1 is not a time; the start is created_at",
        ),
    ],
)
def test_a_damaged_start_time_is_rebuilt_with_a_warning(
    fields: dict[str, Any], start: int, warning: str
) -> None:
    workout = run(workout_body(**fields))
    assert workout.start == datetime.fromtimestamp(start, UTC)
    assert workout.warnings[0].startswith(f"workout.start_time: {warning}"), workout.warnings


def test_intact_bodies_have_no_warnings() -> None:
    graph = graph_body(
        [1, 2, 3],
        metric("output", "watts", [100, 110, None]),
        metric("heart_rate", "bpm", [0, 120, None]),
        summaries=[
            {"slug": "calories", "value": 0, "display_unit": "kcal"},
            {"slug": "distance", "value": None},
        ],
    )
    assert run(workout_body(total_work=0, pause_time_elapsed=0), graph).warnings == ()


def test_damaged_values_are_left_out_each_with_one_warning() -> None:
    nan, inf = float("nan"), float("inf")
    graph = graph_body(
        [1, 2, 3, nan, 5],
        metric("output", "watts", [100, nan, -5, 1, inf]),
        metric("heart_rate", "bpm", [0, 900, 120, 121, "x"]),
        metric("speed", "mph", [10, 1e308, 10, 10, 10]),
        summaries=[
            {"slug": "calories", "value": nan, "display_unit": "kcal"},
            {"slug": "distance", "value": -3, "display_unit": "mi"},
            {"slug": "total_output", "value": inf, "display_unit": "kj"},
        ],
    )
    workout = run(workout_body(end_time="late", pause_time_elapsed=-4, total_work=nan), graph)
    by_field = {line.split(": ", 1)[0]: line.split(": ", 1)[1] for line in workout.warnings}
    assert by_field == {
        "workout.end_time": by_field["workout.end_time"],
        "performance_graph.seconds_since_pedaling_start": by_field[
            "performance_graph.seconds_since_pedaling_start"
        ],
        "performance_graph.metrics.output": (
            "3 value(s) not a number in 0 to 10000 watts (such as NaN) were left out"
        ),
        "performance_graph.metrics.heart_rate": (
            "2 value(s) not a heart rate in 1-300 bpm (such as 900) were left out"
        ),
        "performance_graph.metrics.speed": by_field["performance_graph.metrics.speed"],
        "performance_graph.summaries.calories": "NaN is not a number in range; left out",
        "performance_graph.summaries.distance": "-3 is not a number in range; left out",
        "performance_graph.summaries.total_output": "inf is not a number in range; left out",
        "workout.total_work": "NaN is not a number of joules in range; left out",
        "workout.pause_time_elapsed": "-4 is not a number of seconds in range; taken as 0",
    }, workout.warnings
    assert "the string 'late' is not a time after start_time" in by_field["workout.end_time"]
    assert by_field["performance_graph.seconds_since_pedaling_start"].startswith("1 offset(s)")
    assert by_field["performance_graph.metrics.speed"].startswith("1 value(s)")
    assert workout.calories_kcal is None and workout.total_work_j is None
    assert workout.distance_m == workout.samples[-1].distance_m  # from the speed, not the summary
    assert [s.power_w for s in workout.samples] == [100.0, None, None, None]
    assert [s.heart_rate_bpm for s in workout.samples] == [None, None, 120, None]


def test_fuzzed_bodies_never_crash_with_anything_but_our_errors() -> None:
    base = workout_body()
    graph = graph_body(
        [1, 2],
        metric("output", "watts", [1, 2]),
        segment_list=SEGMENTS,
        location_data=[{"is_gap": False, "coordinates": _coords([1])}],
        target_metrics_performance_data={"target_metrics": [{"offsets": {"start": 60, "end": 70}}]},
    )
    junk: list[Any] = [None, 1, -1, 1e308, float("nan"), "x", [], {}, [None], {"a": None}, True]
    for key in [*list(base), "movement_tracker_data", "ftp_info", "pause_time_elapsed", "total_work"]:
        for value in junk:
            body = copy.deepcopy(base)
            body[key] = value
            _tolerant(body, graph)
    for key in list(graph):
        for value in junk:
            g = copy.deepcopy(graph)
            g[key] = value
            _tolerant(base, g)


def _tolerant(body: dict[str, Any], graph: dict[str, Any]) -> None:
    """Only our own errors, and never the catch-all for shapes nobody expected."""
    try:
        run(body, graph)
    except SkipWorkout:
        pass
    except NormalizeError as exc:
        assert "unexpected data" not in str(exc), str(exc)


def test_one_hour_at_1hz_normalizes_fast() -> None:
    n = 3600
    graph = graph_body(
        list(range(1, n + 1)),
        metric("output", "watts", [150 + i % 50 for i in range(n)]),
        metric("cadence", "rpm", [85 + i % 10 for i in range(n)]),
        metric("resistance", "%", [40 + i % 5 for i in range(n)]),
        metric("speed", "mph", [18.5 + (i % 7) / 10 for i in range(n)]),
        metric("heart_rate", "bpm", [0 if i < 5 else 120 + i % 40 for i in range(n)]),
        metric("incline", "%", [1.0] * n),
        segment_list=[{"name": "All", "start_time_offset": 0, "length": n}],
    )
    raw = RawWorkout(workout_id=WID, workout=workout_body(end_time=START + n + 30), performance_graph=graph)
    best = min(_timed(raw) for _ in range(3))
    assert len(normalize(raw).samples) == n
    assert best < 0.1, f"took {best * 1000:.0f} ms of CPU"


def _timed(raw: RawWorkout) -> float:
    """CPU seconds of one normalize (process time: a loaded machine's waits for a core,
    which made wall time reach 132 ms at load 20 on 2 cores, are not counted)."""
    t = time.process_time()
    normalize(raw)
    return time.process_time() - t


# --- real fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    from tests.conftest import FIXTURES

    if not FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is not present")
    archive = Archive(tmp_path_factory.mktemp("archive"))
    report = import_path(FIXTURES, archive)
    assert report.ok, [r.line() for r in report.failed]
    return archive


def _load(archive: Archive, prefix: str) -> RawWorkout:
    (wid,) = [i for i in archive.ids() if i.startswith(prefix)]
    return archive.load(wid)


def test_fixture_paused_ride_timer_below_elapsed(fixture_archive: Archive, fixtures_dir: Path) -> None:
    w = normalize(_load(fixture_archive, "d154f5c4"))
    assert w.pause_s == 344
    assert w.elapsed_s == 1605 and w.timer_s == 1200 and w.timer_s < w.elapsed_s
    assert w.samples[1].offset == 6 and w.samples[1].time == w.start + timedelta(seconds=6)
    assert w.targets and w.targets[0].start_offset == 0 and w.targets[0].end_offset == 3
    assert w.timezone == "Etc/GMT+4" and w.ftp_w == 171


def test_fixture_ended_early_scenic(fixture_archive: Archive, fixtures_dir: Path) -> None:
    w = normalize(_load(fixture_archive, "56a5ac93"))
    assert w.samples[-1].offset == 228 and w.timer_s == 228
    assert w.laps and all(lap.end_offset <= 228 for lap in w.laps) and w.laps[-1].end_offset == 228


def test_fixture_empty_workout_is_skipped(fixture_archive: Archive, fixtures_dir: Path) -> None:
    with pytest.raises(SkipWorkout, match="empty workout"):
        normalize(_load(fixture_archive, "143517e9"))


def test_fixture_metric_user_kph(fixture_archive: Archive, fixtures_dir: Path) -> None:
    w = normalize(_load(fixture_archive, "6a8b9725"))  # legacy cycling_km
    assert w.units == "metric"
    assert w.samples[0].speed_mps == pytest.approx(15.1 / 3.6)
    assert w.distance_m == pytest.approx(8370)
    assert w.instructor == "Tunde Oyeneyin"


def test_fixture_rower_split_pace(fixture_archive: Archive, fixtures_dir: Path) -> None:
    w = normalize(_load(fixture_archive, "3a5af153"))  # rower_workout.json
    assert w.discipline == "caesar"
    assert w.samples[0].speed_mps == pytest.approx(500 / (4.93 * 60))
    assert w.samples[0].cadence_rpm == 14
    assert w.distance_m == pytest.approx(1023.28)
    assert [lap.name for lap in w.laps][:2] == ["Warm Up", "Drills"]


def test_fixture_strength_guide_sets(fixture_archive: Archive, fixtures_dir: Path) -> None:
    w = normalize(_load(fixture_archive, "ab02df14"))
    active = [s for s in w.sets if s.kind == "active"]
    assert len(active) == 10 and any(s.kind == "rest" for s in w.sets)
    assert active[0].movement_name == "Wide Grip Overhead Press" and active[0].repetitions == 10
    assert active[0].weight_kg == pytest.approx(10 * 0.45359237)
    assert active[2].movement_name == "Push Up" and active[2].weight_kg is None
    assert all(s.source == "tracker" for s in w.sets)


def test_fixture_outdoor_walk_gps(fixture_archive: Archive, fixtures_dir: Path) -> None:
    w = normalize(_load(fixture_archive, "20739ea3"))  # walking_outdoor_01
    assert w.is_outdoor and len(w.track) == 1797
    sample_offsets = {s.offset for s in w.samples}
    assert all(p.offset in sample_offsets for p in w.track)
    assert w.track[0].time == w.start + timedelta(seconds=w.track[0].offset)
    assert w.distance_m == pytest.approx(1.53 * 1609.344)
    assert w.samples[-1].distance_m == pytest.approx(1.53 * 1609.344)
    assert w.track[0].altitude_m == pytest.approx(958 * 0.3048)
    assert [lap.name for lap in w.laps] == ["Warm Up", "Walking", "Cool Down"]


def test_fixture_freestyle_has_no_ride(fixture_archive: Archive, fixtures_dir: Path) -> None:
    w = normalize(_load(fixture_archive, "88963f6d"))  # legacy cycling_freestyle
    assert w.ride_id is None and w.instructor is None
    assert "Just Ride" in w.title


def test_fixture_tread_targets_and_pace(fixture_archive: Archive, fixtures_dir: Path) -> None:
    w = normalize(_load(fixture_archive, "98c617d5"))  # tread_run_workout
    assert w.discipline == "walking" and not w.is_outdoor
    speeds = {t.metric for t in w.targets}
    assert speeds == {"speed", "incline"}
    assert w.targets[0].start_offset == 0 and w.targets[0].upper == pytest.approx(3.0 * MPH)
    assert any(s.incline_pct for s in w.samples)


def test_fixture_dto_just_walk_and_row_bootcamp(fixture_archive: Archive, fixtures_dir: Path) -> None:
    walk = normalize(_load(fixture_archive, "13afceeb"))
    assert walk.is_outdoor and walk.has_gps and walk.ride_id is None and walk.instructor is None
    bootcamp = normalize(_load(fixture_archive, "162ab6be"))
    assert bootcamp.discipline == "caesar_bootcamp"
    assert any(s.speed_mps is None for s in bootcamp.samples) and any(s.speed_mps for s in bootcamp.samples)
