"""Merge watch recordings into workouts (``--merge FILE_OR_DIR``, option ``merge``).

See :mod:`peloton_export.workout.merge` for the matching rule and what is filled. Because the
transform runs before any writer, every output format gets the merged data.

The recordings are read once per run (kept in the run's plugin state), which needs one view
of every workout, so a run with ``--merge`` exports in one process. Unreadable files are
reported when the recordings are read; recordings that matched no workout, and how many
workouts were merged, when the run ends.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from peloton_export.hookspecs import hookimpl

if TYPE_CHECKING:
    from peloton_export.export.plan import ExportPlan
    from peloton_export.model import Workout
    from peloton_export.results import ExportReport, RunContext
    from peloton_export.specs import ExportContext
    from peloton_export.workout.merge import MergeSource

__all__ = ["export_finished", "export_started", "finish", "transform_workout"]

NAME = "merge"


def _source(context: ExportContext) -> MergeSource | None:
    """The run's recordings, read on first use; ``None`` without ``--merge``."""
    target = context.option("merge")
    if not target:
        return None
    state = context.state.setdefault(NAME, {})
    source: MergeSource | None = state.get("source")
    if source is None:
        from peloton_export.workout.merge import MergeSource

        source = state["source"] = MergeSource.load(Path(target).expanduser().resolve())
        for problem in source.problems:
            context.logger.warning("--merge: skipped %s", problem)
        source.problems.clear()
        context.logger.info("--merge: %d watch recording(s) read from %s", len(source.recordings), target)
    return source


def finish(context: ExportContext) -> None:
    """Report the run's recordings that matched no workout (once)."""
    source: MergeSource | None = context.state.get(NAME, {}).get("source")
    if source is not None:
        source.report_unmatched(context.logger)


@hookimpl
def export_started(context: RunContext, plan: ExportPlan) -> None:
    """Read the recordings before the first workout, and keep the run in one process."""
    if _source(context.export) is not None:
        plan.run_in_one_process("--merge matches recordings against every workout")


@hookimpl
def transform_workout(workout: Workout, context: ExportContext) -> Workout | None:
    """Fill heart rate (and outdoor GPS) from the one watch recording overlapping ``workout``."""
    source = _source(context)
    return source.merge(workout, context.logger) if source is not None else None


@hookimpl
def export_finished(context: RunContext, report: ExportReport) -> None:
    """Report recordings that matched nothing; the summary says how many workouts merged."""
    finish(context.export)
    source: MergeSource | None = context.export.state.get(NAME, {}).get("source")
    if source is not None:
        report.notes.append(source.summary())
