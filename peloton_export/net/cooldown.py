"""One persisted login cooldown, for the Peloton login and every sink's sign-in.

After a failed login no new login is tried before ``base * 2 ** (failures - 1)`` seconds
(capped at ``cap``; at least ``after_rate_limit`` when the service said "too many
requests") have passed. The state is a small JSON file (no secret, mode 0600), so separate
runs (cron) honour it; a successful login clears it.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from peloton_export.readback import Fields, load_state
from peloton_export.store.atomic import write_bytes_atomic

#: The most failures counted (the cooldown is at its cap long before).
MAX_FAILURES = 1000

__all__ = ["CooldownState", "LoginCooldown"]


@dataclass(frozen=True, slots=True)
class CooldownState:
    """A persisted cooldown: no login before ``until`` (epoch s), after ``failures`` failures."""

    until: float
    failures: int
    reason: str

    def remaining(self, now: float) -> float:
        """Seconds left at ``now`` (0 when over)."""
        return max(0.0, self.until - now)


class LoginCooldown:
    """The cooldown kept in ``path``.

    :param now: wall-clock time in epoch seconds.
    :param base: the first cooldown, seconds; it doubles with each further failure.
    :param cap: the longest cooldown, seconds.
    :param after_rate_limit: the shortest cooldown after a "too many requests", seconds.
    """

    def __init__(
        self,
        path: Path,
        *,
        now: Callable[[], float] = time.time,
        base: float = 600.0,
        cap: float = 43200.0,
        after_rate_limit: float = 0.0,
    ) -> None:
        self.path = Path(path)
        self.now = now
        self.base = base
        self.cap = cap
        self.after_rate_limit = after_rate_limit

    def state(self) -> CooldownState | None:
        """The recorded cooldown (possibly already over), or ``None``.

        A file that cannot be used (not a regular file, too large, not JSON, an ``until``
        out of the platform's time range, ``failures`` not a whole number ``0..1000``) is one
        warning naming it, and no cooldown (:mod:`peloton_export.readback`).
        """
        return load_state(self.path, _parse_cooldown, what="login cooldown file", limit=64 * 1024)

    def active(self) -> CooldownState | None:
        """The cooldown if it is still running."""
        state = self.state()
        return state if state is not None and state.until > self.now() else None

    def remaining(self) -> float:
        """Seconds until a login may be tried (0 when it may be now)."""
        state = self.state()
        return state.remaining(self.now()) if state else 0.0

    def fail(self, reason: str, *, rate_limited: bool = False) -> CooldownState:
        """Record a failed login and start (or lengthen) the cooldown."""
        previous = self.state()
        failures = min((previous.failures if previous else 0) + 1, MAX_FAILURES)
        delay = min(self.cap, self.base * 2.0 ** min(failures - 1, 64))
        if rate_limited:
            delay = max(delay, self.after_rate_limit)
        state = CooldownState(self.now() + delay, failures, reason[:120])
        write_bytes_atomic(self.path, json.dumps(asdict(state)).encode("utf-8"), mode=0o600)
        return state

    def clear(self) -> None:
        """Forget the cooldown (after a successful login)."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _parse_cooldown(fields: Fields) -> CooldownState | None:
    key = "until" if "until" in fields.obj else "not_before"  # older Garmin files
    until = fields.timestamp(key)
    failures = fields.count("failures", -1, high=MAX_FAILURES)
    reason = fields.text("reason", "", max_len=1000) or ""
    if until is None or failures < 0:
        if not fields.problems:
            fields.problems.append(f"{key} or failures is missing")
        return None
    return CooldownState(until, failures, reason)
