"""The password strategies: ``pkce`` (:class:`PkceLogin`, Peloton's 2025 Auth0 login
page, scraped as a browser would use it) and ``legacy`` (:class:`LegacyLogin`, the retired
``POST /auth/login``). Both pass the login cooldown (:class:`~.login.PasswordGate`) and
never log or repeat the password. See :mod:`.auth` for how they are chained.
"""

from __future__ import annotations

import base64
import hashlib
import html.parser
import secrets
import time
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING

from peloton_export.errors import AuthRequired
from peloton_export.source.client.http import HttpClient, PelotonHTTPError, path_of
from peloton_export.source.client.login import (
    LOGIN_HINT,
    AccountLocked,
    AuthValueRefused,
    Credentials,
    Grants,
    LegacyLoginRetired,
    Login,
    LoginFailed,
    LoginPageChanged,
    PasswordGate,
    WrongPassword,
    _json_or_empty,
    rotated,
)
from peloton_export.source.client.settings import ClientSettings
from peloton_export.source.client.tokens import Token

if TYPE_CHECKING:
    import requests

TENANT = "peloton-prod"
CONNECTION = "pelo-user-password"


def b64url(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def pkce_challenge(verifier: str) -> str:
    """The S256 PKCE challenge of ``verifier``."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


AUTH0_CLIENT = b64url(b'{"name":"auth0.js-ulp","version":"9.14.3"}')
#: Seconds to wait before asking again for a login page that came without its ``_csrf`` cookie.
CSRF_RETRY_PAUSE = 1.0
#: What the login session sends as ``User-Agent`` (Auth0's hosted page expects a browser).
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)


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


class _PasswordLogin:
    """What the two password strategies share: they apply when a username and a password
    are known, and a login first checks them and the password gate (its cooldown)."""

    credentials: Credentials
    gate: PasswordGate

    def try_login(self) -> Login | None:
        """A password login (``None``: no username and password)."""
        if not self.credentials.complete:
            return None
        return Login(self.login(), save=True)

    def login(self) -> Token:
        raise NotImplementedError

    def _ready(self) -> tuple[str, str]:
        """The username and password, after the gate's check.

        Raises :class:`AuthRequired` when either is missing, or what the gate raises."""
        username, password = self.credentials.username, self.credentials.password
        if not (username and password):
            raise AuthRequired(f"No Peloton username and password: {LOGIN_HINT}")
        self.gate.check()
        return username, password


class PkceLogin(_PasswordLogin):
    """``pkce``: the 2025 Auth0 authorization-code + PKCE login with username and password."""

    name = "pkce"

    def __init__(
        self, http: HttpClient, grants: Grants, gate: PasswordGate, credentials: Credentials, config_hint: str
    ) -> None:
        self.http = http
        self.settings: ClientSettings = http.settings
        self.grants = grants
        self.gate = gate
        self.credentials = credentials
        self.config_hint = config_hint

    def login(self) -> Token:
        """The Auth0 authorization-code + PKCE login with username and password."""
        import requests  # here, not at the top: commands that never go online stay fast

        username, password = self._ready()
        try:
            token = self._pkce_flow(username, password)
        except WrongPassword as exc:
            raise self.gate.fail(exc, "wrong email or password") from None
        except AccountLocked as exc:
            raise self.gate.fail(exc, "account locked") from None
        except LoginPageChanged as exc:
            raise self.gate.fail(exc, "login page changed") from None
        except AuthValueRefused as exc:  # the cooldown's message names the setting too
            raise self.gate.fail(exc, f"Peloton's login refused {exc.setting}: check that setting") from None
        except LoginFailed as exc:
            raise self.gate.fail(exc, "login refused") from None
        except PelotonHTTPError as exc:
            raise self.gate.fail(LoginFailed(f"Peloton login failed: {exc}"), "login error") from None
        except requests.RequestException as exc:
            raise self.gate.fail(
                LoginFailed(f"Could not reach Peloton's login page ({type(exc).__name__})"), "no connection"
            ) from None
        self.gate.passed()
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
            refused = self._rotated(token_answer)
            if refused is not None:
                raise refused
            data = _json_or_empty(token_answer)
            raise LoginFailed(
                f"Peloton did not issue a token (HTTP {token_answer.status_code}: "
                f"{data.get('error_description') or data.get('error') or 'no reason given'}); {LOGIN_HINT}"
            )
        return self.grants.from_grant(_json_or_empty(token_answer), source="pkce")

    def _rotated(self, answer: requests.Response) -> LoginFailed | None:
        """:func:`~.login.rotated` with this login's settings."""
        return rotated(self.settings, answer)

    def _check_login_answer(self, answer: requests.Response) -> None:
        if answer.status_code == 200 or answer.is_redirect:
            return
        refused = self._rotated(answer)
        if refused is not None:
            raise refused
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


class LegacyLogin(_PasswordLogin):
    """``legacy``: the retired ``POST /auth/login`` session cookie (only when configured)."""

    name = "legacy"

    def __init__(
        self,
        http: HttpClient,
        gate: PasswordGate,
        credentials: Credentials,
        now: Callable[[], float],
        config_hint: str,
    ) -> None:
        self.http = http
        self.settings: ClientSettings = http.settings
        self.gate = gate
        self.credentials = credentials
        self.now = now
        self.config_hint = config_hint

    def login(self) -> Token:
        """The retired ``POST /auth/login`` (session cookie), for servers that still take it."""
        import requests

        username, password = self._ready()
        session = self.http.new_session()
        try:
            response = self.http.send(
                "POST",
                self.settings.api_url + "/auth/login",
                session=session,
                json={"username_or_email": username, "password": password},
                follow_redirects=False,
            )
        except requests.RequestException as exc:
            raise self.gate.fail(
                LoginFailed(f"Could not reach Peloton ({type(exc).__name__})"), "no connection"
            ) from None
        finally:
            session.close()
        data = _json_or_empty(response)
        if response.status_code == 200 and isinstance(data.get("session_id"), str):
            self.gate.passed()
            user_id = data.get("user_id")
            return Token(
                session_id=data["session_id"],
                user_id=str(user_id) if user_id else None,
                expires_at=self.now() + 86400.0,
                source="legacy",
            )
        if response.status_code == 401:
            raise self.gate.fail(
                WrongPassword(
                    "Peloton rejected the email or password: fix [peloton] username/password in "
                    f"{self.config_hint} (or PELOTON_USERNAME/PELOTON_PASSWORD), or {LOGIN_HINT}"
                ),
                "wrong email or password",
            )
        if response.status_code == 403:
            raise self.gate.fail(
                LegacyLoginRetired(
                    "Peloton no longer accepts the old username/password login (/auth/login): "
                    "remove `legacy` from [peloton-export] auth "
                    "or paste a token with `peloton-export login --token`"
                ),
                "legacy login retired",
            )
        raise self.gate.fail(
            LoginFailed(f"Peloton refused the login (HTTP {response.status_code}); try again later"),
            f"HTTP {response.status_code}",
        )
