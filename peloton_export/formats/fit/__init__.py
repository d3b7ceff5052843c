"""FIT writing: Workout -> checked messages -> the official Garmin SDK encoder.

Modules: :mod:`.adapter` (checked encoder wrapper), :mod:`.sports` (sport mapping),
:mod:`.laps` (lap strategies), :mod:`.strength` (movement mapping), :mod:`.zones`,
:mod:`.devices` (device presets) and :mod:`.encode` (the messages of a workout).

The names below load on first use, so importing a small module of this package (the sport
mapping, the zones) never imports Garmin's SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from peloton_export.formats.fit.adapter import FitEncodeError, FitWriter
    from peloton_export.formats.fit.encode import FitOptions, build_messages, encode_workout

_LAZY = {
    "FitEncodeError": "peloton_export.formats.fit.adapter",
    "FitWriter": "peloton_export.formats.fit.adapter",
    "FitOptions": "peloton_export.formats.fit.encode",
    "build_messages": "peloton_export.formats.fit.encode",
    "encode_workout": "peloton_export.formats.fit.encode",
}


def __getattr__(name: str) -> object:
    """Load the encoder's public names on first use."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'peloton_export.formats.fit' has no attribute {name!r}")


__all__ = ["FitEncodeError", "FitOptions", "FitWriter", "build_messages", "encode_workout"]
