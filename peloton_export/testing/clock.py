"""A clock for tests whose time moves only when something sleeps."""

from __future__ import annotations

from datetime import UTC, datetime

#: Where a :class:`FakeClock` starts unless told otherwise (a fixed, ordinary weekday morning).
DEFAULT_START = datetime(2026, 11, 23, 10, 5, tzinfo=UTC).timestamp()


class FakeClock:
    """``time()`` and ``sleep()`` for code that takes an injectable clock.

    Sleeping advances the time at once and is recorded in ``sleeps``, so a test of
    rate-limit waits or retry backoff never waits for real and can assert on the delays.
    """

    def __init__(self, start: float = DEFAULT_START) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def time(self) -> float:
        """The current fake time, in seconds since the epoch."""
        return self.now

    def sleep(self, seconds: float) -> None:
        """Record the sleep and move time forward by it."""
        self.sleeps.append(seconds)
        self.now += seconds
