"""Who may use ``peloton-export serve``: the bind rule, the password file, sessions, rate limits.

* :func:`is_loopback` / :func:`check_bind`: a server bound beyond loopback (``--host
  0.0.0.0``, a LAN address) needs a password; without one it refuses to start.
* The password is kept as a scrypt hash (:func:`hash_password`, standard library
  ``hashlib.scrypt``, n=2**14, r=8, p=1, 16-byte salt) in ``<config dir>/serve-password``
  (mode 0600; :func:`password_file`), written by ``peloton-export serve --set-password``.
  The password itself is never stored, logged or shown.
* :class:`Sessions`: random session ids (32 bytes, URL-safe) held in memory for
  :data:`SESSION_SECONDS`, so a restart logs everyone out.
* :class:`Throttle`: at most :data:`MAX_FAILURES` failed logins per client address in
  :data:`WINDOW_SECONDS` (and ``4 x`` that for all clients together), then ``429``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from collections import deque
from pathlib import Path

from peloton_export.errors import ConfigError

PASSWORD_FILE = "serve-password"
#: scrypt parameters (RFC 7914): 16 MiB of memory per check, about 50 ms on this machine.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SESSION_SECONDS = 12 * 3600
MAX_FAILURES = 5
WINDOW_SECONDS = 60.0
#: The shortest password ``--set-password`` takes.
MIN_PASSWORD = 10


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and the loopback addresses (``127.0.0.0/8``, ``::1``)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_bind(host: str, password_hash: str | None) -> None:
    """Refuse to listen beyond loopback without a password.

    :raises ConfigError: one line saying why and what to do.
    """
    if not is_loopback(host) and not password_hash:
        raise ConfigError(
            f"serve --host {host} would let anyone on the network use your Peloton and sink "
            "accounts: set a password first (peloton-export serve --set-password), or keep "
            "the default 127.0.0.1"
        )


def password_file(config_dir: Path) -> Path:
    """``<config dir>/serve-password``."""
    return Path(config_dir) / PASSWORD_FILE


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>`` of ``password``."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored`` (a :func:`hash_password` string); a
    malformed ``stored`` matches nothing. Constant-time comparison."""
    try:
        kind, n, r, p, salt, digest = stored.strip().split("$")
        if kind != "scrypt":
            return False
        n_i, r_i, p_i = int(n), int(r), int(p)
        if not (2**10 <= n_i <= 2**20 and 1 <= r_i <= 32 and 1 <= p_i <= 16):
            return False
        found = hashlib.scrypt(
            password.encode("utf-8"), salt=bytes.fromhex(salt), n=n_i, r=r_i, p=p_i, maxmem=2**30
        )
        return hmac.compare_digest(found, bytes.fromhex(digest))
    except (ValueError, MemoryError):
        return False


def save_password(config_dir: Path, password: str) -> Path:
    """Store the hash of ``password`` in :func:`password_file` (mode 0600, replaced atomically).

    :raises ConfigError: a password shorter than :data:`MIN_PASSWORD` characters.
    """
    from peloton_export.store.atomic import write_bytes_atomic

    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"the serve password needs at least {MIN_PASSWORD} characters")
    path = password_file(config_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, (hash_password(password) + "\n").encode(), mode=0o600)
    return path


def load_password_hash(config_dir: Path) -> str | None:
    """The stored hash, or ``None`` when no password was set (or the file is unreadable)."""
    from peloton_export.store.archive import ArchiveError, read_file

    try:
        text = read_file(password_file(config_dir), limit=4096).decode("ascii").strip()
    except (FileNotFoundError, ArchiveError, UnicodeDecodeError):
        return None
    return text or None


class Sessions:
    """Logged-in browsers: session id -> expiry (epoch seconds), in memory."""

    def __init__(self, lifetime: float = SESSION_SECONDS) -> None:
        self.lifetime = lifetime
        self._ids: dict[str, float] = {}
        self._lock = threading.Lock()

    def new(self) -> str:
        """A new session id, valid for ``lifetime`` seconds."""
        sid = secrets.token_urlsafe(32)
        with self._lock:
            now = time.time()
            self._ids = {k: v for k, v in self._ids.items() if v > now}
            self._ids[sid] = now + self.lifetime
        return sid

    def valid(self, sid: str | None) -> bool:
        """True for a known, unexpired session id."""
        if not sid:
            return False
        with self._lock:
            expiry = self._ids.get(sid)
            return expiry is not None and expiry > time.time()

    def end(self, sid: str | None) -> None:
        """Forget a session (log out)."""
        with self._lock:
            self._ids.pop(sid or "", None)


class Throttle:
    """Failed logins per client address in a sliding window (see the module documentation)."""

    def __init__(self, limit: int = MAX_FAILURES, window: float = WINDOW_SECONDS) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()
        self._lock = threading.Lock()

    def _trim(self, times: deque[float], now: float) -> None:
        while times and times[0] <= now - self.window:
            times.popleft()

    def blocked(self, client: str, now: float | None = None) -> bool:
        """True while ``client`` (or everyone together) failed too often."""
        now = time.monotonic() if now is None else now
        with self._lock:
            mine = self._failures.get(client, deque())
            self._trim(mine, now)
            self._trim(self._all, now)
            return len(mine) >= self.limit or len(self._all) >= 4 * self.limit

    def failed(self, client: str, now: float | None = None) -> None:
        """Count one failed login of ``client``."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._failures.setdefault(client, deque()).append(now)
            self._all.append(now)
            if len(self._failures) > 10_000:  # a flood of addresses: keep memory bounded
                self._failures = {client: self._failures[client]}


def random_token() -> str:
    """32 random bytes, URL-safe (CSRF tokens)."""
    return secrets.token_urlsafe(32)


def same_token(given: str | None, expected: str | None) -> bool:
    """Constant-time equality of two tokens; ``False`` when either is missing."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


__all__ = [
    "MIN_PASSWORD",
    "PASSWORD_FILE",
    "Sessions",
    "Throttle",
    "check_bind",
    "hash_password",
    "is_loopback",
    "load_password_hash",
    "password_file",
    "random_token",
    "same_token",
    "save_password",
    "verify_password",
]
