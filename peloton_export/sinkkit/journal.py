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

from peloton_export.errors import AuthRequired, PelotonExportError, UploadError
from peloton_export.model import Workout
from peloton_export.net.retry import Clock
from peloton_export.specs import ExportContext, UploadResult, UploadState
from peloton_export.store.atomic import write_bytes_atomic

__all__ = [
    "InDoubt",
    "JournaledUploader",
    "Rejected",
    "SendAgain",
    "Sent",
    "UploadJournal",
    "UploadLost",
]

log = logging.getLogger("peloton_export.sinks")


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
        try:
            data = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, UnicodeDecodeError):
            log.warning("ignoring unreadable upload journal %s", self.path)
            return {}
        return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}

    def _write(self, entries: dict[str, dict[str, Any]]) -> None:
        now = self.clock.time()
        kept = {
            key: entry
            for key, entry in entries.items()
            if entry.get("phase") != "done" or now - float(entry.get("at", now)) < self.keep_s
        }
        write_bytes_atomic(self.path, json.dumps(kept, indent=1, sort_keys=True).encode(), mode=0o600)

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

    def finish(self, key: str, remote_id: str | None, state: str) -> None:
        """Record the final answer."""
        self._update(key, "done", {"remote_id": remote_id, "state": state})

    def drop(self, key: str) -> None:
        """Forget ``key`` (the request certainly had no effect)."""
        with self._lock:
            entries = self._read()
            if entries.pop(key, None) is not None:
                self._write(entries)

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

    The uploader waits ``wait`` seconds times the attempt number before sending again.
    """

    def __init__(self, message: str, wait: float) -> None:
        super().__init__(message)
        self.wait = wait


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
    * :class:`Rejected` and :class:`~peloton_export.errors.AuthRequired` from :meth:`send`
      drop the entry; :class:`SendAgain` waits and resends (up to ``attempts`` tries);
      :class:`InDoubt` resends only after :meth:`find` found nothing when
      ``check_after_doubt`` (else the next run looks first); :class:`UploadLost` from
      :meth:`poll` makes the next attempt look first.
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

    def followups(self, workout: Workout, context: ExportContext) -> dict[str, str]:
        """What to set on a newly uploaded activity (name -> value), e.g. ``{"gear": "b1"}``."""
        return {}

    def follow_up(self, remote_id: str, name: str, value: str) -> None:
        """Apply one follow-up to activity ``remote_id``; raise :class:`PelotonExportError` on failure."""
        raise NotImplementedError(f"{type(self).__name__} has no follow-up {name!r}")

    # -- the state machine ---------------------------------------------------------------

    def __call__(self, path: Path, workout: Workout, context: ExportContext) -> UploadResult:
        """Upload ``path`` unless an earlier attempt already did (see the class docstring)."""
        self.retry_followups()
        entry = self.journal.get(workout.id)
        if entry and not context.force:
            resumed = self._resume(entry, workout, context)
            if resumed is not None:
                return resumed
        for attempt in range(1, self.attempts + 1):
            self.journal.begin(workout.id)
            try:
                sent = self.send(path, workout, context)
            except (Rejected, AuthRequired):
                self.journal.drop(workout.id)
                raise
            except SendAgain as exc:
                if attempt < self.attempts:
                    log.info("%s; trying again in %.0f s", exc, exc.wait * attempt)
                    self.clock.sleep(exc.wait * attempt)
                    continue
                raise UploadError(str(exc)) from None
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
                raise UploadError(f"{exc}{tries}") from None
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
            return UploadResult(
                state=state, remote_id=str(remote) if remote else None, message="uploaded by an earlier run"
            )
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

    def _complete(self, workout: Workout, context: ExportContext, result: UploadResult) -> UploadResult:
        self.journal.finish(workout.id, result.remote_id, result.state)
        if result.state != "uploaded" or not result.remote_id:
            return result
        plan = self.followups(workout, context)
        if not plan:
            return result
        problem = self._follow_up(workout.id, result.remote_id, plan)
        if problem:
            return dataclasses.replace(result, message=problem)
        return result

    def _follow_up(self, key: str, remote_id: str, plan: Mapping[str, str]) -> str:
        """Apply ``plan``; keep what failed in the journal. Returns a message ("" if all done)."""
        pending = dict(plan)
        errors: list[str] = []
        for name, value in plan.items():
            try:
                self.follow_up(remote_id, name, value)
            except PelotonExportError as exc:
                errors.append(f"{name} not set ({exc})")
            else:
                del pending[name]
        message = "; ".join(errors)
        self.journal.set_pending(key, pending, error=message)
        if message:
            log.warning("activity %s: %s; a later run tries again", remote_id, message)
            return f"{message}; a later run tries again"
        return ""

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
