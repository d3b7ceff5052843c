"""Decode a written FIT file with the official Garmin SDK and, where a test reads it, fitparse.

``decode(data)`` fails the test unless the Garmin ``Decoder`` says ``is_fit`` and
``check_integrity`` and reads the file with CRC checking and no error. fitparse reads the
file (every message, CRC checking on, the same number of records as the SDK) the first
time a test reads ``Decoded.fitparse``, or at once with ``decode(data, both=True)``.
``compare(workout, decoded)`` checks the decoded values against the normalized workout
(records, first/last timestamp, distance, average power, laps and sets), in fitparse's
reading too when fitparse has read the file.

fitparse takes two and a half times the SDK's time on the same file, so most tests read
with the SDK alone; these have both readers read every kind of FIT we write and compare
both readings with the workout (``both=True``): every demo kind (``test_fit_sources``),
every recorded fixture as the exporter wrote it (``test_conformance``), each discipline of
the test factory (``test_fit_encode``), every golden input and demo kind against the SDK's
own encoder (``test_fit_encoder``), a merged watch file (``test_merge``) and strength sets
(``test_fit_adapter``).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import fitparse
from garmin_fit_sdk import Decoder, Stream

from peloton_export.model import Workout
from peloton_export.workout.stats import summarize


@dataclass
class Decoded:
    """The messages of one FIT file: the Garmin SDK's, and fitparse's when first read."""

    garmin: dict[str, list[dict[str, Any]]]
    data: bytes = field(repr=False)
    _fitparse: dict[str, list[dict[str, Any]]] | None = field(default=None, repr=False, compare=False)

    @property
    def fitparse(self) -> dict[str, list[dict[str, Any]]]:
        """Every message as fitparse reads it (CRC checked), read once on first use.

        Fails the test when fitparse cannot read the file or counts other records than the
        SDK did.
        """
        if self._fitparse is None:
            self._fitparse = _fitparse(self.data)
            records = len(self.garmin.get("record_mesgs", []))
            assert records == len(self._fitparse.get("record", [])), "the two decoders disagree on records"
        return self._fitparse

    @property
    def read_by_fitparse(self) -> bool:
        """Whether fitparse has read the file (``both=True``, or ``.fitparse`` read)."""
        return self._fitparse is not None

    def one(self, name: str) -> dict[str, Any]:
        """The only message ``name`` (Garmin decoder view), asserting there is exactly one."""
        found = self.garmin.get(f"{name}_mesgs", [])
        assert len(found) == 1, f"{len(found)} {name} messages"
        return found[0]

    def all(self, name: str) -> list[dict[str, Any]]:
        """Every message ``name`` (Garmin decoder view)."""
        return self.garmin.get(f"{name}_mesgs", [])


def decode(data: bytes, *, both: bool = False) -> Decoded:
    """Decode ``data`` with the Garmin SDK, failing on any integrity problem or error;
    with fitparse too when ``both`` (otherwise when a test first reads ``.fitparse``).

    Decoding is a pure function of the bytes, and the writers are deterministic: the same
    file is decoded once per test process (the suite encodes each fixture in several
    tests). Callers only read the result.
    """
    decoded = _decode(bytes(data))
    if both:
        decoded.fitparse  # noqa: B018 - reads the file with fitparse now
    return decoded


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
    return Decoded(messages, data)


def _fitparse(data: bytes) -> dict[str, list[dict[str, Any]]]:
    parsed: dict[str, list[dict[str, Any]]] = {}
    fit = fitparse.FitFile(io.BytesIO(data), check_crc=True)
    for message in fit.get_messages():
        parsed.setdefault(message.name, []).append(message.get_values())
    return parsed


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def compare(workout: Workout, decoded: Decoded, *, expect_sets: bool = True) -> None:
    """Check the decoded file against ``workout`` (fitparse's reading too, when it read it)."""
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
    assert _utc(session["start_time"]) == workout.start.replace(microsecond=0)
    if workout.distance_m is not None and math.isfinite(workout.distance_m):
        assert session["total_distance"] == round(workout.distance_m, 2) or math.isclose(
            session["total_distance"], workout.distance_m, abs_tol=0.011
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
    laps = decoded.all("lap")
    assert len(laps) == session["num_laps"] >= 1
    elapsed = sum(lap["total_elapsed_time"] for lap in laps)
    assert math.isclose(elapsed, session["total_elapsed_time"], abs_tol=0.01 * len(laps))
    sets = decoded.all("set")
    if expect_sets:
        assert len(sets) == len(workout.sets)
        for item, message in zip(sorted(workout.sets, key=lambda s: (s.start, s.index)), sets, strict=True):
            assert message["set_type"] == item.kind
            if item.kind == "active" and item.repetitions is not None:
                assert message["repetitions"] == item.repetitions
            if item.kind == "active" and item.weight_kg:
                assert math.isclose(message["weight"], item.weight_kg, abs_tol=1 / 16)
    if decoded.read_by_fitparse:
        _fitparse_agrees(workout, decoded, expect_sets=expect_sets)


def _fitparse_agrees(workout: Workout, decoded: Decoded, *, expect_sets: bool) -> None:
    """fitparse's reading of the file says what the SDK's says (``compare`` checked that one)."""
    fp = decoded.fitparse
    records = decoded.all("record")
    if records:
        assert _utc(fp["record"][0]["timestamp"]) == _utc(records[0]["timestamp"])
        assert _utc(fp["record"][-1]["timestamp"]) == _utc(records[-1]["timestamp"])
    session = decoded.one("session")
    if workout.distance_m is not None and math.isfinite(workout.distance_m):
        assert math.isclose(fp["session"][0]["total_distance"], workout.distance_m, abs_tol=0.011)
    if any(
        s.power_w is not None and math.isfinite(s.power_w) and 0 <= s.power_w <= 65534
        for s in workout.samples
    ):
        assert fp["session"][0]["avg_power"] == session["avg_power"]
    assert len(fp["lap"]) == len(decoded.all("lap"))
    if expect_sets:
        assert len(fp.get("set", [])) == len(workout.sets)
