"""The original peloton-client-library API, against the fake."""
# ruff: noqa: F811  (the fake_peloton fixtures are imported by name; tests take them as arguments)

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from peloton_export import compat
from peloton_export.compat import PelotonRide, PelotonWorkout, PelotonWorkoutMetrics
from peloton_export.testing import FakePeloton, tiny_workouts
from peloton_export.testing.clients import make_test_client
from peloton_export.testing.pytest_plugin import (
    FakeFactory,
    fake_peloton_factory,  # noqa: F401 (fixtures)
)

README_DIR = [
    "achievements",
    "created",
    "created_at",
    "end_time",
    "fitness_discipline",
    "get",
    "id",
    "leaderboard_rank",
    "list",
    "metrics",
    "ride",
    "serialize",
    "start_time",
    "status",
    "total_leaderboard_users",
]


@pytest.fixture
def fake(fake_peloton_factory: FakeFactory, tmp_path: Path) -> Iterator[FakePeloton]:
    fake = fake_peloton_factory(lambda: tiny_workouts(23), count=23)
    api = make_test_client(fake, tmp_path, env_token=fake.issue_token())
    compat.use_client(api)
    fake.clear_requests()
    yield fake
    compat.use_client(None)


def test_list_pages_lazily(fake: FakePeloton) -> None:
    workouts = PelotonWorkout.list()
    assert [w.id for w in workouts] == [w.workout_id for w in tiny_workouts(23)]
    assert fake.count("/workouts$") == 3 and fake.count("^/api/workout/") == 0  # page size 10
    assert len(PelotonWorkout.list(results_per_page=100)) == 23


def test_readme_attributes(fake: FakePeloton) -> None:
    workout = PelotonWorkout.list()[0]
    assert set(README_DIR) <= set(dir(workout))
    assert workout.status == "COMPLETE" and workout.fitness_discipline == "cycling"
    assert isinstance(workout.start_time, datetime) and workout.start_time.tzinfo == UTC
    assert isinstance(workout.ride, PelotonRide)
    assert set(dir(workout.ride)) >= {"description", "duration", "id", "instructor_id", "title", "serialize"}
    assert workout.ride.title == "1 min Test Ride 22"
    assert workout.ride.instructor.name == "Test Instructor"  # type: ignore[attr-defined]


def test_lazy_detail_and_metrics(fake: FakePeloton) -> None:
    workout = PelotonWorkout.list()[0]
    fake.clear_requests()
    assert workout.leaderboard_rank == 32
    assert workout.total_leaderboard_users == 1000 and workout.leaderboard_users == 1000
    assert [a.name for a in workout.achievements] == ["Best Output"]  # type: ignore[union-attr]
    assert fake.count() == 1  # one detail request for all three
    metrics = workout.metrics
    assert isinstance(metrics, PelotonWorkoutMetrics)
    assert metrics.output.unit == "watts" and metrics.output_summary.value == 30  # type: ignore[attr-defined]
    assert metrics.fitness_discipline == "cycling"
    _ = workout.metrics
    assert fake.count() == 2


def test_get_and_latest(fake: FakePeloton) -> None:
    newest = next(iter(tiny_workouts(23))).workout_id
    latest = PelotonWorkout.latest()
    assert latest is not None and latest.id == newest
    assert fake.requests[-1].query["limit"] == "1"
    workout = PelotonWorkout.get(newest)
    fake.clear_requests()
    assert workout.leaderboard_rank == 32 and fake.count() == 0  # the detail has it already


def test_serialize(fake: FakePeloton) -> None:
    workout = PelotonWorkout.list()[0]
    fake.clear_requests()
    shallow = workout.serialize(load_all=False)
    assert shallow is not None and "leaderboard_rank" not in shallow and "ride" not in shallow
    assert shallow["start_time"].endswith("+00:00") and fake.count() == 0
    deep = workout.serialize(depth=2)
    assert deep is not None and deep["ride"]["title"] == workout.ride.title  # type: ignore[union-attr]
    assert deep["leaderboard_rank"] == 32 and deep["achievements"][0]["name"] == "Best Output"


def test_config_file_and_env_of_the_original(
    fake_peloton_factory: FakeFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_peloton_factory(lambda: tiny_workouts(2), count=2)
    ini = tmp_path / "peloton.ini"
    ini.write_text(
        f"[peloton]\nusername = {fake.user.username}\npassword = {fake.user.password}\n"
        "ignore_warnings = True\nssl_verify = True\n"
        "[peloton-export]\nkeyring = false\nmax_rate = 0\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PELOTON_CONFIG", str(ini))
    monkeypatch.setenv("PELOTON_EXPORT_API_URL", fake.api_url)
    monkeypatch.setenv("PELOTON_EXPORT_AUTH_URL", fake.auth_url)
    monkeypatch.setenv("PELOTON_EXPORT_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("PELOTON_EXPORT_STATE_DIR", str(tmp_path / "state"))
    for name in ("PELOTON_USERNAME", "PELOTON_PASSWORD", "PELOTON_EXPORT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    compat.use_client(None)
    try:
        assert len(PelotonWorkout.list()) == 2
        assert fake.count("/oauth/token", host="auth") == 1
    finally:
        compat.use_client(None)


def test_empty_account(fake_peloton_factory: FakeFactory, tmp_path: Path) -> None:
    fake = fake_peloton_factory([])
    compat.use_client(make_test_client(fake, tmp_path, env_token=fake.issue_token()))
    try:
        assert PelotonWorkout.list() == [] and PelotonWorkout.latest() is None
    finally:
        compat.use_client(None)
