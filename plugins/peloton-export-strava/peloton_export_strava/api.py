"""The three Strava calls we need (token, upload, poll) plus two look-ups, over requests.

Every request goes through :meth:`StravaApi.request`, which waits for Strava's rate-limit
windows, refreshes the access token once on a 401 (always keeping the rotated refresh
token), retries idempotent GETs on 5xx, and never puts a token in a log line or an error.

Ready for Strava's changes of 2027-06-01 (Strava's developer-program update of 2026-06-01;
stravalib #737, #738): the access token travels only in the ``Authorization`` header,
never in a form or a query; ``logout`` revokes with ``POST /oauth/revoke`` (HTTP Basic
``client_id:client_secret``, form ``token``) and falls back to ``/oauth/deauthorize`` while
Strava does not offer it; OAuth and the API are separate settings (``oauth_url``, default
``https://www.strava.com``; ``api_url``, default ``https://www.strava.com/api/v3``; Strava
announced ``https://api-v3.strava.com`` for the API from 2027-01-04).

Since 2026-06-30 Strava deactivates a personal API application whose owner has no Strava
subscription and answers every API call with HTTP 403 and ``{"message": "Forbidden",
"errors": [{"resource": "Application", "field": "Status", "code": "Inactive"}]}``
(stravalib #730): :class:`AppInactive`, a :class:`~peloton_export.errors.SinkPaused`.

An application with all its athlete places taken answers 403 "Limit of connected athletes
exceeded" (its authorize page: "This app has exceeded the limit of connected athletes. If
you are a developer of this application, please contact Strava developer support for how to
request a quota increase."; jat255/strava-to-fittrackee #22, TrackMyIndoorWorkout #511,
craibo/ha_strava #288): :class:`AthleteLimit`, also a pause. Any other 403 is shown with
Strava's own message and is never read as a missing scope or a login to redo.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peloton_export.errors import AuthRequired, ConfigError, ServiceFailing, SinkPaused, UploadError
from peloton_export.paths import config_dir, state_dir
from peloton_export.sinkkit import (
    Clock,
    PluginSettings,
    Rejected,
    TokenStore,
    UploadJournal,
    json_body,
    json_object,
    protect,
    redact,
    send,
)
from peloton_export.specs import ExportContext
from peloton_export_strava.ratelimit import Kind, RateLimits

if TYPE_CHECKING:
    import requests

log = logging.getLogger("peloton_export.strava")

DEFAULT_BASE_URL = "https://www.strava.com"
#: The API root Strava announced for 2027 (available from 2027-01-04; stravalib #737).
API_URL_2027 = "https://api-v3.strava.com"
#: Where a Strava application's owner sees (and reactivates) it.
SETTINGS_PAGE = "https://www.strava.com/settings/api"
#: ``strava.peloton_share``: ``respect`` records Peloton's own Strava share as delivered.
PELOTON_SHARE = ("respect", "ignore")
SCOPES = "activity:write,activity:read_all,profile:read_all"
#: What Strava's authorize page calls each scope.
SCOPE_NAMES = {
    "activity:write": '"Upload your activities"',
    "activity:read_all": '"View data about your private activities"',
    "activity:read": '"View data about your activities"',
    "profile:read_all": '"View your complete Strava profile"',
}
LOGIN_HINT = "run `peloton-export strava login`"
#: Refresh the access token this many seconds before Strava says it expires.
REFRESH_MARGIN = 120
#: Longest wait for a rate-limit window (s) before failing instead; 16 min covers one window.
MAX_WAIT = 960.0
#: How long to poll an upload before leaving it to the next run (s).
POLL_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class StravaSettings:
    """Where Strava is and who we are to it (``[plugin:strava]`` plus the environment)."""

    base_url: str = DEFAULT_BASE_URL
    #: OAuth host (authorize, token, revoke); ``None``: ``base_url``.
    oauth_url: str | None = None
    #: API root (uploads, activities); ``None``: ``<base_url>/api/v3``.
    api_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    token_file: Path = field(default_factory=lambda: config_dir() / "strava-token.json")
    journal_file: Path = field(default_factory=lambda: state_dir() / "strava-journal.json")
    max_wait: float = MAX_WAIT
    poll_timeout: float = POLL_TIMEOUT
    #: Seconds to wait for an answer, each byte and the whole body (``timeout``).
    timeout: float = 60.0

    @property
    def api(self) -> str:
        """The API root: ``api_url``, else ``<base_url>/api/v3``."""
        return self.api_url or f"{self.base_url}/api/v3"

    @property
    def oauth(self) -> str:
        """The OAuth root (``/oauth/authorize``, ``/oauth/token``, ``/oauth/revoke``)."""
        return self.oauth_url or self.base_url

    @classmethod
    def from_settings(cls, get: PluginSettings) -> StravaSettings:
        """Build from the plugin's settings (``--option strava.KEY`` -> section -> environment).

        :raises ConfigError: a number setting that is not a number.
        """

        def url(key: str, env: str) -> str | None:
            value = get.get(key, env)
            if value is None:
                return None
            if not value.startswith(("https://", "http://")):
                raise ConfigError(f"{get.where(key)}: expected an http(s) URL, got {value!r}")
            return value.rstrip("/")

        settings = cls(
            base_url=url("base_url", "PELOTON_EXPORT_STRAVA_URL") or DEFAULT_BASE_URL,
            oauth_url=url("oauth_url", "PELOTON_EXPORT_STRAVA_OAUTH_URL"),
            api_url=url("api_url", "PELOTON_EXPORT_STRAVA_API_URL"),
            client_id=get.get("client_id", "STRAVA_CLIENT_ID"),
            client_secret=get.get("client_secret", "STRAVA_CLIENT_SECRET"),
            max_wait=get.number("max_wait", MAX_WAIT),
            poll_timeout=get.number("poll_timeout", POLL_TIMEOUT),
            timeout=get.number("timeout", 60.0),
            token_file=get.path("token_file", config_dir() / "strava-token.json"),
            journal_file=get.path("journal_file", state_dir() / "strava-journal.json"),
        )
        protect(settings.client_secret)
        return settings

    @classmethod
    def from_mapping(cls, section: Mapping[str, str]) -> StravaSettings:
        """Build from a ``[plugin:strava]`` section (and the environment)."""
        return cls.from_settings(PluginSettings("strava", section))

    @classmethod
    def from_context(cls, context: ExportContext) -> StravaSettings:
        """Build from an export run's options and config."""
        return cls.from_settings(PluginSettings.from_context(context, "strava"))


class ScopeMissing(AuthRequired):
    """Strava answered 401 because the login lacks a scope (``scope``); a refresh cannot help."""

    def __init__(self, scope: str, what: str) -> None:
        super().__init__(
            f"{what}: the Strava login lacks the {scope} scope; run `peloton-export strava login` "
            f"and allow it ({SCOPE_NAMES.get(scope, scope)})"
        )
        self.scope = scope


class AppInactive(SinkPaused):
    """Strava answered 403 "Application Inactive": the app's owner has no Strava subscription.

    Neither a token refresh nor a new login can fix it; ``raw`` is Strava's answer as sent.
    """

    def __init__(self, raw: str) -> None:
        super().__init__(
            "Strava: your Strava API application is inactive: since 2026-06-30 Strava deactivates "
            "personal API applications whose owner has no Strava subscription. Subscribe with the "
            f"Strava account that owns the application, then reactivate it at {SETTINGS_PAGE}",
            reason="app-inactive",
        )
        self.raw = raw


class AthleteLimit(SinkPaused):
    """Strava answered 403 "Limit of connected athletes exceeded": the API application has as
    many athletes connected as Strava allows it (1 for a new app; 10 for a Standard Tier app
    since 2026-06-30). A new login with the same application cannot fix it; ``raw`` is
    Strava's answer as sent.
    """

    def __init__(self, raw: str) -> None:
        super().__init__(
            'Strava: "Limit of connected athletes exceeded": this Strava API application has all '
            "the athletes Strava allows it; create your own application at "
            f"{SETTINGS_PAGE} and set its client_id and client_secret in [plugin:strava], or have "
            "the application's owner disconnect an athlete or ask Strava for more",
            reason="athlete-limit",
        )
        self.raw = raw


def strava_errors(response: requests.Response) -> list[dict[str, Any]]:
    """The objects of a Strava error body's ``errors`` list (``[]`` for anything else)."""
    body = json_body(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    return [error for error in errors if isinstance(error, dict)] if isinstance(errors, list) else []


def is_inactive(response: requests.Response) -> bool:
    """True for Strava's "Application Inactive" 403 (``errors[]`` with ``resource:
    Application``, ``field: Status``, ``code: Inactive``, as stravalib #730 shows)."""
    if response.status_code != 403:
        return False
    return any(
        str(error.get("resource") or "").casefold() == "application"
        and str(error.get("code") or "").casefold() == "inactive"
        for error in strava_errors(response)
    )


def is_athlete_limit(response: requests.Response) -> bool:
    """True for Strava's 403 "Limit of connected athletes exceeded" (in the JSON ``message``,
    an ``errors[]`` code or field, or an HTML page's text)."""
    if response.status_code != 403:
        return False
    return "limit of connected athletes" in " ".join(response.text[:20000].split()).casefold()


def forbidden_text(response: requests.Response, what: str) -> str:
    """One line for a 403 that is neither an inactive app nor the athlete limit: Strava's own
    message, and what to do (it is not a missing scope and a new login will not change it)."""
    return (
        f"{what}: Strava refused it ({error_text(response)}); that is Strava's answer for this "
        f"application or athlete, not a login problem: see {SETTINGS_PAGE}"
    )


def missing_scope(response: requests.Response) -> str | None:
    """The scope a 401 says is missing (``{"errors": [{"field": "activity:write_permission",
    "code": "missing"}]}`` -> ``activity:write``), or ``None`` for any other 401."""
    for error in strava_errors(response):
        field_name = str(error.get("field") or "")
        if error.get("code") == "missing" and field_name.endswith("_permission"):
            return field_name.removesuffix("_permission")
    return None


def error_text(response: requests.Response) -> str:
    """``HTTP <status>: <message> (<field> <code>)`` from a Strava error body."""
    body = json_body(response)
    message = ""
    if isinstance(body, dict):
        message = str(body.get("message") or body.get("error") or "")
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            detail = " ".join(str(errors[0].get(k, "")) for k in ("field", "code")).strip()
            message = f"{message} ({detail})" if detail else message
    return f"HTTP {response.status_code}" + (f": {message[:200]}" if message else "")


class StravaApi:
    """A logged-in Strava session: tokens, rate limits and the calls the sink makes."""

    def __init__(
        self,
        settings: StravaSettings,
        *,
        clock: Clock | None = None,
        session: requests.Session | None = None,
        limits: RateLimits | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        self.session = session or _new_session()
        self.session.headers["User-Agent"] = "peloton-export-strava"
        self.tokens = TokenStore(settings.token_file)
        self.limits = limits if limits is not None else RateLimits()
        self.journal = UploadJournal(settings.journal_file, clock=self.clock)

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()

    # -- tokens -------------------------------------------------------------------------

    def _credentials(self) -> tuple[str, str]:
        if not self.settings.client_id or not self.settings.client_secret:
            raise AuthRequired(
                "Strava needs client_id and client_secret in [plugin:strava] "
                "(or STRAVA_CLIENT_ID / STRAVA_CLIENT_SECRET); see the plugin's README"
            )
        return self.settings.client_id, self.settings.client_secret

    def exchange(self, form: dict[str, str], what: str, *, scope: str | None = None) -> dict[str, Any]:
        """POST to ``/oauth/token`` and store the tokens it returns (0600).

        A rotated refresh token replaces the old one; an answer without one keeps the old
        one. A 400/401 means the grant is no longer valid: :class:`AuthRequired`.
        """
        client_id, client_secret = self._credentials()
        response = send(
            self.session,
            "POST",
            f"{self.settings.oauth}/oauth/token",
            what=what,
            clock=self.clock,
            timeout=self.settings.timeout,
            idempotent=True,  # a token request changes nothing we could duplicate
            max_wait=self.settings.max_wait,
            data={**form, "client_id": client_id, "client_secret": client_secret},
        )
        self._check_inactive(response)
        if response.status_code == 403:  # Strava's own refusal: a new login would get it too
            raise UploadError(forbidden_text(response, what))
        if response.status_code in (400, 401):
            raise AuthRequired(
                f"{what}: Strava refused the authorization (HTTP {response.status_code}); {LOGIN_HINT}"
            )
        if response.status_code != 200:
            raise UploadError(f"{what}: HTTP {response.status_code} from Strava")
        body = json_object(response, what)
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise UploadError(f"{what}: Strava's answer has no access token")
        previous = self.tokens.load() or {}
        refresh = body.get("refresh_token") or previous.get("refresh_token")
        expires_at = body.get("expires_at")
        if not isinstance(expires_at, int | float):
            expires_in = body.get("expires_in")
            expires_at = self.clock.time() + (
                float(expires_in) if isinstance(expires_in, int | float) else 3600
            )
        athlete = body.get("athlete")
        record = {
            "access_token": access,
            "refresh_token": refresh,
            "expires_at": int(expires_at),
            "athlete_id": athlete.get("id") if isinstance(athlete, dict) else previous.get("athlete_id"),
            "scope": scope or previous.get("scope"),
        }
        self.tokens.save(record)
        log.debug("stored Strava tokens in %s (expires at %s)", self.tokens.path, record["expires_at"])
        return record

    def refresh(self) -> str:
        """Use the stored refresh token; returns the new access token."""
        stored = self.tokens.load()
        if not stored or not stored.get("refresh_token"):
            raise AuthRequired(f"not logged in to Strava; {LOGIN_HINT}")
        record = self.exchange(
            {"grant_type": "refresh_token", "refresh_token": str(stored["refresh_token"])},
            "Strava token refresh",
        )
        return str(record["access_token"])

    def access_token(self) -> str:
        """A valid access token, refreshed when it expires within two minutes."""
        stored = self.tokens.load()
        if not stored or not stored.get("access_token"):
            raise AuthRequired(f"not logged in to Strava; {LOGIN_HINT}")
        if float(stored.get("expires_at") or 0) - REFRESH_MARGIN <= self.clock.time():
            return self.refresh()
        return str(stored["access_token"])

    # -- requests -----------------------------------------------------------------------

    def request(self, method: str, path: str, *, what: str, kind: Kind, **kwargs: Any) -> requests.Response:
        """Send an authorized API request, honouring the rate limits; 401 refreshes once."""
        idempotent = method == "GET"
        url = f"{self.settings.api}{path}"
        for attempt in (1, 2):
            token = self.access_token() if attempt == 1 else self.refresh()
            wait = self.limits.wait_before(kind, self.clock.time())
            if wait > self.settings.max_wait:
                raise ServiceFailing(
                    f"{what}: Strava's daily request limit is used up; try again after 00:00 UTC",
                    retry_after=wait,
                )
            if wait > 0:
                log.info("waiting %.0f s for Strava's rate limit window", wait)
                self.clock.sleep(wait)
            response = send(
                self.session,
                method,
                url,
                what=what,
                clock=self.clock,
                idempotent=idempotent,
                max_wait=self.settings.max_wait,
                timeout=self.settings.timeout,
                wait_on_429=lambda r: self.limits.wait_after_429(r, kind, self.clock.time()),
                headers={"Authorization": f"Bearer {token}"},
                **kwargs,
            )
            self.limits.note(response, self.clock.time())
            self._check_inactive(response)  # no refresh, no login: the app itself is off
            if response.status_code != 401:
                return response
            scope = missing_scope(response)
            if scope is not None:  # a refresh would not add the scope: say which one to grant
                raise ScopeMissing(scope, what)
            log.debug("Strava answered 401 to %s; refreshing the token", what)
        raise AuthRequired(f"{what}: Strava does not accept the saved login; {LOGIN_HINT}")

    def _check_inactive(self, response: requests.Response) -> None:
        """Raise :class:`AppInactive` for Strava's inactive-application 403 and
        :class:`AthleteLimit` for its "Limit of connected athletes exceeded" (raw text
        journaled)."""
        if is_inactive(response):
            raw = redact(response.text[:2000])  # kept in the journal: no token an answer echoed
            self.journal.set_service_state("app-inactive", raw)
            raise AppInactive(raw)
        if is_athlete_limit(response):
            raw = redact(response.text[:2000])
            self.journal.set_service_state("athlete-limit", raw)
            raise AthleteLimit(raw)

    def update_activity(self, activity_id: str, fields: Mapping[str, str], *, what: str) -> None:
        """``PUT /activities/{id}`` with ``fields`` (e.g. ``sport_type``, ``gear_id``).

        :raises ScopeMissing: the login lacks ``activity:write``.
        :raises Rejected: the activity is not on Strava (404): trying again cannot help.
        :raises UploadError: any other refusal.
        """
        response = self.request(
            "PUT", f"/activities/{activity_id}", what=what, kind="upload", data=dict(fields)
        )
        if response.status_code == 404:
            raise Rejected(f"{what}: Strava has no activity {activity_id} (deleted?)")
        if response.status_code != 200:
            raise UploadError(f"{what}: {error_text(response)}")

    def gear(self) -> list[dict[str, str]]:
        """The athlete's bikes and shoes: ``[{"id", "name", "kind"}]`` (kind ``bike``/``shoes``).

        Reads ``GET /athlete``, which lists gear only with the ``profile:read_all`` scope.

        :raises ScopeMissing: the login lacks ``profile:read_all``.
        """
        response = self.request("GET", "/athlete", what="Strava gear list", kind="read")
        if response.status_code != 200:
            raise UploadError(f"Strava gear list: {error_text(response)}")
        athlete = json_object(response, "Strava gear list")
        if "bikes" not in athlete and "shoes" not in athlete:  # the summary profile: no gear
            raise ScopeMissing("profile:read_all", "Strava gear list")
        gear: list[dict[str, str]] = []
        for key, kind in (("bikes", "bike"), ("shoes", "shoes")):
            for item in athlete.get(key) or []:
                if isinstance(item, dict) and item.get("id"):
                    name = str(item.get("nickname") or item.get("name") or item["id"])
                    gear.append({"id": str(item["id"]), "name": name, "kind": kind})
        return gear

    def revoke(self) -> bool:
        """Revoke peloton-export's access; True when Strava agreed.

        ``POST /oauth/revoke`` (HTTP Basic ``client_id:client_secret``, form ``token`` = the
        refresh token, ``token_type_hint=refresh_token``; revoking one token revokes the
        other). Where Strava does not offer it yet (404/405), ``POST /oauth/deauthorize``
        with the access token in the ``Authorization`` header (retired 2027-06-01).
        """
        stored = self.tokens.load() or {}
        refresh = stored.get("refresh_token")
        if refresh and self.settings.client_id and self.settings.client_secret:
            response = send(
                self.session,
                "POST",
                f"{self.settings.oauth}/oauth/revoke",
                what="Strava revoke",
                clock=self.clock,
                timeout=self.settings.timeout,
                idempotent=True,
                max_wait=self.settings.max_wait,
                auth=(self.settings.client_id, self.settings.client_secret),
                data={"token": str(refresh), "token_type_hint": "refresh_token"},
            )
            if response.status_code not in (404, 405):
                return response.status_code == 200
            log.debug("Strava has no /oauth/revoke (HTTP %s); using /oauth/deauthorize", response.status_code)
        return self.deauthorize()

    def deauthorize(self) -> bool:
        """``POST /oauth/deauthorize`` (until 2027-06-01): True when Strava agreed.

        Needs a valid access token (refreshed first when it expired), sent in the
        ``Authorization`` header; a login Strava no longer accepts counts as already revoked.
        """
        try:
            token = self.access_token()
        except AuthRequired:
            return False
        response = send(
            self.session,
            "POST",
            f"{self.settings.oauth}/oauth/deauthorize",
            what="Strava deauthorize",
            clock=self.clock,
            timeout=self.settings.timeout,
            idempotent=True,
            max_wait=self.settings.max_wait,
            headers={"Authorization": f"Bearer {token}"},
        )
        return response.status_code == 200

    def activity_exists(self, activity_id: str) -> bool:
        """True when the activity is on Strava, False when it was deleted (404)."""
        response = self.request(
            "GET", f"/activities/{activity_id}", what="Strava activity check", kind="read"
        )
        if response.status_code == 404:
            return False
        if response.status_code == 200:
            return True
        raise UploadError(f"Strava activity check: HTTP {response.status_code}")

    def activities_near(self, start: float, within: float) -> list[dict[str, Any]] | None:
        """The athlete's activities starting within ``within`` seconds of ``start``
        (``GET /athlete/activities?after&before``, one page of up to 100).

        :returns: the activities, or ``None`` when Strava refused the look-up (no
            ``activity:read_all``/``activity:read`` scope, an error answer).
        :raises ServiceFailing: a 5xx after the retries (Strava is failing: nothing is sent
            blind, which could make a second copy of an upload in doubt).
        """
        what_look_up = "Strava activity look-up"
        try:
            response = self.request(
                "GET",
                "/athlete/activities",
                what=what_look_up,
                kind="read",
                params={"after": int(start - within), "before": int(start + within), "per_page": 100},
            )
        except ScopeMissing as exc:
            log.info("cannot look up activities on Strava: %s", exc)
            return None
        if response.status_code >= 500:  # after send's retries: Strava itself is failing
            raise ServiceFailing(f"{what_look_up}: HTTP {response.status_code} from Strava")
        if response.status_code != 200:
            log.warning("could not look up activities on Strava (HTTP %s)", response.status_code)
            return None
        items = json_body(response)
        return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else None

    def find_activity(self, external_id: str, start: float) -> str | None:
        """The id of the activity with ``external_id`` started within a day of ``start``
        (:meth:`activities_near`, :func:`with_external_id`).

        Without the ``activity:read_all`` scope Strava refuses the look-up: that counts as
        no match (the upload is sent, and Strava's duplicate answer catches a repeat).
        """
        return with_external_id(self.activities_near(start, 86400.0) or [], external_id)


def with_external_id(items: list[dict[str, Any]], external_id: str) -> str | None:
    """The id of the activity in ``items`` (Strava's activity summaries) whose
    ``external_id`` is ``external_id``, or that with the file's suffix Strava appends
    (``peloton-abc.fit``); ``None`` when there is none."""
    for item in items:
        ext = str(item.get("external_id") or "")
        found = activity_id(item)
        if found is not None and (ext == external_id or ext.startswith(external_id + ".")):
            return found
    return None


def activity_id(item: Mapping[str, Any]) -> str | None:
    """An activity summary's id (``id_str``, else ``id``) when it is ASCII digits of at most
    19 (a 64-bit id), else ``None``: a hostile answer's id never reaches a request path."""
    found = str(item.get("id_str") or item.get("id") or "")
    return found if found.isascii() and found.isdigit() and len(found) <= 19 else None


def _new_session() -> requests.Session:
    """A requests session, imported on first use (loading the plugin imports no HTTP library)."""
    import requests

    return requests.Session()
