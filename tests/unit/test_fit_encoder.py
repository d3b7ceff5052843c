"""Our FIT encoder against the Garmin SDK's ``Encoder``, the oracle.

For every demo kind, every recorded fixture (``../shared``, skipped when absent), every
golden input and a set of field cases, both encoders encode the same messages; the two
files must be the same bytes, and must decode with Garmin's ``Decoder`` (with its
integrity check). fitparse (CRC checked) reads the demo kinds', golden inputs' and field
cases' files here; the recorded fixtures' files it reads in ``test_conformance``. Where
the bytes differ, both decoders' readings of the two files are compared to show where.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from garmin_fit_sdk import CrcCalculator, Encoder, Profile
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fit_decode import Decoded, decode

from peloton_export.errors import SkipWorkout
from peloton_export.formats.fit.encode import FitOptions, Message, build_messages
from peloton_export.formats.fit.encoder import crc16, encode_messages
from peloton_export.model import Workout
from peloton_export.normalize import normalize
from peloton_export.source.demo import read_workout_folder
from peloton_export.testing.synth import KINDS, synth_workout

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
START = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)


def sdk_encode(messages: Sequence[tuple[str, Mapping[str, object]]]) -> bytes:
    """The oracle: ``garmin_fit_sdk.Encoder`` on the same messages."""
    encoder = Encoder()
    numbers = Profile["mesg_num"]
    for name, fields in messages:
        encoder.on_mesg(numbers[name.upper()], dict(fields))
    data: bytes = encoder.close()
    return data


def _values(decoded: Decoded) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
    return decoded.garmin, decoded.fitparse


def assert_equivalent(messages: Sequence[Message], *, both: bool = False) -> bytes:
    """Both encoders' files: the same bytes, valid for the SDK's decoder (and fitparse when
    ``both``). Where the bytes differ, the messages and values both decoders read from each
    file are compared first, to show where they differ."""
    ours = encode_messages(messages)
    theirs = sdk_encode(messages)
    if ours != theirs:
        assert _values(decode(ours, both=True)) == _values(decode(theirs, both=True))
    assert ours == theirs, "our encoder wrote other bytes than the SDK's"
    decode(ours, both=both)  # the same bytes: one reading stands for both files
    return ours


def _normalized(raw: Any) -> Workout | None:
    try:
        return normalize(raw)
    except SkipWorkout:
        return None


@pytest.mark.parametrize("kind", KINDS)
def test_every_demo_kind_encodes_as_the_sdk_does(kind: str) -> None:
    workout = _normalized(synth_workout(kind, duration_s=600))
    if workout is None:
        pytest.skip(f"the demo kind {kind} is skipped by the normalizer")
    data = assert_equivalent(build_messages(workout), both=True)  # both readers, every demo kind
    assert decode(data).one("session")["total_elapsed_time"] > 0


@pytest.mark.parametrize("kind", sorted(p.parent.name for p in GOLDEN.glob("*/input")))
def test_every_golden_input_encodes_as_the_sdk_does(kind: str) -> None:
    workout = _normalized(read_workout_folder(GOLDEN / kind / "input"))
    if workout is None:
        pytest.skip(f"the golden input {kind} is skipped by the normalizer")
    assert_equivalent(build_messages(workout), both=True)


def test_every_recorded_fixture_encodes_as_the_sdk_does(
    fixtures_dir: Path, recorded_workouts: Mapping[str, Workout]
) -> None:
    assert len(recorded_workouts) >= 25
    for workout in recorded_workouts.values():
        # fitparse reads these files in test_conformance (the exporter writes the same bytes)
        assert_equivalent(build_messages(workout))


@pytest.mark.parametrize(
    "options",
    [
        FitOptions(zones=False),
        FitOptions(virtual=True),
        FitOptions(device="garmin"),
        FitOptions(laps="segment"),
        FitOptions(laps="distance"),
        FitOptions(title="A title with ünïcode ✓ and more than a few characters"),
    ],
    ids=repr,
)
def test_options_encode_as_the_sdk_does(options: FitOptions) -> None:
    for kind in ("cycling_class", "outdoor_run", "row", "strength"):
        workout = _normalized(synth_workout(kind, duration_s=600))
        assert workout is not None
        assert_equivalent(build_messages(workout, options))


# -- field cases ---------------------------------------------------------------------------


def _record(offset: int, **fields: object) -> Message:
    return ("record", {"timestamp": START + timedelta(seconds=offset), **fields})


def _file_id() -> Message:
    return ("file_id", {"type": "activity", "manufacturer": "development", "product": 0, "serial_number": 7})


def test_field_cases_encode_as_the_sdk_does() -> None:
    messages: list[Message] = [
        _file_id(),
        ("event", {"timestamp": START, "event": "timer", "event_type": "start"}),
        *(_record(i, power=100 + i, heart_rate=120, distance=i * 5.25, altitude=-12.3) for i in range(50)),
        _record(50, power=None, heart_rate=121),  # a None: another definition
        _record(51, heart_rate=122, power=150),  # the first definition's fields, other order
        _record(52, power=70_000),  # out of range: masked as the SDK does
        _record(53, power=99.7, cadence=80.2),  # floats in integer fields: truncated
        _record(54, power=10, unknown_field=3),  # a name the profile lacks: dropped
        _record(55, position_lat=-(2**31), position_long=2**31 - 2, grade=-3.333, speed=2.0005),
        ("workout", {"wkt_name": "short"}),
        ("workout", {"wkt_name": "a longer name, ünïcode"}),
        ("workout", {"wkt_name": "short"}),
        (
            "time_in_zone",
            {
                "timestamp": START,
                "reference_mesg": "session",
                "reference_index": 0,
                "time_in_hr_zone": [1.5, 2.25, 3.0],
                "hr_zone_high_boundary": [120, 150],
            },
        ),
        ("event", {"timestamp": START + timedelta(seconds=60), "event": "timer", "event_type": 4}),
    ]
    # more than 16 definitions: local numbers are handed out again, in turn
    messages += [
        _record(
            100 + n,
            **{name: 1 for name in ("power", "cadence", "heart_rate")[: 1 + n % 3]},
            **({"distance": float(n)} if n % 2 else {}),
            **({"grade": 0.5} if n % 5 else {}),
        )
        for n in range(40)
    ]
    messages += [("workout_step", {"message_index": n, "wkt_step_name": "x" * (n + 1)}) for n in range(20)]
    messages += [_record(200, power=1, heart_rate=2)]
    assert_equivalent(messages, both=True)


_RECORD_VALUES: dict[str, st.SearchStrategy[object]] = {
    "power": st.integers(0, 65534),
    "heart_rate": st.integers(1, 254),
    "cadence": st.integers(0, 254),
    "distance": st.floats(0, 42_949_672.9),
    "altitude": st.floats(-500, 12_606.8),
    "enhanced_altitude": st.floats(-500, 12_606.8),
    "speed": st.floats(0, 65.534),
    "grade": st.floats(-327.68, 327.66),
    "resistance": st.integers(0, 254),
    "position_lat": st.integers(-(2**31), 2**31 - 2),
}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries({}, optional={k: st.one_of(st.none(), v) for k, v in _RECORD_VALUES.items()}),
        min_size=1,
        max_size=60,
    )
)
def test_any_records_encode_as_the_sdk_does(rows: list[dict[str, object]]) -> None:
    messages = [_file_id(), *(_record(i, **row) for i, row in enumerate(rows))]
    assert encode_messages(messages) == sdk_encode(messages)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=300))
def test_the_crc_is_the_sdks(data: bytes) -> None:
    assert crc16(data) == CrcCalculator.calculate_crc(data, 0, len(data))
    assert crc16(data[1:], crc16(data[:1])) == CrcCalculator.calculate_crc(data, 0, len(data))


def test_the_crc_over_a_large_buffer() -> None:
    data = os.urandom(100_001)
    assert crc16(data) == CrcCalculator.calculate_crc(data, 0, len(data))


def test_what_the_encoder_refuses() -> None:
    with pytest.raises(ValueError, match="no message 'nonsense'"):
        encode_messages([("nonsense", {"x": 1})])
    with pytest.raises(ValueError, match="no field with a value"):
        encode_messages([("record", {"timestamp": None})])
    with pytest.raises(ValueError, match="not a name"):
        encode_messages([("event", {"event": "no such event"})])
    with pytest.raises(ValueError, match="larger than 255"):
        encode_messages([("workout", {"wkt_name": "x" * 300})])
