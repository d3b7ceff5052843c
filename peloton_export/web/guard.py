"""The checks every request of ``peloton-export serve`` passes first (an ASGI middleware).

In order, for each HTTP request:

1. **Host**: the ``Host`` header must name an IP address, ``localhost``, this machine's
   name (``socket.gethostname()``, and with ``.local``) or an ``--allow-host`` name, else
   ``421`` (a DNS-rebinding page that resolves its own name to 127.0.0.1 sends its name).
2. **HTTPS**: the request counts as HTTPS when its scheme is, or when it comes from a
   ``--trusted-proxy`` address with ``X-Forwarded-Proto: https`` (from any other client
   the header is ignored); cookies are then ``Secure``.
3. **Login**: with a password set, every page but ``/login``, ``/static/`` and an OAuth
   callback (``/SINK/callback``, checked by its one-time ``state``) needs a session cookie
   (``pe_session``); others are sent to ``/login`` (``GET``) or get ``403``.
4. **Cross-site writes**: a ``POST`` whose ``Origin`` is not this server's, or whose
   ``Sec-Fetch-Site`` is ``cross-site``, gets ``403``. Each route then checks the form's
   CSRF token against the ``pe_csrf`` cookie (:func:`peloton_export.web.forms.read_form`):
   a double-submit token, ``HttpOnly``, ``SameSite=Strict``.
5. **Failures**: an exception in a page is one log line (its type) and a plain ``500``;
   no traceback reaches the log or the browser.
6. **Headers** on every answer: a Content-Security-Policy (:data:`CSP`: scripts and styles
   from this server only, no inline script, no frames, forms post here only; a response
   may set a stricter one), ``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff``,
   ``Referrer-Policy: same-origin`` (with ``no-referrer`` a browser posts forms with
   ``Origin: null``), ``Cache-Control: no-store``.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from peloton_export.web.auth import Sessions, random_token

log = logging.getLogger("peloton_export.serve")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSRF_COOKIE = "pe_csrf"
SESSION_COOKIE = "pe_session"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
_HOST_NAME = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")
OPEN_PATHS = ("/login", "/static/")
#: An OAuth redirect coming back (``/strava/callback``): reached without the session cookie
#: (see :mod:`peloton_export.web.logins`); its one-time ``state`` is its check.
CALLBACK_PATH = re.compile(r"^/[a-z0-9_-]{1,32}/callback$")


@dataclass(frozen=True, slots=True)
class GuardSettings:
    """``password_hash``: the scrypt hash when a password is set (a login is needed);
    ``allowed_hosts``: extra ``Host`` names; ``trusted_proxies``: addresses whose
    ``X-Forwarded-Proto`` is believed."""

    password_hash: str | None = None
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)
    trusted_proxies: frozenset[str] = field(default_factory=frozenset)


def host_name(header: str) -> str:
    """The name part of a ``Host`` header (``[::1]:8740`` -> ``::1``), lower case."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else ""
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def host_allowed(header: str, allowed: frozenset[str]) -> bool:
    """Whether a ``Host`` header may reach the pages (see the module documentation)."""
    name = host_name(header)
    if not name:
        return False
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    if not _HOST_NAME.match(name):
        return False
    own = socket.gethostname().lower()
    return name in {"localhost", own, f"{own}.local"} or name in allowed


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header: no cookies
                return {}
    return {k: m.value for k, m in jar.items()}


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def cookie(name: str, value: str, *, secure: bool, max_age: int | None = None) -> str:
    """A ``Set-Cookie`` value: ``HttpOnly``, ``SameSite=Strict``, ``Path=/``, ``Secure``
    when ``secure``."""
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Strict"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


class Guard:
    """The middleware (see the module documentation)."""

    def __init__(self, app: ASGIApp, settings: GuardSettings, sessions: Sessions) -> None:
        self.app = app
        self.settings = settings
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = _header(scope, b"host")
        if not host_allowed(host, self.settings.allowed_hosts):
            await _plain(send, 421, "unknown Host header: open this server by its address or name")
            return
        client = (scope.get("client") or ("", 0))[0]
        forwarded = _header(scope, b"x-forwarded-proto").strip().lower()
        https = scope.get("scheme") == "https" or (
            client in self.settings.trusted_proxies and forwarded == "https"
        )
        cookies = _cookies(scope)
        csrf = cookies.get(CSRF_COOKIE, "")
        fresh = not _TOKEN.match(csrf)
        if fresh:
            csrf = random_token()
        session = cookies.get(SESSION_COOKIE)
        authenticated = self.settings.password_hash is None or self.sessions.valid(session)
        state = scope.setdefault("state", {})
        state.update(csrf=csrf, https=https, authenticated=authenticated, session=session, client=client)
        method = scope.get("method", "GET")
        path = str(scope.get("path", "/"))
        extra: list[tuple[bytes, bytes]] = []
        if fresh:
            extra.append((b"set-cookie", cookie(CSRF_COOKIE, csrf, secure=https).encode()))
        if method not in ("GET", "HEAD"):
            origin = _header(scope, b"origin")
            foreign = bool(origin) and origin not in (f"http://{host}", f"https://{host}")
            if foreign or _header(scope, b"sec-fetch-site") == "cross-site":
                await _plain(send, 403, "cross-site request refused", extra)
                return
        if not authenticated and not path.startswith(OPEN_PATHS) and not CALLBACK_PATH.match(path):
            if method in ("GET", "HEAD"):
                await _redirect(send, "/login", extra)
            else:
                await _plain(send, 403, "log in first", extra)
            return

        started = False

        async def guarded(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers.extend(_security_headers(names))
                headers.extend(extra)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, guarded)
        except Exception as exc:  # a bug in a page: one log line, never a traceback
            log.error("%s %s failed: %s", method, path[:200], type(exc).__name__)
            if not started:
                await _plain(send, 500, "internal error; see the server's log", extra)


def _security_headers(present: set[bytes]) -> list[tuple[bytes, bytes]]:
    out = [
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if b"content-security-policy" not in present:
        out.append((b"content-security-policy", CSP.encode()))
    if b"cache-control" not in present:
        out.append((b"cache-control", b"no-store"))
    return out


async def _plain(send: Send, status: int, text: str, extra: Sequence[tuple[bytes, bytes]] = ()) -> None:
    body = (text + "\n").encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *_security_headers(set()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _redirect(send: Send, location: str, extra: Sequence[tuple[bytes, bytes]]) -> None:
    headers = [(b"location", location.encode()), (b"content-length", b"0"), *_security_headers(set()), *extra]
    await send({"type": "http.response.start", "status": 303, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


__all__ = [
    "CSP",
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "Guard",
    "GuardSettings",
    "cookie",
    "host_allowed",
    "host_name",
]
