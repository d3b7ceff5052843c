"""The ``strava`` sink: upload one file, wait for Strava to process it, exactly once.

Exactly once, on Strava's side:

* every upload carries ``external_id = peloton-<workout id>``;
* the upload journal (:class:`peloton_export.uploads.UploadJournal`) records the attempt
  before the POST, the upload id after it and the activity id at the end, so a run that
  crashed after uploading resumes (polls the known upload, or looks the activity up by
  ``external_id``) instead of uploading again;
* Strava's own "duplicate of activity N" answer is a success: ``state="duplicate"`` with
  N as the remote id.
"""

from __future__ import annotations

import gzip
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peloton_export.errors import AuthRequired, UploadError
from peloton_export.model import Workout
from peloton_export.specs import ExportContext, UploadResult, UploadState
from peloton_export.uploads import json_object, plugin_setting, render_template
from peloton_export_strava.api import StravaApi

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


def external_id(workout: Workout) -> str:
    """The stable id Strava keeps with the activity: ``peloton-<workout id>``."""
    return f"peloton-{workout.id}"


def activity_name(workout: Workout, context: ExportContext) -> str:
    """The name from ``name_template`` (default ``{title} with {instructor}``)."""
    template = plugin_setting(context, "strava", "name_template")
    if template is None:
        template = DEFAULT_NAME if workout.instructor else "{title}"
    return render_template(template, workout, setting="[plugin:strava] name_template")[:255]


def activity_description(workout: Workout, context: ExportContext) -> str:
    """The description from ``description_template`` (a link-free summary by default)."""
    template = plugin_setting(context, "strava", "description_template", default=DEFAULT_DESCRIPTION)
    assert template is not None
    return render_template(template, workout, setting="[plugin:strava] description_template")


def upload_form(
    path: Path, workout: Workout, context: ExportContext
) -> tuple[dict[str, str], tuple[str, bytes]]:
    """The multipart fields and the (gzipped) file part of one upload."""
    suffix = path.suffix.lower()
    data = path.read_bytes()
    if suffix == ".gz":
        kind = DATA_TYPES.get(Path(path.stem).suffix.lower())
        gz = True
    else:
        kind = DATA_TYPES.get(suffix)
        gz = context.flag("strava.gzip", default=True)
        if gz:
            data = gzip.compress(data, mtime=0)
    if kind is None:
        raise UploadError(f"Strava takes FIT, TCX or GPX files, not {path.name}")
    data_type = f"{kind}.gz" if gz else kind
    fields = {
        "data_type": data_type,
        "external_id": external_id(workout),
        "name": activity_name(workout, context),
        "description": activity_description(workout, context),
    }
    indoor = not workout.is_outdoor
    if indoor and context.flag("strava.trainer", default=True):
        fields["trainer"] = "1"
    if indoor and workout.discipline in CYCLING and context.flag("strava.virtual_ride", default=True):
        fields["activity_type"] = "virtualride"
        fields["sport_type"] = "VirtualRide"
    filename = f"{external_id(workout)}.{data_type}"
    return fields, (filename, data)


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where an upload stands after a status answer."""

    done: bool
    result: UploadResult | None = None


def read_status(body: dict[str, Any]) -> Outcome:
    """Interpret an upload status (``{id, id_str, status, error, activity_id}``)."""
    error = body.get("error")
    activity = body.get("activity_id")
    if error:
        text = str(error)
        match = DUPLICATE.search(text)
        if match:
            return Outcome(
                True, UploadResult(state="duplicate", remote_id=match.group(1), message="already on Strava")
            )
        raise UploadError(f"Strava rejected the file: {text[:300]}")
    if activity:
        return Outcome(True, UploadResult(state="uploaded", remote_id=str(activity)))
    return Outcome(False)


def _upload_id(body: dict[str, Any]) -> str:
    value = body.get("id_str") or body.get("id")
    if value is None or not str(value).isdigit():
        raise UploadError("Strava upload: the answer has no upload id")
    return str(value)


class StravaUploader:
    """Uploads files for one run; :meth:`__call__` is the sink's ``upload``."""

    def __init__(self, api: StravaApi) -> None:
        self.api = api

    def __call__(self, path: Path, workout: Workout, context: ExportContext) -> UploadResult:
        """Upload ``path`` once (see the module docstring)."""
        journal = self.api.journal
        entry = journal.get(workout.id)
        if entry and not context.force:
            resumed = self._resume(entry, workout)
            if resumed is not None:
                return resumed
        fields, file_part = upload_form(path, workout, context)
        attempts = 3
        for attempt in range(1, attempts + 1):
            journal.begin(workout.id)
            try:
                response = self.api.request(
                    "POST",
                    "/uploads",
                    what="Strava upload",
                    kind="upload",
                    data=fields,
                    files={"file": file_part},
                )
            except AuthRequired:
                journal.drop(workout.id)  # refused before it was looked at
                raise
            status = response.status_code
            if status in (200, 201):
                body = json_object(response, "Strava upload")
                upload_id = _upload_id(body)
                journal.note(workout.id, upload_id=upload_id)
                return self._finish(workout, self._wait(workout.id, upload_id, body))
            if status >= 500:
                # The upload may or may not have been taken: check before sending it again.
                log.info("Strava answered %s to an upload; checking before trying again", status)
                self.api.clock.sleep(2.0 * attempt)
                found = self.api.find_activity(external_id(workout), workout.start.timestamp())
                if found:
                    return self._finish(workout, UploadResult(state="uploaded", remote_id=found))
                if attempt < attempts:
                    continue
                raise UploadError(f"Strava upload: server error (HTTP {status}) after {attempts} tries")
            journal.drop(workout.id)  # a 4xx: Strava did not take it
            if status == 403:
                raise AuthRequired(
                    "Strava upload: forbidden (HTTP 403); the login lacks the activity:write scope: "
                    "run `peloton-export strava login` again"
                )
            raise UploadError(f"Strava upload: {self._error_text(response)}")
        raise AssertionError("unreachable")

    def _resume(self, entry: dict[str, Any], workout: Workout) -> UploadResult | None:
        phase = entry.get("phase")
        if phase == "done" and entry.get("remote_id"):
            state: UploadState = "duplicate" if entry.get("state") == "duplicate" else "uploaded"
            return UploadResult(
                state=state, remote_id=str(entry["remote_id"]), message="uploaded by an earlier run"
            )
        if entry.get("upload_id"):
            log.info("resuming Strava upload %s of workout %s", entry["upload_id"], workout.id)
            return self._finish(workout, self._wait(workout.id, str(entry["upload_id"]), None))
        if phase == "sending":
            found = self.api.find_activity(external_id(workout), workout.start.timestamp())
            if found:
                log.info("workout %s is already on Strava as activity %s", workout.id, found)
                return self._finish(workout, UploadResult(state="uploaded", remote_id=found))
        return None

    def _finish(self, workout: Workout, result: UploadResult) -> UploadResult:
        self.api.journal.finish(workout.id, result.remote_id, result.state)
        return result

    def _wait(self, workout_id: str, upload_id: str, first: dict[str, Any] | None) -> UploadResult:
        """Poll the upload no more than once a second until Strava has an answer.

        A rejected file (any error but a duplicate) clears the journal entry, so a later
        run with a corrected file uploads again.
        """
        clock = self.api.clock
        polls_left = max(1, int(self.api.settings.poll_timeout / POLL_INTERVAL))
        last = clock.time()
        body = first
        while True:
            if body is not None:
                try:
                    outcome = read_status(body)
                except UploadError:
                    self.api.journal.drop(workout_id)
                    raise
                if outcome.done and outcome.result is not None:
                    return outcome.result
            if polls_left <= 0:
                raise UploadError(
                    f"Strava is still processing upload {upload_id}; the next run picks it up again"
                )
            pause = max(0.0, last + POLL_INTERVAL - clock.time())
            clock.sleep(pause)
            last = clock.time()
            polls_left -= 1
            response = self.api.request(
                "GET", f"/uploads/{upload_id}", what="Strava upload status", kind="read"
            )
            if response.status_code == 404:
                self.api.journal.begin(workout_id)  # unknown again: look it up before re-sending
                raise UploadError(f"Strava no longer knows upload {upload_id}")
            if response.status_code != 200:
                raise UploadError(f"Strava upload status: HTTP {response.status_code}")
            body = json_object(response, "Strava upload status")

    @staticmethod
    def _error_text(response: Any) -> str:
        try:
            body = response.json()
        except ValueError:
            body = None
        message = ""
        if isinstance(body, dict):
            message = str(body.get("message") or body.get("error") or "")
            errors = body.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], dict):
                detail = " ".join(str(errors[0].get(k, "")) for k in ("field", "code")).strip()
                message = f"{message} ({detail})" if detail else message
        return f"HTTP {response.status_code}" + (f": {message[:200]}" if message else "")
