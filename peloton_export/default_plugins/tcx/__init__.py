"""Built-in plugin ``tcx``: registers what :mod:`peloton_export.formats.tcx` provides."""

from __future__ import annotations

from peloton_export.formats.tcx import register_formats

__all__ = ["register_formats"]
