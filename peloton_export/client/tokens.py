"""The saved login (token cache) and the persisted login cooldown.

The token cache is ``<config dir>/token.json`` written with mode ``0600`` (the only file
that ever holds a secret), or the system keyring (service ``peloton-export``) when the
``keyring`` package is installed and has a usable backend. The cooldown is
``<state dir>/login-cooldown.json`` and holds no secret.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from peloton_export.atomic import write_bytes_atomic

log = logging.getLogger("peloton_export.client")

KEYRING_SERVICE = "peloton-export"
KEYRING_USER = "peloton-token"
EXPIRY_SKEW = 120.0
DEFAULT_TTL = 172800.0


@dataclass(frozen=True, slots=True)
class Token:
    """A saved Peloton login. Its ``repr`` never shows a secret."""

    access_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    session_id: str | None = field(default=None, repr=False)
    expires_at: float | None = None
    user_id: str | None = None
    source: str = "pkce"

    def expired(self, now: float) -> bool:
        """True when the access token (or session) is past its expiry, with a margin."""
        if self.access_token is None and self.session_id is None:
            return True
        return self.expires_at is not None and now >= self.expires_at - EXPIRY_SKEW

    def with_user(self, user_id: str) -> Token:
        """A copy with ``user_id`` set."""
        return replace(self, user_id=user_id)

    def to_json(self) -> bytes:
        """The cache file's content."""
        return json.dumps({"format": 1, **asdict(self)}, indent=1).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes | str) -> Token | None:
        """Parse a cache file (``None`` when it is unreadable)."""
        try:
            obj = json.loads(data)
        except ValueError:
            return None
        if not isinstance(obj, dict):
            return None

        def text(key: str) -> str | None:
            value = obj.get(key)
            return value if isinstance(value, str) and value else None

        expires = obj.get("expires_at")
        return cls(
            access_token=text("access_token"),
            refresh_token=text("refresh_token"),
            session_id=text("session_id"),
            expires_at=float(expires) if isinstance(expires, int | float) else None,
            user_id=text("user_id"),
            source=text("source") or "pkce",
        )


def jwt_claims(token: str) -> dict[str, Any]:
    """The (unverified) claims of a JWT, or ``{}`` when it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, UnicodeEncodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def looks_like_jwt(token: str) -> bool:
    """True for a token with three base64url parts and JSON claims."""
    return bool(jwt_claims(token))


def access_expiry(token: str, now: float, expires_in: float | None = None) -> float:
    """When an access token expires: ``expires_in`` seconds, else its ``exp``, else 48 h."""
    if expires_in is not None:
        return now + float(expires_in)
    exp = jwt_claims(token).get("exp")
    if isinstance(exp, int | float):
        return float(exp)
    return now + DEFAULT_TTL


def _load_keyring() -> ModuleType | None:
    try:
        return importlib.import_module("keyring")
    except ImportError:
        return None


class TokenStore:
    """Load, save and delete the saved login (file with mode 0600, or the keyring)."""

    def __init__(
        self, path: Path, *, keyring: ModuleType | Any | None = None, use_keyring: bool = True
    ) -> None:
        self.path = Path(path)
        self.keyring = (keyring if keyring is not None else _load_keyring()) if use_keyring else None

    def _keyring_get(self) -> str | None:
        if self.keyring is None:
            return None
        try:
            value = self.keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
        except Exception as exc:  # any backend failure: fall back to the file
            log.debug("keyring unavailable (%s); using the token file", type(exc).__name__)
            self.keyring = None
            return None
        return value if isinstance(value, str) else None

    def load(self) -> Token | None:
        """The saved login, or ``None``."""
        value = self._keyring_get()
        if value is not None:
            return Token.from_json(value)
        try:
            data = self.path.read_bytes()
        except (FileNotFoundError, PermissionError):
            return None
        return Token.from_json(data)

    def save(self, token: Token) -> str:
        """Save the login; returns where (``keyring`` or the file path)."""
        data = token.to_json()
        if self.keyring is not None:
            try:
                self.keyring.set_password(KEYRING_SERVICE, KEYRING_USER, data.decode("utf-8"))
            except Exception as exc:  # any backend failure: fall back to the file
                log.debug("keyring unavailable (%s); using the token file", type(exc).__name__)
                self.keyring = None
            else:
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
                return "keyring"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            os.chmod(self.path.parent, 0o700)
        write_bytes_atomic(self.path, data, mode=0o600)
        return str(self.path)

    def delete(self) -> bool:
        """Forget the saved login; True if there was one."""
        found = False
        if self.keyring is not None:
            try:
                if self.keyring.get_password(KEYRING_SERVICE, KEYRING_USER) is not None:
                    self.keyring.delete_password(KEYRING_SERVICE, KEYRING_USER)
                    found = True
            except Exception as exc:  # any backend failure: the file is still removed
                log.debug("keyring unavailable (%s)", type(exc).__name__)
        try:
            self.path.unlink()
            found = True
        except FileNotFoundError:
            pass
        return found


@dataclass(frozen=True, slots=True)
class CooldownState:
    """A persisted login cooldown."""

    until: float
    failures: int
    reason: str


class Cooldown:
    """After a failed login, no new login is tried before a growing delay has passed.

    The delay is ``base * 2 ** (failures - 1)`` capped at ``cap`` (10 min, 20 min, 40 min ... 12 h),
    kept in a file so separate runs (cron) honour it. A successful login clears it.
    """

    def __init__(
        self, path: Path, *, now: Callable[[], float] = time.time, base: float = 600.0, cap: float = 43200.0
    ) -> None:
        self.path = Path(path)
        self.now = now
        self.base = base
        self.cap = cap

    def state(self) -> CooldownState | None:
        """The current cooldown (possibly already over), or ``None``."""
        try:
            obj = json.loads(self.path.read_bytes())
            return CooldownState(float(obj["until"]), int(obj["failures"]), str(obj.get("reason", "")))
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None

    def active(self) -> CooldownState | None:
        """The cooldown if it is still running."""
        state = self.state()
        return state if state is not None and state.until > self.now() else None

    def fail(self, reason: str) -> CooldownState:
        """Record a failed login and start (or lengthen) the cooldown."""
        previous = self.state()
        failures = (previous.failures if previous else 0) + 1
        delay = min(self.cap, self.base * 2 ** (failures - 1))
        state = CooldownState(self.now() + delay, failures, reason)
        write_bytes_atomic(self.path, json.dumps(asdict(state)).encode("utf-8"))
        return state

    def clear(self) -> None:
        """Forget the cooldown (after a successful login)."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
