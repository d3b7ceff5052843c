"""``peloton-export strava login``: OAuth2 authorization-code login.

1. We print (and open in a browser) Strava's authorize page for the user's own API app,
   asking for ``activity:write,activity:read_all``, with a random ``state``.
2. Strava redirects the browser to ``http://127.0.0.1:<port>/callback?code=...&state=...``,
   which a one-shot server on the loopback interface catches. Without a browser on this
   machine, ``--code`` takes the code, or the whole address the browser ended on.
3. The code is exchanged at ``/oauth/token``; the tokens go to the 0600 token file.

The code and tokens are never printed or logged.
"""

from __future__ import annotations

import http.server
import secrets
import threading
import time
import urllib.parse
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass

from peloton_export.errors import AuthRequired
from peloton_export.sinkkit import protect
from peloton_export_strava.api import SCOPES, StravaApi, StravaSettings

PAGE = (
    b"<!doctype html><meta charset=utf-8><title>peloton-export</title>"
    b"<p>peloton-export received Strava's answer. You can close this tab.</p>"
)


def authorize_url(settings: StravaSettings, redirect_uri: str, state: str) -> str:
    """Strava's authorize page for our scopes, redirecting to ``redirect_uri``."""
    query = urllib.parse.urlencode(
        {
            "client_id": settings.client_id or "",
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "approval_prompt": "auto",
            "scope": SCOPES,
            "state": state,
        }
    )
    return f"{settings.oauth}/oauth/authorize?{query}"


@dataclass(frozen=True, slots=True)
class Redirect:
    """What Strava put in the redirect: a code (or an error), the state and granted scope."""

    code: str | None
    state: str | None = None
    scope: str | None = None
    error: str | None = None


def parse_redirect(text: str) -> Redirect:
    """Read a pasted code, or a pasted redirect address with ``?code=...``."""
    text = text.strip()
    if "code=" not in text and "error=" not in text:
        return Redirect(code=text or None)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(text).query or text.split("?", 1)[-1])

    def first(key: str) -> str | None:
        values = query.get(key)
        return values[0] if values else None

    return Redirect(code=first("code"), state=first("state"), scope=first("scope"), error=first("error"))


class CodeCatcher:
    """A one-shot HTTP server on 127.0.0.1 that waits for Strava's redirect."""

    def __init__(self, port: int = 0) -> None:
        self.redirect: Redirect | None = None
        catcher = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                redirect = parse_redirect(self.path)
                if redirect.code or redirect.error:
                    catcher.redirect = redirect
                self.send_response(200 if catcher.redirect else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(PAGE)))
                self.end_headers()
                self.wfile.write(PAGE)

            def log_message(self, format: str, *args: object) -> None:  # the query holds the code
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", port), Handler)
        self.server.timeout = 0.5

    @property
    def redirect_uri(self) -> str:
        """The address to give Strava as ``redirect_uri``."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/callback"

    def wait(self, timeout: float, monotonic: Callable[[], float] = time.monotonic) -> Redirect | None:
        """Serve until the redirect arrives or ``timeout`` seconds pass; then close."""
        deadline = monotonic() + timeout
        try:
            while self.redirect is None and monotonic() < deadline:
                self.server.handle_request()
        finally:
            self.server.server_close()
        return self.redirect


def login(
    api: StravaApi,
    *,
    code: str | None = None,
    port: int = 0,
    timeout: float = 300.0,
    open_browser: Callable[[str], object] = webbrowser.open,
    echo: Callable[[str], object] = print,
) -> dict[str, object]:
    """Run the whole login and store the tokens; returns the stored record.

    With ``code`` (a code or the redirect address), no server is started.
    """
    settings = api.settings
    check_app(settings)
    state = secrets.token_urlsafe(16)
    if code is not None:
        redirect = parse_redirect(code)
    else:
        catcher = CodeCatcher(port)
        url = authorize_url(settings, catcher.redirect_uri, state)
        echo(f"Open this page to allow peloton-export to upload to Strava:\n\n  {url}\n")
        threading.Thread(target=open_browser, args=(url,), daemon=True).start()
        got = catcher.wait(timeout)
        if got is None:
            raise AuthRequired("no answer from Strava in time; run the login again, or pass --code")
        redirect = got
        if redirect.state != state:
            raise AuthRequired("the answer's state does not match this login; run the login again")
    return finish(api, redirect)


def check_app(settings: StravaSettings) -> None:
    """:raises AuthRequired: the Strava API app's ``client_id``/``client_secret`` are not set."""
    if not settings.client_id or not settings.client_secret:
        raise AuthRequired(
            "set client_id and client_secret of your Strava API app in [plugin:strava] "
            "(or STRAVA_CLIENT_ID / STRAVA_CLIENT_SECRET) first; see the plugin's README"
        )


def finish(api: StravaApi, redirect: Redirect) -> dict[str, object]:
    """Exchange the redirect's code for tokens and store them; returns the stored record.

    :raises AuthRequired: Strava refused, no code, or the upload scope was not granted.
    """
    if redirect.error:
        raise AuthRequired(f"Strava login refused: {redirect.error}")
    if not redirect.code:
        raise AuthRequired("no authorization code given")
    protect(redirect.code)
    if redirect.scope is not None and "activity:write" not in redirect.scope.split(","):
        raise AuthRequired("the login did not grant 'Upload your activities' (activity:write); log in again")
    return api.exchange(
        {"grant_type": "authorization_code", "code": redirect.code},
        "Strava login",
        scope=redirect.scope or SCOPES,
    )
