"""Fixtures of the intervals.icu plugin's tests: the loopback fake
(:mod:`peloton_export_intervals.fake`, shipped so a user can run it by hand), a clock,
a context, a workout and its file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from peloton_export_intervals.fake import API_KEY, START, FakeIntervals

from peloton_export import ExportContext, Workout
from peloton_export.testing import FakeClock


@pytest.fixture
def fake_icu() -> Iterator[FakeIntervals]:
    with FakeIntervals() as fake:
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def context(fake_icu: FakeIntervals, tmp_path: Path) -> ExportContext:
    section = {
        "api_key": API_KEY,
        "base_url": fake_icu.url,
        "journal_file": str(tmp_path / "state" / "intervals-journal.json"),
    }
    return ExportContext(output_dir=tmp_path / "exports", plugin_config={"intervals": section})


@pytest.fixture
def workout() -> Workout:
    return Workout(
        id="beef00000001",
        discipline="cycling",
        start=START,
        end=START + timedelta(minutes=20),
        elapsed_s=1200.0,
        timer_s=1200.0,
        title="20 min HIIT Ride",
        instructor="Robin Arzón",
        calories_kcal=250.0,
    )


@pytest.fixture
def fit_file(tmp_path: Path) -> Path:
    path = tmp_path / "exports" / "ride.fit"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x0e\x10FIT-ride-one")
    return path
