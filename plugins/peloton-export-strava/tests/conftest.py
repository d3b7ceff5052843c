"""Fixtures of the Strava plugin's tests: the loopback fake of Strava's API
(:mod:`peloton_export_strava.fake`, shipped so a user can run it by hand), a fake clock,
a logged-in API, workouts and files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import peloton_export_strava
import pytest
from peloton_export_strava.api import StravaApi, StravaSettings
from peloton_export_strava.fake import CLIENT_ID, CLIENT_SECRET, START, FakeStrava

from peloton_export import ExportContext, Sample, Workout
from peloton_export.sinkkit import TokenStore
from peloton_export.testing import FakeClock


@pytest.fixture
def fake_strava(clock: FakeClock) -> Iterator[FakeStrava]:
    fake = FakeStrava()
    fake.clock = clock
    fake.quarter, fake.day = int(clock.now // 900), int(clock.now // 86400)
    with fake:
        yield fake


@pytest.fixture
def strava_clock(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> FakeClock:
    """The plugin's clock is ``clock``, and no rate-limit state of an earlier test is left."""
    monkeypatch.setattr(peloton_export_strava, "CLOCK", clock)
    peloton_export_strava._LIMITS.clear()
    return clock


@pytest.fixture
def clock() -> FakeClock:
    # 10:05:00 UTC: the next 15-minute window starts at 10:15:00
    return FakeClock(datetime(2026, 11, 23, 10, 5, tzinfo=UTC).timestamp())


@pytest.fixture
def settings(fake_strava: FakeStrava, tmp_path: Path) -> StravaSettings:
    return StravaSettings(
        base_url=fake_strava.url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        token_file=tmp_path / "config" / "strava-token.json",
        journal_file=tmp_path / "state" / "strava-journal.json",
    )


@pytest.fixture
def logged_in(fake_strava: FakeStrava, settings: StravaSettings, clock: FakeClock) -> StravaSettings:
    TokenStore(settings.token_file).save(
        {
            "access_token": fake_strava.access_token,
            "refresh_token": fake_strava.refresh_token,
            "expires_at": int(clock.now + 6 * 3600),
        }
    )
    return settings


@pytest.fixture
def api(logged_in: StravaSettings, clock: FakeClock) -> Iterator[StravaApi]:
    api = StravaApi(logged_in, clock=clock)
    yield api
    api.close()


def make_workout(workout_id: str = "f00dcafe0001", **changes: Any) -> Workout:
    samples = tuple(
        Sample(
            offset=i,
            time=START + timedelta(seconds=i),
            power_w=150.0 + i % 7,
            cadence_rpm=85.0,
            heart_rate_bpm=130,
        )
        for i in range(0, 1800, 5)
    )
    values: dict[str, Any] = {
        "id": workout_id,
        "discipline": "cycling",
        "start": START,
        "end": START + timedelta(minutes=30),
        "elapsed_s": 1800.0,
        "timer_s": 1800.0,
        "title": "30 min Power Zone Ride",
        "instructor": "Matt Wilpers",
        "calories_kcal": 412.0,
        "total_work_j": 280_000.0,
        "samples": samples,
    }
    values.update(changes)
    return Workout(**values)


@pytest.fixture
def workout() -> Workout:
    return make_workout()


@pytest.fixture
def fit_file(tmp_path: Path, workout: Workout) -> Path:
    path = tmp_path / "exports" / f"{workout.id}.fit"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x0e\x10FIT-bytes-of-" + workout.id.encode())
    return path


@pytest.fixture
def context(tmp_path: Path) -> ExportContext:
    return ExportContext(output_dir=tmp_path / "exports")


@pytest.fixture
def new_workout():
    return make_workout
