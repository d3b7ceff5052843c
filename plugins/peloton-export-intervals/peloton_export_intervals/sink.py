"""Upload one file to intervals.icu, exactly once.

``POST /api/v1/athlete/{id}/activities`` (``{id}`` = ``0``: the key's owner) with HTTP Basic
auth (user ``API_KEY``, the key as password), a multipart ``file`` and the query parameters
``name``, ``description`` and ``external_id`` (``peloton-<workout id>``).

intervals.icu de-duplicates by file content: **201** means a new activity, **200** answers
with the activity it already has (recorded as a duplicate with that id). A 409, or an error
saying the activity already exists, is a duplicate too. The begin / resume / finish journal
is :class:`peloton_export.sinkkit.JournaledUploader`'s: a run that crashed mid-upload looks
the workout up by ``external_id`` among the activities of its day before sending again.
"""

from __future__ import annotations

import gzip
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peloton_export.errors import AuthRequired, ConfigError, UploadError
from peloton_export.model import Workout
from peloton_export.paths import config_dir, state_dir
from peloton_export.sinkkit import (
    Clock,
    InDoubt,
    JournaledUploader,
    PluginSettings,
    Rejected,
    Sent,
    TokenStore,
    UploadJournal,
    activity_title,
    json_body,
    json_object,
    protect,
    render_setting,
    send,
)
from peloton_export.specs import ExportContext, UploadResult

if TYPE_CHECKING:
    import requests

log = logging.getLogger("peloton_export.intervals")

DEFAULT_BASE_URL = "https://intervals.icu"
DEFAULT_NAME = "{title} with {instructor}"
DEFAULT_DESCRIPTION = (
    "{duration} · {calories} kcal\nAvg {avg_power} W\nExported from Peloton with peloton-export"
)
KEY_HINT = (
    "set api_key in [plugin:intervals] or INTERVALS_API_KEY (Settings > Developer Settings on intervals.icu)"
)
DUPLICATE = re.compile(r"duplicate|already exists", re.IGNORECASE)
SUFFIXES = (".fit", ".tcx", ".gpx")


@dataclass(frozen=True, slots=True)
class IntervalsSettings:
    """``[plugin:intervals]`` keys, ``--option intervals.KEY`` and the environment."""

    api_key: str | None = field(default=None, repr=False)
    athlete_id: str = "0"
    base_url: str = DEFAULT_BASE_URL
    journal_file: Path = field(default_factory=lambda: state_dir() / "intervals-journal.json")
    #: Seconds to wait for an answer, each byte and the whole body (``timeout``).
    timeout: float = 60.0

    @classmethod
    def from_context(cls, context: ExportContext) -> IntervalsSettings:
        """Read the settings of one run.

        :raises ConfigError: an ``athlete_id`` that is neither 0 nor ``i<digits>``.
        """
        return cls.from_settings(PluginSettings.from_context(context, "intervals"))

    @classmethod
    def from_settings(cls, get: PluginSettings) -> IntervalsSettings:
        """Read the settings from ``get`` (``--option`` -> section -> environment); the API
        key is ``api_key``, else ``INTERVALS_API_KEY``, else the one entered on the ``serve``
        Logins page (:func:`key_store`).

        :raises ConfigError: an ``athlete_id`` that is neither 0 nor ``i<digits>``.
        :raises UploadError: the saved key's file is unreadable.
        """
        settings = cls(
            api_key=get.get("api_key", "INTERVALS_API_KEY") or saved_key(),
            athlete_id=get.get("athlete_id", "INTERVALS_ATHLETE_ID") or "0",
            base_url=(get.get("base_url", "PELOTON_EXPORT_INTERVALS_URL") or DEFAULT_BASE_URL).rstrip("/"),
            journal_file=get.path("journal_file", state_dir() / "intervals-journal.json"),
            timeout=get.number("timeout", 60.0),
        )
        if not re.fullmatch(r"i?\d+", settings.athlete_id):
            raise ConfigError(
                f"[plugin:intervals] athlete_id: expected 0 or an id like i12345, got {settings.athlete_id!r}"
            )
        protect(settings.api_key)
        return settings


#: The file under the profile's config folder holding the key entered on the Logins page.
KEY_FILE = "intervals-key.json"


def key_store() -> TokenStore:
    """Where the API key entered on the ``serve`` Logins page is kept: ``{"api_key": ...}``
    in ``<config dir>/intervals-key.json`` (mode 0600; the active profile's folder)."""
    return TokenStore(config_dir() / KEY_FILE)


def saved_key() -> str | None:
    """The key :func:`key_store` holds, or ``None``.

    :raises UploadError: the file is unreadable or not a JSON object.
    """
    record = key_store().load()
    value = record.get("api_key") if record else None
    return value if isinstance(value, str) and value else None


def external_id(workout: Workout) -> str:
    """``peloton-<workout id>``."""
    return f"peloton-{workout.id}"


class IntervalsUploader(JournaledUploader):
    """Uploads with one HTTP session; calling it is the sink's ``upload``."""

    def __init__(
        self,
        settings: IntervalsSettings,
        *,
        clock: Clock | None = None,
        session: requests.Session | None = None,
    ) -> None:
        if not settings.api_key:
            raise AuthRequired(f"intervals.icu needs an API key: {KEY_HINT}")
        clock = clock or Clock()
        super().__init__(UploadJournal(settings.journal_file, clock=clock), clock)
        self.settings = settings
        self.session = session or _new_session()
        self.session.auth = ("API_KEY", settings.api_key)
        self.session.headers["User-Agent"] = "peloton-export-intervals"

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()

    @property
    def athlete_url(self) -> str:
        """``<base>/api/v1/athlete/<id>``."""
        return f"{self.settings.base_url}/api/v1/athlete/{self.settings.athlete_id}"

    def _check_auth(self, response: requests.Response, what: str) -> None:
        if response.status_code in (401, 403):
            raise AuthRequired(
                f"{what}: intervals.icu refused the API key (HTTP {response.status_code}); {KEY_HINT}"
            )

    def send(self, path: Path, workout: Workout, context: ExportContext) -> Sent:
        """One POST of the gzipped file; 201 uploaded, 200 / 409 duplicate."""
        if path.suffix.lower() not in SUFFIXES:
            raise Rejected(f"intervals.icu takes FIT, TCX or GPX files, not {path.name}")
        settings = PluginSettings.from_context(context, "intervals")
        params = {
            "name": activity_title(
                workout, context, plugin="intervals", template=settings.get("name_template"), limit=80
            ),
            "description": render_setting(
                settings, "description_template", workout, default=DEFAULT_DESCRIPTION
            ),
            "external_id": external_id(workout),
        }
        data = gzip.compress(path.read_bytes(), mtime=0)
        files = {"file": (f"{external_id(workout)}{path.suffix.lower()}.gz", data, "application/gzip")}
        response = send(
            self.session,
            "POST",
            f"{self.athlete_url}/activities",
            what="intervals.icu upload",
            clock=self.clock,
            timeout=self.settings.timeout,
            idempotent=False,
            params=params,
            files=files,
        )
        status = response.status_code
        self._check_auth(response, "intervals.icu upload")
        if status in (200, 201):
            body = json_object(response, "intervals.icu upload")
            remote = body.get("id") or _first_id(body)
            if not remote:
                raise UploadError("intervals.icu upload: the answer has no activity id")
            if status == 200:  # de-duplicated by content: the activity it already had
                return Sent(
                    UploadResult(state="duplicate", remote_id=str(remote), message="already on intervals.icu")
                )
            return Sent(UploadResult(state="uploaded", remote_id=str(remote)))
        message = _error_text(response)
        if status == 409 or (400 <= status < 500 and DUPLICATE.search(message)):
            remote = _remote_from_error(response) or self.find(workout)
            return Sent(UploadResult(state="duplicate", remote_id=remote, message="already on intervals.icu"))
        if status >= 500:
            # it may have been stored: the journal stays at "sending" so the next run looks first
            raise InDoubt(
                f"intervals.icu upload: server error (HTTP {status}); the next run checks and retries"
            )
        raise Rejected(f"intervals.icu upload: HTTP {status}" + (f": {message[:200]}" if message else ""))

    def find(self, workout: Workout) -> str | None:
        """The id of the activity with our ``external_id`` on the workout's day, if any."""
        day = workout.start.date()
        response = send(
            self.session,
            "GET",
            f"{self.athlete_url}/activities",
            what="intervals.icu activity look-up",
            clock=self.clock,
            timeout=self.settings.timeout,
            idempotent=True,
            params={
                "oldest": (day - timedelta(days=1)).isoformat(),
                "newest": (day + timedelta(days=1)).isoformat(),
            },
        )
        self._check_auth(response, "intervals.icu activity look-up")
        if response.status_code != 200:
            log.warning("could not look up earlier uploads on intervals.icu (HTTP %s)", response.status_code)
            return None
        items = json_body(response)
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item.get("external_id") == external_id(workout) and item.get("id"):
                return str(item["id"])
        return None

    def activity_exists(self, activity_id: str) -> bool:
        """True when the activity is on intervals.icu, False when it was deleted (404)."""
        response = send(
            self.session,
            "GET",
            f"{self.settings.base_url}/api/v1/activity/{activity_id}",
            what="intervals.icu activity check",
            clock=self.clock,
            timeout=self.settings.timeout,
            idempotent=True,
        )
        self._check_auth(response, "intervals.icu activity check")
        if response.status_code == 404:
            return False
        if response.status_code == 200:
            return True
        raise UploadError(f"intervals.icu activity check: HTTP {response.status_code}")


def _first_id(body: dict[str, Any]) -> str | None:
    activities = body.get("activities")
    if isinstance(activities, list) and activities and isinstance(activities[0], dict):
        value = activities[0].get("id")
        return str(value) if value else None
    return None


def _error_text(response: requests.Response) -> str:
    body = json_body(response)
    if isinstance(body, dict):
        return str(body.get("error") or body.get("message") or "")
    return ""


def _remote_from_error(response: requests.Response) -> str | None:
    body = json_body(response)
    if isinstance(body, dict):
        value = body.get("id") or body.get("activity_id")
        return str(value) if value else None
    return None


def _new_session() -> requests.Session:
    """A requests session, imported on first use (loading the plugin imports no HTTP library)."""
    import requests

    return requests.Session()
