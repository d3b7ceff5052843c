"""Incremental sync into the archive: request budget, paging, resume, origin filter."""
# ruff: noqa: F811  (the fake_peloton fixtures are imported by name; tests take them as arguments)

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from peloton_export.config import Config
from peloton_export.export.run import sync_archive
from peloton_export.source.client.api import PelotonAPI
from peloton_export.source.client.http import ServiceUnavailable
from peloton_export.source.sync import SyncReport, sync_workouts
from peloton_export.store.archive import Archive
from peloton_export.store.ledger import Ledger
from peloton_export.testing import FakePeloton, tiny_workout, tiny_workouts
from peloton_export.testing.clients import make_test_client
from peloton_export.testing.pytest_plugin import (
    FakeFactory,
    fake_peloton_factory,  # noqa: F401 (fixtures)
)
from peloton_export.workout.origin import is_imported, workout_origin


class Env:
    """A client with a saved login, an archive and a ledger in ``tmp_path``."""

    def __init__(self, fake: FakePeloton, tmp_path: Path, **settings: Any) -> None:
        self.fake = fake
        self.tmp = tmp_path
        self.settings = settings
        self.archive = Archive(tmp_path / "archive")
        self.ledger = Ledger(tmp_path / "ledger.sqlite3")
        api = self.api()
        api.auth.store.save(api.auth.token_from_text(fake.issue_refresh_token()))
        fake.clear_requests()

    def api(self) -> PelotonAPI:
        return make_test_client(self.fake, self.tmp, **self.settings)

    def sync(self, **options: Any) -> SyncReport:
        return sync_workouts(self.api(), self.archive, ledger=self.ledger, **options)


def budget(n: int, page_size: int) -> int:
    return 2 * n + math.ceil(n / page_size) + 3


@pytest.mark.parametrize(("n", "page_size"), [(45, 10), (100, 100), (101, 100), (0, 10), (7, 3), (300, 100)])
def test_first_sync_within_budget_and_second_is_a_no_op(
    fake_peloton_factory: FakeFactory, tmp_path: Path, n: int, page_size: int
) -> None:
    fake = fake_peloton_factory(lambda: tiny_workouts(n), count=n)
    env = Env(fake, tmp_path, page_size=page_size)
    first = env.sync()
    assert len(first.new) == n and not first.failed
    assert fake.count(host=None) <= budget(n, page_size)
    assert first.requests == fake.count(host=None)
    assert fake.count("/workouts$") == max(1, math.ceil(n / page_size))  # exactly 100: one page; empty: one
    assert sorted(env.archive.ids()) == sorted(w.workout_id for w in tiny_workouts(n))
    assert all(env.archive.is_complete(w) for w in env.archive.ids())
    fake.clear_requests()
    second = env.sync()
    assert fake.count(host=None) <= 3
    assert second.new == [] and second.updated == []
    assert fake.count("^/api/workout/") == 0


def test_first_sync_budget_counts_login_me_and_pages(
    fake_peloton_factory: FakeFactory, tmp_path: Path
) -> None:
    fake = fake_peloton_factory(lambda: tiny_workouts(30), count=30)
    env = Env(fake, tmp_path, page_size=10)
    env.sync()
    paths = [r.path for r in fake.requests]
    assert paths.count("/api/me") == 1
    assert sum(p.endswith("/performance_graph") for p in paths) == 30
    # the user id is saved with the login: the next run needs no /api/me
    fake.clear_requests()
    env.sync()
    assert fake.count("/api/me") == 0 and fake.count(host=None) == 1


def test_offline_makes_no_request(fake_peloton_factory: FakeFactory, tmp_path: Path) -> None:
    fake = fake_peloton_factory(lambda: tiny_workouts(5), count=5)
    report = sync_archive(
        Config(), offline=True, archive=Archive(tmp_path / "a"), ledger=Ledger(tmp_path / "l")
    )
    assert report.offline and report.summary().startswith("offline")
    assert fake.count(host=None) == 0


def test_sync_archive_uses_the_environment(
    fake_peloton_factory: FakeFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_peloton_factory(lambda: tiny_workouts(4), count=4)
    monkeypatch.setenv("PELOTON_EXPORT_API_URL", fake.api_url)
    monkeypatch.setenv("PELOTON_EXPORT_AUTH_URL", fake.auth_url)
    monkeypatch.setenv("PELOTON_EXPORT_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("PELOTON_EXPORT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PELOTON_EXPORT_TOKEN", fake.issue_token())
    config = Config(settings={"keyring": "false", "max_rate": "0"})
    archive = Archive(tmp_path / "archive")
    report = sync_archive(config, offline=False, archive=archive)
    assert len(report.new) == 4 and len(archive) == 4
    assert (tmp_path / "state" / "ledger.sqlite3").is_file()
    assert all(
        r.header(
            "User-Agent",
        ).startswith("peloton-export/")
        for r in fake.requests
    )  # type: ignore[union-attr]


def test_only_new_workouts_are_fetched(fake_peloton_factory: FakeFactory, tmp_path: Path) -> None:
    fake = fake_peloton_factory(lambda: tiny_workouts(25), count=25)
    env = Env(fake, tmp_path, page_size=10)
    env.sync()
    for i in range(3):
        fake.add_workout(tiny_workout(1000 + i, created_at=2_000_000_000 + i))
    fake.clear_requests()
    report = env.sync()
    assert len(report.new) == 3
    assert fake.count("^/api/workout/[^/]+$") == 3
    # page 0 mixes new and known workouts, so page 1 (all known) is read too, and paging stops
    assert fake.count("/workouts$") == 2
    assert fake.count(host=None) <= 2 * 3 + 2


def test_new_workouts_spanning_pages(fake_peloton_factory: FakeFactory, tmp_path: Path) -> None:
    fake = fake_peloton_factory(lambda: tiny_workouts(25), count=25)
    env = Env(fake, tmp_path, page_size=10)
    env.sync()
    for i in range(12):
        fake.add_workout(tiny_workout(2000 + i, created_at=2_000_000_000 + i))
    fake.clear_requests()
    report = env.sync()
    assert len(report.new) == 12
    # page 0 all new, page 1 has 2 new: not all known; page 2 all known: stop
    assert fake.count("/workouts$") == 3
    assert fake.count(host=None) <= 2 * 12 + 3 + 3


def test_in_progress_is_fetched_once_complete(fake_peloton_factory: FakeFactory, tmp_path: Path) -> None:
    fake = fake_peloton_factory(lambda: tiny_workouts(5), count=5)
    env = Env(fake, tmp_path, page_size=10)
    env.sync()
    live = tiny_workout(77, created_at=2_000_000_000, status="IN_PROGRESS")
    fake.add_workout(live)
    fake.clear_requests()
    report = env.sync()
    assert report.in_progress == [live.workout_id] and report.new == []
    assert fake.count("^/api/workout/") == 0
    assert env.ledger.workout(live.workout_id).status == "IN_PROGRESS"  # type: ignore[union-attr]
    fake.replace_workout(tiny_workout(77, created_at=2_000_000_000))
    report = env.sync()
    assert report.new == [live.workout_id]
    assert env.archive.is_complete(live.workout_id)


def test_workout_incomplete_in_detail_is_refetched_later(
    fake_peloton_factory: FakeFactory, tmp_path: Path
) -> None:
    # the list says COMPLETE but the detail is still IN_PROGRESS (a race): archived incomplete
    racing = tiny_workout(5, created_at=2_000_000_000, extra={"status": "IN_PROGRESS"})
    fake = fake_peloton_factory([racing], list_item=lambda raw: {**raw.workout, "status": "COMPLETE"})
    env = Env(fake, tmp_path)
    first = env.sync()
    assert first.new == [racing.workout_id] and first.in_progress == [racing.workout_id]
    assert not env.archive.is_complete(racing.workout_id)
    fake.replace_workout(tiny_workout(5, created_at=2_000_000_000))
    second = env.sync()
    assert second.updated == [racing.workout_id]
    assert env.archive.is_complete(racing.workout_id)


def test_resume_after_an_interrupted_run(fake_peloton_factory: FakeFactory, tmp_path: Path) -> None:
    n, size = 40, 10
    fake = fake_peloton_factory(lambda: tiny_workouts(n), count=n)
    env = Env(fake, tmp_path, page_size=size, max_attempts=2, concurrency=1)
    victim = list(tiny_workouts(n))[23].workout_id
    # Peloton goes down after 23 graphs: a whole page finding it down stops the sync.
    fake.fault("5xx", path="/performance_graph$", after=23, times=None)
    with pytest.raises(ServiceUnavailable):
        env.sync()
    archived = set(env.archive.ids())
    assert 20 <= len(archived) < n and victim not in archived
    fake.faults.clear()
    fake.clear_requests()
    report = env.sync()
    assert set(report.new) == {w.workout_id for w in tiny_workouts(n)} - archived
    refetched = {r.path.split("/")[3] for r in fake.requests if r.path.startswith("/api/workout/")}
    assert not refetched & archived  # nothing archived before is fetched again
    assert len(env.archive) == n
    assert env.ledger.backfill_done(fake.user.user_id)


def test_interrupted_first_backfill_walks_on_past_known_pages(
    fake_peloton_factory: FakeFactory, tmp_path: Path
) -> None:
    fake = fake_peloton_factory(lambda: tiny_workouts(30), count=30)
    env = Env(fake, tmp_path, page_size=10)
    api = env.api()
    for raw in list(tiny_workouts(30))[:10]:  # as if a first run stopped after page 0
        env.archive.put_raw(raw)
    report = sync_workouts(api, env.archive, ledger=env.ledger)
    assert len(report.new) == 20 and fake.count("/workouts$") == 3


def test_revoked_token_mid_run(fake_peloton_factory: FakeFactory, tmp_path: Path) -> None:
    fake = fake_peloton_factory(lambda: tiny_workouts(20), count=20)
    env = Env(fake, tmp_path, page_size=10, concurrency=3)
    fake.fault("revoke", path="/performance_graph$", after=5)
    report = env.sync()
    assert len(report.new) == 20 and not report.failed
    assert fake.count("/oauth/token", host="auth") == 1


@pytest.mark.parametrize("kind", ["429", "5xx", "1015", "empty", "truncated", "latency"])
def test_every_fault_kind_during_sync(fake_peloton_factory: FakeFactory, tmp_path: Path, kind: str) -> None:
    fake = fake_peloton_factory(lambda: tiny_workouts(12), count=12)
    env = Env(fake, tmp_path, page_size=5)
    fake.fault(kind, path="/api/", times=3, retry_after=0, delay=0.002)  # type: ignore[arg-type]
    report = env.sync()
    assert len(report.new) == 12 and not report.failed
    for wid in env.archive.ids():
        assert env.archive.load(wid).performance_graph is not None


def test_service_down_gives_a_clear_error(fake_peloton_factory: FakeFactory, tmp_path: Path) -> None:
    fake = fake_peloton_factory(lambda: tiny_workouts(3), count=3)
    env = Env(fake, tmp_path, max_attempts=3)
    fake.fault("5xx", path="/workouts$", times=None)
    with pytest.raises(ServiceUnavailable, match="after 3 attempts"):
        env.sync()


def test_requests_in_flight_are_bounded(fake_peloton_factory: FakeFactory, tmp_path: Path) -> None:
    fake = fake_peloton_factory(lambda: tiny_workouts(24), count=24)
    env = Env(fake, tmp_path, page_size=12, concurrency=3)
    fake.fault("latency", path="/api/workout/", delay=0.005, times=None)
    env.sync()
    assert 1 <= fake.max_in_flight <= 3


def test_deleted_workout_is_a_per_workout_failure(fake_peloton_factory: FakeFactory, tmp_path: Path) -> None:
    fake = fake_peloton_factory(lambda: tiny_workouts(4), count=4)
    env = Env(fake, tmp_path)
    gone = list(tiny_workouts(4))[1].workout_id
    fake.fault("5xx", path=f"^/api/workout/{gone}$", status=404, times=None)
    report = env.sync()
    assert list(report.failed) == [gone] and len(report.new) == 3
    assert not env.ledger.backfill_done(fake.user.user_id)  # so the next run looks again


def _imported(index: int) -> Any:
    return tiny_workout(
        index,
        extra={
            "platform": "apple_health",
            "device_type": "apple_watch",
            "ride": {"id": "0" * 32, "title": "Walk"},
        },
    )


def test_imported_workouts_are_skipped_by_default(fake_peloton_factory: FakeFactory, tmp_path: Path) -> None:
    workouts = list(tiny_workouts(6))
    workouts.insert(2, _imported(500))
    fake = fake_peloton_factory(workouts)
    env = Env(fake, tmp_path)
    report = env.sync()
    assert report.skipped_imported == [workouts[2].workout_id] and len(report.new) == 6
    assert workouts[2].workout_id not in env.archive
    assert fake.count(f"/api/workout/{workouts[2].workout_id}") == 0
    assert env.ledger.workout(workouts[2].workout_id).origin == "apple_health"  # type: ignore[union-attr]
    fake.clear_requests()
    env.sync()
    assert fake.count(host=None) <= 3


def test_imported_workouts_kept_when_configured(fake_peloton_factory: FakeFactory, tmp_path: Path) -> None:
    fake = fake_peloton_factory([_imported(500), *tiny_workouts(2)])
    env = Env(fake, tmp_path, skip_imported=False)
    report = env.sync()
    assert len(report.new) == 3 and report.skipped_imported == []


def test_import_only_visible_in_detail_is_skipped(fake_peloton_factory: FakeFactory, tmp_path: Path) -> None:
    hidden = tiny_workout(3, extra={"workout_source": "Garmin Connect"})
    fake = fake_peloton_factory(
        [hidden], list_item=lambda raw: {k: v for k, v in raw.workout.items() if k != "workout_source"}
    )
    env = Env(fake, tmp_path)
    report = env.sync()
    assert report.skipped_imported == [hidden.workout_id] and hidden.workout_id not in env.archive


@pytest.mark.parametrize(
    ("body", "origin"),
    [
        ({"platform": "home_bike", "device_type": "home_bike_v1"}, "peloton"),
        ({"platform": "iOS_app", "device_type": "apple_watch"}, "peloton"),
        ({"platform": "apple_health"}, "apple_health"),
        ({"workout_source": "HealthKit"}, "apple_health"),
        ({"source": {"name": "Strava"}}, "strava"),
        ({"external_source": "garmin_connect"}, "garmin"),
        ({"is_imported": True}, "external"),
        ({"strava_id": "123", "fitbit_id": "9"}, "peloton"),
    ],
)
def test_origin(body: dict[str, Any], origin: str) -> None:
    assert workout_origin(body) == origin
    assert is_imported(body) is (origin != "peloton")


def test_demo_generator_sync_budget(fake_peloton_factory: FakeFactory, tmp_path: Path) -> None:
    n = 30
    fake = fake_peloton_factory(count=n)
    env = Env(fake, tmp_path, page_size=10)
    report = env.sync()
    assert fake.count(host=None) <= budget(n, 10)
    assert len(report.new) + len(report.skipped_imported) == n
    fake.clear_requests()
    env.sync()
    assert fake.count(host=None) <= 3
