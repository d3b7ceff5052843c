"""Built-in plugin ``unattended``: registers what :mod:`peloton_export.cli.unattended` provides."""

from __future__ import annotations

from peloton_export.cli.unattended import register_commands

__all__ = ["register_commands"]
