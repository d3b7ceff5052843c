"""The Strava login on the ``serve`` Logins page (``register_logins``).

``start`` sends the browser to Strava's authorize page for the user's own API app
(:func:`~peloton_export_strava.login.authorize_url`), with the server's ``state`` and its
``/strava/callback`` address as ``redirect_uri`` (the app's "Authorization Callback
Domain" must be the server's host name). Strava sends the browser back there;
``callback`` exchanges the code (:func:`~peloton_export_strava.login.finish`) and saves the
tokens in the profile's ``strava-token.json`` (0600). The code and the tokens are never
shown or logged. ``logout`` revokes the access at Strava and forgets the tokens, as
``peloton-export strava logout`` does.
"""

from __future__ import annotations

from datetime import UTC, datetime

from peloton_export.errors import PelotonExportError
from peloton_export.sinkkit import PluginSettings
from peloton_export.specs import LoginAnswer, LoginRequest, LoginSpec
from peloton_export_strava.api import StravaApi, StravaSettings
from peloton_export_strava.login import Redirect, authorize_url, check_app, finish

__all__ = ["login_spec"]


def _settings(request: LoginRequest) -> StravaSettings:
    return StravaSettings.from_settings(PluginSettings("strava", request.section))


def _api(request: LoginRequest) -> StravaApi:
    import peloton_export_strava

    return StravaApi(_settings(request), clock=peloton_export_strava.CLOCK)


def state(request: LoginRequest) -> str:
    """One line on the saved Strava login (athlete, expiry, scope): never a token."""
    settings = _settings(request)
    try:
        check_app(settings)
    except PelotonExportError as exc:
        return str(exc)
    api = StravaApi(settings)
    try:
        stored = api.tokens.load()
    except PelotonExportError as exc:
        return f"the saved login cannot be read: {exc}"
    finally:
        api.close()
    if not stored or not stored.get("access_token"):
        return "not logged in"
    who = f" as athlete {stored['athlete_id']}" if stored.get("athlete_id") else ""
    renew = ", renewable" if stored.get("refresh_token") else ""
    try:
        expires = datetime.fromtimestamp(float(stored.get("expires_at") or 0), UTC)
        until = f"access expires {expires:%Y-%m-%d %H:%M} UTC"
    except (OverflowError, OSError, ValueError):
        until = "access expiry unknown"
    return f"logged in{who} ({until}{renew})"


def start(request: LoginRequest) -> LoginAnswer:
    """Send the browser to Strava's authorize page."""
    settings = _settings(request)
    check_app(settings)
    if not request.redirect_uri or not request.state:
        return LoginAnswer(message="this server gave no redirect address", ok=False)
    url = authorize_url(settings, request.redirect_uri, request.state)
    return LoginAnswer(message="on to Strava to allow uploads", redirect=url)


def callback(request: LoginRequest) -> LoginAnswer:
    """Strava's answer: exchange the code and save the tokens."""
    fields = request.fields
    redirect = Redirect(
        code=fields.get("code") or None,
        state=fields.get("state") or None,
        scope=fields.get("scope"),
        error=fields.get("error") or None,
    )
    api = _api(request)
    try:
        record = finish(api, redirect)
    finally:
        api.close()
    who = f" as athlete {record['athlete_id']}" if record.get("athlete_id") else ""
    return LoginAnswer(message=f"logged in to Strava{who}; the tokens are saved (readable only by you)")


def logout(request: LoginRequest) -> LoginAnswer:
    """Revoke the access at Strava (when reachable) and forget the tokens."""
    api = _api(request)
    try:
        revoked = api.tokens.load() is not None and api.revoke()
    except PelotonExportError:
        revoked = False
    finally:
        api.close()
    api.tokens.clear()
    return LoginAnswer(
        message="Strava revoked the access; the tokens are removed"
        if revoked
        else "the saved Strava tokens are removed"
    )


def login_spec() -> LoginSpec:
    """The Strava login (an OAuth round trip through this server's ``/strava/callback``)."""
    return LoginSpec(
        name="strava",
        title="Strava",
        state=state,
        start=start,
        start_label="Log in with Strava",
        callback=callback,
        logout=logout,
        help="Strava asks you to allow uploads, then sends you back here. Your API app's "
        "Authorization Callback Domain must be this server's host name.",
    )
