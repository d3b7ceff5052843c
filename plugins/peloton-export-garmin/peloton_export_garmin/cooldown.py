"""A login cooldown that survives restarts.

Garmin's sign-in sits behind Cloudflare, which answers repeated sign-ins with 429s and can
lock an account for hours. After each failed login we store the time before which no
login may be tried again: 15 minutes after the first failure, doubling with each further
failure up to a day, and at least an hour after a 429. A successful login clears it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from peloton_export.atomic import write_bytes_atomic
from peloton_export.errors import AuthRequired
from peloton_export.uploads import Clock

FIRST = 15 * 60.0
LONGEST = 24 * 3600.0
AFTER_429 = 3600.0


class LoginCooldown:
    """The cooldown state in ``path`` (JSON: ``failures``, ``not_before``, ``reason``)."""

    def __init__(self, path: Path, clock: Clock | None = None) -> None:
        self.path = Path(path)
        self.clock = clock or Clock()

    def _read(self) -> dict[str, object]:
        try:
            data = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError, OSError):
            return {}
        return data if isinstance(data, dict) else {}

    def remaining(self) -> float:
        """Seconds until a login may be tried (0 when it may be now)."""
        not_before = self._read().get("not_before")
        if not isinstance(not_before, int | float):
            return 0.0
        return max(0.0, float(not_before) - self.clock.time())

    def check(self) -> None:
        """Raise :class:`AuthRequired` while the cooldown runs."""
        wait = self.remaining()
        if wait > 0:
            state = self._read()
            until = datetime.fromtimestamp(self.clock.time() + wait, UTC).strftime("%Y-%m-%d %H:%M UTC")
            reason = f" ({state['reason']})" if state.get("reason") else ""
            raise AuthRequired(
                f"Garmin login paused until {until} after {state.get('failures', 1)} failed "
                f"attempt(s){reason}, to avoid a lock-out "
                "(`peloton-export garmin login --ignore-cooldown` overrides it)"
            )

    def failed(self, reason: str, *, rate_limited: bool = False) -> float:
        """Record a failed login; returns the cooldown in seconds."""
        failures = int(str(self._read().get("failures", 0))) + 1
        wait: float = min(LONGEST, FIRST * 2.0 ** (failures - 1))
        if rate_limited:
            wait = max(wait, AFTER_429)
        state = {"failures": failures, "not_before": self.clock.time() + wait, "reason": reason[:120]}
        write_bytes_atomic(self.path, json.dumps(state).encode(), mode=0o600)
        return wait

    def succeeded(self) -> None:
        """Clear the cooldown."""
        self.path.unlink(missing_ok=True)
