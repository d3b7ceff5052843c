"""Decode a written FIT file with both the official Garmin SDK and fitparse, strictly.

``decode(data)`` fails the test unless the Garmin ``Decoder`` says ``is_fit`` and
``check_integrity`` and reads the file with CRC checking and no error, and fitparse reads
every message with CRC checking on. ``compare(workout, decoded)`` checks the decoded values
against the normalized workout (records, first/last timestamp, distance, average power,
laps and sets).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import fitparse
from garmin_fit_sdk import Decoder, Stream

from peloton_export.model import Workout
from peloton_export.workout.stats import summarize


@dataclass
class Decoded:
    """The messages of one FIT file as both decoders saw them."""

    garmin: dict[str, list[dict[str, Any]]]
    fitparse: dict[str, list[dict[str, Any]]]

    def one(self, name: str) -> dict[str, Any]:
        """The only message ``name`` (Garmin decoder view), asserting there is exactly one."""
        found = self.garmin.get(f"{name}_mesgs", [])
        assert len(found) == 1, f"{len(found)} {name} messages"
        return found[0]

    def all(self, name: str) -> list[dict[str, Any]]:
        """Every message ``name`` (Garmin decoder view)."""
        return self.garmin.get(f"{name}_mesgs", [])


def decode(data: bytes) -> Decoded:
    """Decode ``data`` with both decoders, failing on any integrity problem or error.

    Decoding is a pure function of the bytes, and the writers are deterministic: the same
    file is decoded once per test process (the suite encodes each fixture in several
    tests). Callers only read the result.
    """
    return _decode(bytes(data))


#: ``id(workout) -> (workout, decoded)``: the workout is kept so its id is never reused.
_ENCODED: dict[int, tuple[Workout, Decoded]] = {}


def decode_workout(workout: Workout) -> Decoded:
    """``decode(encode_workout(workout))`` with the default options, once per workout object.

    The session fixtures (tests/conftest.py) hand the same frozen ``Workout`` objects to
    several tests; each file is encoded and decoded once per test process.
    """
    from peloton_export.formats.fit.encode import encode_workout

    found = _ENCODED.get(id(workout))
    if found is None or found[0] is not workout:
        found = (workout, decode(encode_workout(workout)))
        _ENCODED[id(workout)] = found
    return found[1]


@lru_cache(maxsize=256)
def _decode(data: bytes) -> Decoded:
    assert Decoder(Stream.from_byte_array(bytearray(data))).is_fit()
    assert Decoder(Stream.from_byte_array(bytearray(data))).check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read(
        enable_crc_check=True, convert_datetimes_to_dates=True
    )
    assert errors == [], errors
    parsed: dict[str, list[dict[str, Any]]] = {}
    fit = fitparse.FitFile(io.BytesIO(data), check_crc=True)
    for message in fit.get_messages():
        parsed.setdefault(message.name, []).append(message.get_values())
    garmin_records = len(messages.get("record_mesgs", []))
    assert garmin_records == len(parsed.get("record", [])), "the two decoders disagree on records"
    return Decoded(messages, parsed)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def compare(workout: Workout, decoded: Decoded, *, expect_sets: bool = True) -> None:
    """Check the decoded file against ``workout``."""
    records = decoded.all("record")
    sample_offsets = {s.offset for s in workout.samples}
    extra_fixes = {p.offset for p in workout.track} - sample_offsets
    assert len(records) == len(workout.samples) + len(extra_fixes)
    session = decoded.one("session")
    activity = decoded.one("activity")
    assert activity["num_sessions"] == 1
    if records:
        times = sorted(
            [s.time for s in workout.samples] + [p.time for p in workout.track if p.offset in extra_fixes]
        )
        first, last = _utc(records[0]["timestamp"]), _utc(records[-1]["timestamp"])
        assert first == times[0].replace(microsecond=0)
        assert last == times[-1].replace(microsecond=0)
        fp = decoded.fitparse["record"]
        assert _utc(fp[0]["timestamp"]) == first and _utc(fp[-1]["timestamp"]) == last
    assert _utc(session["start_time"]) == workout.start.replace(microsecond=0)
    if workout.distance_m is not None and math.isfinite(workout.distance_m):
        assert session["total_distance"] == round(workout.distance_m, 2) or math.isclose(
            session["total_distance"], workout.distance_m, abs_tol=0.011
        )
        assert math.isclose(
            decoded.fitparse["session"][0]["total_distance"], workout.distance_m, abs_tol=0.011
        )
    clean = [
        s
        for s in workout.samples
        if s.power_w is not None and math.isfinite(s.power_w) and 0 <= s.power_w <= 65534
    ]
    if clean:
        # Peloton's own average wins over the samples' mean (issue 11; peloton_export.workout.totals).
        expected = workout.avg_power_w if workout.avg_power_w is not None else summarize(clean).avg_power_w
        assert expected is not None
        assert abs(session["avg_power"] - round(expected)) <= 1
        assert decoded.fitparse["session"][0]["avg_power"] == session["avg_power"]
    laps = decoded.all("lap")
    assert len(laps) == session["num_laps"] >= 1
    assert len(decoded.fitparse["lap"]) == len(laps)
    elapsed = sum(lap["total_elapsed_time"] for lap in laps)
    assert math.isclose(elapsed, session["total_elapsed_time"], abs_tol=0.01 * len(laps))
    sets = decoded.all("set")
    if expect_sets:
        assert len(sets) == len(workout.sets)
        assert len(decoded.fitparse.get("set", [])) == len(workout.sets)
        for item, message in zip(sorted(workout.sets, key=lambda s: (s.start, s.index)), sets, strict=True):
            assert message["set_type"] == item.kind
            if item.kind == "active" and item.repetitions is not None:
                assert message["repetitions"] == item.repetitions
            if item.kind == "active" and item.weight_kg:
                assert math.isclose(message["weight"], item.weight_kg, abs_tol=1 / 16)
