"""Built-in ``gpx`` format plugin: registers the GPX writer of :mod:`peloton_export.formats.gpx`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from peloton_export.hookspecs import hookimpl

if TYPE_CHECKING:
    from peloton_export.specs import FormatSpec


@hookimpl
def register_formats() -> Iterator[FormatSpec]:
    """Register the ``gpx`` format (only for workouts with a GPS track)."""
    from peloton_export.formats.gpx import gpx_skip_reason, write_gpx
    from peloton_export.specs import FormatSpec

    yield FormatSpec(
        name="gpx",
        suffix=".gpx",
        media_type="application/gpx+xml",
        applies_to=gpx_skip_reason,
        write=write_gpx,
        description=(
            "GPX 1.1 track of outdoor workouts with heart rate and cadence (Garmin "
            "TrackPointExtension v2) and power (PowerExtension v1)."
        ),
    )
