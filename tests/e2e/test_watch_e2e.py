"""`peloton-export watch` end to end against the fake Peloton API (loopback only)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from peloton_export.store.runlock import run_lock
from peloton_export.testing import FakeInbox, FakePeloton
from peloton_export.testing.pytest_plugin import point_at, save_login
from peloton_export.unattended.cycle import CycleOptions, export_cycle
from peloton_export.unattended.status import read_status
from peloton_export.unattended.watch import Schedule, Watcher

pytest.importorskip(
    "peloton_export.export.run", reason="run_export (the integrator's interface) is not merged yet"
)

WORKOUTS = 6


@pytest.fixture
def fake(fake_peloton_factory: Any) -> FakePeloton:
    return fake_peloton_factory(count=WORKOUTS)  # type: ignore[no-any-return]


@pytest.fixture
def env(fake: FakePeloton, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``peloton_env`` set-up against ``fake`` (a few workouts, one attempt per request)."""
    point_at(fake, tmp_path, monkeypatch)
    save_login(fake, tmp_path / "config")
    monkeypatch.setenv("PELOTON_EXPORT_OUTPUT_DIR", str(tmp_path / "out"))
    (tmp_path / "peloton.ini").write_text(
        "[peloton-export]\nkeyring = false\nmax_rate = 0\nmax_attempts = 1\nformats = tcx,json\n",
        encoding="utf-8",
    )


def watcher_for(tmp_path: Path, runs: int, between: Any = None, **kwargs: Any) -> Watcher:
    """A watcher with a 1 s interval (the floor lowered for the test) stopping after ``runs``;
    ``between()`` is called after each other run, once its status is written."""
    stop = threading.Event()
    done: list[int] = []
    pending: list[int] = []
    cycle = export_cycle(CycleOptions())

    def counted() -> Any:
        try:
            return cycle()
        finally:
            done.append(1)
            pending.append(1)
            if len(done) >= runs:
                stop.set()

    def sleep(seconds: float) -> bool:
        if pending and between is not None:
            pending.clear()
            between()
        return stop.wait(seconds)

    schedule = Schedule(interval=1.0, jitter=0.5, floor=1.0)
    return Watcher(
        counted,
        schedule=schedule,
        state_dir=tmp_path / "state",
        stop=stop,
        sleep=sleep,
        rng=random.Random(3),
        **kwargs,
    )


def test_two_runs_the_second_is_a_no_op(fake: FakePeloton, env: None, tmp_path: Path) -> None:
    counts: list[int] = []

    def between() -> None:
        counts.append(fake.count())
        fake.clear_requests()

    began = time.monotonic()
    watcher = watcher_for(tmp_path, runs=2, between=between)
    assert watcher.run() == 0
    counts.append(fake.count())
    assert time.monotonic() - began >= 1.0  # it waited for the interval between the runs
    assert counts[0] >= 2 * WORKOUTS  # the first run fetched everything
    assert counts[1] <= 3  # the second: nothing new, at most 3 requests
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert sum(name.endswith(".tcx") for name in files) == WORKOUTS
    status = read_status(tmp_path / "state")
    assert status is not None
    assert status.outcome == "ok" and status.counts["new"] == 0 and status.counts["exported"] == 0
    assert status.counts["unchanged"] == WORKOUTS


def test_a_failing_run_backs_off_and_then_recovers(fake: FakePeloton, env: None, tmp_path: Path) -> None:
    fault = fake.fault("5xx", path=r"/workouts$", times=None)
    statuses: list[Any] = []

    def between() -> None:
        statuses.append(read_status(tmp_path / "state"))
        fault.times = 0  # Peloton is back

    watcher_for(tmp_path, runs=2, between=between).run()
    failed = statuses[0]
    assert failed.outcome == "failed" and failed.failures == 1
    assert "HTTP 503" in failed.message
    assert 1.0 <= failed.next_run_at - failed.finished_at <= 1.5  # floor * 2**0 plus the jitter
    final = read_status(tmp_path / "state")
    assert final is not None and final.outcome == "ok" and final.failures == 0


def test_login_needed_is_notified_once(fake: FakePeloton, env: None, tmp_path: Path) -> None:
    pytest.importorskip("apprise")
    from peloton_export.config import load_config
    from peloton_export.paths import state_dir
    from peloton_export.unattended.notify import Notifier

    fake.revoke_tokens(refresh=True)  # the saved login no longer works: the user must log in
    with FakeInbox() as inbox:
        ini = tmp_path / "peloton.ini"
        ini.write_text(ini.read_text() + f"notify_urls = {inbox.apprise_url}\n")
        notifier = Notifier.from_config(load_config(), state_dir())
        watcher = watcher_for(tmp_path, runs=3, on_problems=lambda p: notifier.update("run", p))
        watcher.run()
        posts = inbox.messages()
    assert len(posts) == 1  # three failed runs, one message
    assert "log in" in posts[0]["message"]
    status = read_status(tmp_path / "state")
    assert status is not None and status.failures == 3


def _wait_for(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_sigterm_mid_run_stops_cleanly(fake: FakePeloton, env: None, tmp_path: Path) -> None:
    fake.fault("latency", path="/performance_graph", delay=0.4, times=None)  # a slow first backfill
    child_env = {**os.environ, "PELOTON_EXPORT_WATCH_MIN_INTERVAL": "1"}
    log = tmp_path / "watch.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "peloton_export", "watch", "--log-format", "json"],
            env=child_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            archive = tmp_path / "data" / "archive" / "workouts"
            assert _wait_for(lambda: archive.is_dir() and any(archive.iterdir()), 30), log.read_text()
            began = time.monotonic()
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=15)
            took = time.monotonic() - began
        finally:
            if process.poll() is None:
                process.kill()
    assert code == 0, log.read_text()
    assert took < 5
    leftovers = [p for p in tmp_path.rglob("*.tmp")]
    assert leftovers == []
    status = read_status(tmp_path / "state")
    assert status is not None and status.state == "stopped" and status.outcome in ("stopped", "ok")
    with run_lock(tmp_path / "state"), run_lock(tmp_path / "state", name="watch.lock"):
        pass  # both locks released
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert any("SIGTERM received" in line["message"] for line in lines)
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    # The next run resumes and completes.
    done = subprocess.run(
        [sys.executable, "-m", "peloton_export", "watch", "--once", "--now"],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert sum(p.suffix == ".tcx" for p in (tmp_path / "out").iterdir()) == WORKOUTS
