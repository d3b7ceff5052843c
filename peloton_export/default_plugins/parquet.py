"""Built-in ``parquet`` format: the analysis-ready dataset (needs the ``[parquet]`` extra).

For each workout the writer puts two files into the Hive-partitioned dataset under the
output folder (``parquet/workouts/year=…/month=…/<id>.parquet`` and
``parquet/samples/…/<id>.parquet``; see :mod:`peloton_export.formats.parquet`), each written
atomically and only when its bytes changed, and returns a small JSON receipt as the
format's own file (``<stem>.parquet-receipt``): the ledger tracks the receipt like any other
exported file, so a later run skips workouts already in the dataset.

Once ``peloton-export bike model`` saved a model, the class cues in watts
(:mod:`peloton_export.insights.cues`, the json format's ``class_cues``) are in
``workouts.class_cues`` and per second in ``samples.target_power_lower/upper``.

Without pyarrow every workout is skipped with the message
``the parquet format needs pyarrow: pip install 'peloton-export[parquet]'``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from peloton_export.errors import OutputRefused, PelotonExportError, refuses_writes
from peloton_export.hookspecs import hookimpl
from peloton_export.readback import same_bytes

if TYPE_CHECKING:  # not loaded with the plugin (``--help`` loads every built-in)
    from peloton_export.model import Workout
    from peloton_export.specs import ExportContext, FormatSpec

SUFFIX = ".parquet-receipt"


def skip_reason(workout: Workout) -> str | None:
    """Why the format cannot write: pyarrow is missing (with the install command)."""
    from peloton_export.formats.parquet import pyarrow_missing

    return pyarrow_missing()


def _remove_stale(root: Path, table: str, keep: Path) -> None:
    """Remove this workout's file from other partitions (its local month changed)."""
    for old in (root / table).glob(f"year=*/month=*/{keep.name}"):
        if old != keep:
            with contextlib.suppress(FileNotFoundError):
                old.unlink()


def write_parquet(workout: Workout, stream: BinaryIO, context: ExportContext) -> None:
    """Write the workout's dataset files (not on dry runs) and its JSON receipt to ``stream``.

    :raises PelotonExportError: when a dataset file cannot be written.
    """
    from peloton_export.formats import parquet as dataset
    from peloton_export.insights.cues import cues_for
    from peloton_export.store.atomic import write_bytes_atomic
    from peloton_export.store.ledger import content_hash

    found = cues_for(workout, context.state)
    cues = found.to_json() if found is not None else None
    paths = dataset.relative_paths(workout)
    samples = dataset.samples_table(workout, cues)
    laps = context.option("laps") or context.option("fit.laps") or "auto"
    files = {
        "workouts": dataset.table_bytes(dataset.workouts_table(workout, laps, cues)),
        "samples": dataset.table_bytes(samples),
    }
    if not context.dry_run:
        for table, data in files.items():
            path = context.output_dir / paths[table]
            try:
                if not same_bytes(path, data):
                    write_bytes_atomic(path, data)
                _remove_stale(context.output_dir / dataset.ROOT, table, path)
            except OSError as exc:
                if refuses_writes(exc):
                    raise OutputRefused.at(context.output_dir, path, exc) from None
                raise PelotonExportError(f"cannot write {path}: {exc.strerror or exc}") from None
    receipt = {
        "schema": dataset.SCHEMA_NAME,
        "workout_id": workout.id,
        "files": {
            table: {"path": paths[table], "sha256": content_hash(data)} for table, data in files.items()
        },
        "samples": samples.num_rows,
    }
    stream.write(json.dumps(receipt, sort_keys=True, indent=1).encode("utf-8") + b"\n")


@hookimpl
def register_formats() -> Iterator[FormatSpec]:
    """The ``parquet`` format."""
    from peloton_export.specs import FormatSpec

    yield FormatSpec(
        name="parquet",
        suffix=SUFFIX,
        media_type="application/json",
        write=write_parquet,
        applies_to=skip_reason,
        description="Hive-partitioned Parquet dataset (workouts, samples) under parquet/; needs pyarrow",
    )


__all__ = ["register_formats", "skip_reason", "write_parquet"]
