"""The fake Auth0 tenant (``auth.onepeloton.com``) and the token book of the fake API.

Routes on the auth host (the 2025 login, see ``docs/peloton-api.md`` §1.2):

* ``GET /authorize``: checks ``client_id`` (``400 unauthorized_client``), the ``audience``
  (``403 access_denied`` "Service not found"), the ``redirect_uri`` against the allowed
  callbacks (``400 invalid_request`` "Callback URL mismatch", as Auth0 words it),
  ``response_type=code``, ``code_challenge`` and ``code_challenge_method=S256``, opens a
  login transaction and redirects to ``/login?state=T``
  (Auth0 replaces the client's ``state`` with its own ``T``).
* ``GET /login``: the hosted login page; sets the ``_csrf`` cookie for
  ``/usernamepassword/login``. With ``login_page_changed`` set it sets neither the cookie nor
  the ``state`` (what a redesign of the page would look like to a scraper).
* ``POST /usernamepassword/login`` (JSON): checks ``_csrf``, ``state``, the connection and
  the credentials and answers the hidden auto-submit form whose action is ``/login/callback``.
  Wrong credentials: ``401 {"code": "invalid_user_password"}``; a locked account:
  ``429 {"code": "too_many_attempts"}``.
* ``POST /login/callback`` (form): redirects to ``/authorize/resume``, which redirects to
  ``redirect_uri?code=...&state=<client state>``.
* ``POST /oauth/token`` (JSON or form): ``authorization_code`` (checks the PKCE verifier
  against the challenge, the code is single-use) and ``refresh_token`` grants; ``password``
  is refused with ``unauthorized_client`` as the real tenant does.

Access tokens look like JWTs (``header.payload.signature``, unsigned) with ``sub``,
``exp`` and ``iat`` so clients can read the expiry the way they would from the real ones.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

from peloton_export.testing._types import Reply, Request

CLIENT_ID = "WVoJxVDdPoFx4RNewvvg6ch2mZ7bwnsM"
AUDIENCE = "https://api.onepeloton.com/"
REDIRECT_URI = "https://members.onepeloton.com/callback"
CONNECTION = "pelo-user-password"


def b64url(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def pkce_challenge(verifier: str) -> str:
    """The S256 challenge of a PKCE verifier."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


@dataclass
class FakeUser:
    """A member of the fake service."""

    username: str
    password: str = field(repr=False)
    user_id: str
    locked: bool = False


@dataclass
class _Transaction:
    client_state: str
    challenge: str
    redirect_uri: str
    nonce: str
    csrf: str
    user: FakeUser | None = None


@dataclass
class _Grant:
    user_id: str
    expires_at: float
    revoked: bool = False


class TokenBook:
    """Every access token, refresh token and legacy session the fake has issued."""

    def __init__(self, now: Callable[[], float], ttl: float) -> None:
        self.now = now
        self.ttl = ttl
        self.refresh_ttl = 30 * 86400.0
        self._lock = threading.Lock()
        self.access: dict[str, _Grant] = {}
        self.refresh: dict[str, _Grant] = {}
        self.sessions: dict[str, _Grant] = {}

    def issue_access(self, user_id: str, ttl: float | None = None) -> tuple[str, int]:
        """A new access token and its lifetime in seconds."""
        lifetime = int(self.ttl if ttl is None else ttl)
        now = self.now()
        header = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "fake"}).encode())
        claims = {
            "sub": f"auth0|{user_id}",
            "http://onepeloton.com/user_id": user_id,
            "aud": [AUDIENCE],
            "iat": int(now),
            "exp": int(now + lifetime),
            "jti": secrets.token_hex(8),
        }
        payload = b64url(json.dumps(claims).encode())
        token = f"{header}.{payload}.{b64url(secrets.token_bytes(32))}"
        with self._lock:
            self.access[token] = _Grant(user_id, now + lifetime)
        return token, lifetime

    def issue_refresh(self, user_id: str) -> str:
        """A new refresh token."""
        token = "v1.fake-refresh." + secrets.token_urlsafe(32)
        with self._lock:
            self.refresh[token] = _Grant(user_id, self.now() + self.refresh_ttl)
        return token

    def issue_session(self, user_id: str) -> str:
        """A new legacy ``peloton_session_id``."""
        token = secrets.token_hex(16)
        with self._lock:
            self.sessions[token] = _Grant(user_id, self.now() + self.ttl)
        return token

    @staticmethod
    def _valid(grant: _Grant | None, now: float) -> str | None:
        if grant is None or grant.revoked or grant.expires_at <= now:
            return None
        return grant.user_id

    def user_for_access(self, token: str) -> str | None:
        """The user of a live access token."""
        with self._lock:
            return self._valid(self.access.get(token), self.now())

    def user_for_refresh(self, token: str) -> str | None:
        """The user of a live refresh token."""
        with self._lock:
            return self._valid(self.refresh.get(token), self.now())

    def user_for_session(self, session_id: str) -> str | None:
        """The user of a live legacy session."""
        with self._lock:
            return self._valid(self.sessions.get(session_id), self.now())

    def expire_access(self) -> None:
        """Make every access token and session expire now."""
        with self._lock:
            for grant in [*self.access.values(), *self.sessions.values()]:
                grant.expires_at = min(grant.expires_at, self.now())

    def revoke_access(self) -> None:
        """Revoke every access token and legacy session."""
        with self._lock:
            for grant in [*self.access.values(), *self.sessions.values()]:
                grant.revoked = True

    def revoke_refresh(self) -> None:
        """Revoke every refresh token (the next refresh fails with ``invalid_grant``)."""
        with self._lock:
            for grant in self.refresh.values():
                grant.revoked = True


def _query_url(base: str, params: dict[str, str]) -> str:
    sep = "&" if "?" in base else "?"
    return base + sep + urllib.parse.urlencode(params)


class Auth0Tenant:
    """The routes of the fake auth host."""

    def __init__(self, users: dict[str, FakeUser], tokens: TokenBook, base_url: Callable[[], str]) -> None:
        self.users = users
        self.tokens = tokens
        self.base_url = base_url
        self.login_page_changed = False
        #: How many login pages to serve without the ``_csrf`` cookie (a passing glitch).
        self.csrf_missing = 0
        self.rotate_refresh_tokens = False
        #: What the tenant accepts; change one to play Peloton rotating it.
        self.client_id = CLIENT_ID
        self.audience = AUDIENCE
        self.callbacks = {REDIRECT_URI}
        self._lock = threading.Lock()
        self._transactions: dict[str, _Transaction] = {}
        self._wresults: dict[str, str] = {}
        self._codes: dict[str, _Transaction] = {}

    def handle(self, req: Request) -> Reply:
        """Answer one request to the auth host."""
        route = (req.method, req.path)
        if route == ("GET", "/authorize"):
            return self._authorize(req)
        if route == ("GET", "/login"):
            return self._login_page(req)
        if route == ("POST", "/usernamepassword/login"):
            return self._password_login(req)
        if route == ("POST", "/login/callback"):
            return self._callback(req)
        if route == ("GET", "/authorize/resume"):
            return self._resume(req)
        if route == ("POST", "/oauth/token"):
            return self._token(req)
        return Reply.json({"error": "not_found", "error_description": "Not found"}, 404)

    @staticmethod
    def _error(status: int, error: str, description: str) -> Reply:
        return Reply.json({"error": error, "error_description": description}, status)

    def _authorize(self, req: Request) -> Reply:
        q = req.query
        if q.get("client_id") != self.client_id:
            return self._error(400, "unauthorized_client", "Unknown client.")
        if q.get("audience") not in (None, self.audience):  # none: Auth0 gives an opaque token
            return self._error(403, "access_denied", f"Service not found: {q.get('audience')}")
        if q.get("redirect_uri") and q["redirect_uri"] not in self.callbacks:
            return self._error(
                400,
                "invalid_request",
                f"Callback URL mismatch. {q['redirect_uri']} is not in the list of allowed callback URLs",
            )
        if q.get("response_type") != "code" or q.get("code_challenge_method") != "S256":
            return self._error(400, "invalid_request", "response_type=code with S256 PKCE is required.")
        if not q.get("code_challenge") or not q.get("state") or not q.get("redirect_uri"):
            return self._error(400, "invalid_request", "Missing code_challenge, state or redirect_uri.")
        txn_state = secrets.token_urlsafe(24)
        txn = _Transaction(
            client_state=q["state"],
            challenge=q["code_challenge"],
            redirect_uri=q["redirect_uri"],
            nonce=q.get("nonce", ""),
            csrf=secrets.token_urlsafe(24),
        )
        with self._lock:
            self._transactions[txn_state] = txn
        if self.login_page_changed:
            return Reply.redirect("/u/login/identifier")
        return Reply.redirect(
            _query_url("/login", {"state": txn_state, "client": self.client_id, "protocol": "oauth2"})
        )

    def _login_page(self, req: Request) -> Reply:
        txn = self._transactions.get(req.query.get("state", ""))
        if txn is None:
            return Reply.html("<html><body>Invalid state</body></html>", 400)
        page = (
            "<!DOCTYPE html><html><head><title>Log in | Peloton</title></head><body>"
            '<div id="auth0-lock-container"></div></body></html>'
        )
        if self.csrf_missing > 0:
            self.csrf_missing -= 1
            return Reply.html(page)
        cookie = f"_csrf={txn.csrf}; Path=/usernamepassword/login; HttpOnly; SameSite=None"
        return Reply.html(page, headers=[("Set-Cookie", cookie)])

    def _password_login(self, req: Request) -> Reply:
        body = req.json()
        if not isinstance(body, dict):
            return Reply.json({"code": "invalid_body", "description": "Expected JSON."}, 400)
        txn = self._transactions.get(str(body.get("state", "")))
        if txn is None:
            return Reply.json({"code": "invalid_state", "description": "Invalid state."}, 403)
        if body.get("_csrf") != txn.csrf or req.cookies.get("_csrf") != txn.csrf:
            return Reply.json({"code": "invalid_csrf", "description": "Invalid CSRF token."}, 403)
        if body.get("client_id") != self.client_id or body.get("connection") != CONNECTION:
            return Reply.json(
                {"code": "invalid_request", "description": "Unknown client or connection."}, 400
            )
        user = self.users.get(str(body.get("username", "")).lower())
        if user is not None and user.locked:
            return Reply.json(
                {
                    "name": "AnomalyDetected",
                    "code": "too_many_attempts",
                    "description": "Your account has been blocked after multiple consecutive login attempts.",
                },
                429,
            )
        if user is None or not secrets.compare_digest(user.password, str(body.get("password", ""))):
            return Reply.json(
                {
                    "name": "ValidationError",
                    "code": "invalid_user_password",
                    "description": "Wrong email or password.",
                    "statusCode": 401,
                },
                401,
            )
        wresult = secrets.token_urlsafe(32)
        with self._lock:
            txn.user = user
            self._wresults[wresult] = str(body.get("state"))
        action = self.base_url() + "/login/callback"
        ctx = json.dumps(
            {
                "strategy": "auth0",
                "tenant": "peloton-prod",
                "connection": CONNECTION,
                "state": body.get("state"),
            }
        )
        page = (
            f'<form method="post" name="hiddenform" action="{html.escape(action)}">'
            '<input type="hidden" name="wa" value="wsignin1.0">'
            f'<input type="hidden" name="wresult" value="{html.escape(wresult)}">'
            f'<input type="hidden" name="wctx" value="{html.escape(ctx)}">'
            "<noscript><p>Script is disabled. Click Submit to continue.</p>"
            '<input type="submit" value="Submit"></noscript></form>'
            "<script>window.setTimeout(function(){document.forms[0].submit();},0);</script>"
        )
        return Reply.html(page)

    def _callback(self, req: Request) -> Reply:
        form = dict(urllib.parse.parse_qsl(req.body.decode("utf-8", "replace")))
        with self._lock:
            txn_state = self._wresults.pop(form.get("wresult", ""), None)
        if txn_state is None or form.get("wa") != "wsignin1.0":
            return Reply.html("<html><body>Invalid login session</body></html>", 400)
        return Reply.redirect(_query_url("/authorize/resume", {"state": txn_state}))

    def _resume(self, req: Request) -> Reply:
        with self._lock:
            txn = self._transactions.pop(req.query.get("state", ""), None)
        if txn is None or txn.user is None:
            return Reply.html("<html><body>Invalid state</body></html>", 400)
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = txn
        return Reply.redirect(_query_url(txn.redirect_uri, {"code": code, "state": txn.client_state}))

    def _token(self, req: Request) -> Reply:
        content_type = (req.header("Content-Type") or "").lower()
        if "json" in content_type:
            data = req.json()
            params = {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        else:
            params = dict(urllib.parse.parse_qsl(req.body.decode("utf-8", "replace")))
        if params.get("client_id") != self.client_id:
            return self._error(401, "access_denied", "Unauthorized client.")
        grant = params.get("grant_type")
        if grant == "authorization_code":
            return self._code_grant(params)
        if grant == "refresh_token":
            return self._refresh_grant(params)
        return self._error(403, "unauthorized_client", f"Grant type '{grant}' not allowed for the client.")

    def _code_grant(self, params: dict[str, str]) -> Reply:
        with self._lock:
            txn = self._codes.pop(params.get("code", ""), None)
        if txn is None or txn.user is None:
            return self._error(403, "invalid_grant", "Invalid authorization code")
        if params.get("redirect_uri") != txn.redirect_uri:
            return self._error(403, "invalid_grant", "Redirect URI mismatch")
        if pkce_challenge(params.get("code_verifier", "")) != txn.challenge:
            return self._error(403, "invalid_grant", "Failed to verify code verifier")
        return self._tokens_for(txn.user.user_id, new_refresh=True)

    def _refresh_grant(self, params: dict[str, str]) -> Reply:
        user_id = self.tokens.user_for_refresh(params.get("refresh_token", ""))
        if user_id is None:
            return self._error(403, "invalid_grant", "Unknown or invalid refresh token.")
        return self._tokens_for(user_id, new_refresh=self.rotate_refresh_tokens)

    def _tokens_for(self, user_id: str, *, new_refresh: bool) -> Reply:
        access, lifetime = self.tokens.issue_access(user_id)
        body: dict[str, object] = {
            "access_token": access,
            "id_token": "fake.id." + secrets.token_urlsafe(8),
            "scope": "openid offline_access peloton-api.members:default",
            "expires_in": lifetime,
            "token_type": "Bearer",
        }
        if new_refresh:
            body["refresh_token"] = self.tokens.issue_refresh(user_id)
        return Reply.json(body)
