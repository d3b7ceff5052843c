"""Built-in plugin ``csv_format``: registers what :mod:`peloton_export.formats.csv` provides."""

from __future__ import annotations

from peloton_export.formats.csv import export_finished, register_formats

__all__ = ["export_finished", "register_formats"]
