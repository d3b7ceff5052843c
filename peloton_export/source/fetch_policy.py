"""The retry bound for workouts that fail to fetch (the ledger's ``fetch_failures``).

A workout whose detail or performance graph could not be fetched is recorded with its
one-line reason. The next run retries it at once (most failures are a passing blip);
after the second failure it waits :data:`RETRY_AFTER` ``[1]`` seconds (6 hours); after
:data:`MAX_FETCH_ATTEMPTS` failures (3) it is *settled* as "unavailable at Peloton" and
normal runs no longer fetch it. ``peloton-export --workout ID`` and
``peloton-export ledger retry`` fetch it again; a successful fetch clears the record.

:data:`clock` is the time source (epoch seconds) the sync reads: tests replace it instead
of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from peloton_export.store.ledger import FetchFailure, Ledger

#: Seconds to wait before the next attempt, after the 1st, 2nd, ... failure.
RETRY_AFTER: tuple[int, ...] = (0, 6 * 3600)
#: Failed attempts after which a workout is settled as unavailable at Peloton.
MAX_FETCH_ATTEMPTS = len(RETRY_AFTER) + 1

#: The time source of the sync (epoch seconds); replaceable in tests.
clock: Callable[[], float] = time.time


def settled(record: FetchFailure) -> bool:
    """True when ``record`` reached the bound: normal runs no longer fetch the workout."""
    return record.attempts >= MAX_FETCH_ATTEMPTS


def next_retry(record: FetchFailure) -> int | None:
    """Epoch seconds from which a normal run fetches the workout again (``None`` once settled)."""
    if settled(record):
        return None
    return record.last_failed + RETRY_AFTER[max(record.attempts, 1) - 1]


def due(record: FetchFailure, now: float) -> bool:
    """True when a normal run at ``now`` (epoch seconds) should fetch the workout again."""
    retry = next_retry(record)
    return retry is not None and now >= retry


@dataclass
class FailureBook:
    """The failure records of one sync: read once, updated as workouts fail or succeed.

    Without a ledger it remembers nothing (every workout is fetched, as before).
    """

    ledger: Ledger | None
    now: float
    records: dict[str, FetchFailure] = field(default_factory=dict)

    @classmethod
    def load(cls, ledger: Ledger | None, now: float | None = None) -> FailureBook:
        """The records in ``ledger`` at ``now`` (default :data:`clock`)."""
        when = clock() if now is None else now
        return cls(ledger, when, ledger.fetch_failures() if ledger is not None else {})

    def waiting(self, workout_id: str) -> FetchFailure | None:
        """The record of a workout a normal run must leave alone now (settled, or its next
        retry not reached), else ``None``."""
        record = self.records.get(workout_id)
        if record is None or due(record, self.now):
            return None
        return record

    def any_due(self) -> bool:
        """True when some recorded workout is due for a retry now."""
        return any(due(r, self.now) for r in self.records.values())

    def failed(self, workout_id: str, reason: str, *, archived: bool = False) -> FetchFailure | None:
        """Count a failed fetch; the updated record (``None`` without a ledger)."""
        if self.ledger is None:
            return None
        record = self.ledger.record_fetch_failure(workout_id, reason, now=self.now, archived=archived)
        self.records[workout_id] = record
        return record

    def forget_unlisted(self, listed: set[str]) -> list[str]:
        """After a walk of the whole list: clear the records due now whose workouts were not
        listed (deleted at Peloton), so they never make a run walk the list again. Returns
        the ids cleared."""
        gone = [w for w, r in self.records.items() if w not in listed and due(r, self.now)]
        for workout_id in gone:
            self.succeeded(workout_id)
        return gone

    def succeeded(self, workout_id: str) -> None:
        """Clear the record of a workout fetched whole."""
        if self.ledger is not None and self.records.pop(workout_id, None) is not None:
            self.ledger.clear_fetch_failure(workout_id)


def describe(record: FetchFailure) -> str:
    """``attempt n of N`` and what happens next, for the run summary and ``status``."""
    from datetime import UTC, datetime

    head = f"attempt {record.attempts} of {MAX_FETCH_ATTEMPTS}"
    retry = next_retry(record)
    if retry is None:
        return (
            f"{head}; settled as unavailable at Peloton (`peloton-export ledger retry {record.workout_id}`)"
        )
    if retry <= record.last_failed:
        return f"{head}; retried on the next run"
    when = datetime.fromtimestamp(retry, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{head}; retried from {when}"
