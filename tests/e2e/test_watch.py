"""The watch loop with an injected cycle: SIGTERM during a run (real signals and waits).

The in-process tests are in ``tests/unit/test_watch.py``.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from pathlib import Path

import pytest

from peloton_export.store.runlock import RunInProgress, run_lock
from peloton_export.unattended.status import read_status
from peloton_export.unattended.watch import (
    EXIT_OK,
    EXIT_STOPPED,
    CycleResult,
    Schedule,
    Watcher,
)
from tests.unit.test_watch import make, ok_cycle


def test_sigterm_during_a_run_abandons_it_after_the_grace_period(tmp_path: Path) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals need the main thread")
    reached: list[str] = []

    def slow_cycle() -> CycleResult:
        os.kill(os.getpid(), signal.SIGTERM)
        reached.append("signalled")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # a run that would go on for 30 s
            time.sleep(0.01)
        reached.append("finished")
        return ok_cycle()

    watcher = Watcher(
        slow_cycle, schedule=Schedule(), state_dir=tmp_path / "state", grace=0.3, rng=random.Random(1)
    )
    before = signal.getsignal(signal.SIGTERM)
    began = time.monotonic()
    assert watcher.run(once=True) == EXIT_STOPPED  # the run was abandoned
    assert time.monotonic() - began < 5
    assert reached == ["signalled"]
    assert signal.getsignal(signal.SIGTERM) == before  # handlers restored
    status = read_status(tmp_path / "state")
    assert status is not None and status.outcome == "stopped" and status.state == "stopped"
    with run_lock(tmp_path / "state", name="watch.lock"):
        pass  # released


def test_sigterm_during_a_short_run_lets_it_finish(tmp_path: Path) -> None:
    def quick_cycle() -> CycleResult:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
        return ok_cycle()

    watcher = Watcher(quick_cycle, schedule=Schedule(), state_dir=tmp_path / "state", grace=5.0)
    began = time.monotonic()
    assert watcher.run() == EXIT_OK
    assert time.monotonic() - began < 2
    status = read_status(tmp_path / "state")
    assert status is not None and status.outcome == "ok" and status.state == "stopped"


def test_only_one_watcher_per_state_folder(tmp_path: Path) -> None:
    watcher, _, starts = make(tmp_path, ok_cycle, runs=1)
    with run_lock(tmp_path / "state", name="watch.lock"), pytest.raises(RunInProgress, match="watcher"):
        watcher.run(once=True)
    assert starts == []
    assert watcher.run(once=True) == EXIT_OK  # the lock is free again
