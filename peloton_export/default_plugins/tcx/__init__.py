"""Built-in ``tcx`` format plugin: registers the TCX writer of :mod:`peloton_export.formats.tcx`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from peloton_export.hookspecs import hookimpl

if TYPE_CHECKING:
    from peloton_export.specs import FormatSpec


@hookimpl
def register_formats() -> Iterator[FormatSpec]:
    """Register the ``tcx`` format."""
    from peloton_export.formats.tcx import write_tcx
    from peloton_export.specs import FormatSpec

    yield FormatSpec(
        name="tcx",
        suffix=".tcx",
        media_type="application/vnd.garmin.tcx+xml",
        write=write_tcx,
        description=(
            "Garmin TCX v2 with power, speed and cadence (ActivityExtension v2); "
            "Sport is Biking, Running or Other."
        ),
    )
