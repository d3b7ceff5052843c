"""The loop of ``peloton-export watch``: one run (sync, export, upload) every interval.

:class:`Watcher` runs an injected *cycle* function, which does one whole run and returns a
:class:`CycleResult`, or raises :class:`~peloton_export.errors.PelotonExportError` when
the run could not be done at all (Peloton down, login needed, bad config). Between runs
it sleeps for the interval plus a random jitter; after a failed run it backs off
(:meth:`Schedule.delay`) and never tries a login before the login cooldown ends. Only
one watcher runs per state folder (``<state dir>/watch.lock``). SIGTERM and SIGINT stop it:
between runs at once, during a run after :data:`STOP_GRACE` seconds at most (the run
finishes if it can, else it is abandoned at a safe point: every file is written to a
temporary name and renamed, the ledger is a transaction, the lock dies with the run).
"""

from __future__ import annotations

import logging
import math
import os
import random
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from peloton_export.errors import AuthRequired, ConfigError, PelotonExportError
from peloton_export.store.runlock import RunInProgress, run_lock
from peloton_export.unattended.status import WatchStatus, read_status, write_status

log = logging.getLogger("peloton_export.watch")

DEFAULT_INTERVAL = 24 * 3600.0
#: Peloton's community warns that hourly polling can get an account flagged.
MIN_INTERVAL = 3600.0
DEFAULT_JITTER = 15 * 60.0
#: Test-only: a lower floor for the interval, in seconds (never set it in production).
MIN_INTERVAL_ENV = "PELOTON_EXPORT_WATCH_MIN_INTERVAL"
#: Seconds a run may take to finish after SIGTERM/SIGINT before it is abandoned.
STOP_GRACE = 3.0
#: Failed runs in a row after which Peloton being down is worth telling the user.
DOWN_NOTIFY_AFTER = 3
LOCK_NAME = "watch.lock"

EXIT_OK, EXIT_FAILURES, EXIT_STOPPED = 0, 1, 130

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([dhms]?)", re.IGNORECASE)
_UNIT = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "": 1.0}


class WatchStopped(BaseException):
    """Raised in the main thread to abandon a run after a stop was asked for."""


def parse_duration(text: str) -> float:
    """Seconds in ``text``: ``86400``, ``24h``, ``90m``, ``1h30m``, ``45s``, ``1d``.

    :raises ConfigError: when ``text`` is not a duration.
    """
    compact = text.strip().replace(" ", "")
    total = 0.0
    pos = 0
    for match in _DURATION.finditer(compact):
        if match.start() != pos:
            break
        total += float(match[1]) * _UNIT[match[2].lower()]
        pos = match.end()
    if not compact or pos != len(compact):
        raise ConfigError(f"expected a duration like 24h, 90m or 3600, got {text!r}")
    return total


def interval_floor(environ: Mapping[str, str] | None = None) -> float:
    """The shortest interval allowed: one hour, or the test-only ``MIN_INTERVAL_ENV``."""
    env = os.environ if environ is None else environ
    raw = env.get(MIN_INTERVAL_ENV)
    if raw:
        try:
            return max(0.0, float(raw))
        except ValueError:
            raise ConfigError(f"{MIN_INTERVAL_ENV}: expected seconds, got {raw!r}") from None
    return MIN_INTERVAL


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    """When runs happen: every ``interval`` seconds plus up to ``jitter`` seconds at random.

    After ``failures`` failed runs in a row the wait is ``floor * 2 ** (failures - 1)``
    (1 h, 2 h, 4 h ... with the default floor), never more than the interval: Peloton being
    down is retried sooner than the next day, but never more often than the floor allows.
    """

    interval: float = DEFAULT_INTERVAL
    jitter: float = DEFAULT_JITTER
    floor: float = MIN_INTERVAL

    def __post_init__(self) -> None:
        if not math.isfinite(self.interval) or self.interval < self.floor:
            raise ConfigError(
                f"the watch interval must be at least {self.floor / 3600:g} h "
                f"(Peloton may flag accounts polled more often), got {self.interval:g} s"
            )
        if not math.isfinite(self.jitter) or self.jitter < 0:
            raise ConfigError(f"the jitter must be 0 or more seconds, got {self.jitter:g}")

    def delay(self, failures: int, rng: random.Random) -> float:
        """Seconds from the end of a run to the start of the next."""
        backoff = self.floor * 2 ** min(max(failures, 1) - 1, 30)
        base = self.interval if failures <= 0 else min(self.interval, backoff)
        return base + (rng.uniform(0.0, self.jitter) if self.jitter else 0.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class CycleResult:
    """What one run did.

    ``ok`` is false when some workouts (or summary files) failed; the run itself still
    counts as done. ``counts`` has ``new`` (workouts synced) and the export statuses.
    Problems in the workouts themselves are notified by the ``notify`` plugin from the
    ``export_finished`` hook; the watcher notifies only run-level problems.
    """

    ok: bool = True
    counts: Mapping[str, int] = field(default_factory=dict)
    message: str = ""


Cycle = Callable[[], CycleResult]
ProblemSink = Callable[[Mapping[str, str]], object]


def classify_failure(exc: BaseException, failures: int) -> dict[str, str]:
    """The problems (key to message) that a failed run shows the user, if any.

    A needed login or a configuration error is reported at once; Peloton failing is
    reported only after :data:`DOWN_NOTIFY_AFTER` runs in a row.
    """
    if isinstance(exc, AuthRequired):
        return {"peloton-login": f"Peloton needs you to log in again: {exc}"}
    if isinstance(exc, ConfigError):
        return {"config": f"peloton-export's configuration needs fixing: {exc}"}
    if failures >= DOWN_NOTIFY_AFTER:
        return {"peloton-down": f"{failures} runs in a row failed: {exc}"}
    return {}


class _Signals:
    """SIGTERM/SIGINT handling: ask to stop, and abandon a run that does not end in time."""

    def __init__(self, stop: threading.Event, grace: float) -> None:
        self.stop = stop
        self.grace = grace
        self.in_run = False
        self._old: dict[int, object] = {}

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        first = not self.stop.is_set()
        self.stop.set()
        name = signal.Signals(signum).name
        if not self.in_run:
            log.info("%s received; stopping", name)
            return
        if first and self.grace > 0 and hasattr(signal, "setitimer"):
            log.info("%s received; stopping once this run ends (at most %g s)", name, self.grace)
            signal.setitimer(signal.ITIMER_REAL, self.grace)
            return
        raise WatchStopped(name)

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        if self.in_run:
            raise WatchStopped("grace period over")

    @contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # signals can only be handled in the main thread
            return
        for wanted in (signal.SIGTERM, signal.SIGINT):
            self._old[wanted] = signal.signal(wanted, self._on_stop)
        if hasattr(signal, "SIGALRM"):
            self._old[signal.SIGALRM] = signal.signal(signal.SIGALRM, self._on_alarm)
        try:
            yield
        finally:
            self.disarm()
            for signum, old in self._old.items():
                signal.signal(signum, old)  # type: ignore[arg-type]

    def disarm(self) -> None:
        if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
            signal.setitimer(signal.ITIMER_REAL, 0)


class Watcher:
    """Runs ``cycle`` on a :class:`Schedule` until stopped (or once).

    :param cycle: does one run; raises ``PelotonExportError`` when it cannot be done.
    :param state_dir: where the lock (``watch.lock``) and the status file live.
    :param cooldown_until: the end of the login cooldown (Unix seconds) or ``None``.
    :param on_problems: told after every run which problems need the user now (an empty
        mapping when none): the notifier.
    :param clock: wall-clock seconds; :param rng: the jitter's random source;
    :param stop: set it (or send SIGTERM/SIGINT) to stop;
    :param sleep: ``sleep(seconds) -> stopped``: waits between runs (default ``stop.wait``).
    """

    def __init__(
        self,
        cycle: Cycle,
        *,
        schedule: Schedule,
        state_dir: Path,
        cooldown_until: Callable[[], float | None] = lambda: None,
        on_problems: ProblemSink | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        stop: threading.Event | None = None,
        sleep: Callable[[float], bool] | None = None,
        grace: float = STOP_GRACE,
    ) -> None:
        self.cycle = cycle
        self.schedule = schedule
        self.state_dir = Path(state_dir)
        self.cooldown_until = cooldown_until
        self.on_problems = on_problems
        self.clock = clock
        self.rng = rng or random.Random()
        self.stop = stop or threading.Event()
        self.sleep = sleep or self.stop.wait
        self.signals = _Signals(self.stop, grace)
        self.status = WatchStatus(pid=os.getpid(), interval=schedule.interval)
        self.runs = 0

    def run(self, *, once: bool = False, now: bool = False) -> int:
        """Watch until stopped; with ``once`` do one run and return.

        Without ``now`` (and without ``once``) a run is not started before the time the
        status file says the next run is due, so restarting the watcher (a container
        restart) never polls Peloton more often than the schedule.

        :returns: with ``once``, 0 when the run was done, 1 when it failed or some workouts
            failed, 130 when it was abandoned on SIGTERM/SIGINT; without, 0 after a clean stop.
        :raises RunInProgress: when another watcher holds the lock.
        """
        with self.signals.installed(), run_lock(self.state_dir, name=LOCK_NAME):
            previous = read_status(self.state_dir)
            if previous is not None:
                self.status = self.status.but(
                    failures=previous.failures,
                    last_ok_at=previous.last_ok_at,
                    started_at=previous.started_at,
                    finished_at=previous.finished_at,
                    outcome=previous.outcome,
                    message=previous.message,
                    counts=previous.counts,
                )
            due = self.clock()
            if previous is not None and previous.next_run_at and not (once or now):
                due = max(due, previous.next_run_at)
            exit_code = EXIT_OK
            while True:
                if self._wait_until(due):
                    break
                exit_code, due = self._one_run()
                if once:
                    break
                if self.stop.is_set():
                    exit_code = EXIT_OK  # a clean stop of a watcher
                    break
            state = "stopped"
            next_run = None if (once or self.stop.is_set()) else due
            self._save(self.status.but(state=state, next_run_at=next_run))
            return exit_code

    def _wait_until(self, due: float) -> bool:
        """Sleep until ``due``; True when a stop was asked for meanwhile."""
        if self.stop.is_set():
            return True
        remaining = due - self.clock()
        if remaining > 0:
            self._save(self.status.but(state="waiting", next_run_at=due))
            log.info("next run at %s", _iso(due))
        while remaining > 0:
            if self.sleep(min(remaining, 60.0)):
                return True
            remaining = due - self.clock()
        return self.stop.is_set()

    def _one_run(self) -> tuple[int, float]:
        """Do one run; returns its exit code and when the next one is due."""
        started = self.clock()
        self.runs += 1
        self._save(self.status.but(state="running", started_at=started, next_run_at=None))
        log.info("run %d started", self.runs)
        problems: dict[str, str] | None = {}
        counts: dict[str, int] = {}
        failures = self.status.failures
        exit_code = EXIT_OK
        cooldown: float | None = None
        try:
            self.signals.in_run = True
            try:
                result = self.cycle()
            finally:
                self.signals.in_run = False
                self.signals.disarm()
        except WatchStopped:
            outcome, message = "stopped", "stopped during the run; the next run resumes"
            exit_code = EXIT_STOPPED
            problems = None  # nothing learned: leave the problems as they were
        except RunInProgress as exc:
            outcome, message = "busy", str(exc)
            problems = None
        except PelotonExportError as exc:
            failures += 1
            outcome, message = "failed", str(exc)
            exit_code = EXIT_FAILURES
            problems = classify_failure(exc, failures)
            if isinstance(exc, AuthRequired):
                cooldown = self.cooldown_until()
        except Exception as exc:  # a bug: keep watching, say what it was in one line
            failures += 1
            outcome, message = "failed", f"unexpected {type(exc).__name__}: {exc}"
            exit_code = EXIT_FAILURES
            log.debug("unexpected error in a run", exc_info=True)
            problems = classify_failure(exc, failures)
        else:
            failures = 0
            outcome = "ok" if result.ok else "partial"
            message, counts = result.message, dict(result.counts)
            exit_code = EXIT_OK if result.ok else EXIT_FAILURES
            problems = {}
        finished = self.clock()
        delay = self.schedule.delay(failures, self.rng)
        due = finished + delay
        if cooldown is not None and cooldown > due:
            due = cooldown
            log.info("the Peloton login cooldown lasts until %s; no run before then", _iso(cooldown))
        last_ok = self.status.last_ok_at if outcome in ("failed", "stopped", "busy") else finished
        self.status = self.status.but(
            state="waiting",
            started_at=started,
            finished_at=finished,
            outcome=outcome,
            message=message,
            counts=counts,
            failures=failures,
            last_ok_at=last_ok,
            next_run_at=due,
        )
        self._save(self.status)
        level = logging.WARNING if outcome in ("failed", "partial", "busy") else logging.INFO
        log.log(level, "run %d %s in %.1f s: %s", self.runs, outcome, finished - started, message)
        if problems is not None and self.on_problems is not None:
            try:
                self.on_problems(problems)
            except Exception as exc:  # a notification failing never stops the watcher
                log.warning("could not send notifications: %s: %s", type(exc).__name__, exc)
        return exit_code, due

    def _save(self, status: WatchStatus) -> None:
        self.status = status
        try:
            write_status(self.state_dir, status)
        except OSError as exc:
            log.warning("cannot write the watch status file: %s", exc.strerror or exc)


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
