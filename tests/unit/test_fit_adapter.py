"""The checked FIT encoder wrapper rejects what the SDK would silently wrap or drop."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fit_decode import decode

from peloton_export.errors import ExportError
from peloton_export.formats.fit.adapter import FitEncodeError, FitWriter, field_names

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)


def _minimal(writer: FitWriter) -> None:
    writer.write(
        "file_id",
        {
            "type": "activity",
            "manufacturer": "development",
            "product": 0,
            "serial_number": 7,
            "time_created": T0,
        },
    )


def test_valid_messages_encode_and_decode() -> None:
    writer = FitWriter("w1")
    _minimal(writer)
    for i in range(3):
        writer.write(
            "record",
            {
                "timestamp": T0 + timedelta(seconds=i),
                "power": 200 + i,
                "heart_rate": 120,
                "speed": 8.5,
                "altitude": -12.4,
                "grade": -3.5,
                "distance": 10.0 * i,
            },
        )
    writer.write(
        "set",
        {
            "timestamp": T0,
            "duration": 30.5,
            "set_type": "active",
            "repetitions": 10,
            "weight": 20.5,
            "category": ["bench_press"],
            "category_subtype": [7],
        },
    )
    decoded = decode(writer.close())
    records = decoded.all("record")
    assert [r["power"] for r in records] == [200, 201, 202]
    assert records[0]["altitude"] == pytest.approx(-12.4, abs=0.2)
    assert records[0]["grade"] == pytest.approx(-3.5)
    assert decoded.one("set")["category"] in ("bench_press", ["bench_press"])
    assert decoded.fitparse["set"][0]["category"] in ("bench_press", ("bench_press",), ["bench_press"])


@pytest.mark.parametrize(
    ("message", "fields", "field", "text"),
    [
        ("record", {"timestamp": T0, "power": 70_000}, "power", "outside 0..65534"),
        ("record", {"timestamp": T0, "heart_rate": 300}, "heart_rate", "outside 0..254"),
        ("record", {"timestamp": T0, "heart_rate": 255}, "heart_rate", "outside"),
        ("record", {"timestamp": T0, "power": -1}, "power", "outside"),
        ("record", {"timestamp": T0, "heart_rate": 120.7}, "heart_rate", "expected an int"),
        ("record", {"timestamp": T0, "heart_rate": True}, "heart_rate", "expected an int"),
        ("record", {"timestamp": T0, "speed": float("nan")}, "speed", "outside"),
        ("record", {"timestamp": T0, "speed": 70.0}, "speed", "outside"),
        ("record", {"timestamp": T0, "altitude": -600.0}, "altitude", "outside"),
        ("record", {"timestamp": T0, "distance": "12"}, "distance", "expected a number"),
        ("record", {"timestamp": datetime(2025, 3, 1, 12)}, "timestamp", "naive datetime"),
        ("record", {"timestamp": 5}, "timestamp", "outside"),
        ("session", {"timestamp": T0, "sport": "cyclin"}, "sport", "not a sport name"),
        ("session", {"timestamp": T0, "sport": 300}, "sport", "expected a sport name"),
        ("file_id", {"serial_number": 0}, "serial_number", "outside 1.."),
        ("device_info", {"timestamp": T0, "product_name": "x" * 300}, "product_name", "longer than"),
        ("device_info", {"timestamp": T0, "product_name": "a\x00b"}, "product_name", "NUL"),
        ("set", {"timestamp": T0, "category": ["bench_pres"]}, "category", "not a exercise_category"),
        ("set", {"timestamp": T0, "weight": 5000.0}, "weight", "outside"),
    ],
)
def test_out_of_range_values_are_rejected_with_a_clear_error(
    message: str, fields: dict[str, object], field: str, text: str
) -> None:
    writer = FitWriter("abc123")
    with pytest.raises(FitEncodeError) as info:
        writer.write(message, fields)
    error = info.value
    assert isinstance(error, ExportError)
    assert (error.workout_id, error.message, error.field) == ("abc123", message, field)
    assert "workout abc123" in str(error) and repr(message) in str(error) and repr(field) in str(error)
    assert text in str(error)


@pytest.mark.parametrize("name", ["heartrate", "garmin_product", "mesg_num", "developer_fields"])
def test_unknown_field_names_are_rejected(name: str) -> None:
    writer = FitWriter("w2")
    with pytest.raises(FitEncodeError, match=f"field '{name}'.*no such field"):
        writer.write("record", {"timestamp": T0, name: 1})


def test_unknown_message_and_empty_message_are_rejected() -> None:
    writer = FitWriter("w3")
    with pytest.raises(FitEncodeError, match="no such message"):
        writer.write("recrod", {"timestamp": T0})
    with pytest.raises(FitEncodeError, match="no value"):
        writer.write("record", {"timestamp": None})


def test_key_sets_are_checked_once_but_values_every_time() -> None:
    writer = FitWriter("w4")
    writer.write("record", {"timestamp": T0, "power": 100})
    with pytest.raises(FitEncodeError, match="outside"):
        writer.write("record", {"timestamp": T0, "power": 100_000})


def test_writing_after_close_fails() -> None:
    writer = FitWriter("w5")
    _minimal(writer)
    decode(writer.close())
    with pytest.raises(FitEncodeError, match="closed"):
        writer.write("record", {"timestamp": T0})


def test_field_names_come_from_the_profile() -> None:
    names = field_names("record")
    assert {"timestamp", "power", "heart_rate", "enhanced_speed", "position_lat"} <= names
    assert "heartrate" not in names
    assert field_names("no_such_message") == frozenset()
