"""The pieces every login strategy shares, and the strategies that need no password.

The errors a login raises (:class:`LoginFailed` and its kinds), Peloton's Auth0 client
values, :class:`Credentials`, the login cooldown gate (:class:`PasswordGate`), Peloton's
token endpoint (:class:`Grants`), what a strategy returns (:class:`Login`) and the
:class:`Strategy` protocol, plus ``cached`` (:class:`CachedLogin`) and ``token``
(:class:`TokenLogin`). The password strategies are :mod:`.password`; the authenticator
that chains them is :mod:`.auth` (its docstring describes the strategies).
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from peloton_export.errors import AuthRequired, PelotonClientError
from peloton_export.source.client.http import HttpClient
from peloton_export.source.client.settings import (
    AUTH_AUDIENCE,
    AUTH_CLIENT_ID,
    AUTH_REDIRECT_URI,
    AUTH_SCOPE,
    AUTH_SETTINGS,
    ClientSettings,
)
from peloton_export.source.client.tokens import Cooldown, Token, TokenStore, access_expiry, looks_like_jwt

if TYPE_CHECKING:
    import requests

log = logging.getLogger("peloton_export.client")

# The defaults of the Auth0 settings (``ClientSettings.auth_*``); kept under their old names.
CLIENT_ID = AUTH_CLIENT_ID
AUDIENCE = AUTH_AUDIENCE
SCOPE = AUTH_SCOPE
REDIRECT_URI = AUTH_REDIRECT_URI
LOGIN_HINT = "run `peloton-export login`"
#: Failed logins a person at a terminal may retry at once before the cooldown holds.
INTERACTIVE_FAILURES = 3


class LoginFailed(AuthRequired, PelotonClientError):
    """A login did not work; the message says what to do.

    Also a :class:`~peloton_export.compat.PelotonClientError` (so a
    :class:`~peloton_export.compat.PelotonException`), which scripts written for
    peloton-client-library catch.
    """


class WrongPassword(LoginFailed):
    """Peloton rejected the username or password."""


class AccountLocked(LoginFailed):
    """Peloton blocked logins for the account."""


class LoginPageChanged(LoginFailed):
    """The hosted login page no longer looks like what the scraper expects."""


class LoginExpired(LoginFailed):
    """The saved refresh token (or pasted token) no longer works."""


class LoginCooldownActive(LoginFailed):
    """A recent login failed; no new login before the cooldown ends."""


class LegacyLoginRetired(LoginFailed):
    """``POST /auth/login`` answered that it no longer accepts requests."""


class AuthValueRefused(LoginFailed):
    """Auth0 refused one of Peloton's Auth0 values (``setting``, e.g. ``auth_client_id``):
    Peloton may have rotated it; the message says which setting to check."""

    def __init__(self, message: str, setting: str) -> None:
        super().__init__(message)
        self.setting = setting


def _auth0_error(answer: requests.Response) -> tuple[str, str]:
    """Auth0's error code and description, from a JSON body or the address's query."""
    data = _json_or_empty(answer)
    code = str(data.get("error") or data.get("code") or "")
    text = str(data.get("error_description") or data.get("description") or "")
    if not code:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(answer.url or "").query)
        code = (query.get("error") or [""])[0]
        text = text or (query.get("error_description") or [""])[0]
    return code, text


def _rotated_setting(code: str, text: str) -> str | None:
    """The Auth0 setting an error (``code``, lower-cased ``text``) points at, or ``None``."""
    if code == "invalid_request" and ("redirect" in text or "callback" in text):
        return "auth_redirect_uri"
    if code == "unauthorized_client" or (code in ("access_denied", "invalid_request") and "client" in text):
        return "auth_client_id"
    if code == "access_denied" and ("service not found" in text or "audience" in text):
        return "auth_audience"
    return "auth_scope" if code == "invalid_scope" else None


def rotated(settings: ClientSettings, answer: requests.Response) -> LoginFailed | None:
    """A login error that looks like Peloton rotated one of its Auth0 values, naming the
    setting to check; ``None`` for any other answer.

    Auth0 answers ``unauthorized_client`` (or ``access_denied`` "Unauthorized client")
    for an unknown client id, ``invalid_request`` naming the redirect/callback URL for one
    not allowed, and ``access_denied`` "Service not found" for an unknown audience.
    """
    code, text = _auth0_error(answer)
    key = _rotated_setting(code, text.lower())
    if key is None:
        return None
    value = settings.auth_values()[key]
    return AuthValueRefused(
        f"Peloton's login refused the {key.removeprefix('auth_').replace('_', ' ')} "
        f"({code}: {text[:120] or 'no reason given'}); Peloton may have changed it: check "
        f"[peloton-export] {key} (or {AUTH_SETTINGS[key]}), now {value!r}, against what "
        "Peloton's web login sends",
        key,
    )


def _clock_text(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M UTC")


def _json_or_empty(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class Credentials:
    """The username and password for password logins (the password never shows in a repr)."""

    __slots__ = ("password", "username")

    def __init__(self, username: str | None = None, password: str | None = None) -> None:
        self.username = username
        self.password = password

    @property
    def complete(self) -> bool:
        """True when a username and a password are known."""
        return bool(self.username and self.password)

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r})"


class PasswordGate:
    """The login cooldown every password login passes (see the module docstring):
    :meth:`check` before trying, :meth:`fail` after a failure, :meth:`passed` after a success."""

    def __init__(self, cooldown: Cooldown) -> None:
        self.cooldown = cooldown
        self._login_tried = False
        #: A person at a terminal typed the password: up to :data:`INTERACTIVE_FAILURES`
        #: failures may be retried at once (unattended runs honour the cooldown).
        self.interactive = False
        #: ``login --ignore-cooldown``: try a login whatever the cooldown says.
        self.ignore_cooldown = False

    def check(self) -> None:
        """Raise :class:`LoginCooldownActive` when a password login would not be tried now."""
        if self._login_tried:
            return  # this run's own failure started it: the next strategy may still try once
        state = self.cooldown.active()
        if state is not None and self.ignore_cooldown:
            log.info("login cooldown ignored on request")
            return
        if state is not None and self.interactive and state.failures < INTERACTIVE_FAILURES:
            log.info("login retried at a terminal (%d failure(s) so far)", state.failures)
            return
        if state is not None:
            raise LoginCooldownActive(
                f"The last Peloton login failed ({state.reason}); to protect your account no new login "
                f"is tried before {_clock_text(state.until)}. "
                f"Fix the cause, then {LOGIN_HINT} after that time "
                "(or now with `peloton-export login --ignore-cooldown`)"
            )

    def fail(self, exc: LoginFailed, reason: str) -> LoginFailed:
        """Start (or lengthen) the cooldown for a failed password login; returns ``exc``."""
        self._login_tried = True
        state = self.cooldown.fail(reason)
        log.info("login failed (%s); cooldown until %s", reason, _clock_text(state.until))
        return exc

    def passed(self) -> None:
        """A password login worked: the cooldown ends."""
        self.cooldown.clear()


class Grants:
    """Peloton's OAuth token endpoint: a token from a grant answer, a refresh, a pasted token.

    ``refreshed`` holds the refresh tokens already spent in this run (a 401 refreshes once).
    """

    def __init__(self, http: HttpClient, now: Callable[[], float]) -> None:
        self.http = http
        self.settings: ClientSettings = http.settings
        self.now = now
        self.refreshed: set[str] = set()

    def from_grant(self, data: dict[str, Any], *, source: str, previous: Token | None = None) -> Token:
        access = data.get("access_token")
        if not isinstance(access, str) or not access:
            raise LoginFailed(f"Peloton's token answer had no access token; {LOGIN_HINT}")
        refresh = data.get("refresh_token")
        if not isinstance(refresh, str):
            refresh = previous.refresh_token if previous else None
        expires_in = data.get("expires_in")
        expires_at = access_expiry(
            access, self.now(), float(expires_in) if isinstance(expires_in, int | float) else None
        )
        return Token(
            access_token=access,
            refresh_token=refresh,
            expires_at=expires_at,
            user_id=previous.user_id if previous else None,
            source=source,
        )

    def refresh(self, token: Token) -> Token:
        """A new access token from the refresh token.

        :raises LoginExpired: when Peloton no longer accepts the refresh token.
        """
        import requests

        if not token.refresh_token:
            raise LoginExpired(f"The saved Peloton login has expired: {LOGIN_HINT}")
        form = {
            "grant_type": "refresh_token",
            "client_id": self.settings.auth_client_id,
            "refresh_token": token.refresh_token,
        }
        url = self.settings.auth_url + "/oauth/token"
        for attempt in range(1, self.settings.max_attempts + 1):
            try:
                response = self.http.send("POST", url, data=form)
            except (requests.ConnectionError, requests.Timeout):
                status = 0
            else:
                status = response.status_code
                if status == 200:
                    return self.from_grant(_json_or_empty(response), source=token.source, previous=token)
                refused = rotated(self.settings, response) if status in (400, 401, 403) else None
                if refused is not None:
                    raise refused
                if status in (400, 401, 403):
                    raise LoginExpired(
                        "The saved Peloton login has expired or was revoked: "
                        f"{LOGIN_HINT} (or `peloton-export login --token TOKEN`)"
                    )
            if attempt < self.settings.max_attempts:
                self.http.sleep(self.http.backoff(attempt))
        raise LoginFailed(f"Peloton's login service is not answering (HTTP {status}); try again later")

    def token_from_text(self, text: str) -> Token:
        """A login from a pasted access token (a JWT) or refresh token."""
        text = text.strip()
        if text.lower().startswith("bearer "):
            text = text[7:].strip()
        if not text:
            raise AuthRequired("The pasted token is empty")
        if looks_like_jwt(text):
            token = Token(access_token=text, expires_at=access_expiry(text, self.now()), source="token")
            if token.expired(self.now()):
                raise LoginExpired(
                    "The pasted access token has already expired: copy a fresh one from the browser"
                )
            return token
        return self.refresh(Token(refresh_token=text, source="token"))


@dataclass(frozen=True, slots=True)
class Login:
    """What a strategy got: the ``token``, whether to ``save`` it in the token store now, and
    whether this run's later renewals of it are saved (``keep_saving``; not for a pasted one)."""

    token: Token
    save: bool
    keep_saving: bool = True


class Strategy(Protocol):
    """One way to log in (``[peloton-export] auth`` names them, tried in order)."""

    name: str

    def try_login(self) -> Login | None:
        """A login, or ``None`` when this strategy does not apply (nothing saved, no password).

        :raises LoginFailed: it applies and failed (the message says what to do).
        """
        ...


class CachedLogin:
    """``cached``: the saved login, refreshed when its access token expired."""

    name = "cached"

    def __init__(self, store: TokenStore, grants: Grants) -> None:
        self.store = store
        self.grants = grants

    def try_login(self) -> Login | None:
        """The saved login (``None``: nothing saved, or expired without a refresh token)."""
        token = self.store.load()
        if token is None:
            return None
        if not token.expired(self.grants.now()):
            return Login(token, save=False)
        if token.refresh_token:
            self.grants.refreshed.add(token.refresh_token)
            return Login(self.grants.refresh(token), save=True)
        return None


class TokenLogin:
    """``token``: a pasted access or refresh token (``PELOTON_EXPORT_TOKEN``), never saved."""

    name = "token"

    def __init__(self, grants: Grants) -> None:
        self.grants = grants

    def try_login(self) -> Login | None:
        """The pasted token's login (``None``: no token given)."""
        text = self.grants.settings.env_token
        if not text:
            return None
        return Login(self.grants.token_from_text(text), save=False, keep_saving=False)
