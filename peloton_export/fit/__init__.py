"""FIT writing: Workout -> checked messages -> the official Garmin SDK encoder.

Modules: :mod:`.adapter` (checked encoder wrapper), :mod:`.sports` (sport mapping),
:mod:`.laps` (lap strategies), :mod:`.strength` (movement mapping), :mod:`.zones`,
:mod:`.devices` (device presets) and :mod:`.encode` (the messages of a workout).
"""

from __future__ import annotations

from peloton_export.fit.adapter import FitEncodeError, FitWriter
from peloton_export.fit.encode import FitOptions, build_messages, encode_workout

__all__ = ["FitEncodeError", "FitOptions", "FitWriter", "build_messages", "encode_workout"]
