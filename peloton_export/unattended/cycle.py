"""One run of ``peloton-export watch``: :func:`peloton_export.run_export`, summarised.

The config is read again before every run, so an edited config file (or a new login)
takes effect on the next run without restarting the watcher. Values given on the
``watch`` command line are passed in the request and win over the config.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peloton_export.config import Config, load_config
from peloton_export.unattended.watch import CycleResult

log = logging.getLogger("peloton_export.watch")

STATUSES = ("exported", "unchanged", "skipped", "failed")


@dataclass(frozen=True, slots=True, kw_only=True)
class CycleOptions:
    """What the ``watch`` command line asked for (empty: the config decides)."""

    formats: tuple[str, ...] = ()
    sinks: tuple[str, ...] = ()
    output_dir: Path | None = None
    options: Mapping[str, str] = field(default_factory=dict)


def summarize(report: Any) -> CycleResult:
    """A :class:`CycleResult` from an ``ExportReport`` (with its ``sync`` report, if any)."""
    counts: dict[str, int] = {}
    sync = getattr(report, "sync", None)
    parts: list[str] = []
    if sync is not None and not getattr(sync, "offline", False):
        counts["new"] = len(sync.new) + len(sync.updated)
        parts.append(
            f"{counts['new']} new from Peloton ({sync.requests} request{'' if sync.requests == 1 else 's'})"
        )
    for status in STATUSES:
        counts[status] = report.count(status)
    files = sum(1 for r in report.results for f in r.files if f.status == "exported")
    parts.append(
        ", ".join(f"{counts[s]} {s}" for s in STATUSES)
        + f" ({files} file{'' if files == 1 else 's'} written)"
    )
    for result in report.results:
        for line in getattr(result, "warnings", ()):
            log.warning("warning %s: %s", result.workout_id, line)
    for result in report.failed:
        log.warning("failed %s: %s", result.workout_id, result.reason)
    for problem in report.problems:
        log.warning("failed %s", problem)
    paused = getattr(report, "paused", None) or {}
    if paused:  # a sink that needs the user (an inactive Strava app): in the run's own line
        parts.append("; ".join(f"{sink} paused: {message}" for sink, message in sorted(paused.items())))
    failing = getattr(report, "failing", None) or {}
    if failing:  # a sink whose service failed (the breaker): a later cycle tries again
        parts.append("; ".join(message for _, message in sorted(failing.items())))
    return CycleResult(ok=bool(report.ok), counts=counts, message="; ".join(parts))


def export_cycle(
    options: CycleOptions, *, load: Callable[[], Config] = load_config, host: Any = None
) -> Callable[[], CycleResult]:
    """The cycle function the watcher calls: one ``run_export`` with ``options``."""

    def cycle() -> CycleResult:
        from peloton_export.export.run import (  # type: ignore[import-not-found,unused-ignore]
            ExportRequest,
            run_export,
        )

        request = ExportRequest(
            formats=options.formats,
            sinks=options.sinks,
            output_dir=options.output_dir,
            options=dict(options.options),
            config=load(),
        )
        report = run_export(request, host)
        if report.sync_failure is not None:
            raise report.sync_failure  # the watcher backs off and notifies as before
        return summarize(report)

    return cycle
