"""The Logins page of ``peloton-export serve``: Peloton and every sink, per profile.

==============================================  ============================================
``GET /p/NAME/logins``                          Peloton's login state (and the cooldown) and
                                                each plugin's login (``register_logins``)
``POST /p/NAME/logins/peloton/STEP``            ``password`` (email + password), ``token``
                                                (a pasted access or refresh token),
                                                ``logout``: the same calls as
                                                ``peloton-export login`` / ``logout``
``POST /p/NAME/logins/SINK/STEP``               a plugin's ``submit``, ``start``, ``logout``
``GET /SINK/callback?code=&state=``             an OAuth redirect (Strava's) coming back
==============================================  ============================================

Every plugin step goes through :meth:`peloton_export.plugins.PluginHost.login_step` (a
broken plugin is a line naming it; the page goes on) with the profile's folders active,
so tokens land in the profile's own token folder. A secret typed into a form is
registered with :func:`peloton_export.net.redaction.protect`, handed to the store, and
never put back into a page (secret fields have no ``value``) or a log line.

An OAuth ``start`` gets a random ``state`` (kept in memory for :data:`OAUTH_SECONDS`,
used once) and the redirect address ``<this server>/SINK/callback``; the browser is sent
on by a page with a link and a ``meta refresh`` (a form's redirect to another site would
break the Content-Security-Policy's ``form-action 'self'``). The callback is reached
without the session cookie (``SameSite=Strict`` cookies do not come back on a redirect
from another site), so it is open, and only the unguessable one-time ``state`` ties it to
the login started here.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from peloton_export.errors import PelotonExportError
from peloton_export.net.redaction import protect, redact
from peloton_export.specs import LoginField, LoginRequest
from peloton_export.web.forms import read_form
from peloton_export.web.pagekit import AppState, profile_of, render, state_of, threaded, writable

if TYPE_CHECKING:
    from peloton_export.plugins import PluginHost
    from peloton_export.profiles import Profile

#: How long an OAuth login started on the page may take to come back.
OAUTH_SECONDS = 600.0
#: At most this many OAuth logins under way (the oldest are dropped).
MAX_PENDING = 100
PELOTON_STEPS = ("password", "token", "logout")
SINK_STEPS = ("submit", "start", "logout")
_NAME = re.compile(r"^[a-z0-9_-]{1,32}$")


@dataclass(slots=True)
class LoginView:
    """One login on the page (every text is one line without a secret)."""

    name: str
    title: str
    state: str
    fields: tuple[LoginField, ...] = ()
    submit_label: str = ""
    start_label: str = ""
    can_submit: bool = False
    can_start: bool = False
    can_logout: bool = False
    help: str = ""


def _one_line(text: str) -> str:
    return " ".join(redact(str(text)).split())[:400]


def peloton_lines(profile: Profile) -> tuple[str, str]:
    """Peloton's login line and the cooldown line (empty when none) of ``profile``."""
    from peloton_export.web.status import peloton_login

    with profile.activate():
        try:
            return peloton_login(profile)
        except PelotonExportError as exc:
            return _one_line(f"the saved login cannot be read: {exc}"), ""


def _request(profile: Profile, sink: str, fields: dict[str, str] | None = None, **extra: str) -> LoginRequest:
    return LoginRequest(
        profile=profile.name,
        section=dict(profile.config.plugins.get(sink, {})),
        fields=fields or {},
        **extra,
    )


def sink_views(profile: Profile, host: PluginHost) -> tuple[list[LoginView], list[str]]:
    """Each plugin's login of ``profile`` and one line per plugin that could not offer it."""
    from peloton_export.errors import RegistrationConflict

    try:
        specs = host.logins()
    except RegistrationConflict as exc:
        return [], [_one_line(str(exc))]
    views: list[LoginView] = []
    with profile.activate():
        for name, spec in specs.items():
            answer = host.login_step(name, "state", _request(profile, name))
            views.append(
                LoginView(
                    name=name,
                    title=spec.title,
                    state=_one_line(answer.message),
                    fields=spec.fields,
                    submit_label=spec.submit_label,
                    start_label=spec.start_label,
                    can_submit=spec.submit is not None and bool(spec.fields),
                    can_start=spec.start is not None and spec.callback is not None,
                    can_logout=spec.logout is not None,
                    help=spec.help,
                )
            )
    return views, host.login_failures()


def _page(
    request: Request, profile: Profile, *, message: str = "", ok: bool = True, status: int = 200
) -> Response:
    state = state_of(request)
    login, cooldown = peloton_lines(profile)
    views, failures = sink_views(profile, state.host)
    return render(
        request,
        "logins.html",
        status=status,
        title=f"Logins of {profile.name}",
        profile=profile.name,
        peloton=login,
        cooldown=cooldown,
        username=str(profile.config.username or ""),
        views=views,
        failures=failures,
        message=message,
        ok=ok,
    )


async def logins_page(request: Request) -> Response:
    """``GET /p/NAME/logins``."""
    writable(request)
    profile = profile_of(request)
    return await threaded(lambda: _page(request, profile))


def peloton_step(profile: Profile, step: str, fields: dict[str, str]) -> tuple[str, bool]:
    """Log ``profile`` in to Peloton with a password or a pasted token, or log it out, as
    the CLI does; returns (one line, ok). Never raises a :class:`PelotonExportError`."""
    from peloton_export.source.client.factory import make_client, token_store
    from peloton_export.source.client.settings import client_settings

    with profile.activate():
        try:
            if step == "logout":
                removed = token_store(client_settings(profile.config)).delete()
                return (
                    "The saved Peloton login is removed." if removed else "No Peloton login was saved."
                ), True
            api = make_client(profile.config)
            auth = api.auth
            if step == "token":
                text = fields.get("token", "").strip()
                if not text:
                    return "Paste an access or refresh token first.", False
                protect(text)
                token = auth.token_from_text(text)
            else:
                user = fields.get("username", "").strip() or str(profile.config.username or "")
                password = fields.get("password", "")
                if not user or not password:
                    return "Enter the Peloton email (or username) and the password.", False
                protect(password)
                auth.check_cooldown()
                auth.set_credentials(user, password)
                token = auth.login_password()
            auth.store.save(token)
            auth.token = token
            me = api.me()
        except PelotonExportError as exc:
            return _one_line(str(exc)), False
    who = me.get("username") or me.get("id") or "you"
    return _one_line(f"Logged in to Peloton as {who}; the login is saved (readable only by you)."), True


async def peloton_action(request: Request) -> Response:
    """``POST /p/NAME/logins/peloton/STEP``."""
    writable(request)
    profile = profile_of(request)
    step = str(request.path_params.get("step", ""))
    if step not in PELOTON_STEPS:
        raise HTTPException(404, "no such login step")
    fields = await read_form(request)
    message, ok = await threaded(peloton_step, profile, step, fields)
    return await threaded(lambda: _page(request, profile, message=message, ok=ok, status=200 if ok else 400))


def _origin(request: Request) -> str:
    scheme = "https" if request.state.https else "http"
    return f"{scheme}://{request.headers.get('host', '127.0.0.1')}"


def _new_state(state: AppState, profile: str, sink: str) -> str:
    now = time.time()
    pending = {k: v for k, v in state.oauth.items() if v[2] > now}
    while len(pending) >= MAX_PENDING:
        pending.pop(next(iter(pending)))
    nonce = secrets.token_urlsafe(24)
    pending[nonce] = (profile, sink, now + OAUTH_SECONDS)
    state.oauth = pending
    return nonce


async def sink_action(request: Request) -> Response:
    """``POST /p/NAME/logins/SINK/STEP``."""
    writable(request)
    state = state_of(request)
    profile = profile_of(request)
    sink = str(request.path_params.get("sink", ""))
    step = str(request.path_params.get("step", ""))
    if not _NAME.match(sink) or step not in SINK_STEPS:
        raise HTTPException(404, "no such login step")
    fields = await read_form(request)
    fields.pop("csrf", None)
    if sink not in await threaded(state.host.logins):
        raise HTTPException(404, "no such login")
    extra: dict[str, str] = {}
    if step == "start":
        extra = {
            "redirect_uri": f"{_origin(request)}/{sink}/callback",
            "state": _new_state(state, profile.name, sink),
        }

    def run() -> tuple[str, bool, str | None]:
        with profile.activate():
            answer = state.host.login_step(sink, step, _request(profile, sink, fields, **extra))  # type: ignore[arg-type]
        return _one_line(answer.message), answer.ok, answer.redirect

    message, ok, redirect = await threaded(run)
    if step == "start" and ok and redirect and redirect.startswith(("https://", "http://")):
        return render(
            request,
            "onward.html",
            title="On to the sign-in",
            profile=profile.name,
            url=redirect,
            message=message,
        )
    if step == "start":
        state.oauth.pop(extra["state"], None)
    return await threaded(lambda: _page(request, profile, message=message, ok=ok, status=200 if ok else 400))


async def callback(request: Request) -> Response:
    """``GET /SINK/callback``: the OAuth redirect; the ``state`` must be one made here."""
    writable(request)
    state = state_of(request)
    sink = str(request.path_params.get("sink", ""))
    nonce = request.query_params.get("state", "")
    pending = state.oauth.pop(nonce, None) if nonce else None
    if pending is None or pending[1] != sink or pending[2] < time.time():
        return render(
            request,
            "error.html",
            status=400,
            title="Login not recognised",
            profile=None,
            message="this answer does not belong to a login started on this server (or it took "
            "longer than 10 minutes): start the login again on the Logins page",
        )
    profile = state.profiles.get(pending[0])
    if profile is None:
        raise HTTPException(404, "no such profile")
    fields = {
        k: v[:2000] for k, v in request.query_params.items() if k in ("code", "state", "scope", "error")
    }
    for value in fields.values():
        protect(value)

    def run() -> tuple[str, bool]:
        with profile.activate():
            answer = state.host.login_step(sink, "callback", _request(profile, sink, fields, state=nonce))
        return _one_line(answer.message), answer.ok

    message, ok = await threaded(run)
    return render(
        request,
        "callback.html",
        status=200 if ok else 400,
        title="Logged in" if ok else "Login failed",
        profile=profile.name,
        message=message,
        ok=ok,
    )


__all__ = [
    "LoginView",
    "callback",
    "logins_page",
    "peloton_action",
    "peloton_step",
    "sink_action",
    "sink_views",
]
