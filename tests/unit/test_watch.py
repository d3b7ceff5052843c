"""The watch loop with an injected cycle: interval, jitter, backoff, cooldown, stop, status."""

from __future__ import annotations

import itertools
import os
import random
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from peloton_export.errors import AuthRequired, ConfigError
from peloton_export.source.client.http import ServiceUnavailable
from peloton_export.store.runlock import RunInProgress
from peloton_export.unattended.status import health, read_status, watch_status_lines
from peloton_export.unattended.watch import (
    DEFAULT_INTERVAL,
    EXIT_FAILURES,
    EXIT_OK,
    MIN_INTERVAL,
    CycleResult,
    Schedule,
    Watcher,
    interval_floor,
    parse_duration,
)

HOUR = 3600.0
START = 1_800_000_000.0


class Clock:
    """Wall-clock time that only moves when the watcher sleeps (or a run takes time)."""

    def __init__(self) -> None:
        self.now = START
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now


def make(
    tmp_path: Path,
    cycle: Callable[[], CycleResult],
    *,
    runs: int,
    schedule: Schedule | None = None,
    problems: list[dict[str, str]] | None = None,
    cooldown: float | None = None,
    clock: Clock | None = None,
) -> tuple[Watcher, Clock, list[float]]:
    """A watcher that stops itself after ``runs`` runs; returns it, its clock, run start times."""
    clock = clock or Clock()
    stop = threading.Event()
    starts: list[float] = []

    def counted() -> CycleResult:
        starts.append(clock.now)
        try:
            return cycle()
        finally:
            clock.now += 5.0  # a run takes five seconds
            if len(starts) >= runs:
                stop.set()

    def sleep(seconds: float) -> bool:
        clock.sleeps.append(seconds)
        clock.now += seconds
        return stop.is_set()

    watcher = Watcher(
        counted,
        schedule=schedule or Schedule(interval=DEFAULT_INTERVAL, jitter=900.0),
        state_dir=tmp_path / "state",
        clock=clock,
        rng=random.Random(7),
        stop=stop,
        sleep=sleep,
        cooldown_until=lambda: cooldown,
        on_problems=problems.append if problems is not None else None,
    )
    return watcher, clock, starts


def ok_cycle() -> CycleResult:
    return CycleResult(ok=True, counts={"new": 0, "exported": 0}, message="nothing new")


def test_runs_every_interval_plus_a_jitter_within_bounds(tmp_path: Path) -> None:
    watcher, _, starts = make(tmp_path, ok_cycle, runs=4)
    assert watcher.run() == EXIT_OK  # a clean stop (by the test)
    gaps = [b - a - 5.0 for a, b in itertools.pairwise(starts)]
    assert len(gaps) == 3
    for gap in gaps:
        assert DEFAULT_INTERVAL <= gap <= DEFAULT_INTERVAL + 900.0
    assert len({round(g) for g in gaps}) > 1  # the jitter is random, not a constant


def test_interval_floor_is_one_hour_unless_the_test_variable_lowers_it() -> None:
    assert interval_floor({}) == MIN_INTERVAL == HOUR
    with pytest.raises(ConfigError, match="at least 1 h"):
        Schedule(interval=30 * 60)
    assert interval_floor({"PELOTON_EXPORT_WATCH_MIN_INTERVAL": "2"}) == 2.0
    Schedule(interval=2.0, jitter=0.0, floor=2.0)  # allowed only with the lowered floor
    with pytest.raises(ConfigError):
        Schedule(interval=DEFAULT_INTERVAL, jitter=-1)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("86400", 86400), ("24h", 86400), ("90m", 5400), ("1h30m", 5400), ("45s", 45), ("1d", 86400)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "h", "1x", "1h-", "soon"])
def test_parse_duration_rejects_nonsense(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_duration(text)


def test_failed_runs_back_off_then_the_interval_resumes(tmp_path: Path) -> None:
    outcomes = iter(["down", "down", "down", "ok", "ok"])

    def cycle() -> CycleResult:
        if next(outcomes) == "down":
            raise ServiceUnavailable("Peloton answered 503 five times")
        return ok_cycle()

    problems: list[dict[str, str]] = []
    schedule = Schedule(interval=DEFAULT_INTERVAL, jitter=0.0)
    watcher, _, starts = make(tmp_path, cycle, runs=5, schedule=schedule, problems=problems)
    watcher.run()
    gaps = [b - a - 5.0 for a, b in itertools.pairwise(starts)]
    assert gaps == [HOUR, 2 * HOUR, 4 * HOUR, DEFAULT_INTERVAL]
    # Peloton being down is told after three failed runs in a row; a good run clears it.
    assert [sorted(p) for p in problems] == [[], [], ["peloton-down"], [], []]
    status = read_status(tmp_path / "state")
    assert status is not None and status.failures == 0 and status.outcome == "ok"


def test_backoff_never_exceeds_the_interval() -> None:
    schedule = Schedule(interval=3 * HOUR, jitter=0.0)
    delays = [schedule.delay(n, random.Random(1)) for n in range(6)]
    assert delays == [3 * HOUR, HOUR, 2 * HOUR, 3 * HOUR, 3 * HOUR, 3 * HOUR]


def test_login_needed_is_told_at_once_and_the_cooldown_is_respected(tmp_path: Path) -> None:
    def cycle() -> CycleResult:
        raise AuthRequired("The saved Peloton login expired: run `peloton-export login`")

    problems: list[dict[str, str]] = []
    cooldown_end = START + 9 * HOUR
    schedule = Schedule(interval=DEFAULT_INTERVAL, jitter=0.0)
    watcher, _, starts = make(
        tmp_path, cycle, runs=2, schedule=schedule, problems=problems, cooldown=cooldown_end
    )
    watcher.run()
    assert starts[1] == cooldown_end  # not after 1 h: the login cooldown lasts longer
    assert "peloton-login" in problems[0]
    assert "peloton-export login" in problems[0]["peloton-login"]


def test_a_bug_in_a_run_is_a_failed_run_not_a_crash(tmp_path: Path) -> None:
    def cycle() -> CycleResult:
        raise RuntimeError("boom")

    watcher, _, _ = make(tmp_path, cycle, runs=1)
    assert watcher.run(once=True) == EXIT_FAILURES
    status = read_status(tmp_path / "state")
    assert status is not None
    assert status.outcome == "failed" and status.message == "unexpected RuntimeError: boom"


def test_once_exit_codes_and_status_file(tmp_path: Path) -> None:
    watcher, clock, _ = make(tmp_path, ok_cycle, runs=1)
    assert watcher.run(once=True) == EXIT_OK
    status = read_status(tmp_path / "state")
    assert status is not None
    assert status.state == "stopped" and status.outcome == "ok" and status.next_run_at is None
    assert status.started_at == START and status.finished_at == START + 5.0
    assert status.last_ok_at == START + 5.0 and status.pid == os.getpid()
    assert status.counts == {"new": 0, "exported": 0}

    def partial() -> CycleResult:
        return CycleResult(ok=False, counts={"failed": 1}, message="1 failed")

    watcher, _, _ = make(tmp_path, partial, runs=1, clock=clock)
    assert watcher.run(once=True) == EXIT_FAILURES
    status = read_status(tmp_path / "state")
    assert status is not None and status.outcome == "partial" and status.failures == 0


def test_status_lines_and_health(tmp_path: Path) -> None:
    state = tmp_path / "state"
    assert watch_status_lines(state) == []
    assert health(state, START) == (False, f"no status file in {state}: the watcher has not started")
    schedule = Schedule(interval=DEFAULT_INTERVAL, jitter=0.0)
    watcher, _, _ = make(tmp_path, ok_cycle, runs=1, schedule=schedule)
    watcher.stop.set = lambda: None  # type: ignore[method-assign]  # keep waiting after the run
    watcher.sleep = lambda seconds: True  # but leave at the first wait
    watcher.run()
    lines = watch_status_lines(state)
    assert lines[0] == (
        "Watch: stopped; last run 2027-01-15 08:00:00 UTC to 08:00:05 UTC: ok (0 new, 0 exported)"
    )
    assert lines[1] == "  nothing new"
    ok, reason = health(state, START + 10)
    assert not ok and reason == "the watcher stopped"


def test_health_of_a_waiting_watcher(tmp_path: Path) -> None:
    from peloton_export.unattended.status import WatchStatus, write_status

    state = tmp_path / "state"
    due = START + DEFAULT_INTERVAL
    write_status(state, WatchStatus(state="waiting", outcome="ok", next_run_at=due, finished_at=START))
    assert health(state, START + 60)[0]
    assert not health(state, due + 3600)[0]  # overdue: the loop is stuck
    write_status(state, WatchStatus(state="waiting", outcome="failed", failures=3, next_run_at=due))
    assert not health(state, START)[0]
    write_status(state, WatchStatus(state="running", started_at=START))
    assert health(state, START + 3600)[0]
    assert not health(state, START + 7 * 3600)[0]
    assert "Watch: running since 2027-01-15 08:00:00 UTC" in watch_status_lines(state)[0]


def test_a_restarted_watcher_waits_for_the_scheduled_run(tmp_path: Path) -> None:
    schedule = Schedule(interval=DEFAULT_INTERVAL, jitter=0.0)
    first, clock, _ = make(tmp_path, ok_cycle, runs=1, schedule=schedule)
    first.run(once=True)
    status = read_status(tmp_path / "state")
    assert status is not None
    # A watcher (not --once) that stopped keeps no next run; one that was waiting does.
    from peloton_export.unattended.status import write_status

    write_status(tmp_path / "state", status.but(state="waiting", next_run_at=START + DEFAULT_INTERVAL))
    clock.now = START + 600  # restarted ten minutes later (a container restart)
    second, _, starts = make(tmp_path, ok_cycle, runs=1, schedule=schedule, clock=clock)
    second.run()
    assert starts == [START + DEFAULT_INTERVAL]
    third, _, starts = make(tmp_path, ok_cycle, runs=1, schedule=schedule, clock=clock)
    third.run(now=True)
    assert starts == [clock.now - 5.0]  # --now: at once


def test_a_run_busy_elsewhere_is_not_a_failure(tmp_path: Path) -> None:
    def cycle() -> CycleResult:
        raise RunInProgress("another peloton-export run is in progress")

    problems: list[dict[str, str]] = []
    watcher, _, _ = make(tmp_path, cycle, runs=1, problems=problems)
    watcher.run(once=True)
    status = read_status(tmp_path / "state")
    assert status is not None and status.outcome == "busy" and status.failures == 0
    assert problems == []  # nothing learned about the user's problems
