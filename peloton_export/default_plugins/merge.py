"""Merge watch recordings into workouts (``--merge FILE_OR_DIR``, option ``merge``).

See :mod:`peloton_export.merge` for the matching rule and what is filled. Because the
transform runs before any writer, every output format gets the merged data.

Unreadable files are reported when the recordings are loaded; recordings that matched no
workout are reported when the run ends (at interpreter exit, or earlier when the caller
calls :func:`finish`).
"""

from __future__ import annotations

import atexit
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from peloton_export.hookspecs import hookimpl
from peloton_export.merge import get_source

if TYPE_CHECKING:
    from peloton_export.model import Workout
    from peloton_export.specs import ExportContext

__all__ = ["finish", "transform_workout"]


def finish(context: ExportContext) -> None:
    """Report unmatched recordings of the run's ``--merge`` path now (idempotent)."""
    target = context.option("merge")
    if target:
        source, _ = get_source(Path(target))
        source.report_unmatched(context.logger)


@hookimpl
def transform_workout(workout: Workout, context: ExportContext) -> Workout | None:
    """Fill heart rate (and outdoor GPS) from the one watch recording overlapping ``workout``."""
    target = context.option("merge")
    if not target:
        return None
    source, fresh = get_source(Path(target))
    logger: logging.Logger = context.logger
    if fresh:
        for problem in source.problems:
            logger.warning("--merge: skipped %s", problem)
        source.problems.clear()
        logger.info("--merge: %d watch recording(s) read from %s", len(source.recordings), target)
        atexit.register(source.report_unmatched, logger)
    return source.merge(workout, logger)
