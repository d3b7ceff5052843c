"""The intervals.icu login on the ``serve`` Logins page (``register_logins``).

The page shows whether a key is set (the config's ``api_key``, ``INTERVALS_API_KEY`` or
one entered here) and takes a new one: it is checked with one read of the athlete's
activities (``GET /api/v1/athlete/{id}/activities`` for one day of 2000, HTTP Basic
``API_KEY:<key>``), then saved to :func:`~peloton_export_intervals.sink.key_store`
(0600). It is never shown again, never logged, never part of an answer.
"""

from __future__ import annotations

from peloton_export.errors import AuthRequired, PelotonExportError
from peloton_export.sinkkit import PluginSettings, protect, send
from peloton_export.specs import LoginAnswer, LoginField, LoginRequest, LoginSpec
from peloton_export_intervals.sink import KEY_HINT, IntervalsSettings, _new_session, key_store

__all__ = ["check_key", "login_spec"]

#: The longest key taken (intervals.icu's are about 25 characters).
MAX_KEY = 200


def _settings(request: LoginRequest) -> IntervalsSettings:
    return IntervalsSettings.from_settings(PluginSettings("intervals", request.section))


def state(request: LoginRequest) -> str:
    """``API key set (in the config)`` / ``API key saved (entered here)`` / ``no API key``."""
    get = PluginSettings("intervals", request.section)
    if get.get("api_key", "INTERVALS_API_KEY"):
        return "API key set (in the config or INTERVALS_API_KEY)"
    try:
        saved = key_store().load()
    except PelotonExportError as exc:
        return f"the saved key cannot be read: {exc}"
    if saved and saved.get("api_key"):
        return "API key saved (entered on this page)"
    return "no API key: enter yours (intervals.icu > Settings > Developer Settings)"


def check_key(settings: IntervalsSettings, key: str) -> None:
    """One read with ``key``.

    :raises AuthRequired: intervals.icu refused it (401/403).
    :raises UploadError: intervals.icu could not be reached or answered another error.
    """
    import peloton_export_intervals

    session = _new_session()
    session.auth = ("API_KEY", key)
    session.headers["User-Agent"] = "peloton-export-intervals"
    try:
        response = send(
            session,
            "GET",
            f"{settings.base_url}/api/v1/athlete/{settings.athlete_id}/activities",
            what="intervals.icu key check",
            clock=peloton_export_intervals.CLOCK,
            idempotent=True,
            attempts=2,
            timeout=20.0,
            params={"oldest": "2000-01-01", "newest": "2000-01-02"},
        )
    finally:
        session.close()
    if response.status_code in (401, 403):
        raise AuthRequired(f"intervals.icu refused this API key (HTTP {response.status_code}); {KEY_HINT}")
    if response.status_code != 200:
        raise AuthRequired(f"intervals.icu answered HTTP {response.status_code} to the key check; try again")


def submit(request: LoginRequest) -> LoginAnswer:
    """Check the entered ``api_key`` and save it (see the module documentation)."""
    key = request.fields.get("api_key", "").strip()
    if not key:
        return LoginAnswer(message="enter an API key", ok=False)
    if len(key) > MAX_KEY or not key.isprintable() or " " in key:
        return LoginAnswer(message="that is not an intervals.icu API key", ok=False)
    protect(key)
    check_key(_settings(request), key)
    key_store().save({"api_key": key})
    return LoginAnswer(message="intervals.icu accepted the API key; it is saved (readable only by you)")


def logout(request: LoginRequest) -> LoginAnswer:
    """Forget the key entered on the page (a key in the config stays)."""
    removed = key_store().clear()
    return LoginAnswer(message="the saved API key is removed" if removed else "no API key was saved here")


def login_spec() -> LoginSpec:
    """The intervals.icu login (an API key form)."""
    return LoginSpec(
        name="intervals",
        title="intervals.icu",
        state=state,
        fields=(
            LoginField(
                name="api_key",
                label="API key",
                kind="secret",
                help="intervals.icu > Settings > Developer Settings > API key",
            ),
        ),
        submit=submit,
        submit_label="Check and save the key",
        logout=logout,
        help="The key is checked with intervals.icu, then kept in this profile's token folder.",
    )
