"""Exactly-once uploads: a sink's journal, and the base class that drives it.

The core's ledger records an upload only after the sink returns. If the process dies in
between (or while the request is on the wire), the ledger knows nothing and the workout is
offered to the sink again. :class:`UploadJournal` closes that gap, and
:class:`JournaledUploader` implements the begin / resume / finish state machine around it
once, so that a sink only says how to :meth:`~JournaledUploader.send` a file, how to
:meth:`~JournaledUploader.poll` an upload the service is still processing, and how to
:meth:`~JournaledUploader.find` a workout on the service (by its external id).

After an upload the base also applies the sink's follow-ups (settings made on the new
activity through the service's API, such as gear or the sport type): they are kept in the
journal until they succeed and retried by later runs, never repeating the upload itself.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from peloton_export.errors import (
    AuthRequired,
    PelotonExportError,
    ServiceFailing,
    SinkPaused,
    StateRefused,
    UploadError,
    refuses_writes,
)
from peloton_export.model import Workout
from peloton_export.net.retry import Clock
from peloton_export.readback import Fields, load_state
from peloton_export.specs import ExportContext, UploadResult, UploadState
from peloton_export.store.atomic import write_bytes_atomic

__all__ = [
    "Existing",
    "InDoubt",
    "JournaledUploader",
    "Rejected",
    "SendAgain",
    "Sent",
    "UploadJournal",
    "UploadLost",
]

log = logging.getLogger("peloton_export.sinks")

#: The largest journal read (an entry is ~200 bytes; finished ones go after 30 days).
MAX_JOURNAL_BYTES = 32 * 1024 * 1024
PHASES = frozenset({"sending", "sent", "done"})
#: The journal key of a service-wide state (not a workout id).
SERVICE_KEY = "@service"


def parse_journal(fields: Fields) -> dict[str, dict[str, Any]]:
    """The entries of a journal file, each checked; a bad entry is left out (noted in
    ``fields.problems``). An entry: ``phase`` (``sending``, ``sent``, ``done``), ``at`` and
    ``tried_at`` (Unix seconds), ``upload_id`` and ``remote_id`` (text or a whole number),
    ``state`` (text), ``pending`` (follow-up name -> text value), ``pending_error`` (text).
    An entry with a bad field counts as ``sending`` (its fate unknown), so the uploader
    looks the workout up on the service before it sends anything again."""
    entries: dict[str, dict[str, Any]] = {}
    for key, value in fields.obj.items():
        if not isinstance(value, dict):
            fields.problems.append(f"entry {key[:40]!r} is not an object, so it counts as in doubt")
            entries[key] = {"phase": "sending"}
            continue
        checked = Fields(value, path=fields.path, prefix=f"{key[:40]}.")
        entry = _service_entry(checked) if key == SERVICE_KEY else _journal_entry(checked)
        fields.problems += entry[1]
        if entry[0] is not None:
            entries[key] = entry[0]
    return entries


def _service_entry(fields: Fields) -> tuple[dict[str, Any] | None, list[str]]:
    """The service-wide refusal (:data:`SERVICE_KEY`): ``phase`` ``refused``, ``at``,
    ``reason`` (text) and ``raw`` (the service's answer, text); a bad one is left out."""
    entry: dict[str, Any] = {
        "phase": fields.choice("phase", frozenset({"refused"}), None),
        "at": fields.timestamp("at"),
        "reason": fields.text("reason", None, max_len=200),
        "raw": fields.text("raw", None, max_len=2000),
    }
    if fields.problems or entry["phase"] is None or entry["reason"] is None:
        return None, [f"{fields.prefix}service state is not a refusal, so it is left out"]
    return {k: v for k, v in entry.items() if v is not None}, []


def _identifier(fields: Fields, key: str) -> str | int | None:
    value = fields.obj.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:
        return value
    return fields.text(key, None, max_len=200)


def _journal_entry(fields: Fields) -> tuple[dict[str, Any] | None, list[str]]:
    entry: dict[str, Any] = {"phase": fields.choice("phase", PHASES, None)}
    entry["at"] = fields.timestamp("at")
    for key in ("upload_id", "remote_id"):
        entry[key] = _identifier(fields, key)
    entry["state"] = fields.text("state", None, max_len=40)
    entry["message"] = fields.text("message", None, max_len=200)
    pending = fields.mapping("pending")
    if pending:
        if all(isinstance(k, str) and isinstance(v, str) and len(v) <= 1000 for k, v in pending.items()):
            entry["pending"] = dict(pending)
        else:
            fields.problems.append(f"{fields.prefix}pending is not an object of text values")
    entry["tried_at"] = fields.timestamp("tried_at")
    entry["pending_error"] = fields.text("pending_error", None, max_len=1000)
    if fields.problems:  # its fate unknown: the uploader looks the workout up before sending
        return {"phase": "sending"}, [f"{fields.problems[0]}, so it counts as in doubt"]
    return {k: v for k, v in entry.items() if v is not None}, []


class UploadJournal:
    """A sink's own record of uploads in flight, so a crash never causes a second upload.

    1. :meth:`begin` before the request is sent (phase ``sending``);
    2. :meth:`note` once the service has acknowledged it (e.g. Strava's ``upload_id``;
       phase ``sent``);
    3. :meth:`finish` with the remote id when the service says it is done (phase ``done``).

    Entries are keyed by workout id and kept in a JSON file (mode 0600). Entries of finished
    uploads are dropped after ``keep_days``; by then the ledger has them.
    """

    def __init__(self, path: Path, *, clock: Clock | None = None, keep_days: float = 30.0) -> None:
        self.path = Path(path)
        self.clock = clock or Clock()
        self.keep_s = keep_days * 86400
        self._lock = threading.Lock()

    def _read(self) -> dict[str, dict[str, Any]]:
        """The journal's entries; an unusable file or entry is one warning, then absent
        (:func:`parse_journal`; the ledger still knows every finished upload)."""
        found = load_state(self.path, parse_journal, what="upload journal", limit=MAX_JOURNAL_BYTES)
        return found if found is not None else {}

    def _write(self, entries: dict[str, dict[str, Any]]) -> None:
        now = self.clock.time()
        kept = {
            key: entry
            for key, entry in entries.items()
            if entry.get("phase") != "done" or now - float(entry.get("at") or now) < self.keep_s
        }
        try:
            write_bytes_atomic(self.path, json.dumps(kept, indent=1, sort_keys=True).encode(), mode=0o600)
        except OSError as exc:
            if refuses_writes(exc):  # every later upload would fail the same way: stop the run
                raise StateRefused.at(self.path, exc) from None
            raise

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry of ``key`` (a workout id), or ``None``."""
        with self._lock:
            return self._read().get(key)

    def entries(self) -> dict[str, dict[str, Any]]:
        """Every entry, keyed by workout id."""
        with self._lock:
            return self._read()

    def _update(self, key: str, phase: str | None, fields: Mapping[str, Any]) -> None:
        with self._lock:
            entries = self._read()
            entry = dict(entries.get(key) or {}) if phase != "sending" else {}
            entry.update(fields)
            if phase is not None:
                entry.update(phase=phase, at=self.clock.time())
            entries[key] = entry
            self._write(entries)

    def begin(self, key: str) -> None:
        """Record that a request for ``key`` is about to be sent."""
        self._update(key, "sending", {})

    def note(self, key: str, **fields: Any) -> None:
        """Record that the service acknowledged the request (with e.g. ``upload_id``)."""
        self._update(key, "sent", fields)

    def finish(self, key: str, remote_id: str | None, state: str, message: str = "") -> None:
        """Record the final answer (``message``: how it was found, e.g. "shared by Peloton",
        at most 200 characters; kept only when given)."""
        fields: dict[str, Any] = {"remote_id": remote_id, "state": state}
        if message:
            fields["message"] = message[:200]
        self._update(key, "done", fields)

    def drop(self, key: str) -> None:
        """Forget ``key`` (the request certainly had no effect)."""
        with self._lock:
            entries = self._read()
            if entries.pop(key, None) is not None:
                self._write(entries)

    def set_service_state(self, reason: str, raw: str) -> None:
        """Record a service-wide refusal (e.g. ``app-inactive``) with the service's answer
        as sent (``raw``, at most 2,000 characters), under the key :data:`SERVICE_KEY`."""
        self._update(SERVICE_KEY, "refused", {"reason": reason, "raw": raw[:2000]})

    def service_state(self) -> dict[str, Any] | None:
        """The service-wide refusal recorded last, or ``None``."""
        return self.get(SERVICE_KEY)

    def clear_service_state(self) -> None:
        """Forget the service-wide refusal (the service delivered again)."""
        self.drop(SERVICE_KEY)

    def set_pending(self, key: str, pending: Mapping[str, str], *, error: str | None = None) -> None:
        """Record the follow-ups of ``key`` still to do (empty: none), and when they were tried."""
        fields: dict[str, Any] = {"pending": dict(pending), "tried_at": self.clock.time()}
        if error:
            fields["pending_error"] = error[:200]
        with self._lock:
            entries = self._read()
            entry = dict(entries.get(key) or {})
            for name in ("pending", "tried_at", "pending_error"):
                entry.pop(name, None)
            if pending:
                entry.update(fields)
            entries[key] = entry
            self._write(entries)


@dataclass(frozen=True, slots=True)
class Existing:
    """What :meth:`JournaledUploader.existing` found: the service already has the workout.

    ``result`` is recorded as the delivery (e.g. ``state="duplicate"`` with the activity's
    id); ``follow_up`` says whether the sink's follow-ups are applied to that activity.
    """

    result: UploadResult
    follow_up: bool = False


@dataclass(frozen=True, slots=True)
class Sent:
    """What :meth:`JournaledUploader.send` returns.

    Either the final ``result``, or the ``upload_id`` of an upload the service is still
    processing (with its first status answer, ``progress``, if any) to :meth:`poll`.
    """

    result: UploadResult | None = None
    upload_id: str | None = None
    progress: Any = None


class Rejected(UploadError):
    """The service certainly did not take the file (a 4xx, a rejected file): nothing to resume."""


class InDoubt(UploadError):
    """The service may or may not have taken the file (a 5xx to a POST): look before resending."""


class SendAgain(UploadError):
    """The service refused for now and resending is safe (it de-duplicates).

    The uploader waits ``wait`` seconds times the attempt number before sending again; after
    the last attempt it raises :class:`~peloton_export.errors.ServiceFailing` (with
    ``retry_after``, the wait the service asked for, if any).
    """

    def __init__(self, message: str, wait: float, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.wait = wait
        self.retry_after = retry_after


class UploadLost(UploadError):
    """The service no longer knows the upload id being polled: look before resending."""


class JournaledUploader(ABC):
    """Uploads one file of one workout exactly once; an instance is a sink's ``upload``.

    A subclass implements :meth:`send` and :meth:`find`, and :meth:`poll` if :meth:`send`
    can return an ``upload_id``; optionally :meth:`followups` and :meth:`follow_up`.

    * A journal entry ``done`` answers without a request (unless ``context.force``).
    * ``sent`` (an ``upload_id`` is known) resumes polling that upload.
    * ``sending`` (the fate of the last request is unknown) looks the workout up with
      :meth:`find` before sending again.
    * :class:`Rejected`, :class:`~peloton_export.errors.AuthRequired` and
      :class:`~peloton_export.errors.SinkPaused` from :meth:`send` drop the entry;
      :class:`SendAgain` waits and resends (up to ``attempts`` tries);
      :class:`InDoubt` resends only after :meth:`find` found nothing when
      ``check_after_doubt`` (else the next run looks first); :class:`UploadLost` from
      :meth:`poll` makes the next attempt look first. The last :class:`SendAgain` or
      :class:`InDoubt` is raised as :class:`~peloton_export.errors.ServiceFailing` (the
      service is failing, not the file), as is one raised by :meth:`send` itself (no
      answer: the entry stays, so the next run looks before sending).
    """

    #: How many times one call may send the file.
    attempts: ClassVar[int] = 1
    #: Whether an :class:`InDoubt` answer is followed, in the same call, by a look-up.
    check_after_doubt: ClassVar[bool] = False
    #: Seconds to wait (times the attempt number) before that look-up.
    doubt_pause: ClassVar[float] = 2.0
    #: Seconds between two tries of the follow-ups of one activity.
    follow_up_every: ClassVar[float] = 600.0

    def __init__(self, journal: UploadJournal, clock: Clock) -> None:
        self.journal = journal
        self.clock = clock

    # -- what a sink implements ----------------------------------------------------------

    @abstractmethod
    def send(self, path: Path, workout: Workout, context: ExportContext) -> Sent:
        """Send the file once; raise :class:`Rejected`, :class:`InDoubt` or :class:`SendAgain`."""

    def poll(self, upload_id: str, workout: Workout, progress: Any) -> UploadResult:
        """Wait for the service to finish processing ``upload_id``.

        :raises Rejected: the service refused the file.
        :raises UploadLost: the service does not know ``upload_id``.
        :raises UploadError: still processing (the next run polls again).
        """
        raise NotImplementedError(f"{type(self).__name__} returned an upload id but cannot poll")

    @abstractmethod
    def find(self, workout: Workout) -> str | None:
        """The remote id of ``workout``'s activity on the service (by external id), or ``None``."""

    def existing(self, workout: Workout, context: ExportContext) -> Existing | None:
        """The service's copy of ``workout`` made by other means (another app shared it), if
        any; asked before every send (after an earlier attempt's journal entry). Default: none."""
        return None

    def still_answers(self, entry: Mapping[str, Any], context: ExportContext) -> bool:
        """Whether a finished journal entry still answers for its workout under this run's
        settings (e.g. not a copy another app made that the user now says to ignore).
        Default: always."""
        return True

    def followups(self, workout: Workout, context: ExportContext) -> dict[str, str]:
        """What to set on a newly uploaded activity (name -> value), e.g. ``{"gear": "b1"}``."""
        return {}

    def follow_up(self, remote_id: str, name: str, value: str) -> None:
        """Apply one follow-up to activity ``remote_id``; raise :class:`PelotonExportError` on
        failure (kept and tried again by a later run), :class:`Rejected` when trying again
        cannot help (the activity is gone)."""
        raise NotImplementedError(f"{type(self).__name__} has no follow-up {name!r}")

    # -- the state machine ---------------------------------------------------------------

    def __call__(self, path: Path, workout: Workout, context: ExportContext) -> UploadResult:
        """Upload ``path`` unless an earlier attempt already did (see the class docstring)."""
        self.retry_followups()
        entry = self.journal.get(workout.id)
        if (
            entry
            and not context.force
            and (entry.get("phase") != "done" or self.still_answers(entry, context))
        ):
            resumed = self._resume(entry, workout, context)
            if resumed is not None:
                return resumed
        there = self.existing(workout, context)
        if there is not None:
            return self._complete(workout, context, there.result, follow_up=there.follow_up, found=True)
        for attempt in range(1, self.attempts + 1):
            self.journal.begin(workout.id)
            try:
                sent = self.send(path, workout, context)
            except (Rejected, AuthRequired, SinkPaused):
                self.journal.drop(workout.id)
                raise
            except SendAgain as exc:
                if attempt < self.attempts:
                    log.info("%s; trying again in %.0f s", exc, exc.wait * attempt)
                    self.clock.sleep(exc.wait * attempt)
                    continue
                raise ServiceFailing(str(exc), retry_after=exc.retry_after) from None
            except InDoubt as exc:
                if self.check_after_doubt:
                    log.info("%s; checking before trying again", exc)
                    self.clock.sleep(self.doubt_pause * attempt)
                    found = self.find(workout)
                    if found:
                        return self._complete(
                            workout, context, UploadResult(state="uploaded", remote_id=found)
                        )
                if attempt < self.attempts:
                    continue
                tries = f" after {self.attempts} tries" if self.attempts > 1 else ""
                raise ServiceFailing(f"{exc}{tries}") from None
            if sent.upload_id is not None:
                self.journal.note(workout.id, upload_id=sent.upload_id)
                result = self._poll(workout, sent.upload_id, sent.progress)
            else:
                assert sent.result is not None, "send() returns a result or an upload id"
                result = sent.result
            return self._complete(workout, context, result)
        raise AssertionError("unreachable")

    def _resume(
        self, entry: Mapping[str, Any], workout: Workout, context: ExportContext
    ) -> UploadResult | None:
        phase = entry.get("phase")
        if phase == "done":
            state: UploadState = "duplicate" if entry.get("state") == "duplicate" else "uploaded"
            remote = entry.get("remote_id")
            found = entry.get("message")
            message = f"{found} (recorded by an earlier run)" if found else "uploaded by an earlier run"
            return UploadResult(state=state, remote_id=str(remote) if remote else None, message=message)
        if entry.get("upload_id"):
            log.info("resuming upload %s of workout %s", entry["upload_id"], workout.id)
            result = self._poll(workout, str(entry["upload_id"]), None)
            return self._complete(workout, context, result)
        found = self.find(workout)
        if found:
            log.info("workout %s is already on the service as activity %s", workout.id, found)
            return self._complete(workout, context, UploadResult(state="uploaded", remote_id=found))
        return None

    def _poll(self, workout: Workout, upload_id: str, progress: Any) -> UploadResult:
        try:
            return self.poll(upload_id, workout, progress)
        except Rejected:
            self.journal.drop(workout.id)  # a corrected file may be sent again
            raise
        except UploadLost:
            self.journal.begin(workout.id)  # unknown again: look it up before re-sending
            raise

    def _complete(
        self,
        workout: Workout,
        context: ExportContext,
        result: UploadResult,
        *,
        follow_up: bool = False,
        found: bool = False,
    ) -> UploadResult:
        self.journal.finish(workout.id, result.remote_id, result.state, result.message if found else "")
        if self.journal.get(SERVICE_KEY) is not None:
            self.journal.clear_service_state()
        if not (result.state == "uploaded" or follow_up) or not result.remote_id:
            return result
        plan = self.followups(workout, context)
        if not plan:
            return result
        problem = self._follow_up(workout.id, result.remote_id, plan)
        if problem:
            message = f"{result.message}; {problem}" if result.message and follow_up else problem
            return dataclasses.replace(result, message=message)
        return result

    def _follow_up(self, key: str, remote_id: str, plan: Mapping[str, str]) -> str:
        """Apply ``plan``; keep what failed in the journal. Returns a message ("" if all done)."""
        pending = dict(plan)
        errors: list[str] = []
        final: list[str] = []
        for name, value in plan.items():
            try:
                self.follow_up(remote_id, name, value)
            except Rejected as exc:  # trying again cannot help (the activity is gone)
                final.append(f"{name} not set ({exc})")
                del pending[name]
            except PelotonExportError as exc:
                errors.append(f"{name} not set ({exc})")
            else:
                del pending[name]
        message = "; ".join(errors)
        self.journal.set_pending(key, pending, error=message)
        if final:
            log.warning("activity %s: %s", remote_id, "; ".join(final))
        if message:
            log.warning("activity %s: %s; a later run tries again", remote_id, message)
            message = f"{message}; a later run tries again"
        return "; ".join([*final, message] if message else final)

    def retry_followups(self) -> None:
        """Try again the follow-ups earlier runs could not apply (at most every ``follow_up_every`` s)."""
        now = self.clock.time()
        for key, entry in self.journal.entries().items():
            pending = entry.get("pending")
            remote = entry.get("remote_id")
            if not isinstance(pending, dict) or not pending or not remote:
                continue
            if now - float(entry.get("tried_at") or 0) < self.follow_up_every:
                continue
            self._follow_up(key, str(remote), {str(k): str(v) for k, v in pending.items()})
