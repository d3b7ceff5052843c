"""Strava's rate limits, read from its response headers and honoured by waiting.

Strava answers every API call with ``X-RateLimit-Limit`` / ``X-RateLimit-Usage`` (all
requests) and ``X-ReadRateLimit-Limit`` / ``X-ReadRateLimit-Usage`` (non-upload requests),
each ``"<15-minute>,<daily>"``, e.g. ``200,2000`` and ``12,340``. The 15-minute windows
reset at :00, :15, :30 and :45 and the daily window at midnight UTC, so the wait is until
the next such boundary, never a sliding interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from peloton_export.sinkkit import parse_retry_after

if TYPE_CHECKING:
    from requests import Response


Kind = Literal["upload", "read"]
QUARTER = 900


def next_quarter_hour(now: float) -> float:
    """The next :00/:15/:30/:45 boundary strictly after ``now`` (epoch seconds)."""
    return (now // QUARTER + 1) * QUARTER


def next_utc_midnight(now: float) -> float:
    """The next midnight UTC strictly after ``now``."""
    day = datetime.fromtimestamp(now, UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def _pair(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    parts = [p.strip() for p in value.split(",")]
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:2]):
        return None
    return int(parts[0]), int(parts[1])


@dataclass(slots=True)
class Window:
    """Usage and limit of one header pair as last seen, and when."""

    limit: tuple[int, int]
    usage: tuple[int, int]
    seen_at: float

    def wait(self, now: float) -> float:
        """Seconds to wait before one more request is allowed (0 when it is)."""
        same_quarter = now < next_quarter_hour(self.seen_at)
        same_day = now < next_utc_midnight(self.seen_at)
        if same_day and self.usage[1] >= self.limit[1]:
            return next_utc_midnight(now) - now
        if same_quarter and self.usage[0] >= self.limit[0]:
            return next_quarter_hour(now) - now
        return 0.0


@dataclass(slots=True)
class RateLimits:
    """What the last response told us about both limits."""

    overall: Window | None = None
    read: Window | None = None

    def note(self, response: Response, now: float) -> None:
        """Remember the limits and usage a response reports (missing headers change nothing)."""
        headers = response.headers
        for prefix, attr in (("X-RateLimit", "overall"), ("X-ReadRateLimit", "read")):
            limit, usage = _pair(headers.get(f"{prefix}-Limit")), _pair(headers.get(f"{prefix}-Usage"))
            if limit and usage:
                setattr(self, attr, Window(limit, usage, now))

    def wait_before(self, kind: Kind, now: float) -> float:
        """Seconds to wait before sending a request of ``kind``; uploads skip the read limit."""
        waits = [self.overall.wait(now) if self.overall else 0.0]
        if kind == "read" and self.read:
            waits.append(self.read.wait(now))
        return max(waits)

    def wait_after_429(self, response: Response, kind: Kind, now: float) -> float:
        """How long to wait after a 429: until the window the headers say is full resets.

        When the headers do not show a full window (or are missing), wait for the next
        15-minute boundary, which is when Strava's short window resets. A ``Retry-After``
        (Cloudflare's 429 in front of Strava sends one) is honoured when it is longer.
        """
        self.note(response, now)
        wait = self.wait_before(kind, now)
        wait = wait if wait > 0 else next_quarter_hour(now) - now
        named = parse_retry_after(response.headers.get("Retry-After"), now)
        return wait if named is None else max(wait, named)
