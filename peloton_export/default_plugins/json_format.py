"""Built-in ``json`` format: the normalized workout (schema in :mod:`peloton_export.formats.json`).

The file adds to the schema ``activity_title``, the title every format and sink uses (the
run's title template, ``json.title_template`` to override), and, once ``peloton-export bike
model`` saved a model, ``class_cues`` (:mod:`peloton_export.insights.cues`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO

from peloton_export.hookspecs import hookimpl

if TYPE_CHECKING:
    from peloton_export.model import Workout
    from peloton_export.specs import ExportContext, FormatSpec


def write_json(workout: Workout, stream: BinaryIO, context: ExportContext) -> None:
    """Write ``workout`` as UTF-8 JSON with sorted keys (same workout, same bytes).

    The ``laps`` list follows ``--option laps=<strategy>`` (or ``fit.laps``), like FIT and TCX.

    :raises ConfigError: an unknown lap strategy.
    """
    from peloton_export.formats.json import workout_to_dict
    from peloton_export.insights.cues import cues_for
    from peloton_export.sinkkit.templates import activity_title  # sinkkit loads requests

    data = workout_to_dict(workout, context.option("laps") or context.option("fit.laps") or "auto")
    data["activity_title"] = activity_title(workout, context, plugin="json")
    cues = cues_for(workout, context.state)
    if cues is not None:
        data["class_cues"] = cues.to_json()
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    stream.write(text.encode("utf-8"))
    stream.write(b"\n")


@hookimpl
def register_formats() -> Iterator[FormatSpec]:
    """The ``json`` format."""
    from peloton_export.specs import FormatSpec

    yield FormatSpec(
        name="json",
        suffix=".json",
        media_type="application/json",
        write=write_json,
        description="the normalized workout as JSON (schema peloton-export/workout@2)",
    )
