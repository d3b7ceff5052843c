"""Workouts that fail to fetch are recorded, retried within a bound, then settled.

Each test runs the real command line against the fake Peloton API (loopback) with a real
SQLite ledger; the retry clock is :data:`peloton_export.source.fetch_policy.clock`,
replaced here instead of sleeping.
"""
# ruff: noqa: F811  (fixtures imported by name)

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from peloton_export.source import fetch_policy
from peloton_export.store import ledger as ledger_module
from peloton_export.store.ledger import Ledger
from peloton_export.testing import FakePeloton
from peloton_export.testing.pytest_plugin import (  # noqa: F401 (fixtures)
    FakeFactory,
    fake_peloton_factory,
    peloton_env,
)
from tests.conftest import cli
from tests.e2e.test_hostile_server import (  # noqa: F401 (fake_peloton: N two-minute workouts)
    N,
    _ids,
    _json_ids,
    _point_at,
    _poisoned_items,
    fake_peloton,
)

pytestmark = pytest.mark.filterwarnings("ignore:peloton_export.uploads.protect is deprecated")

T0 = 1_900_000_000.0
HOUR = 3600.0


class Clock:
    """The retry clock, moved by hand."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = T0
        monkeypatch.setattr(fetch_policy, "clock", lambda: self.now)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = cli(*args)
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "Traceback" not in text
    return code, text


def _graph_404(fake: FakePeloton, workout_id: str) -> None:
    fake.fault("5xx", path=rf"^/api/workout/{workout_id}/performance_graph$", times=None, status=404)


def test_a_404_graph_is_exported_without_it_retried_within_the_bound_then_settled(
    hostile: FakePeloton,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock = Clock(monkeypatch)
    out = tmp_path / "out"
    bad = _ids(hostile)[3]
    _graph_404(hostile, bad)
    mine = rf"^/api/workout/{bad}"

    # run 1: archived and exported without the graph (a summary), recorded, exit 0
    code, text = _run(capsys, "--format", "json", "-o", str(out))
    assert code == 0, text
    assert f"no performance graph for {bad}, exported without it: performance graph:" in text
    assert "attempt 1 of 3; retried on the next run" in text
    assert bad in _json_ids(out) and len(_json_ids(out)) == N
    record = Ledger.default().fetch_failure(bad)
    assert record is not None and record.attempts == 1 and record.archived
    assert "404" in record.reason and record.first_failed == int(T0)

    # run 2, a minute later: retried at once (a blip passes), attempt 2
    clock.now = T0 + 60
    hostile.clear_requests()
    code, text = _run(capsys, "--format", "json", "-o", str(out))
    assert code == 0, text
    assert hostile.count(mine + "$") == 1 and hostile.count(mine + "/performance_graph$") == 1
    assert "attempt 2 of 3; retried from" in text

    # run 3, two hours later: before the backoff, no request for it
    clock.now = T0 + 2 * HOUR
    hostile.clear_requests()
    code, text = _run(capsys, "--format", "json", "-o", str(out))
    assert code == 0, text
    assert hostile.count(mine) == 0
    assert "1 failed before, waiting to retry" in text
    waiting_requests = hostile.count(host=None)

    # run 4, past the 6 h backoff: fetched again, attempt 3 settles it
    clock.now = T0 + 60 + fetch_policy.RETRY_AFTER[1] + 1
    hostile.clear_requests()
    code, text = _run(capsys, "--format", "json", "-o", str(out))
    assert code == 0, text
    assert hostile.count(mine + "/performance_graph$") == 1
    assert "1 settled as unavailable at Peloton" in text
    assert f"settled as unavailable at Peloton (`peloton-export ledger retry {bad}`)" in text
    assert Ledger.default().fetch_failure(bad).attempts == 3  # type: ignore[union-attr]

    # run 5, a month later: a no-op run, no request for it, nothing said about it, exit 0
    clock.now = T0 + 30 * 24 * HOUR
    hostile.clear_requests()
    code, text = _run(capsys, "--format", "json", "-o", str(out))
    assert code == 0, text
    assert hostile.count(mine) == 0 and bad not in text
    # the documented no-op run once the user id is known: the first list page, nothing else
    assert [r.path for r in hostile.requests if r.host == "api"] == [
        f"/api/user/{hostile.user.user_id}/workouts"
    ]
    assert hostile.count(host=None) == waiting_requests == 1
    assert "0 new, 0 updated" in text

    # status shows it settled, with its reason
    code, text = _run(capsys, "status")
    assert code == 0, text
    assert "Unavailable at Peloton (settled, not fetched again): 1 workout\n" in text
    assert f"  {bad}: archived without its performance graph; attempt 3 of 3" in text
    assert "404" in text and "Failing to fetch" not in text


def test_status_lists_failing_and_settled_and_a_success_clears_the_record(
    hostile: FakePeloton,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock = Clock(monkeypatch)
    out = tmp_path / "out"
    ids = _ids(hostile)
    no_graph, broken = ids[3], ids[5]
    _graph_404(hostile, no_graph)
    hostile.fault("5xx", path=rf"^/api/workout/{broken}$", times=None, status=500)

    for when in (T0, T0 + 60, T0 + 7 * HOUR):
        clock.now = when
        code, text = _run(capsys, "--format", "json", "-o", str(out))
        assert code == 1, text  # the broken workout fails every one of these runs
        assert f"failed to fetch {broken}: " in text
    assert f"failed to fetch {broken}: " in text and "attempt 3 of 3; settled" in text
    assert broken not in _json_ids(out) and no_graph in _json_ids(out)

    # settled: a later run leaves both alone and exits 0
    clock.now = T0 + 8 * HOUR
    hostile.clear_requests()
    code, text = _run(capsys, "--format", "json", "-o", str(out))
    assert code == 0, text
    assert hostile.count(rf"^/api/workout/({broken}|{no_graph})") == 0

    # `ledger retry` makes the broken one due again; it fails again: attempt 1
    code, text = _run(capsys, "ledger", "retry", broken, "0" * 32)
    assert code == 0 and f"The next run fetches again: {broken}" in text
    assert f"No fetch failure recorded for: {'0' * 32}" in text
    code, text = _run(capsys, "--format", "json", "-o", str(out))
    assert code == 1 and "attempt 1 of 3; retried on the next run" in text

    code, text = _run(capsys, "status")
    assert code == 0, text
    failing = text.index("Failing to fetch: 1 workout\n")
    settled_at = text.index("Unavailable at Peloton (settled, not fetched again): 1 workout\n")
    assert failing < text.index(f"  {broken}: attempt 1 of 3; retried on the next run") < settled_at
    assert text.index(f"  {no_graph}: archived without its performance graph; attempt 3 of 3") > settled_at
    assert "Peloton is not answering workout" in text and "(HTTP 500)" in text
    assert "performance graph: Peloton answered HTTP 404" in text

    # Peloton mends: the failing one is fetched on the next run and its record cleared;
    # the settled one only on request (--workout), which clears its record too
    hostile.faults.clear()
    code, text = _run(capsys, "--format", "json", "-o", str(out))
    assert code == 0, text
    assert broken in _json_ids(out)
    assert Ledger.default().fetch_failure(broken) is None
    assert Ledger.default().fetch_failure(no_graph) is not None
    code, text = _run(capsys, "--format", "json", "-o", str(out), "--workout", no_graph)
    assert code == 0, text
    assert Ledger.default().fetch_failures() == {}
    code, text = _run(capsys, "status")
    assert "Failing to fetch" not in text and "Unavailable at Peloton" not in text


def test_refused_ids_are_named_in_the_summary_with_exit_1(
    fake_peloton_factory: FakeFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    Clock(monkeypatch)
    probe = fake_peloton_factory(count=N)
    ids = [str(item["id"]) for item in probe.store.page(0, N)]
    bad = {ids[3]: {"id": "../x"}, ids[4]: {"id": "a/b"}, ids[5]: {"id": "y" * 5000}}
    fake = fake_peloton_factory(count=N, list_item=_poisoned_items(bad))
    _point_at(fake, tmp_path, monkeypatch)
    swapped, other = ids[8], ids[9]
    original = fake._api

    def api(req: object) -> object:
        if req.path == f"/api/workout/{swapped}":  # type: ignore[attr-defined]
            req = type(req)(**{**req.__dict__, "path": f"/api/workout/{other}"})
        return original(req)  # type: ignore[arg-type]

    fake._api = api  # type: ignore[assignment,method-assign]
    out = tmp_path / "out"
    code, text = _run(capsys, "-q", "--format", "json", "-o", str(out))
    assert code == 1, text
    assert "4 failed" in text
    assert "failed to fetch '../x': " in text and "failed to fetch 'a/b': " in text
    long_line = next(line for line in text.splitlines() if "failed to fetch 'yyy" in line)
    assert len(long_line) < 400  # the 5,000-character id is cut, not echoed whole
    assert (
        f"failed to fetch {swapped}: Peloton answered workout '{other}' when asked for {swapped}"
        " (attempt 1 of 3; retried on the next run)"
    ) in text
    assert len(_json_ids(out)) == N - 4
    # the mismatched detail is recorded; refused ids cost no request and are not recorded
    assert set(Ledger.default().fetch_failures()) == {swapped}


def test_migration_from_schema_2_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    conn = sqlite3.connect(path)
    schema_2 = ledger_module._SCHEMA.replace(ledger_module._FETCH_FAILURES + ";", "")
    conn.executescript(schema_2)
    conn.execute("INSERT INTO schema_version VALUES (2)")
    conn.execute(
        "INSERT INTO workouts VALUES ('w1', 10, 20, 'COMPLETE', 'peloton', '2024-01-01', '2024-01-02')"
    )
    conn.execute(
        "INSERT INTO exports VALUES"
        " ('w1', 'fit', '/o/w1.fit', 'sha256:ab', '2024-01-02', 'written', NULL, NULL)"
    )
    conn.execute("INSERT INTO uploads VALUES ('w1', 'strava', 'uploaded', 'r9', NULL, 2, '2024-01-03')")
    conn.execute("INSERT INTO meta VALUES ('backfill_done:u', '2024-01-02')")
    conn.commit()
    conn.close()

    ledger = Ledger(path)
    assert ledger.workout("w1") is not None and ledger.workout("w1").status == "COMPLETE"  # type: ignore[union-attr]
    assert ledger.exported("w1", "fit").content_hash == "sha256:ab"  # type: ignore[union-attr]
    upload = ledger.upload_state("w1", "strava")
    assert upload is not None and upload.remote_id == "r9" and upload.attempts == 2
    assert ledger.backfill_done("u")
    version = sqlite3.connect(path).execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    assert version == ledger_module.SCHEMA_VERSION == 4
    first = ledger.record_fetch_failure("w1", "HTTP 404\n  twice", now=T0)
    second = ledger.record_fetch_failure("w1", "HTTP 500", now=T0 + 5)
    assert (first.attempts, first.reason) == (1, "HTTP 404 twice")
    assert (second.attempts, second.first_failed, second.last_failed) == (2, int(T0), int(T0) + 5)
    assert ledger.forget("w1") >= 4 and ledger.fetch_failures() == {}


def test_retry_bound_constants() -> None:
    """The documented bound: 3 attempts, the next run at once, then 6 hours."""
    record = ledger_module.FetchFailure("w", 1, int(T0), int(T0), "x")
    assert fetch_policy.MAX_FETCH_ATTEMPTS == 3
    assert fetch_policy.due(record, T0)
    waited = ledger_module.FetchFailure("w", 2, int(T0), int(T0), "x")
    assert not fetch_policy.due(waited, T0 + 6 * HOUR - 1) and fetch_policy.due(waited, T0 + 6 * HOUR)
    done = ledger_module.FetchFailure("w", 3, int(T0), int(T0), "x")
    assert fetch_policy.settled(done) and not fetch_policy.due(done, T0 + 10**9)


def test_ledger_retry_all_clears_every_record(
    hostile: FakePeloton, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = Ledger.default()
    for attempt in range(3):
        ledger.record_fetch_failure("a" * 32, "HTTP 404", now=T0 + attempt)
    ledger.record_fetch_failure("b" * 32, "HTTP 500", now=T0)
    code, text = _run(capsys, "ledger", "retry")
    assert code == 2 and "name one or more workout ids, or --all" in text
    assert len(ledger.fetch_failures()) == 2
    code, text = _run(capsys, "ledger", "retry", "--all")
    assert code == 0 and "a" * 32 in text and "b" * 32 in text
    assert ledger.fetch_failures() == {}
    code, text = _run(capsys, "ledger", "retry", "--all")
    assert code == 0 and "No workout failed to fetch." in text


def test_a_due_record_of_a_workout_peloton_no_longer_lists_is_cleared(
    hostile: FakePeloton,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock = Clock(monkeypatch)
    out = tmp_path / "out"
    code, _ = _run(capsys, "--format", "json", "-o", str(out))
    assert code == 0
    ledger = Ledger.default()
    gone, waiting = "c" * 32, "d" * 32
    ledger.record_fetch_failure(gone, "HTTP 500", now=T0)  # due on the next run
    for _ in range(2):
        ledger.record_fetch_failure(waiting, "HTTP 500", now=T0)  # waits 6 h
    clock.now = T0 + 60
    hostile.clear_requests()
    code, text = _run(capsys, "--format", "json", "-o", str(out))
    assert code == 0, text
    pages = hostile.count(r"/workouts$")
    assert pages > 1  # a due record made the run walk the whole list to find it
    assert set(ledger.fetch_failures()) == {waiting}
    hostile.clear_requests()
    code, text = _run(capsys, "--format", "json", "-o", str(out))
    assert code == 0 and hostile.count(host=None) == 1  # back to the no-op run


def test_status_does_not_promise_to_export_a_workout_settled_as_unavailable(
    hostile: FakePeloton,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A settled workout is never fetched again: `status` lists it once, under
    "Unavailable at Peloton", not also as pending ("not exported") for every format."""
    clock = Clock(monkeypatch)
    out = tmp_path / "out"
    broken = _ids(hostile)[5]
    hostile.fault("5xx", path=rf"^/api/workout/{broken}/performance_graph$", times=None, status=500)
    for when in (T0, T0 + 60, T0 + 7 * HOUR):
        clock.now = when
        _run(capsys, "--format", "json", "-o", str(out))
    clock.now = T0 + 8 * HOUR
    code, text = _run(capsys, "--format", "json", "-o", str(out))  # a no-op run: it is left alone
    assert code == 0, text
    code, text = _run(capsys, "status", "--limit", "100")
    assert code == 0, text
    assert "Unavailable at Peloton (settled, not fetched again): 1 workout\n" in text
    assert f"{broken}: not exported" not in text
    assert "Seen at Peloton, not archived yet" not in text
