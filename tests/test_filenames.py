"""Safe, deterministic file names."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from peloton_export.filenames import MAX_STEM_CHARS, export_stem, slug
from tests.workout_factory import cycling


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("45 min Power Zone Ride", "45-min-power-zone-ride"),
        ("../../etc/passwd", "etc-passwd"),
        ("..\\..\\windows\\system32", "windows-system32"),
        ("CON", "con-"),
        ("Café Crème", "cafe-creme"),
        ("🚴‍♀️🔥", "untitled"),
        ("", "untitled"),
        ("a\x00b\nc", "a-b-c"),
    ],
)
def test_slug(title: str, expected: str) -> None:
    assert slug(title) == expected


def test_stem_uses_the_workouts_own_timezone_and_full_id() -> None:
    workout = dataclasses.replace(
        cycling(),
        id="0123456789abcdef0123456789abcdef",
        title="Ride",
        timezone="Etc/GMT+4",
        start=datetime(2024, 7, 29, 12, 54, 52, tzinfo=UTC),
    )
    assert export_stem(workout) == "2024-07-29_0854_cycling_ride_0123456789abcdef0123456789abcdef"


def test_unknown_timezone_falls_back_to_utc() -> None:
    workout = dataclasses.replace(
        cycling(), timezone="Mars/Olympus", start=datetime(2024, 1, 1, 5, tzinfo=UTC)
    )
    assert export_stem(workout).startswith("2024-01-01_0500_")


def test_enormous_title_is_bounded_and_keeps_the_id() -> None:
    workout = dataclasses.replace(cycling(), title="x" * 10_000, discipline="y" * 500, id="f" * 64)
    stem = export_stem(workout)
    assert len(stem) <= MAX_STEM_CHARS and stem.endswith("f" * 64)
    assert "/" not in stem and "\\" not in stem
