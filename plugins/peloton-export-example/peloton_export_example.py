"""peloton-export-example: the smallest complete plugin, and the template to copy.

It adds one format and one sink:

* the ``hello`` format writes one line of text per workout (``--format hello``);
* the ``logbook`` sink appends that line, with the workout id, to a JSON Lines file
  (``--sink logbook``). A workout already in the logbook is reported as a duplicate, which
  is how every sink should answer a second delivery.

Where the logbook is: ``--option example.logbook=PATH``, or in the config file::

    [plugin:example]
    logbook = ~/peloton-logbook.jsonl
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from peloton_export import (
    ExportContext,
    FormatSpec,
    SinkSpec,
    UploadError,
    UploadResult,
    Workout,
    hookimpl,
)


def write_hello(workout: Workout, stream: BinaryIO, context: ExportContext) -> None:
    """Write ``<start> <title>: <minutes> min`` and a newline."""
    minutes = workout.elapsed_s / 60
    stream.write(
        f"{workout.start:%Y-%m-%d %H:%M} {workout.title or workout.discipline}: {minutes:.0f} min\n".encode()
    )


def logbook_path(context: ExportContext) -> Path:
    """The logbook file from ``--option example.logbook`` or ``[plugin:example] logbook``."""
    value = context.option("example.logbook") or context.config_for("example").get("logbook")
    if not value:
        raise UploadError(
            "the logbook sink needs a file: pass --option example.logbook=PATH "
            "or set logbook in the [plugin:example] section of the config"
        )
    return Path(value).expanduser()


def append_to_logbook(path: Path, workout: Workout, context: ExportContext) -> UploadResult:
    """Append the workout's line to the logbook once; a second time is a duplicate."""
    logbook = logbook_path(context)
    try:
        lines = logbook.read_text(encoding="utf-8").splitlines() if logbook.exists() else []
        for number, line in enumerate(lines, start=1):
            if json.loads(line).get("workout_id") == workout.id:
                return UploadResult(
                    state="duplicate", remote_id=f"line {number}", message="already in the logbook"
                )
        entry = {"workout_id": workout.id, "text": path.read_text(encoding="utf-8").strip()}
        logbook.parent.mkdir(parents=True, exist_ok=True)
        with logbook.open("a", encoding="utf-8") as stream:
            stream.write(json.dumps(entry, ensure_ascii=False) + "\n")
    except (OSError, ValueError) as exc:
        raise UploadError(f"cannot update the logbook {logbook}: {exc}") from None
    return UploadResult(state="uploaded", remote_id=f"line {len(lines) + 1}")


@hookimpl
def register_formats() -> Iterator[FormatSpec]:
    """The ``hello`` format."""
    yield FormatSpec(
        name="hello",
        suffix=".txt",
        write=write_hello,
        media_type="text/plain",
        description="one line of text per workout (example plugin)",
    )


@hookimpl
def register_sinks() -> Iterator[SinkSpec]:
    """The ``logbook`` sink; it takes the ``hello`` files."""
    yield SinkSpec(
        name="logbook",
        accepts=("hello",),
        upload=append_to_logbook,
        description="append each workout to a JSON Lines logbook (example plugin)",
    )
