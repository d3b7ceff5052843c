"""What a run reports and what its lifecycle hooks see: the contract types of one export run.

:class:`Selection` (which archived workouts a run looks at), :class:`WorkoutResult` with its
:class:`FileResult` and :class:`SinkResult` (what happened to one workout),
:class:`ExportReport` (every workout's result) and :class:`RunContext` (what
``export_started``/``export_finished`` hooks may know). Plugins import them from here (or
from :mod:`peloton_export`); the exporter that fills them is
:mod:`peloton_export.export.exporter`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from peloton_export.config import Config
    from peloton_export.plugins import PluginHost
    from peloton_export.source.sync import SyncReport
    from peloton_export.specs import ExportContext
    from peloton_export.store.archive import Archive
    from peloton_export.store.ledger import Ledger

Status = Literal["exported", "unchanged", "skipped", "failed", "planned"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """Which archived workouts a run looks at (all filters are optional)."""

    since: datetime | None = None
    until: datetime | None = None
    disciplines: frozenset[str] | None = None
    workout_ids: frozenset[str] | None = None
    limit: int | None = None


@dataclass(slots=True)
class FileResult:
    """One format of one workout."""

    format: str
    status: Status
    path: Path | None = None
    reason: str = ""
    summary: dict[str, str] | None = None


@dataclass(slots=True)
class SinkResult:
    """One sink delivery of one workout."""

    sink: str
    #: ``paused``: the sink raised :class:`~peloton_export.errors.SinkPaused` (or was paused
    #: earlier in the run); nothing is recorded, the workout stays pending for the sink.
    status: Literal["uploaded", "duplicate", "skipped", "failed", "planned", "paused"]
    remote_id: str | None = None
    reason: str = ""
    #: Why the sink was not offered this workout (status ``skipped``), a typed state:
    #: ``"login"`` (an earlier upload of the run raised
    #: :class:`~peloton_export.errors.AuthRequired`) or ``"service-failing"`` (the sink's
    #: circuit breaker: its service failed, see
    #: :class:`~peloton_export.errors.ServiceFailing`); ``""`` otherwise.
    held: Literal["", "login", "service-failing"] = ""


@dataclass(slots=True)
class WorkoutResult:
    """What happened to one workout in this run."""

    workout_id: str
    status: Status
    reason: str = ""
    title: str = ""
    start: datetime | None = None
    files: list[FileResult] = field(default_factory=list)
    sinks: list[SinkResult] = field(default_factory=list)
    #: The workout's :attr:`~peloton_export.model.Workout.warnings` (``"<field>: <what was
    #: done>"``: damaged values left out or repaired); the run prints each one.
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ExportReport:
    """Every workout's result, in the order they were handled."""

    results: list[WorkoutResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # run-level failures (plugins, summary files)
    notes: list[str] = field(default_factory=list)  # one-line facts for the summary (from plugins)
    sync: SyncReport | None = None  # what the sync before the export did (None: no sync)
    sync_error: str = ""  # why the sync could not run at all ("" when it ran); the archive was exported
    sync_failure: Exception | None = field(default=None, repr=False)  # the error behind sync_error
    #: Sinks paused in this run (or still paused since an earlier one): sink name -> the one
    #: line of its :class:`~peloton_export.errors.SinkPaused`. Their workouts stay pending.
    paused: dict[str, str] = field(default_factory=dict)
    #: Sinks whose service was failing (:class:`~peloton_export.errors.ServiceFailing`), so
    #: the rest of the run offered them no workout: sink name -> one line (the last failure).
    #: Their workouts not tried stay pending; the next run tries them again.
    failing: dict[str, str] = field(default_factory=dict)

    def count(self, status: Status) -> int:
        """How many workouts ended with ``status``."""
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> list[WorkoutResult]:
        """Workouts that failed (in whole or in one format or sink)."""
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        """True when no workout failed, no sink is paused and every summary file was written."""
        return not self.failed and not self.problems and not self.paused


@dataclass(slots=True)
class RunContext:
    """What lifecycle hooks (``export_started``, ``export_finished``) may know about the run.

    ``export`` is the :class:`~peloton_export.specs.ExportContext` that writers, sinks and
    transforms see; ``formats`` and ``sinks`` name what this run writes and delivers;
    ``ledger`` is ``None`` only when the run keeps no ledger (the demo, a bare
    :class:`~peloton_export.export.exporter.Exporter`). ``config`` is the run's
    configuration (``None`` for a bare exporter). :meth:`state` is a plugin's dict for this
    run only.
    """

    export: ExportContext
    archive: Archive
    ledger: Ledger | None
    host: PluginHost
    formats: tuple[str, ...] = ()
    sinks: tuple[str, ...] = ()
    config: Config | None = None

    @property
    def output_dir(self) -> Path:
        """The folder files are written to."""
        return self.export.output_dir

    @property
    def logger(self) -> logging.Logger:
        """Where plugins log (``peloton_export``)."""
        return self.export.logger

    def state(self, plugin: str) -> dict[str, Any]:
        """The run-scoped dict of ``plugin`` (also ``ExportContext.state[plugin]``)."""
        return self.export.state.setdefault(plugin, {})
