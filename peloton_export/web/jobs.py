"""Runs started from the web pages: one background thread per run, at most one per profile.

A :class:`Job` is one :func:`peloton_export.export.run.run_export` (the CLI's engine, the
profile's folders, config and run lock) in a daemon thread, with its progress events kept
as plain facts (phase, steps done and expected, the last class title) for the progress
page and its server-sent events. :meth:`Jobs.start` refuses a second run of a profile
while one runs (:class:`Busy`); a run another process holds the lock for (``watch``, a
CLI export) ends at once with the run lock's own one-line message. No job text holds a
secret: messages are the engine's one-line reasons.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from peloton_export.errors import PelotonExportError

if TYPE_CHECKING:
    from peloton_export.export.run import ExportRequest, ProgressEvent
    from peloton_export.plugins import PluginHost
    from peloton_export.profiles import Profile
    from peloton_export.results import ExportReport

log = logging.getLogger("peloton_export.serve")
#: Finished jobs kept per profile (the newest).
KEEP_FINISHED = 10


class Busy(Exception):
    """A run of this profile is in progress (``job`` is it)."""

    def __init__(self, job: Job) -> None:
        self.job = job
        super().__init__(f"a run of profile {job.profile} is in progress (started {job.started_text})")


@dataclass(slots=True)
class Job:
    """One run: ``id``, ``profile``, what it does (``label``), its progress and outcome."""

    id: int
    profile: str
    label: str
    started: float = field(default_factory=time.time)
    finished: float | None = None
    phase: str = "starting"
    completed: int = 0
    total: int | None = None
    description: str = ""
    outcome: str = ""  # "ok", "partial", "failed" once finished
    lines: list[str] = field(default_factory=list)
    version: int = 0

    @property
    def running(self) -> bool:
        """True until the run ends."""
        return self.finished is None

    @property
    def started_text(self) -> str:
        """``07:00:02 UTC``."""
        return time.strftime("%H:%M:%S UTC", time.gmtime(self.started))

    def snapshot(self) -> dict[str, object]:
        """The job as plain JSON values (for the events stream)."""
        return {
            "id": self.id,
            "profile": self.profile,
            "label": self.label,
            "phase": self.phase,
            "completed": self.completed,
            "total": self.total,
            "description": self.description,
            "running": self.running,
            "outcome": self.outcome,
            "lines": list(self.lines[-50:]),
            "version": self.version,
        }


class Jobs:
    """Every web-started run of this server (thread-safe)."""

    def __init__(self, host: PluginHost | None = None) -> None:
        self.host = host
        self._jobs: dict[int, Job] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def get(self, job_id: int) -> Job | None:
        """The job with ``job_id``, if this server ran it."""
        with self._lock:
            return self._jobs.get(job_id)

    def running(self, profile: str) -> Job | None:
        """The run of ``profile`` in progress, if any."""
        with self._lock:
            return next((j for j in self._jobs.values() if j.profile == profile and j.running), None)

    def recent(self, profile: str) -> list[Job]:
        """The profile's jobs, newest first."""
        with self._lock:
            return sorted((j for j in self._jobs.values() if j.profile == profile), key=lambda j: -j.id)

    def start(
        self,
        profile: Profile,
        request: ExportRequest,
        label: str,
        *,
        runner: Callable[[ExportRequest, PluginHost | None], ExportReport] | None = None,
    ) -> Job:
        """Start ``request`` for ``profile`` in a background thread; returns its job.

        :raises Busy: a run of the profile started here is in progress.
        """
        from dataclasses import replace

        with self._lock:
            for other in self._jobs.values():
                if other.profile == profile.name and other.running:
                    raise Busy(other)
            job = Job(next(self._ids), profile.name, label)
            self._jobs[job.id] = job
            self._trim(profile.name)

        def progress(event: ProgressEvent) -> None:
            with self._lock:
                job.phase = event.phase
                job.completed = event.completed
                job.total = event.total
                job.description = " ".join(event.description.split())[:200]
                result = event.result
                if result is not None and event.phase == "export" and result.status == "failed":
                    job.lines.append(f"{result.workout_id}: failed: {result.reason}")
                job.version += 1

        full = replace(request, profile=profile, progress=progress, jobs=1)
        thread = threading.Thread(
            target=self._run, args=(job, full, runner), name=f"serve-run-{job.id}", daemon=True
        )
        thread.start()
        return job

    def _trim(self, profile: str) -> None:
        done = sorted(
            (j for j in self._jobs.values() if j.profile == profile and not j.running), key=lambda j: j.id
        )
        for old in done[:-KEEP_FINISHED]:
            del self._jobs[old.id]

    def _run(
        self,
        job: Job,
        request: ExportRequest,
        runner: Callable[[ExportRequest, PluginHost | None], ExportReport] | None,
    ) -> None:
        from peloton_export.export.run import run_export

        lines: list[str] = []
        outcome = "ok"
        try:
            report = (runner or run_export)(request, self.host)
        except PelotonExportError as exc:
            outcome, lines = "failed", [" ".join(str(exc).split())[:400]]
        except Exception as exc:  # a bug must end the job, not the server; its type only
            log.error("run %s of profile %s failed: %s", job.id, job.profile, type(exc).__name__)
            outcome, lines = "failed", [f"internal error ({type(exc).__name__}); see the server's log"]
        else:
            lines = _report_lines(report)
            if report.sync_error or not report.ok:
                outcome = "partial" if report.results else "failed"
        with self._lock:
            job.lines.extend(lines)
            job.outcome = outcome
            job.finished = time.time()
            job.phase = "done"
            job.version += 1


def _report_lines(report: ExportReport) -> list[str]:
    lines: list[str] = []
    if report.sync is not None:
        lines.append(report.sync.summary())
        lines.extend(f"failed to fetch {w}: {reason}" for w, reason in report.sync.failed.items())
    if report.sync_error:
        lines.append(f"sync failed: {report.sync_error} (the archive was exported as it is)")
    kinds = ("exported", "unchanged", "skipped", "failed", "planned")
    counts = ", ".join(f"{report.count(s)} {s}" for s in kinds if report.count(s))  # type: ignore[arg-type]
    lines.append(f"{len(report.results)} workouts: {counts or 'nothing to do'}")
    lines.extend(f"{r.workout_id}: {r.reason}" for r in report.failed)
    lines.extend(report.problems)
    lines.extend(f"sink {name} paused: {why}" for name, why in report.paused.items())
    return [" ".join(line.split())[:400] for line in lines]


__all__ = ["Busy", "Job", "Jobs"]
