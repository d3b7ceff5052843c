"""Logging in to Peloton: strategies tried in order, a token cache and a login cooldown.

:class:`Authenticator` chains the strategies (separate objects: :class:`CachedLogin` and
:class:`TokenLogin` in :mod:`.login`, with the shared pieces; :class:`PkceLogin` and
:class:`LegacyLogin` in :mod:`.password`), keeps the token in use and renews it after a 401.
Every name importable from this module before the split still is.

Strategies (``[peloton-export] auth``, default ``cached,pkce,token``):

``cached``
    the saved login (:class:`~peloton_export.source.client.tokens.TokenStore`); an expired access
    token is refreshed with the refresh token. A 401 during the run refreshes once; only if
    that fails is a new login tried.
``pkce``
    the 2025 Auth0 authorization-code + PKCE login with the username and password of the
    config file (``[peloton]``) or ``PELOTON_USERNAME`` / ``PELOTON_PASSWORD``.
``token``
    a pasted access or refresh token (``PELOTON_EXPORT_TOKEN``; ``peloton-export login
    --token`` saves one into the cache instead).
``legacy``
    the retired ``POST /auth/login`` session cookie, for servers that still take it (only
    when configured: not in the default order).

Every password login that fails starts a persisted cooldown
(:class:`~peloton_export.source.client.tokens.Cooldown`), so a cron job never hammers the login
endpoint: unattended runs honour it after one failure. A person typing the password at a
terminal (``Auth.interactive``) may retry at once until :data:`INTERACTIVE_FAILURES` failures
are recorded (the cooldown after the first three is 10, 20 then 40 minutes, so three typos
fit in well under 15 minutes); ``Auth.ignore_cooldown`` (``login --ignore-cooldown``) skips
it. Errors end with one line saying what to do. No secret is ever logged or put in
an error message.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from peloton_export.errors import AuthRequired
from peloton_export.source.client.http import HttpClient
from peloton_export.source.client.login import (
    AUDIENCE,
    CLIENT_ID,
    INTERACTIVE_FAILURES,
    LOGIN_HINT,
    REDIRECT_URI,
    SCOPE,
    AccountLocked,
    CachedLogin,
    Credentials,
    Grants,
    LegacyLoginRetired,
    Login,
    LoginCooldownActive,
    LoginExpired,
    LoginFailed,
    LoginPageChanged,
    PasswordGate,
    Strategy,
    TokenLogin,
    WrongPassword,
)
from peloton_export.source.client.password import (
    AUTH0_CLIENT,
    BROWSER_USER_AGENT,
    CONNECTION,
    CSRF_RETRY_PAUSE,
    TENANT,
    LegacyLogin,
    PkceLogin,
    b64url,
    parse_hidden_form,
    pkce_challenge,
)
from peloton_export.source.client.settings import ClientSettings
from peloton_export.source.client.tokens import Cooldown, Token, TokenStore

log = logging.getLogger("peloton_export.client")


class Authenticator:
    """Keeps a valid login for one run (thread-safe): the strategies of
    ``[peloton-export] auth`` tried in order (:class:`CachedLogin`, :class:`PkceLogin`,
    :class:`TokenLogin`, :class:`LegacyLogin`), the token in use, and renewal after a 401.
    See the module docstring."""

    def __init__(
        self,
        http: HttpClient,
        *,
        store: TokenStore,
        cooldown: Cooldown,
        username: str | None = None,
        password: str | None = None,
        now: Callable[[], float] = time.time,
        config_hint: str = "your config file",
    ) -> None:
        self.http = http
        self.settings: ClientSettings = http.settings
        self.store = store
        self.cooldown = cooldown
        self.now = now
        self.config_hint = config_hint
        self.token: Token | None = None
        self._lock = threading.RLock()
        self._persist = True
        self.credentials = Credentials(username, password)
        self.gate = PasswordGate(cooldown)
        self.grants = Grants(http, now)
        self.pkce = PkceLogin(http, self.grants, self.gate, self.credentials, config_hint)
        self.legacy = LegacyLogin(http, self.gate, self.credentials, now, config_hint)
        known: dict[str, Strategy] = {
            "cached": CachedLogin(store, self.grants),
            "pkce": self.pkce,
            "token": TokenLogin(self.grants),
            "legacy": self.legacy,
        }
        self.strategies = [known[name] for name in self.settings.strategies]

    @property
    def username(self) -> str | None:
        """The username for password logins."""
        return self.credentials.username

    @property
    def interactive(self) -> bool:
        """A person at a terminal typed the password (:attr:`PasswordGate.interactive`)."""
        return self.gate.interactive

    @interactive.setter
    def interactive(self, value: bool) -> None:
        self.gate.interactive = value

    @property
    def ignore_cooldown(self) -> bool:
        """``login --ignore-cooldown`` (:attr:`PasswordGate.ignore_cooldown`)."""
        return self.gate.ignore_cooldown

    @ignore_cooldown.setter
    def ignore_cooldown(self, value: bool) -> None:
        self.gate.ignore_cooldown = value

    def set_credentials(self, username: str | None, password: str | None) -> None:
        """Use this username and password for password logins."""
        self.credentials.username = username
        self.credentials.password = password

    @property
    def has_password(self) -> bool:
        """True when a username and a password are known."""
        return self.credentials.complete

    def __repr__(self) -> str:
        return f"Authenticator(username={self.username!r}, strategies={self.settings.strategies})"

    # -- what callers use -----------------------------------------------------------------
    def headers(self) -> dict[str, str]:
        """Auth headers for an API request (logging in first if needed)."""
        return self._headers_of(self.ensure())

    def ensure(self) -> Token:
        """A usable login, trying the strategies in order.

        :raises LoginFailed: every strategy that applied failed (the first failure's
            message), or one failed in a way the next must not paper over (wrong password,
            locked account, cooldown). :raises AuthRequired: none applied.
        """
        with self._lock:
            if self.token is not None and not self.token.expired(self.now()):
                return self.token
            errors: list[LoginFailed] = []
            for strategy in self.strategies:
                try:
                    login = strategy.try_login()
                except (WrongPassword, AccountLocked, LoginCooldownActive):
                    raise
                except LoginFailed as exc:
                    log.info("login strategy %s failed: %s", strategy.name, exc)
                    errors.append(exc)
                    continue
                if login is not None:
                    self._persist = self._persist and login.keep_saving
                    return self._adopt(login.token, persist=login.save)
            if errors:
                raise errors[0]
            raise AuthRequired(
                f"Not logged in to Peloton: {LOGIN_HINT} (or set [peloton] username and password "
                f"in {self.config_hint})"
            )

    def on_unauthorized(self, failed_headers: dict[str, str]) -> dict[str, str]:
        """The API answered 401 to ``failed_headers``: refresh once, else log in again."""
        with self._lock:
            current = self.token
            if current is not None and self._headers_of(current) != failed_headers:
                return self._headers_of(current)  # another thread already renewed it
            self.token = None
            refreshed = self.grants.refreshed
            if current is not None and current.refresh_token and current.refresh_token not in refreshed:
                refreshed.add(current.refresh_token)
                try:
                    return self._headers_of(self._adopt(self.refresh(current), persist=self._persist))
                except LoginExpired as exc:
                    log.info("refresh after 401 failed: %s", exc)
            if current is not None and current.source == "legacy" and self.has_password:
                return self._headers_of(self._adopt(self.login_legacy(), persist=True))
            if self.has_password and "pkce" in self.settings.strategies:
                return self._headers_of(self._adopt(self.login_password(), persist=True))
            raise LoginExpired(f"Peloton no longer accepts the saved login: {LOGIN_HINT}")

    def remember_user(self, user_id: str) -> None:
        """Store the user id with the login (saves an ``/api/me`` call next run)."""
        with self._lock:
            if self.token is not None and self.token.user_id != user_id:
                self.token = self.token.with_user(user_id)
                if self._persist:
                    self.store.save(self.token)

    def logout(self) -> bool:
        """Forget the saved login."""
        with self._lock:
            self.token = None
            return self.store.delete()

    def check_cooldown(self) -> None:
        """Raise :class:`LoginCooldownActive` when a password login would not be tried now."""
        self.gate.check()

    def login_password(self) -> Token:
        """The Auth0 PKCE login with username and password (:meth:`PkceLogin.login`)."""
        return self.pkce.login()

    def login_legacy(self) -> Token:
        """The retired ``POST /auth/login`` (:meth:`LegacyLogin.login`)."""
        return self.legacy.login()

    def refresh(self, token: Token) -> Token:
        """A new access token from the refresh token (:meth:`Grants.refresh`)."""
        return self.grants.refresh(token)

    def token_from_text(self, text: str) -> Token:
        """A login from a pasted access or refresh token (:meth:`Grants.token_from_text`)."""
        return self.grants.token_from_text(text)

    def _adopt(self, token: Token, *, persist: bool) -> Token:
        self.token = token
        if persist:
            self.store.save(token)
        return token

    @staticmethod
    def _headers_of(token: Token) -> dict[str, str]:
        if token.access_token:
            return {"Authorization": f"Bearer {token.access_token}"}
        return {"Cookie": f"peloton_session_id={token.session_id}"}


__all__ = [
    "AUDIENCE",
    "AUTH0_CLIENT",
    "BROWSER_USER_AGENT",
    "CLIENT_ID",
    "CONNECTION",
    "CSRF_RETRY_PAUSE",
    "INTERACTIVE_FAILURES",
    "LOGIN_HINT",
    "REDIRECT_URI",
    "SCOPE",
    "TENANT",
    "AccountLocked",
    "Authenticator",
    "CachedLogin",
    "Credentials",
    "Grants",
    "LegacyLogin",
    "LegacyLoginRetired",
    "Login",
    "LoginCooldownActive",
    "LoginExpired",
    "LoginFailed",
    "LoginPageChanged",
    "PasswordGate",
    "PkceLogin",
    "Strategy",
    "TokenLogin",
    "WrongPassword",
    "b64url",
    "parse_hidden_form",
    "pkce_challenge",
]
