"""The Garmin Connect login on the ``serve`` Logins page (``register_logins``): a token
import.

Garmin's password sign-in is often stopped by Cloudflare on a server, so the page takes a
garminconnect token store made elsewhere (its ``garmin_tokens.json`` text, or what
``Garmin.client.dumps()`` returns), pasted into the form: the same import as ``peloton-export
garmin login --import -`` (:func:`~peloton_export_garmin.sink.read_token_import`, then a
token sign-in to check it; nothing is kept when Garmin refuses it). The pasted text is
never shown again or logged.
"""

from __future__ import annotations

from peloton_export.sinkkit import PluginSettings, protect
from peloton_export.specs import LoginAnswer, LoginField, LoginRequest, LoginSpec
from peloton_export_garmin.sink import GarminSession, GarminSettings, read_token_import

__all__ = ["login_spec"]

#: The longest pasted token store taken (garminconnect's is about 3 kB).
MAX_PASTE = 64 * 1024


def _settings(request: LoginRequest) -> GarminSettings:
    return GarminSettings.from_settings(PluginSettings("garmin", request.section))


def state(request: LoginRequest) -> str:
    """Whether a Garmin session is saved, and a pause asking for a new login."""
    settings = _settings(request)
    if not settings.token_file.is_file():
        return "not logged in"
    import peloton_export_garmin

    session = GarminSession(
        settings, factory=peloton_export_garmin.FACTORY, clock=peloton_export_garmin.CLOCK
    )
    paused = session.paused()
    if paused:
        why = paused.get("message") or paused.get("detail") or "Garmin refused the session"
        return f"a new login is needed: {why}"
    return "logged in (a saved Garmin session)"


def submit(request: LoginRequest) -> LoginAnswer:
    """Import the pasted token store (see the module documentation)."""
    import peloton_export_garmin

    text = request.fields.get("tokens", "").strip()
    if not text:
        return LoginAnswer(message="paste the token store first", ok=False)
    if len(text) > MAX_PASTE:
        return LoginAnswer(message=f"the pasted text is longer than {MAX_PASTE} bytes", ok=False)
    protect(text)
    settings = _settings(request)
    session = GarminSession(
        settings, factory=peloton_export_garmin.FACTORY, clock=peloton_export_garmin.CLOCK
    )
    session.import_tokens(read_token_import(text, "the pasted text"))
    peloton_export_garmin.reset_sessions()
    return LoginAnswer(message="Garmin accepted the imported session; it is saved (readable only by you)")


def logout(request: LoginRequest) -> LoginAnswer:
    """Forget the saved Garmin session."""
    import peloton_export_garmin

    settings = _settings(request)
    found = settings.token_file.is_file()
    settings.token_file.unlink(missing_ok=True)
    peloton_export_garmin.reset_sessions()
    return LoginAnswer(
        message="the saved Garmin session is removed" if found else "no Garmin session was saved"
    )


def login_spec() -> LoginSpec:
    """The Garmin login (a token import form)."""
    return LoginSpec(
        name="garmin",
        title="Garmin Connect",
        state=state,
        fields=(
            LoginField(
                name="tokens",
                label="garminconnect token store",
                kind="textarea",
                help="The text of garmin_tokens.json (or Garmin.client.dumps()) from a machine "
                "where you signed in with peloton-export garmin login or garminconnect.",
            ),
        ),
        submit=submit,
        submit_label="Import the session",
        logout=logout,
        help="A password sign-in with MFA runs in a terminal: peloton-export garmin login.",
    )
