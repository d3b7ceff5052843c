"""Built-in ``csv`` format plugin: registers the CSV writers of :mod:`peloton_export.formats.csv`
(per-second ``csv``, strength ``csv-sets``) and keeps ``summary.csv`` up to date."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from peloton_export.hookspecs import hookimpl

if TYPE_CHECKING:
    from peloton_export.results import ExportReport, RunContext
    from peloton_export.specs import FormatSpec


@hookimpl
def register_formats() -> Iterator[FormatSpec]:
    """The ``csv`` format and its ``summary.csv``."""
    from peloton_export.formats.csv import SUMMARY, display_units, sets_skip_reason, write_csv, write_sets_csv
    from peloton_export.specs import FormatSpec

    yield FormatSpec(
        name="csv",
        suffix=".csv",
        media_type="text/csv",
        write=write_csv,
        description="per-second CSV per workout, plus summary.csv with one row per workout",
        summary=SUMMARY,
        options={"units": "metric or imperial: add display speed, pace and distance columns"},
        check_options=display_units,
    )
    yield FormatSpec(
        name="csv-sets",
        suffix=".sets.csv",
        media_type="text/csv",
        write=write_sets_csv,
        applies_to=sets_skip_reason,
        description="strength sets as CSV: movement, reps, weight, duration per set",
    )


@hookimpl
def export_finished(context: RunContext, report: ExportReport) -> None:
    """Rewrite ``summary.csv`` with every workout exported as CSV into the output folder."""
    from peloton_export.formats.csv import SUMMARY
    from peloton_export.formats.summaries import update_summary_file

    update_summary_file(context, report, "csv", SUMMARY)
