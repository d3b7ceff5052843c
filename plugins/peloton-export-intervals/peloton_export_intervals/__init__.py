"""peloton-export-intervals: the ``intervals`` sink (intervals.icu, API key).

Put your API key in ``[plugin:intervals] api_key`` (or ``INTERVALS_API_KEY``), then
``peloton-export --sink intervals``. See README.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from peloton_export import ExportContext, LoginSpec, SinkSpec, UploadResult, Workout, hookimpl
from peloton_export.sinkkit import Clock
from peloton_export_intervals.sink import IntervalsSettings, IntervalsUploader, external_id

__all__ = [
    "IntervalsSettings",
    "IntervalsUploader",
    "exists",
    "external_id",
    "register_logins",
    "register_sinks",
    "upload",
]

#: Time and sleeping for the sink (tests replace it).
CLOCK = Clock()


def upload(path: Path, workout: Workout, context: ExportContext) -> UploadResult:
    """The sink's ``upload``: one file of one workout to intervals.icu."""
    uploader = IntervalsUploader(IntervalsSettings.from_context(context), clock=CLOCK)
    try:
        return uploader(path, workout, context)
    finally:
        uploader.close()


def exists(remote_id: str, context: ExportContext) -> bool:
    """Whether intervals.icu still has activity ``remote_id`` (False: the user deleted it)."""
    uploader = IntervalsUploader(IntervalsSettings.from_context(context), clock=CLOCK)
    try:
        return uploader.activity_exists(remote_id)
    finally:
        uploader.close()


@hookimpl
def register_sinks() -> Iterator[SinkSpec]:
    """The ``intervals`` sink; FIT preferred, then TCX, then GPX."""
    yield SinkSpec(
        name="intervals",
        accepts=("fit", "tcx", "gpx"),
        upload=upload,
        exists=exists,
        description="upload to intervals.icu (API key in [plugin:intervals] api_key)",
    )


@hookimpl
def register_logins() -> Iterator[LoginSpec]:
    """The API key form of the ``serve`` Logins page (:mod:`.login`)."""
    from peloton_export_intervals.login import login_spec

    yield login_spec()
