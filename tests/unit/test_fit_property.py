"""Property test: any workout the model can hold encodes to a valid FIT file, never an error."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import workout_factory as wf
from fit_decode import decode

from peloton_export.formats.fit.encode import FitOptions, encode_workout
from peloton_export.model import ExerciseSet, GpsPoint, HeartRateZone, Sample, TargetRange, Workout
from tests.hypothesis_budget import examples

START = wf.START
anything = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-10, max_value=400),
)


@st.composite
def workouts(draw: st.DrawFn) -> Workout:
    offsets = sorted(set(draw(st.lists(st.integers(0, 900), max_size=40))))
    samples = tuple(
        Sample(
            offset=o,
            time=START + timedelta(seconds=o + draw(st.sampled_from([0, 0, 0, 30]))),
            power_w=draw(anything),
            cadence_rpm=draw(anything),
            resistance_pct=draw(anything),
            speed_mps=draw(anything),
            incline_pct=draw(anything),
            altitude_m=draw(anything),
            heart_rate_bpm=draw(st.one_of(st.none(), st.integers(-5, 400))),
            distance_m=draw(anything),
        )
        for o in offsets
    )
    track = tuple(
        GpsPoint(
            offset=o,
            time=START + timedelta(seconds=o),
            latitude=draw(st.floats(allow_nan=True, allow_infinity=True)),
            longitude=draw(st.floats(min_value=-200, max_value=200)),
            altitude_m=draw(anything),
            distance_m=draw(anything),
        )
        for o in sorted(set(draw(st.lists(st.integers(0, 900), max_size=10))))
    )
    sets = tuple(
        ExerciseSet(
            index=i,
            kind=draw(st.sampled_from(["active", "rest"])),
            start_offset=o,
            start=START + timedelta(seconds=o),
            duration_s=draw(st.floats(allow_nan=True, allow_infinity=True)),
            movement_name=draw(st.sampled_from([None, "Push Up", "Zombie Walk"])),
            repetitions=draw(st.one_of(st.none(), st.integers(-3, 100_000))),
            weight_kg=draw(anything),
        )
        for i, o in enumerate(sorted(draw(st.lists(st.integers(0, 900), max_size=5))))
    )
    zones = tuple(
        HeartRateZone(number=i, name=f"Z{i}", min_bpm=None, max_bpm=draw(anything), duration_s=draw(anything))
        for i in range(draw(st.integers(0, 5)))
    )
    targets = tuple(
        TargetRange(start_offset=a, end_offset=a + 59, metric="cadence", lower=draw(anything), upper=None)
        for a in sorted(set(draw(st.lists(st.sampled_from([0, 60, 120, 300]), max_size=4))))
    )
    elapsed = draw(st.floats(min_value=0, max_value=2000))
    return Workout(
        id="prop",
        discipline=draw(st.sampled_from(["cycling", "caesar", "running", "strength", "weird"])),
        start=START,
        end=START + timedelta(seconds=elapsed),
        elapsed_s=elapsed,
        timer_s=draw(st.one_of(st.just(float("nan")), st.floats(min_value=0, max_value=2000))),
        is_outdoor=draw(st.booleans()),
        timezone=draw(st.sampled_from([None, "Etc/GMT+4", "bogus"])),
        calories_kcal=draw(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))),
        total_work_j=draw(anything),
        distance_m=draw(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))),
        ftp_w=draw(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))),
        max_heart_rate_bpm=draw(anything),
        heart_rate_zones=zones,
        samples=samples,
        track=track,
        sets=sets,
        targets=targets,
    )


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workouts(), st.sampled_from(["auto", "distance", "segment"]), st.booleans())
def test_any_workout_encodes_to_a_valid_file(workout: Workout, laps: str, virtual: bool) -> None:
    decoded = decode(encode_workout(workout, FitOptions(laps=laps, virtual=virtual)))
    assert len(decoded.all("session")) == 1
