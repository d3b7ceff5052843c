"""Our FIT encoder against Garmin's SDK ``Encoder`` (the oracle).

For every demo kind, every recorded fixture (skipped when ``../shared`` is absent), every
golden input and a set of field edge cases, the same messages are encoded by
:class:`peloton_export.formats.fit.fastencode.FastFitWriter` and by the checked SDK wrapper
:class:`peloton_export.formats.fit.adapter.FitWriter`; both files must pass the SDK decoder's
integrity check and read (SDK decoder and fitparse, CRC checked) to the same messages and
field values, and ours must be no larger. Both writers must refuse the same bad values
with the same message.
"""

from __future__ import annotations

import math
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_decode import Decoded, decode

from peloton_export.errors import ConfigError, SkipWorkout
from peloton_export.formats.fit.adapter import FitEncodeError, FitWriter
from peloton_export.formats.fit.encode import (
    FitOptions,
    Message,
    build_messages,
    encode_workout,
    write_messages,
)
from peloton_export.formats.fit.fastencode import FastFitWriter, fit_crc
from peloton_export.model import Workout
from peloton_export.normalize import normalize
from peloton_export.raw import RawWorkout
from peloton_export.source.demo import read_workout_folder
from peloton_export.source.importers import import_path
from peloton_export.specs import ExportContext
from peloton_export.store.archive import Archive
from peloton_export.testing.synth import KINDS, synth_workout

GOLDEN = Path(__file__).resolve().parent / "golden"
T0 = datetime(2024, 3, 1, 7, 0, tzinfo=UTC)


def _normalized(raw: RawWorkout) -> Workout | None:
    try:
        return normalize(raw)
    except SkipWorkout:
        return None


def assert_equivalent(messages: list[Message], workout_id: str = "w") -> tuple[bytes, bytes]:
    """Encode with both writers; both decode alike, pass the integrity check; ours no larger."""
    sdk = write_messages(workout_id, messages, "sdk")
    ours = write_messages(workout_id, messages, "fast")
    ours_decoded, sdk_decoded = decode(ours), decode(sdk)  # integrity, CRC, both decoders
    assert _plain(ours_decoded) == _plain(sdk_decoded)
    assert len(ours) <= len(sdk)
    return ours, sdk


def _plain(decoded: Decoded) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both decoders' views, with NaN made comparable."""

    def fix(value: Any) -> Any:
        if isinstance(value, float) and math.isnan(value):
            return "NaN"
        if isinstance(value, list):
            return [fix(v) for v in value]
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        return value

    return fix(decoded.garmin), fix(decoded.fitparse)


def _check_workout(workout: Workout) -> None:
    messages = build_messages(workout)
    ours, _ = assert_equivalent(messages, workout.id)
    assert encode_workout(workout) == ours  # the default writer is ours
    assert encode_workout(workout, FitOptions(encoder="sdk")) == write_messages(workout.id, messages, "sdk")


@pytest.mark.parametrize("kind", KINDS)
def test_every_demo_kind_encodes_as_the_sdk_does(kind: str) -> None:
    workout = _normalized(synth_workout(kind))
    if workout is None:
        pytest.skip(f"the demo kind {kind} is skipped by the normalizer (not exportable)")
    _check_workout(workout)


@pytest.mark.parametrize("kind", sorted(p.parent.name for p in GOLDEN.glob("*/input")))
def test_every_golden_input_encodes_as_the_sdk_does(kind: str) -> None:
    workout = _normalized(read_workout_folder(GOLDEN / kind / "input"))
    if workout is None:
        pytest.skip(f"the golden input {kind} is skipped by the normalizer")
    _check_workout(workout)


def test_every_fixture_encodes_as_the_sdk_does(fixtures_dir: Path, tmp_path: Path) -> None:
    archive = Archive(tmp_path / "archive")
    report = import_path(fixtures_dir, archive)
    assert report.ok, [r.line() for r in report.failed]
    checked = 0
    for workout_id in archive.ids():
        workout = _normalized(archive.load(workout_id))
        if workout is not None:
            _check_workout(workout)
            checked += 1
    assert checked >= 25


def test_an_hour_of_records_with_gaps_pauses_and_gps() -> None:
    workout = _normalized(synth_workout("outdoor_run", duration_s=3600))
    assert workout is not None and workout.track
    _check_workout(workout)


# -- field edge cases -------------------------------------------------------------------------


def _header() -> list[Message]:
    return [
        (
            "file_id",
            {
                "type": "activity",
                "manufacturer": "development",
                "product": 0,
                "serial_number": 0xFFFFFFFF,  # uint32z: the largest valid value
                "time_created": T0,
                "product_name": "Peloton Bike+ — Ünïcødé 漢字 🚴",
            },
        ),
        ("event", {"timestamp": T0, "event": "timer", "event_type": "start"}),
    ]


def _record(i: int, **fields: object) -> Message:
    return ("record", {"timestamp": T0 + timedelta(seconds=i), **fields})


def test_none_and_missing_values_are_left_out_alike() -> None:
    messages = [
        *_header(),
        _record(0, power=100, heart_rate=None, cadence=80),
        _record(1, power=None, heart_rate=120),
        _record(2, cadence=81, power=101, heart_rate=None),  # the first record's fields, another order
        _record(3, distance=None, speed=None, power=0),
        ("lap", {"timestamp": T0 + timedelta(seconds=3), "start_time": T0, "total_distance": None}),
    ]
    assert_equivalent(messages)


def test_largest_and_smallest_values_alike() -> None:
    top = {
        "position_lat": 0x7FFFFFFE,
        "position_long": -0x80000000,
        "altitude": 12606.8,
        "enhanced_altitude": 12606.8,
        "heart_rate": 254,
        "cadence": 254,
        "distance": 42_949_672.94,
        "speed": 65.534,
        "enhanced_speed": 65.534,
        "power": 65534,
        "grade": 327.66,
        "resistance": 254,
    }
    bottom = {
        "altitude": -500,
        "heart_rate": 0,
        "cadence": 0,
        "distance": 0,
        "speed": 0.0,
        "power": 0,
        "grade": -327.68,
        "resistance": 0,
    }
    messages = [*_header(), _record(0, **top), _record(1, **bottom), _record(2, **top)]
    messages.append(("activity", {"timestamp": T0 + timedelta(seconds=2), "local_timestamp": 0xFFFFFFFE}))
    assert_equivalent(messages)


def test_strings_with_unicode_and_the_longest_string_alike() -> None:
    longest = "é" * 127  # 254 UTF-8 bytes, the most a field holds with its NUL
    messages = [
        *_header(),
        ("workout", {"wkt_name": longest, "sport": "cycling", "num_valid_steps": 1}),
        (
            "workout_step",
            {"message_index": 0, "wkt_step_name": "Sprint 🔥 ‑ „Zieh!“", "duration_type": "time"},
        ),
        ("device_info", {"timestamp": T0, "product_name": "", "device_index": "creator"}),
        ("device_info", {"timestamp": T0, "product_name": "x", "device_index": 1}),  # enum as an int
    ]
    assert_equivalent(messages)


def test_arrays_alike() -> None:
    messages = [
        *_header(),
        (
            "time_in_zone",
            {
                "timestamp": T0,
                "reference_mesg": "session",
                "reference_index": 0,
                "time_in_hr_zone": [0.0, 12.5, 4_294_967.0, 60.001, 1.0],
                "hr_zone_high_boundary": [120, 140, 160, 254],
                "time_in_power_zone": [1.0] * 7,
            },
        ),
        ("set", {"timestamp": T0, "category": [0], "category_subtype": [65534], "set_type": "active"}),
        ("set", {"timestamp": T0, "category": [1, 2], "category_subtype": [3, 4], "set_type": 1}),
        ("set", {"timestamp": T0, "category": 5, "category_subtype": 6, "set_type": "rest"}),  # scalar
    ]
    assert_equivalent(messages)


def test_more_than_sixteen_definitions_cycle_alike() -> None:
    names = ["power", "heart_rate", "cadence", "distance", "speed", "altitude"]
    messages = _header()
    for i in range(200):
        chosen = {n: i % 60 + 1 for j, n in enumerate(names) if (i >> j) & 1}
        messages.append(_record(i, **chosen))
    ours, sdk = assert_equivalent(messages)
    assert ours == sdk  # the same local numbers and definitions as the SDK's


def test_date_times_given_as_fit_seconds_alike() -> None:
    messages = [*_header(), ("record", {"timestamp": 268435456, "power": 1}), _record(5, power=2)]
    assert_equivalent(messages)


BAD_VALUES: list[tuple[str, dict[str, object]]] = [
    ("record", {"timestamp": T0, "power": 70_000}),
    ("record", {"timestamp": T0, "power": 120.7}),
    ("record", {"timestamp": T0, "power": True}),
    ("record", {"timestamp": T0, "speed": math.nan}),
    ("record", {"timestamp": T0, "speed": math.inf}),
    ("record", {"timestamp": T0, "altitude": 12_607.0}),
    ("record", {"timestamp": T0, "heart_rate": 255}),
    ("record", {"timestamp": datetime(2024, 3, 1, 7, 0), "power": 1}),  # naive
    ("record", {"timestamp": datetime(1990, 1, 1, tzinfo=UTC), "power": 1}),
    ("record", {"timestamp": T0, "heartrate": 100}),
    ("record", {"timestamp": None, "power": None}),
    ("session", {"timestamp": T0, "sport": "hang_gliding_on_mars"}),
    ("workout", {"wkt_name": "a\x00b"}),
    ("workout", {"wkt_name": "x" * 255}),
    ("time_in_zone", {"timestamp": T0, "time_in_hr_zone": [1.0, None]}),
    ("time_in_zone", {"timestamp": T0, "time_in_hr_zone": []}),
    ("no_such_message", {"timestamp": T0}),
]


@pytest.mark.parametrize(("message", "fields"), BAD_VALUES, ids=[str(f) for _, f in BAD_VALUES])
def test_both_writers_refuse_the_same_values_with_the_same_message(
    message: str, fields: dict[str, object]
) -> None:
    def refusal(writer: FitWriter | FastFitWriter) -> str:
        with pytest.raises(FitEncodeError) as caught:
            for name, values in [*_header(), (message, fields)]:
                writer.write(name, values)
            writer.close()
        return str(caught.value)

    assert refusal(FastFitWriter("w1")) == refusal(FitWriter("w1"))


def test_a_bad_value_in_a_long_record_stream_is_named() -> None:
    messages = _header() + [_record(i, power=100 + i) for i in range(500)]
    messages[300] = _record(298, power=-1)
    with pytest.raises(FitEncodeError, match=r"workout w, FIT message 'record', field 'power': value -1"):
        write_messages("w", messages, "fast")


# -- the CRC and the option --------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 2, 511, 512, 513, 4097])
def test_crc_matches_the_sdk_calculator(size: int) -> None:
    from garmin_fit_sdk import CrcCalculator

    data = bytes((i * 37 + 11) % 256 for i in range(size))
    assert fit_crc(data) == CrcCalculator.calculate_crc(data, 0, size)


def test_the_sdk_encoder_is_an_option(tmp_path: Path) -> None:
    from peloton_export.default_plugins.fit import check_fit_options

    assert FitOptions.from_context(ExportContext(output_dir=tmp_path)).encoder == "fast"
    sdk = ExportContext(output_dir=tmp_path, options={"fit.encoder": "SDK"})
    assert FitOptions.from_context(sdk).encoder == "sdk"
    check_fit_options(sdk)
    with pytest.raises(ConfigError, match=r"fit.encoder must be one of fast, sdk, not 'garmin'"):
        check_fit_options(ExportContext(output_dir=tmp_path, options={"fit.encoder": "garmin"}))
