"""The ``strava`` sink: upload one file, wait for Strava to process it, exactly once.

Exactly once, on Strava's side:

* every upload carries ``external_id = peloton-<workout id>``;
* the journal (:class:`peloton_export.sinkkit.JournaledUploader`) records the attempt
  before the POST, the upload id after it and the activity id at the end, so a run that
  crashed after uploading resumes (polls the known upload, or looks the activity up by
  ``external_id``) instead of uploading again;
* Strava's own "duplicate of activity N" answer is a success: ``state="duplicate"`` with
  N as the remote id.

After the upload, two follow-ups go through ``PUT /activities/{id}`` (kept in the journal
and retried by a later run when they fail, never re-uploading): ``sport_type=VirtualRide``
for indoor cycling (Strava takes the type from the file, not from the upload's fields), and
the ``gear`` setting.

Never a second copy of a workout Strava already has (:meth:`StravaUploader.existing`,
before anything is sent):

* **Peloton's own share.** Peloton sets ``strava_id`` on a workout it shared to Strava
  itself (null or ``"-1"`` when it did not). With ``peloton_share = respect`` (the
  default) such a workout is recorded as delivered (``duplicate``, "shared by Peloton")
  with that activity id, and gets the follow-ups the user asked for: ``sport_type``
  VirtualRide and ``gear`` as above, and the ``name`` when a title template is set
  (``name_template``/``title_template`` of ``[plugin:strava]`` or the run's ``title``).
  ``ignore`` uploads our own copy (for users who deleted Peloton's).
* **Another service's copy** (Garmin Connect forwarding our Garmin upload, a watch): one
  ``GET /athlete/activities`` for activities starting within :data:`SAME_START` seconds of
  the workout; one of the same sport (:data:`SPORTS`) counts as a duplicate and is recorded
  with its id (under ``ignore``, Peloton's own copy, ``strava_id``, does not count). The same
  answer finds our own earlier upload by ``external_id`` (a run that crashed after sending).
"""

from __future__ import annotations

import gzip
import logging
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from peloton_export.errors import ConfigError, ServiceFailing, UploadError
from peloton_export.model import Workout
from peloton_export.sinkkit import (
    Existing,
    InDoubt,
    JournaledUploader,
    PluginSettings,
    Rejected,
    Sent,
    UploadLost,
    activity_title,
    json_object,
    render_setting,
)
from peloton_export.specs import ExportContext, UploadResult
from peloton_export_strava.api import (
    PELOTON_SHARE,
    ScopeMissing,
    StravaApi,
    activity_id,
    error_text,
    forbidden_text,
    missing_scope,
    with_external_id,
)

log = logging.getLogger("peloton_export.strava")

DEFAULT_NAME = "{title} with {instructor}"
DEFAULT_DESCRIPTION = (
    "{duration} · {calories} kcal\nOutput {output_kj} kJ · avg {avg_power} W\n"
    "Avg cadence {avg_cadence} rpm\nAvg HR {avg_hr} bpm\nExported from Peloton with peloton-export"
)
DATA_TYPES = {".fit": "fit", ".tcx": "tcx", ".gpx": "gpx"}
DUPLICATE = re.compile(r"duplicate of\D*?(\d+)", re.IGNORECASE)
POLL_INTERVAL = 1.0
#: Disciplines uploaded as Strava's Virtual Ride when indoors.
CYCLING = frozenset({"cycling", "bike_bootcamp"})
#: A Strava gear id: ``b<digits>`` (bike) or ``g<digits>`` (shoes).
GEAR_ID = re.compile(r"[bg]\d+")
#: Seconds between a workout's start and a Strava activity's for it to be the same workout.
SAME_START = 120.0
#: Strava ``sport_type`` values counted as the same sport as a Peloton discipline.
SPORTS: dict[str, frozenset[str]] = {
    "cycling": frozenset({"Ride", "VirtualRide", "EBikeRide"}),
    "bike_bootcamp": frozenset({"Ride", "VirtualRide", "Workout"}),
    "running": frozenset({"Run", "VirtualRun", "TrailRun"}),
    "tread_bootcamp": frozenset({"Run", "VirtualRun", "Workout"}),
    "walking": frozenset({"Walk", "Hike"}),
    "rowing": frozenset({"Rowing", "VirtualRow"}),
    "caesar": frozenset({"Rowing", "VirtualRow"}),
    "rowing_bootcamp": frozenset({"Rowing", "VirtualRow", "Workout"}),
    "strength": frozenset({"WeightTraining", "Workout", "Crossfit"}),
    "yoga": frozenset({"Yoga"}),
    "stretching": frozenset({"Yoga", "Workout"}),
    "cardio": frozenset({"Workout", "HighIntensityIntervalTraining"}),
    "meditation": frozenset({"Workout"}),
}
SHARED_BY_PELOTON = "shared by Peloton"
#: The look-up window (s) around a workout's start for our own earlier upload.
LOOK_AROUND = 86400.0
#: A run reuses a look-up answer for this long (s) for the other workouts in its window.
REUSE_LOOK_UP = 900.0
#: Activities per look-up page (Strava's ``per_page``, at most 200; we ask for 100).
PAGE = 100


def peloton_share(context: ExportContext) -> str:
    """``strava.peloton_share``: ``respect`` (default) or ``ignore``.

    :raises ConfigError: another value.
    """
    settings = _settings(context)
    value = (settings.get("peloton_share", "PELOTON_EXPORT_STRAVA_PELOTON_SHARE") or "respect").lower()
    if value not in PELOTON_SHARE:
        raise ConfigError(f"{settings.where('peloton_share')}: expected respect or ignore, got {value!r}")
    return value


def shared_id(workout: Workout) -> str | None:
    """The Strava activity id Peloton shared the workout as (``strava_id``), or ``None``:
    ASCII digits of a positive 64-bit integer (Strava's ids), nothing longer."""
    value = (workout.strava_id or "").strip()
    ok = value.isascii() and value.isdigit() and len(value) <= 19 and 0 < int(value) < 2**63
    return value if ok else None


def _start_of(item: dict[str, Any]) -> float | None:
    text = item.get("start_date")
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def external_id(workout: Workout) -> str:
    """The stable id Strava keeps with the activity: ``peloton-<workout id>``."""
    return f"peloton-{workout.id}"


def _settings(context: ExportContext) -> PluginSettings:
    return PluginSettings.from_context(context, "strava")


def activity_name(workout: Workout, context: ExportContext) -> str:
    """The name from ``name_template``, else the run's title template (default
    ``{title} with {instructor}``), one line of at most 255 characters."""
    own = _settings(context).get("name_template")
    return activity_title(workout, context, plugin="strava", template=own, limit=255)


def _title_set(context: ExportContext) -> bool:
    """True when the user set a title template (for Strava or the whole run)."""
    own = _settings(context)
    return bool(own.get("name_template") or own.get("title_template") or context.option("title"))


def activity_description(workout: Workout, context: ExportContext) -> str:
    """The description from ``description_template`` (a link-free summary by default)."""
    return render_setting(_settings(context), "description_template", workout, default=DEFAULT_DESCRIPTION)


def is_virtual_ride(workout: Workout, settings: PluginSettings) -> bool:
    """Indoor cycling, with the ``virtual_ride`` setting on (the default)."""
    return not workout.is_outdoor and workout.discipline in CYCLING and settings.flag("virtual_ride", True)


def upload_form(
    path: Path, workout: Workout, context: ExportContext
) -> tuple[dict[str, str], tuple[str, bytes]]:
    """The multipart fields and the (gzipped) file part of one upload.

    :raises Rejected: not a FIT, TCX or GPX file.
    """
    settings = _settings(context)
    suffix = path.suffix.lower()
    data = path.read_bytes()
    if suffix == ".gz":
        kind = DATA_TYPES.get(Path(path.stem).suffix.lower())
        gz = True
    else:
        kind = DATA_TYPES.get(suffix)
        gz = settings.flag("gzip", True)
        if gz:
            data = gzip.compress(data, mtime=0)
    if kind is None:
        raise Rejected(f"Strava takes FIT, TCX or GPX files, not {path.name}")
    data_type = f"{kind}.gz" if gz else kind
    fields = {
        "data_type": data_type,
        "external_id": external_id(workout),
        "name": activity_name(workout, context),
        "description": activity_description(workout, context),
    }
    if not workout.is_outdoor and settings.flag("trainer", True):
        fields["trainer"] = "1"
    if is_virtual_ride(workout, settings):
        # not documented to apply (Strava reads the type from the file): the follow-up sets it
        fields["activity_type"] = "virtualride"
        fields["sport_type"] = "VirtualRide"
    filename = f"{external_id(workout)}.{data_type}"
    return fields, (filename, data)


def read_status(body: dict[str, Any]) -> UploadResult | None:
    """Interpret an upload status (``{id, id_str, status, error, activity_id}``).

    :returns: the result, or ``None`` while Strava is still processing.
    :raises Rejected: Strava refused the file (any error but a duplicate).
    """
    error = body.get("error")
    activity = body.get("activity_id")
    if error:
        text = str(error)
        match = DUPLICATE.search(text)
        if match:
            return UploadResult(state="duplicate", remote_id=match.group(1), message="already on Strava")
        raise Rejected(f"Strava rejected the file: {text[:300]}")
    if activity:
        return UploadResult(state="uploaded", remote_id=str(activity))
    return None


def _upload_id(body: dict[str, Any]) -> str:
    value = body.get("id_str") or body.get("id")
    if value is None or not str(value).isdigit():
        raise UploadError("Strava upload: the answer has no upload id")
    return str(value)


class StravaUploader(JournaledUploader):
    """Uploads files for one run; calling it is the sink's ``upload``."""

    attempts = 3
    check_after_doubt = True

    def __init__(self, api: StravaApi) -> None:
        super().__init__(api.journal, api.clock)
        self.api = api
        #: the run's look-up answers (``context.state``), see :meth:`_activities_near`
        self._windows: list[dict[str, Any]] = []
        #: activity id -> workout id of the workouts Peloton shared, seen in this run
        self._shared: dict[str, str] = {}
        #: the workouts whose file this run sent (their look-ups always ask Strava)
        self._sent: set[str] = set()

    def __call__(self, path: Path, workout: Workout, context: ExportContext) -> UploadResult:
        """Upload as :class:`JournaledUploader` does, sharing look-ups across the run."""
        run = context.state.setdefault("strava", {})
        self._windows, self._sent = run.setdefault("look-ups", []), run.setdefault("sent", set())
        return super().__call__(path, workout, context)

    def _activities_near(self, workout: Workout) -> list[dict[str, Any]] | None:
        """Activities within a day of the workout's start, shared by :meth:`find` (crash
        recovery) and :meth:`existing`. One ``GET /athlete/activities`` answers every
        workout of the run within :data:`SAME_START` of its window, for
        :data:`REUSE_LOOK_UP` seconds, unless it was a full page (more may exist); so does a
        refused look-up (no ``activity:read_all``). Once this workout's file was sent, its
        look-up asks Strava (the upload may be there now); our uploads of other workouts
        never count for it, so they do not make an answer stale."""
        start = workout.start.timestamp()
        now = self.api.clock.time()
        for window in [] if workout.id in self._sent else self._windows:
            covers = window["after"] <= start - SAME_START and start + SAME_START <= window["before"]
            if covers and now - window["at"] <= REUSE_LOOK_UP:
                return None if window["items"] is None else list(window["items"])
        items = self.api.activities_near(start, LOOK_AROUND)
        if items is None or len(items) < PAGE:  # a refusal (no scope) holds for the window too
            self._windows.append(
                {"after": start - LOOK_AROUND, "before": start + LOOK_AROUND, "at": now, "items": items}
            )
        return items

    def send(self, path: Path, workout: Workout, context: ExportContext) -> Sent:
        """``POST /uploads``; the answer's upload id is polled."""
        fields, file_part = upload_form(path, workout, context)
        self._sent.add(workout.id)  # a look-up for it (after a doubt) must ask Strava again
        response = self.api.request(
            "POST", "/uploads", what="Strava upload", kind="upload", data=fields, files={"file": file_part}
        )
        status = response.status_code
        if status in (200, 201):
            body = json_object(response, "Strava upload")
            return Sent(upload_id=_upload_id(body), progress=body)
        if status >= 500:
            raise InDoubt(f"Strava upload: server error (HTTP {status})")
        if status == 403:  # a scope only when Strava names one; else Strava's own message
            scope = missing_scope(response)
            if scope is not None:
                raise ScopeMissing(scope, "Strava upload")
            raise UploadError(forbidden_text(response, "Strava upload"))
        if status == 404:  # no upload endpoint there: the API root is wrong (2027's api_url)
            raise Rejected(
                f"Strava upload: HTTP 404 from {self.api.settings.api}/uploads: no Strava API there; "
                "check the api_url (or base_url) setting (today's is https://www.strava.com/api/v3)"
            )
        raise Rejected(f"Strava upload: {error_text(response)}")

    def poll(self, upload_id: str, workout: Workout, progress: Any) -> UploadResult:
        """Poll the upload no more than once a second until Strava has an answer."""
        clock = self.api.clock
        polls_left = max(1, int(self.api.settings.poll_timeout / POLL_INTERVAL))
        last = clock.time()
        body = progress if isinstance(progress, dict) else None
        while True:
            if body is not None:
                result = read_status(body)
                if result is not None:
                    return result
            if polls_left <= 0:
                raise UploadError(
                    f"Strava is still processing upload {upload_id}; the next run picks it up again"
                )
            clock.sleep(max(0.0, last + POLL_INTERVAL - clock.time()))
            last = clock.time()
            polls_left -= 1
            response = self.api.request(
                "GET", f"/uploads/{upload_id}", what="Strava upload status", kind="read"
            )
            if response.status_code == 404:
                raise UploadLost(f"Strava no longer knows upload {upload_id}")
            if response.status_code >= 500:  # the upload id is kept: the next run polls again
                raise ServiceFailing(f"Strava upload status: HTTP {response.status_code}")
            if response.status_code != 200:
                raise UploadError(f"Strava upload status: HTTP {response.status_code}")
            body = json_object(response, "Strava upload status")

    def existing(self, workout: Workout, context: ExportContext) -> Existing | None:
        """Strava's copy of ``workout`` made by Peloton or another service, or ``None``."""
        mode = peloton_share(context)
        shared = shared_id(workout)
        if shared and mode == "respect":
            log.info("workout %s was shared to Strava by Peloton as activity %s", workout.id, shared)
            self._shared[shared] = workout.id
            result = UploadResult(state="duplicate", remote_id=shared, message=SHARED_BY_PELOTON)
            return Existing(result, follow_up=True)
        sports = SPORTS.get(workout.discipline, frozenset())
        start = workout.start.timestamp()
        items = self._activities_near(workout) or []
        ours = with_external_id(items, external_id(workout))
        if ours is not None:  # ours, from a run whose journal is gone (or --force)
            return Existing(UploadResult(state="duplicate", remote_id=ours, message="already on Strava"))
        for item in items:
            found = activity_id(item)
            ext = str(item.get("external_id") or "")
            if found is None or found == shared or ext.startswith("peloton-"):
                continue  # Peloton's copy under peloton_share = ignore; our copy of another workout
            began = _start_of(item)
            if item.get("sport_type") in sports and began is not None and abs(began - start) <= SAME_START:
                name = str(item.get("name") or "")[:80]
                why = "already on Strava (same sport, same start)" + (f": {name!r}" if name else "")
                return Existing(UploadResult(state="duplicate", remote_id=found, message=why))
        return None

    def still_answers(self, entry: Mapping[str, Any], context: ExportContext) -> bool:
        """A workout recorded as Peloton's share does not count as delivered any more under
        ``peloton_share = ignore`` (the user deleted Peloton's copy: after ``ledger forget``
        or ``--force`` our own copy is uploaded)."""
        return not (entry.get("message") == SHARED_BY_PELOTON and peloton_share(context) == "ignore")

    def find(self, workout: Workout) -> str | None:
        """The activity with our ``external_id`` within a day of the workout's start."""
        return with_external_id(self._activities_near(workout) or [], external_id(workout))

    def followups(self, workout: Workout, context: ExportContext) -> dict[str, str]:
        """``sport_type`` for a Virtual Ride, and the gear of the workout's discipline."""
        settings = _settings(context)
        plan: dict[str, str] = {}
        if shared_id(workout) and peloton_share(context) == "respect" and _title_set(context):
            plan["name"] = activity_name(workout, context)  # Peloton's share: the user's name
        if is_virtual_ride(workout, settings):
            plan["sport_type"] = "VirtualRide"
        gear = settings.per_discipline("gear", workout.discipline)
        if gear:
            plan["gear"] = gear
        return plan

    def follow_up(self, remote_id: str, name: str, value: str) -> None:
        """``PUT /activities/{id}`` with ``sport_type``, ``name`` or ``gear_id``.

        :raises Rejected: the activity is gone (for Peloton's share: how to upload our own).
        """
        try:
            self._follow_up_once(remote_id, name, value)
        except Rejected as exc:
            workout_id = self._shared.get(remote_id)
            if workout_id is None:
                raise
            raise Rejected(
                f"{exc}; if you deleted Peloton's copy, set strava.peloton_share = ignore and run "
                f"`peloton-export ledger forget {workout_id}`: the next run uploads our own"
            ) from None

    def _follow_up_once(self, remote_id: str, name: str, value: str) -> None:
        if name == "sport_type":
            self.api.update_activity(remote_id, {"sport_type": value}, what="Strava sport type")
        elif name == "name":
            self.api.update_activity(remote_id, {"name": value}, what="Strava activity name")
        elif name == "gear":
            gear_id = self.gear_id(value)
            self.api.update_activity(remote_id, {"gear_id": gear_id}, what="Strava gear")
        else:
            raise UploadError(f"unknown follow-up {name!r}")

    def gear_id(self, value: str) -> str:
        """A gear id as it is, or the id of the bike or shoes named ``value`` (any case).

        :raises ConfigError: no gear has that name.
        """
        if GEAR_ID.fullmatch(value.strip()):
            return value.strip()
        gear = self.api.gear()
        for item in gear:
            if item["name"].casefold() == value.strip().casefold():
                return item["id"]
        names = ", ".join(f"{g['name']} ({g['id']})" for g in gear) or "none"
        raise ConfigError(f"[plugin:strava] gear: no gear named {value!r} on Strava; yours: {names}")
