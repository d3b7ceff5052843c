"""The saved login (token cache) and the persisted login cooldown.

The token cache is ``<config dir>/token.json`` written with mode ``0600`` (the only file
that ever holds a secret), or the system keyring (service ``peloton-export``) when the
``keyring`` package is installed and has a usable backend. The cooldown is
``<state dir>/login-cooldown.json`` and holds no secret.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from peloton_export.errors import UploadError
from peloton_export.net.cooldown import CooldownState as CooldownState  # re-exported
from peloton_export.net.cooldown import LoginCooldown
from peloton_export.net.tokens import KEYRING_SERVICE as KEYRING_SERVICE  # re-exported
from peloton_export.net.tokens import TokenStore as SecretStore
from peloton_export.readback import Fields, StateFileError, load_state, warn_once

log = logging.getLogger("peloton_export.client")

KEYRING_USER = "peloton-token"
EXPIRY_SKEW = 120.0
DEFAULT_TTL = 172800.0
#: What to do about an unusable saved login.
LOGIN_FIX = "log in again (peloton-export login)"


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
    def from_json(cls, data: bytes | str, path: Path | str = "token.json") -> Token | None:
        """Parse a cache file; ``None`` when it cannot be used, with one warning naming
        ``path``, what was wrong and that the fix is to log in again (any bad field refuses
        the whole login: a wrong expiry must not keep a dead token)."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        try:
            return load_state(
                Path(path), _parse_token, what="saved Peloton login", strict=True, fix=LOGIN_FIX, data=raw
            )
        except StateFileError as exc:
            warn_once(f"ignoring the saved Peloton login {exc}")
            return None


def _parse_token(fields: Fields) -> Token:
    def text(key: str) -> str | None:
        return fields.text(key, None, max_len=16_384) or None

    return Token(
        access_token=text("access_token"),
        refresh_token=text("refresh_token"),
        session_id=text("session_id"),
        expires_at=fields.timestamp("expires_at"),
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
    except (ValueError, UnicodeEncodeError, RecursionError):  # RecursionError: nested too deep
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
    if isinstance(exp, int | float) and not isinstance(exp, bool) and 0 < exp < 253_402_300_799:
        return float(exp)
    return now + DEFAULT_TTL


class TokenStore:
    """Load, save and delete the saved Peloton login (file with mode 0600, or the keyring).

    A :class:`Token` over the sink toolkit's :class:`peloton_export.sinkkit.TokenStore`
    (keyring entry ``peloton-export`` / ``peloton-token``).
    """

    def __init__(
        self, path: Path, *, keyring: ModuleType | Any | None = None, use_keyring: bool = True
    ) -> None:
        self.store = SecretStore(path, keyring_name=KEYRING_USER if use_keyring else None, keyring=keyring)

    @property
    def path(self) -> Path:
        """The token file."""
        return self.store.path

    def load(self) -> Token | None:
        """The saved login, or ``None`` (also when it cannot be read)."""
        try:
            text = self.store.load_text()
        except UploadError as exc:
            warn_once(f"ignoring the saved Peloton login: {exc} (peloton-export login)")
            return None
        return Token.from_json(text, self.path) if text is not None else None

    def save(self, token: Token) -> str:
        """Save the login; returns where (``keyring`` or the file path)."""
        return self.store.save_text(token.to_json().decode("utf-8"))

    def delete(self) -> bool:
        """Forget the saved login; True if there was one."""
        return self.store.clear()


#: The persisted login cooldown (10 min, doubling, up to 12 h): the sink toolkit's.
Cooldown = LoginCooldown
