"""Small, defensive readers for Peloton's JSON (shared by the normalize modules).

Peloton bodies are full of ``null``s, and a damaged file can hold any JSON type anywhere.
These helpers return ``None`` (or an empty container) for a value of the wrong type, so one
bad field never stops a whole workout. Fields without which a workout makes no sense are
checked in :mod:`peloton_export.normalize` itself and raise ``NormalizeError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from peloton_export.workout.units import finite_float

JsonObject = dict[str, Any]

#: Largest offset (seconds) accepted: 7 days. Anything beyond is garbage, not a workout.
MAX_OFFSET = 7 * 24 * 3600
# JSON can escape half of a surrogate pair on its own ("\ud83d"); Python keeps it, but no
# UTF-8 file can hold it, so it would break every writer (and summary.csv) later on.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def obj(value: object) -> JsonObject | None:
    """``value`` if it is a JSON object, else ``None``."""
    return value if isinstance(value, dict) else None


def arr(value: object) -> list[Any]:
    """``value`` if it is a JSON array, else an empty list."""
    return value if isinstance(value, list) else []


def text(value: object) -> str | None:
    """A stripped, non-empty string, else ``None``.

    Lone surrogates (half of an escaped pair) become U+FFFD, so every string in the model
    can be written as UTF-8.
    """
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped:
            return None
        return stripped if stripped.isascii() else _LONE_SURROGATE.sub("\ufffd", stripped)
    return None


def num(value: object) -> float | None:
    """A finite number (not a bool), else ``None``."""
    return finite_float(value)


def positive(value: object) -> float | None:
    """A finite number greater than zero, else ``None``."""
    v = finite_float(value)
    return v if v is not None and v > 0.0 else None


def offset_value(value: object) -> int | None:
    """A sample offset: a whole number of seconds in ``0..MAX_OFFSET``, else ``None``.

    Floats are rounded (``12.0`` is fine); booleans, strings and NaN are rejected.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value <= MAX_OFFSET else None
    f = finite_float(value)
    if f is None or not 0.0 <= f <= MAX_OFFSET:
        return None
    return round(f)


def duration_value(value: object) -> float | None:
    """A length of time in seconds: a finite number in ``0..MAX_OFFSET``, else ``None``.

    Like :func:`offset_value` but not rounded; anything longer than the longest workout
    is garbage (and would overflow date arithmetic later), not a duration.
    """
    f = finite_float(value)
    return f if f is not None and 0.0 <= f <= MAX_OFFSET else None


def is_zero_id(value: object) -> bool:
    """True for Peloton's all-zero ride id (freestyle, Just Ride, imported workouts)."""
    return isinstance(value, str) and value.strip("0- ") == "" and len(value) > 0


def at(start: datetime, offset: float) -> datetime:
    """``start`` plus ``offset`` seconds."""
    return start + timedelta(seconds=offset)


@dataclass(slots=True)
class Context:
    """What every step of one workout's normalization shares."""

    workout_id: str
    start: datetime
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        """Record a one-line remark (kept in ``Workout.notes``), once."""
        if message not in self.notes:
            self.notes.append(message)

    def warn(self, where: str, done: str) -> None:
        """Record that a damaged value at ``where`` (a dotted path into Peloton's bodies,
        ``workout.end_time``) was left out or repaired, and how (kept in
        ``Workout.warnings`` as ``"<where>: <done>"``), once."""
        line = f"{where}: {done}"
        if line not in self.warnings:
            self.warnings.append(line)


def shown(value: object) -> str:
    """A short, printable description of a damaged JSON value (``NaN``, ``-1``, ``a string``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float):
        return "NaN" if value != value else (repr(value) if abs(value) < 1e15 else f"{value:.3g}")
    if isinstance(value, int):
        return str(value) if abs(value) < 10**15 else f"{float(value):.3g}"
    if isinstance(value, str):
        return f"the string {value[:20]!r}" if value.isprintable() else "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
