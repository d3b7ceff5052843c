"""The FIT writer on hand-built workouts: decoded values, options, sports, laps, zones, time."""

from __future__ import annotations

import io
import logging
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import workout_factory as wf
from fit_decode import Decoded, compare, decode

from peloton_export.default_plugins import fit as fit_plugin
from peloton_export.errors import ConfigError
from peloton_export.formats.fit.adapter import FIT_EPOCH_S
from peloton_export.formats.fit.encode import FitOptions, build_messages, encode_workout, serial_number
from peloton_export.model import HeartRateZone, Sample, TargetRange
from peloton_export.specs import ExportContext
from peloton_export.workout.sports import fit_sport

WORKOUTS = wf.all_workouts()


def write(workout: object, **options: str) -> bytes:
    stream = io.BytesIO()
    spec = next(iter(fit_plugin.register_formats()))
    assert (spec.name, spec.suffix) == ("fit", ".fit")
    spec.write(workout, stream, ExportContext(output_dir=Path("."), options=options))  # type: ignore[arg-type]
    return stream.getvalue()


@pytest.mark.parametrize("name", sorted(WORKOUTS))
def test_every_factory_workout_decodes_and_matches(name: str) -> None:
    workout = WORKOUTS[name]
    decoded = decode(write(workout), both=True)  # both readers, each discipline
    compare(workout, decoded)


def test_output_is_deterministic() -> None:
    ride = WORKOUTS["cycling"]
    first, other = write(ride), write(replace(ride, id="other" + ride.id[5:]))
    decode(first)
    decode(other)
    assert first == write(ride)
    assert first != other


def test_cycling_records_carry_every_metric() -> None:
    ride = wf.cycling(5, laps=1)
    decoded = decode(write(ride))
    first_with_hr = next(s for s in ride.samples if s.heart_rate_bpm is not None)
    records = decoded.all("record")
    by_time = {r["timestamp"].replace(tzinfo=UTC): r for r in records}
    rec = by_time[first_with_hr.time]
    assert rec["heart_rate"] == first_with_hr.heart_rate_bpm
    assert rec["power"] == round(first_with_hr.power_w or 0)
    assert rec["cadence"] == round(first_with_hr.cadence_rpm or 0)
    assert rec["enhanced_speed"] == pytest.approx(first_with_hr.speed_mps, abs=0.001)
    assert rec["distance"] == pytest.approx(first_with_hr.distance_m, abs=0.01)
    assert rec["resistance"] == round((first_with_hr.resistance_pct or 0) * 2.54)
    assert "heart_rate" not in records[0]  # missing for the first seconds, not zero
    session = decoded.one("session")
    assert session["total_work"] == round(ride.total_work_j or 0)
    assert session["total_calories"] == round(ride.calories_kcal or 0)
    device = decoded.one("device_info")
    assert device["manufacturer"] == "development" and device["product_name"] == "peloton-export"
    assert decoded.one("file_id")["serial_number"] == serial_number(ride.id)


def test_outdoor_run_has_positions_altitude_and_stride_cadence() -> None:
    run = WORKOUTS["outdoor_run"]
    decoded = decode(write(run))
    records = decoded.all("record")
    with_position = [r for r in records if "position_lat" in r]
    assert len(with_position) == len(run.track)
    first = run.track[0]
    assert with_position[0]["position_lat"] == round(first.latitude * 2**31 / 180)
    assert with_position[0]["enhanced_altitude"] == pytest.approx(first.altitude_m, abs=0.2)
    sample = run.samples[0]
    rec = next(r for r in records if r["timestamp"].replace(tzinfo=UTC) == sample.time)
    assert rec["cadence"] == round((sample.cadence_rpm or 0) / 2)
    session = decoded.one("session")
    assert (session["sport"], session["sub_sport"]) == ("running", "generic")
    assert session["total_ascent"] > 0 and "start_position_lat" in session


def test_rowing_writes_strokes_and_500m_laps() -> None:
    row = WORKOUTS["rowing"]
    decoded = decode(write(row))
    session = decoded.one("session")
    assert (session["sport"], session["sub_sport"]) == ("rowing", "indoor_rowing")
    assert session["total_cycles"] > 400
    laps = decoded.all("lap")
    assert len(laps) == int((row.distance_m or 0) // 500) + 1
    assert all(lap["lap_trigger"] == "distance" for lap in laps)
    assert laps[0]["total_distance"] == pytest.approx(500, abs=5)


def test_out_of_range_sample_values_are_left_out_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    workout = WORKOUTS["extreme"]
    with caplog.at_level(logging.WARNING):
        decoded = decode(write(workout))
    text = caplog.text
    assert workout.id in text and "power" in text and "heart_rate" in text and "cadence" in text
    powers = [r.get("power") for r in decoded.all("record")]
    assert 4464 not in powers and 70000 not in powers
    assert [r.get("heart_rate") for r in decoded.all("record")] == [None, None, None, 150, 151]


def test_virtual_option_and_sport_of_every_discipline() -> None:
    ride = WORKOUTS["cycling"]
    session = decode(write(ride, **{"fit.virtual": "true"})).one("session")
    assert (session["sport"], session["sub_sport"]) == ("cycling", "virtual_activity")
    bootcamp = decode(write(WORKOUTS["bootcamp"], **{"fit.virtual": "true"})).one("session")
    assert bootcamp["sub_sport"] == "indoor_cycling"


@pytest.mark.parametrize(
    ("discipline", "outdoor", "expected"),
    [
        ("cycling", False, ("cycling", "indoor_cycling")),
        ("cycling", True, ("cycling", "road")),
        ("bike_bootcamp", False, ("cycling", "indoor_cycling")),
        ("running", False, ("running", "treadmill")),
        ("running", True, ("running", "generic")),
        ("walking", False, ("walking", "indoor_walking")),
        ("walking", True, ("walking", "generic")),
        ("outdoor", False, ("running", "generic")),
        ("caesar", False, ("rowing", "indoor_rowing")),
        ("caesar_bootcamp", False, ("rowing", "indoor_rowing")),
        ("strength", False, ("training", "strength_training")),
        ("yoga", False, ("training", "yoga")),
        ("stretching", False, ("training", "flexibility_training")),
        ("meditation", False, ("meditation", "breathing")),
        ("cardio", False, ("training", "cardio_training")),
        ("circuit", False, ("hiit", "hiit")),
        ("boxing", False, ("boxing", "generic")),
        ("Bike Bootcamp", False, ("cycling", "indoor_cycling")),
        ("underwater_basket_weaving", False, ("generic", "generic")),
        ("", False, ("generic", "generic")),
    ],
)
def test_sport_mapping_is_total(discipline: str, outdoor: bool, expected: tuple[str, str]) -> None:
    workout = replace(WORKOUTS["strength"], discipline=discipline, is_outdoor=outdoor)
    choice = fit_sport(workout)
    assert (choice.sport, choice.sub_sport) == expected
    session = decode(write(workout)).one("session")
    assert (session["sport"], session["sub_sport"]) == expected


@pytest.mark.parametrize(
    ("tz", "hours"),
    [("America/Los_Angeles", -8), ("Etc/GMT+4", -4), ("Asia/Kolkata", 5.5), ("UTC", 0)],
)
def test_local_timestamp_uses_the_workout_timezone(tz: str, hours: float) -> None:
    ride = replace(wf.cycling(2, laps=1), timezone=tz)  # 2025-03-01: winter time in LA
    activity = decode(write(ride)).one("activity")
    end_fit = int(ride.end.timestamp()) - FIT_EPOCH_S
    assert activity["local_timestamp"] == end_fit + int(hours * 3600)


@pytest.mark.parametrize("tz", [None, "Mars/Olympus_Mons"])
def test_local_timestamp_is_left_out_without_a_known_timezone(tz: str | None) -> None:
    activity = decode(write(replace(wf.cycling(2, laps=1), timezone=tz))).one("activity")
    assert "local_timestamp" not in activity


def test_timer_and_elapsed_time_and_pause_events() -> None:
    ride = wf.cycling(10, laps=2)  # elapsed 630 s, timer 600 s
    decoded = decode(write(ride))
    session = decoded.one("session")
    assert session["total_elapsed_time"] == pytest.approx(630)
    assert session["total_timer_time"] == pytest.approx(600)
    events = [(e["event"], e["event_type"]) for e in decoded.all("event")]
    assert events == [("timer", "start"), ("timer", "stop_all")]
    # A 60 s pause the data shows: wall-clock time jumps ahead of the active offsets.
    paused_samples = tuple(
        replace(s, time=s.time + timedelta(seconds=60)) if s.offset > 300 else s for s in ride.samples
    )
    paused = replace(ride, samples=paused_samples, end=ride.start + timedelta(seconds=700), elapsed_s=700.0)
    decoded = decode(write(paused))
    events = [(e["event"], e["event_type"], e["timestamp"]) for e in decoded.all("event")]
    assert [e[:2] for e in events] == [
        ("timer", "start"),
        ("timer", "stop"),
        ("timer", "start"),
        ("timer", "stop_all"),
    ]
    assert (events[2][2] - events[1][2]).total_seconds() == 60
    session = decoded.one("session")
    assert session["total_timer_time"] == pytest.approx(600)
    laps = decoded.all("lap")
    assert sum(lap["total_timer_time"] for lap in laps) == pytest.approx(600)
    assert session["total_elapsed_time"] == pytest.approx(700)
    compare(paused, decoded)


def test_lap_strategies_and_fallback() -> None:
    ride = wf.cycling(20, laps=4, units="metric")
    targets = (
        TargetRange(start_offset=0, end_offset=299, metric="cadence", lower=80, upper=90),
        TargetRange(start_offset=300, end_offset=599, metric="cadence", lower=80, upper=90),
        TargetRange(start_offset=600, end_offset=899, metric="cadence", lower=95, upper=105),
    )
    with_targets = replace(ride, targets=targets)

    def laps(workout: object, strategy: str) -> list[dict[str, object]]:
        return decode(write(workout, **{"fit.laps": strategy})).all("lap")

    target_laps = laps(with_targets, "auto")
    assert [lap["total_timer_time"] for lap in target_laps] == [600, 300, 300]
    assert len(laps(with_targets, "segment")) == 4
    assert len(laps(ride, "auto")) == 4  # no targets: segments
    assert len(laps(ride, "distance")) == int((ride.distance_m or 0) // 1000) + 1
    assert (
        len(laps(replace(ride, units="imperial"), "distance")) == int((ride.distance_m or 0) // 1609.344) + 1
    )
    assert len(laps(ride, "session")) == 1
    assert len(laps(replace(ride, laps=()), "target")) == int((ride.distance_m or 0) // 1000) + 1
    assert len(laps(WORKOUTS["meditation"], "auto")) == 1
    with pytest.raises(ConfigError, match=r"fit\.laps"):
        write(ride, **{"fit.laps": "sometimes"})


def test_laps_carry_summaries_that_add_up() -> None:
    ride = WORKOUTS["cycling"]
    decoded = decode(write(ride))
    laps = decoded.all("lap")
    assert sum(lap["total_calories"] for lap in laps) == round(ride.calories_kcal or 0)
    assert sum(lap["total_distance"] for lap in laps) == pytest.approx(ride.distance_m, abs=0.05)
    assert all(lap["avg_power"] > 0 and lap["max_heart_rate"] > 0 for lap in laps)


def _zoned() -> object:
    ride = wf.cycling(10, laps=1)
    zones = tuple(
        HeartRateZone(number=i + 1, name=f"Zone {i + 1}", min_bpm=lo, max_bpm=hi, duration_s=d)
        for i, (lo, hi, d) in enumerate(
            [(0, 113, 60), (113, 132, 120), (132, 151, 300), (151, 170, 100), (170, None, 20)]
        )
    )
    return replace(ride, heart_rate_zones=zones, ftp_w=200.0, max_heart_rate_bpm=189.0)


def test_time_in_zones_from_peloton_zones_and_ftp() -> None:
    ride = _zoned()
    decoded = decode(write(ride))
    zone = decoded.one("time_in_zone")
    assert zone["reference_mesg"] == "session" and zone["reference_index"] == 0
    assert zone["time_in_hr_zone"] == [60, 120, 300, 100, 20]
    assert zone["hr_zone_high_boundary"][:4] == [113, 132, 151, 170]
    assert len(zone["time_in_power_zone"]) == 7
    assert sum(zone["time_in_power_zone"]) == pytest.approx(600)
    assert zone["functional_threshold_power"] == 200
    assert decoded.one("session")["threshold_power"] == 200
    assert len(decoded.fitparse.get("time_in_zone", decoded.fitparse.get("unknown_216", []))) == 1
    off = decode(write(ride, **{"fit.zones": "false"}))
    assert off.all("time_in_zone") == []
    with pytest.raises(ConfigError, match=r"fit\.zones"):
        write(ride, **{"fit.zones": "maybe"})


def test_heart_rate_zone_time_is_counted_from_samples_without_durations() -> None:
    ride = _zoned()
    zones = tuple(replace(z, duration_s=None) for z in ride.heart_rate_zones)  # type: ignore[attr-defined]
    decoded = decode(write(replace(ride, heart_rate_zones=zones, ftp_w=None)))  # type: ignore[type-var]
    zone = decoded.one("time_in_zone")
    assert sum(zone["time_in_hr_zone"]) == pytest.approx(600 - 5)
    assert "time_in_power_zone" not in zone


@pytest.mark.parametrize(
    ("preset", "discipline", "manufacturer", "product"),
    [
        ("honest", "cycling", "development", 0),
        ("peloton", "cycling", "peloton", 0),
        ("forerunner-945", "running", "garmin", 3113),
        ("fenix-6", "running", "garmin", 3290),
        ("epix-2", "caesar", "garmin", 3943),
        ("tacx-training-app", "cycling", "garmin", 20533),
        ("garmin", "cycling", "garmin", 20533),
        ("garmin", "caesar", "garmin", 3943),
        ("garmin", "strength", "garmin", 3113),
    ],
)
def test_device_presets(preset: str, discipline: str, manufacturer: str, product: int) -> None:
    workout = replace(wf.cycling(2, laps=1), discipline=discipline)
    decoded = decode(write(workout, **{"fit.device": preset}))
    for message in (decoded.one("file_id"), decoded.one("device_info")):
        assert message["manufacturer"] == manufacturer
        assert message.get("garmin_product", message.get("product")) in (product, _product_name(product))
    raw = decoded.fitparse["file_id"][0]
    assert raw["manufacturer"] in (manufacturer, 340)  # fitparse 1.2.0 predates "peloton"
    assert (preset in ("honest", "peloton")) == ("product_name" in decoded.one("device_info"))


def _product_name(number: int) -> str | None:
    from garmin_fit_sdk import Profile

    return Profile["types"]["garmin_product"].get(number)


def test_unknown_device_preset_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="forerunner-945"):
        write(WORKOUTS["strength"], **{"fit.device": "zwift"})


def test_options_from_config_section() -> None:
    context = ExportContext(
        output_dir=Path("."), plugin_config={"fit": {"virtual": "yes", "device": "peloton"}}
    )
    options = FitOptions.from_context(context)
    assert options.virtual and options.device == "peloton" and options.zones


def test_messages_use_only_profile_fields_and_tz_aware_times() -> None:
    for workout in WORKOUTS.values():
        for _name, fields in build_messages(workout):
            for value in fields.values():
                if isinstance(value, datetime):
                    assert value.tzinfo is not None


def test_samples_out_of_order_are_written_in_time_order() -> None:
    ride = wf.cycling(1, laps=1)
    shuffled = replace(ride, samples=tuple(reversed(ride.samples)))
    data = write(shuffled)
    compare(ride, decode(data))
    assert data == write(ride)


def test_a_sample_with_only_a_time_still_makes_a_record() -> None:
    ride = wf.strength(samples=(Sample(offset=5, time=wf.START + timedelta(seconds=5)),))
    decoded: Decoded = decode(encode_workout(ride))
    assert len(decoded.all("record")) == 1


def test_a_longitude_just_under_180_degrees_stays_inside_the_sint32_field() -> None:
    from peloton_export.formats.fit.encode import semicircles

    assert semicircles(179.99999999) == 2**31 - 2  # round() gives 2**31; 2**31 - 1 means invalid
    assert semicircles(-180.0) == -(2**31)
    assert semicircles(0.0) == 0
    assert semicircles(90.0) == 2**30
