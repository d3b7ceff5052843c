"""History-wide summary files (``summary.csv``): one row per workout ever exported to a folder.

Formats declare one with :class:`~peloton_export.specs.SummarySpec`; the pipeline records
each workout's row in the ledger beside its file, and the format's plugin calls
:func:`update_summary_file` from its ``export_finished`` hook. Rows come from, in rising
precedence: the file as it is, the ledger (every workout written into this folder, so a
run killed before the end loses no row), and this run's results (the only source when the
run keeps no ledger, as the demo does).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from peloton_export.store.atomic import write_bytes_atomic

if TYPE_CHECKING:
    from peloton_export.results import ExportReport, RunContext
    from peloton_export.specs import SummarySpec


def update_summary_file(context: RunContext, report: ExportReport, fmt: str, spec: SummarySpec) -> None:
    """Bring ``spec.filename`` in the output folder up to date for format ``fmt``.

    Does nothing in a dry run, when ``fmt`` is not written by this run, or when there is
    no row at all. A file that cannot be read or written adds one line naming it to
    ``report.problems`` (the run then ends with exit code 1); it never raises.
    """
    if context.export.dry_run or fmt not in context.formats:
        return
    rows: dict[str, Mapping[str, str]] = {}
    if context.ledger is not None:
        rows.update(context.ledger.summary_rows(fmt, context.output_dir))
    rows.update(
        {
            r.workout_id: f.summary
            for r in report.results
            for f in r.files
            if f.format == fmt and f.summary is not None
        }
    )
    if not rows:
        return
    path = context.output_dir / spec.filename
    try:
        merge_summary(path, spec, rows)
    except (OSError, ValueError, csv.Error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        report.problems.append(f"{spec.filename}: cannot write {path}: {reason}")


def merge_summary(path: Path, spec: SummarySpec, rows: Mapping[str, Mapping[str, str]]) -> None:
    """Merge ``rows`` (by workout id) into the CSV at ``path``, atomically.

    :raises OSError: the file cannot be read or written.
    :raises ValueError: the existing file is not readable text.
    """
    merged: dict[str, Mapping[str, str]] = {}
    if path.is_file():
        with path.open(newline="", encoding="utf-8") as handle:
            for old in csv.DictReader(handle):
                key = old.get(spec.key)
                if key:
                    merged[key] = old
    merged.update(rows)
    ordered = sorted(merged.values(), key=lambda row: (row.get(spec.order_by) or "", row.get(spec.key) or ""))
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=list(spec.columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in ordered:
        writer.writerow({column: row.get(column, "") for column in spec.columns})
    data = text.getvalue().encode("utf-8")
    if _unchanged(path, data):
        return
    write_bytes_atomic(path, data)


def _unchanged(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


__all__ = ["merge_summary", "update_summary_file"]
