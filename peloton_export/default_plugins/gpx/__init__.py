"""Built-in plugin ``gpx``: registers what :mod:`peloton_export.formats.gpx` provides."""

from __future__ import annotations

from peloton_export.formats.gpx import register_formats

__all__ = ["register_formats"]
