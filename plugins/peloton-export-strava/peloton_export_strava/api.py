"""The three Strava calls we need (token, upload, poll) plus two look-ups, over requests.

Every request goes through :meth:`StravaApi.request`, which waits for Strava's rate-limit
windows, refreshes the access token once on a 401 (always keeping the rotated refresh
token), retries idempotent GETs on 5xx, and never puts a token in a log line or an error.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from peloton_export.errors import AuthRequired, ConfigError, UploadError
from peloton_export.paths import config_dir, state_dir
from peloton_export.specs import ExportContext
from peloton_export.uploads import (
    Clock,
    TokenStore,
    UploadJournal,
    json_object,
    plugin_setting,
    protect,
    send,
)
from peloton_export_strava.ratelimit import Kind, RateLimits

log = logging.getLogger("peloton_export.strava")

DEFAULT_BASE_URL = "https://www.strava.com"
SCOPES = "activity:write,activity:read_all"
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
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    token_file: Path = field(default_factory=lambda: config_dir() / "strava-token.json")
    journal_file: Path = field(default_factory=lambda: state_dir() / "strava-journal.json")
    max_wait: float = MAX_WAIT
    poll_timeout: float = POLL_TIMEOUT

    @property
    def api(self) -> str:
        """The API root, ``<base>/api/v3``."""
        return f"{self.base_url}/api/v3"

    @classmethod
    def from_mapping(
        cls, section: Mapping[str, str], option: Callable[[str], str | None] | None = None
    ) -> StravaSettings:
        """Build from a config section; ``option(key)`` (``--option strava.KEY``) wins."""

        def get(key: str, env: str | None = None) -> str | None:
            value = option(key) if option else None
            if not value:
                value = section.get(key)
            if not value and env:
                value = os.environ.get(env)
            return value or None

        def number(key: str, default: float) -> float:
            value = get(key)
            if value is None:
                return default
            try:
                return float(value)
            except ValueError:
                raise ConfigError(f"[plugin:strava] {key}: expected a number, got {value!r}") from None

        base = get("base_url", "PELOTON_EXPORT_STRAVA_URL") or DEFAULT_BASE_URL
        token_file = get("token_file")
        journal_file = get("journal_file")
        settings = cls(
            base_url=base.rstrip("/"),
            client_id=get("client_id", "STRAVA_CLIENT_ID"),
            client_secret=get("client_secret", "STRAVA_CLIENT_SECRET"),
            max_wait=number("max_wait", MAX_WAIT),
            poll_timeout=number("poll_timeout", POLL_TIMEOUT),
            **({"token_file": Path(token_file).expanduser()} if token_file else {}),
            **({"journal_file": Path(journal_file).expanduser()} if journal_file else {}),
        )
        protect(settings.client_secret)
        return settings

    @classmethod
    def from_context(cls, context: ExportContext) -> StravaSettings:
        """Build from an export run's options and config."""
        return cls.from_mapping(
            context.config_for("strava"), lambda key: plugin_setting(context, "strava", key)
        )


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
        self.session = session or requests.Session()
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
            f"{self.settings.base_url}/oauth/token",
            what=what,
            clock=self.clock,
            idempotent=True,  # a token request changes nothing we could duplicate
            max_wait=self.settings.max_wait,
            data={**form, "client_id": client_id, "client_secret": client_secret},
        )
        if response.status_code in (400, 401, 403):
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
                raise UploadError(
                    f"{what}: Strava's daily request limit is used up; try again after 00:00 UTC"
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
                wait_on_429=lambda r: self.limits.wait_after_429(r, kind, self.clock.time()),
                headers={"Authorization": f"Bearer {token}"},
                **kwargs,
            )
            self.limits.note(response, self.clock.time())
            if response.status_code != 401:
                return response
            log.debug("Strava answered 401 to %s; refreshing the token", what)
        raise AuthRequired(f"{what}: Strava does not accept the saved login; {LOGIN_HINT}")

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

    def find_activity(self, external_id: str, start: float) -> str | None:
        """The id of the activity with ``external_id`` started within a day of ``start``."""
        response = self.request(
            "GET",
            "/athlete/activities",
            what="Strava activity look-up",
            kind="read",
            params={"after": int(start - 86400), "before": int(start + 86400), "per_page": 100},
        )
        if response.status_code != 200:
            log.warning("could not look up earlier uploads on Strava (HTTP %s)", response.status_code)
            return None
        try:
            items = response.json()
        except ValueError:
            return None
        if not isinstance(items, list):
            return None
        for item in items:
            if not isinstance(item, dict):
                continue
            ext = str(item.get("external_id") or "")
            if ext == external_id or ext.startswith(external_id + "."):
                found = item.get("id_str") or item.get("id")
                return str(found) if found is not None else None
        return None
