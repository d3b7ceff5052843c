"""Logging in to Peloton: strategies tried in order, a token cache and a login cooldown.

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

import base64
import hashlib
import html.parser
import logging
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from peloton_export.errors import AuthRequired, PelotonClientError
from peloton_export.source.client.http import HttpClient, PelotonHTTPError, path_of
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
TENANT = "peloton-prod"
CONNECTION = "pelo-user-password"


def b64url(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def pkce_challenge(verifier: str) -> str:
    """The S256 PKCE challenge of ``verifier``."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


AUTH0_CLIENT = b64url(b'{"name":"auth0.js-ulp","version":"9.14.3"}')
LOGIN_HINT = "run `peloton-export login`"
#: Seconds to wait before asking again for a login page that came without its ``_csrf`` cookie.
CSRF_RETRY_PAUSE = 1.0
#: Failed logins a person at a terminal may retry at once before the cooldown holds.
INTERACTIVE_FAILURES = 3
#: What the login session sends as ``User-Agent`` (Auth0's hosted page expects a browser).
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)


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


def _clock_text(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M UTC")


class _HiddenForm(html.parser.HTMLParser):
    """Collects the first form's action and its inputs (entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self._done and self.action is None:
            self.action = a.get("action", "")
            self._in_form = True
        elif tag == "input" and self._in_form and a.get("name") and a.get("type", "text") != "submit":
            self.fields[a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._in_form:
            self._in_form = False
            self._done = True


def parse_hidden_form(page: str) -> tuple[str, dict[str, str]] | None:
    """``(action, fields)`` of the auto-submit form, or ``None``."""
    parser = _HiddenForm()
    parser.feed(page)
    if not parser.action or not parser.fields:
        return None
    return parser.action, parser.fields


def _json_or_empty(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class Authenticator:
    """Keeps a valid login for one run (thread-safe). See the module docstring."""

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
        self.username = username
        self._password = password
        self.now = now
        self.config_hint = config_hint
        self.token: Token | None = None
        self._lock = threading.RLock()
        self._refreshed: set[str] = set()
        self._persist = True
        self._login_tried = False
        #: A person at a terminal typed the password: up to :data:`INTERACTIVE_FAILURES`
        #: failures may be retried at once (unattended runs honour the cooldown).
        self.interactive = False
        #: ``login --ignore-cooldown``: try a login whatever the cooldown says.
        self.ignore_cooldown = False

    def set_credentials(self, username: str | None, password: str | None) -> None:
        """Use this username and password for password logins."""
        self.username = username
        self._password = password

    @property
    def has_password(self) -> bool:
        """True when a username and a password are known."""
        return bool(self.username and self._password)

    def __repr__(self) -> str:
        return f"Authenticator(username={self.username!r}, strategies={self.settings.strategies})"

    # -- what callers use -----------------------------------------------------------------
    def headers(self) -> dict[str, str]:
        """Auth headers for an API request (logging in first if needed)."""
        token = self.ensure()
        if token.access_token:
            return {"Authorization": f"Bearer {token.access_token}"}
        assert token.session_id is not None
        return {"Cookie": f"peloton_session_id={token.session_id}"}

    def ensure(self) -> Token:
        """A usable login, trying the strategies in order."""
        with self._lock:
            if self.token is not None and not self.token.expired(self.now()):
                return self.token
            errors: list[LoginFailed] = []
            for strategy in self.settings.strategies:
                try:
                    token: Token | None = getattr(self, f"_try_{strategy}")()
                except (WrongPassword, AccountLocked, LoginCooldownActive):
                    raise
                except LoginFailed as exc:
                    log.info("login strategy %s failed: %s", strategy, exc)
                    errors.append(exc)
                    continue
                if token is not None:
                    return token
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
            if current is not None and current.refresh_token and current.refresh_token not in self._refreshed:
                self._refreshed.add(current.refresh_token)
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

    # -- strategies -----------------------------------------------------------------------
    def _try_cached(self) -> Token | None:
        token = self.store.load()
        if token is None:
            return None
        if not token.expired(self.now()):
            return self._adopt(token, persist=False)
        if token.refresh_token:
            self._refreshed.add(token.refresh_token)
            return self._adopt(self.refresh(token), persist=True)
        return None

    def _try_pkce(self) -> Token | None:
        if not (self.username and self._password):
            return None
        return self._adopt(self.login_password(), persist=True)

    def _try_token(self) -> Token | None:
        if not self.settings.env_token:
            return None
        self._persist = False
        return self._adopt(self.token_from_text(self.settings.env_token), persist=False)

    def _try_legacy(self) -> Token | None:
        if not (self.username and self._password):
            return None
        return self._adopt(self.login_legacy(), persist=True)

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

    # -- the pieces -----------------------------------------------------------------------
    def check_cooldown(self) -> None:
        """Raise :class:`LoginCooldownActive` when a password login would not be tried now."""
        self._check_cooldown()

    def _check_cooldown(self) -> None:
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

    def _fail(self, exc: LoginFailed, reason: str) -> LoginFailed:
        self._login_tried = True
        state = self.cooldown.fail(reason)
        log.info("login failed (%s); cooldown until %s", reason, _clock_text(state.until))
        return exc

    def login_password(self) -> Token:
        """The Auth0 authorization-code + PKCE login with username and password."""
        import requests  # here, not at the top: commands that never go online stay fast

        if not (self.username and self._password):
            raise AuthRequired(f"No Peloton username and password: {LOGIN_HINT}")
        self._check_cooldown()
        try:
            token = self._pkce_flow(self.username, self._password)
        except WrongPassword as exc:
            raise self._fail(exc, "wrong email or password") from None
        except AccountLocked as exc:
            raise self._fail(exc, "account locked") from None
        except LoginPageChanged as exc:
            raise self._fail(exc, "login page changed") from None
        except LoginFailed as exc:
            raise self._fail(exc, "login refused") from None
        except PelotonHTTPError as exc:
            raise self._fail(LoginFailed(f"Peloton login failed: {exc}"), "login error") from None
        except requests.RequestException as exc:
            raise self._fail(
                LoginFailed(f"Could not reach Peloton's login page ({type(exc).__name__})"), "no connection"
            ) from None
        self.cooldown.clear()
        return token

    def _changed(self, detail: str) -> LoginPageChanged:
        return LoginPageChanged(
            f"Peloton's login page has changed ({detail}), so logging in with a password does not work "
            "with this version: paste a token with `peloton-export login --token TOKEN` and look for a "
            "newer peloton-export"
        )

    def _pkce_flow(self, username: str, password: str) -> Token:
        cfg = self.settings
        auth = cfg.auth_url
        session = self.http.new_session()
        # The login host only: a browser's headers, as every working client sends there (the
        # API host keeps the honest User-Agent; this session never reaches it).
        session.headers["Accept"] = "text/html,application/json"
        session.headers["User-Agent"] = BROWSER_USER_AGENT
        session.headers["Accept-Language"] = "en-US,en;q=0.9"
        verifier = b64url(secrets.token_bytes(48))
        state = b64url(secrets.token_bytes(24))
        nonce = b64url(secrets.token_bytes(24))
        params = {
            "client_id": cfg.auth_client_id,
            "audience": cfg.auth_audience,
            "scope": cfg.auth_scope,
            "response_type": "code",
            "response_mode": "query",
            "redirect_uri": cfg.auth_redirect_uri,
            "state": state,
            "nonce": nonce,
            "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
            "auth0Client": AUTH0_CLIENT,
        }
        try:
            page = self.http.send("GET", auth + "/authorize", params=params, session=session)
            if page.status_code == 429 or page.status_code >= 500:
                raise LoginFailed(
                    f"Peloton's login service is not answering (HTTP {page.status_code}); try again later"
                )
            if page.status_code != 200:
                raise self._rotated(page) or self._changed(
                    f"HTTP {page.status_code} from {path_of(page.url)}"
                )
            login_state = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query).get("state", [""])[0]
            csrf = session.cookies.get("_csrf")
            if login_state and not csrf:
                # Seen now and then on a page that works a moment later: one more try first.
                time.sleep(CSRF_RETRY_PAUSE)
                again = self.http.send("GET", page.url, session=session)
                csrf = session.cookies.get("_csrf") if again.status_code == 200 else None
                if not csrf:
                    raise LoginPageChanged(
                        "Peloton's login page came twice without its _csrf cookie; this is usually "
                        "temporary: try again in a few minutes. If it keeps happening the login page has "
                        "changed: paste a token with `peloton-export login --token TOKEN` and look for a "
                        "newer peloton-export"
                    )
            if not login_state or not csrf:
                raise self._changed("no state or _csrf cookie")
            payload = {
                "client_id": cfg.auth_client_id,
                "redirect_uri": cfg.auth_redirect_uri,
                "tenant": TENANT,
                "response_type": "code",
                "scope": cfg.auth_scope,
                "audience": cfg.auth_audience,
                "_csrf": csrf,
                "state": login_state,
                "_intstate": "deprecated",
                "nonce": nonce,
                "username": username,
                "password": password,
                "connection": CONNECTION,
                "code_challenge": params["code_challenge"],
                "code_challenge_method": "S256",
            }
            headers = {"Origin": auth, "Referer": page.url, "Auth0-Client": AUTH0_CLIENT}
            answer = self.http.send(
                "POST",
                auth + "/usernamepassword/login",
                json=payload,
                headers=headers,
                session=session,
                follow_redirects=False,
            )
            self._check_login_answer(answer)
            if answer.is_redirect:
                response = answer
            else:
                form = parse_hidden_form(answer.text)
                if form is None:
                    raise self._changed("no hidden form after the password")
                action = urllib.parse.urljoin(answer.url, form[0])
                response = self.http.send(
                    "POST", action, data=form[1], session=session, follow_redirects=False
                )
            code = self._follow_to_code(response, session, state)
            token_answer = self.http.send(
                "POST",
                auth + "/oauth/token",
                session=session,
                json={
                    "grant_type": "authorization_code",
                    "client_id": cfg.auth_client_id,
                    "code_verifier": verifier,
                    "code": code,
                    "redirect_uri": cfg.auth_redirect_uri,
                },
            )
        finally:
            session.close()
        if token_answer.status_code != 200:
            rotated = self._rotated(token_answer)
            if rotated is not None:
                raise rotated
            data = _json_or_empty(token_answer)
            raise LoginFailed(
                f"Peloton did not issue a token (HTTP {token_answer.status_code}: "
                f"{data.get('error_description') or data.get('error') or 'no reason given'}); {LOGIN_HINT}"
            )
        return self._token_from_grant(_json_or_empty(token_answer), source="pkce")

    def _rotated(self, answer: requests.Response) -> LoginFailed | None:
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
        value = self.settings.auth_values()[key]
        return LoginFailed(
            f"Peloton's login refused the {key.removeprefix('auth_').replace('_', ' ')} "
            f"({code}: {text[:120] or 'no reason given'}); Peloton may have changed it: check "
            f"[peloton-export] {key} (or {AUTH_SETTINGS[key]}), now {value!r}, against what "
            "Peloton's web login sends"
        )

    def _check_login_answer(self, answer: requests.Response) -> None:
        if answer.status_code == 200 or answer.is_redirect:
            return
        rotated = self._rotated(answer)
        if rotated is not None:
            raise rotated
        data = _json_or_empty(answer)
        code = str(data.get("code") or data.get("error") or "")
        if code in ("invalid_user_password", "wrong_email_or_password", "invalid_grant", "access_denied") or (
            answer.status_code == 401 and not code
        ):
            raise WrongPassword(
                "Peloton rejected the email or password: fix [peloton] username/password in "
                f"{self.config_hint} (or PELOTON_USERNAME/PELOTON_PASSWORD), or {LOGIN_HINT}"
            )
        if code in ("too_many_attempts", "user_blocked", "blocked_user", "user_is_blocked"):
            raise AccountLocked(
                "Peloton has blocked logins to this account after too many attempts: unblock it with the "
                f"link in Peloton's email or reset the password at onepeloton.com, then {LOGIN_HINT}"
            )
        if answer.status_code in (403, 404) and code in (
            "",
            "invalid_csrf",
            "invalid_state",
            "invalid_request",
        ):
            raise self._changed(f"HTTP {answer.status_code} {code or ''}".strip())
        raise LoginFailed(f"Peloton refused the login (HTTP {answer.status_code} {code}); try again later")

    def _follow_to_code(self, response: requests.Response, session: requests.Session, state: str) -> str:
        for _ in range(10):
            location = response.headers.get("Location")
            if not response.is_redirect or not location:
                raise self._changed(f"HTTP {response.status_code} instead of a redirect with a code")
            url = urllib.parse.urljoin(response.url, location)
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
            if "code" in query:
                if query.get("state", [""])[0] != state:
                    raise LoginFailed(f"Peloton's login answered for another login attempt; {LOGIN_HINT}")
                return query["code"][0]
            if "error" in query:
                raise LoginFailed(f"Peloton refused the login ({query['error'][0]}); {LOGIN_HINT}")
            response = self.http.send("GET", url, session=session, follow_redirects=False)
        raise self._changed("too many redirects")

    def _token_from_grant(self, data: dict[str, Any], *, source: str, previous: Token | None = None) -> Token:
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
                    return self._token_from_grant(
                        _json_or_empty(response), source=token.source, previous=token
                    )
                rotated = self._rotated(response) if status in (400, 401, 403) else None
                if rotated is not None:
                    raise rotated
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

    def login_legacy(self) -> Token:
        """The retired ``POST /auth/login`` (session cookie), for servers that still take it."""
        import requests

        if not (self.username and self._password):
            raise AuthRequired(f"No Peloton username and password: {LOGIN_HINT}")
        self._check_cooldown()
        session = self.http.new_session()
        try:
            response = self.http.send(
                "POST",
                self.settings.api_url + "/auth/login",
                session=session,
                json={"username_or_email": self.username, "password": self._password},
                follow_redirects=False,
            )
        except requests.RequestException as exc:
            raise self._fail(
                LoginFailed(f"Could not reach Peloton ({type(exc).__name__})"), "no connection"
            ) from None
        finally:
            session.close()
        data = _json_or_empty(response)
        if response.status_code == 200 and isinstance(data.get("session_id"), str):
            self.cooldown.clear()
            user_id = data.get("user_id")
            return Token(
                session_id=data["session_id"],
                user_id=str(user_id) if user_id else None,
                expires_at=self.now() + 86400.0,
                source="legacy",
            )
        if response.status_code == 401:
            raise self._fail(
                WrongPassword(
                    "Peloton rejected the email or password: fix [peloton] username/password in "
                    f"{self.config_hint} (or PELOTON_USERNAME/PELOTON_PASSWORD), or {LOGIN_HINT}"
                ),
                "wrong email or password",
            )
        if response.status_code == 403:
            raise self._fail(
                LegacyLoginRetired(
                    "Peloton no longer accepts the old username/password login (/auth/login): "
                    "remove `legacy` from [peloton-export] auth "
                    "or paste a token with `peloton-export login --token`"
                ),
                "legacy login retired",
            )
        raise self._fail(
            LoginFailed(f"Peloton refused the login (HTTP {response.status_code}); try again later"),
            f"HTTP {response.status_code}",
        )
