"""Unit conversion, dispatched on the ``display_unit`` Peloton attaches to every metric.

Peloton reports values in the *user's* display units (mph/mi/ft or kph/km/m), so a value
is only meaningful together with its unit. Every function here takes that unit string,
converts to SI (metres, metres per second, joules, kilograms) and returns ``None`` for
anything it cannot convert:

* a unit it does not know (reported once per unit and quantity with a ``logging``
  warning, and recorded in :data:`UNKNOWN_UNITS`; it never raises);
* a value that is not a finite number (``None``, strings, booleans, NaN, infinity);
* a negative value where one is impossible (distance, speed, pace, energy, weight), and a
  pace of zero (it would be an infinite speed);
* a value so large (or a pace so small) that the result would not be finite.

Units are matched without regard to case and surrounding spaces (``"KPH"``, ``" mi "``).

Example::

    >>> speed_to_mps(10.0, "kph")
    2.7777777777777777
    >>> pace_to_mps(2.0, "min/500m")
    4.166666666666667
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Literal

__all__ = [
    "UNKNOWN_UNITS",
    "UnitSystem",
    "distance_factor",
    "distance_to_m",
    "energy_to_j",
    "finite_float",
    "is_known",
    "length_to_m",
    "pace_to_mps",
    "speed_converter",
    "speed_to_mps",
    "to_mps",
    "unit_system",
    "weight_to_kg",
]

log = logging.getLogger("peloton_export.units")

UnitSystem = Literal["imperial", "metric"]
Converter = Callable[[object], "float | None"]

METRES_PER_MILE = 1609.344
METRES_PER_FOOT = 0.3048
KG_PER_POUND = 0.45359237

#: Speeds: metres per second per unit.
_SPEED: dict[str, float] = {
    "mph": METRES_PER_MILE / 3600.0,
    "mi/h": METRES_PER_MILE / 3600.0,
    "kph": 1000.0 / 3600.0,
    "km/h": 1000.0 / 3600.0,
    "kmh": 1000.0 / 3600.0,
    "m/s": 1.0,
    "mps": 1.0,
}
#: Paces, decimal minutes per distance: the distance in metres.
_PACE_MIN: dict[str, float] = {
    "min/mi": METRES_PER_MILE,
    "min/mile": METRES_PER_MILE,
    "min/km": 1000.0,
    "min/500m": 500.0,
    "min/500 m": 500.0,
}
#: Paces in seconds per distance (not seen from Peloton; accepted for completeness).
_PACE_SEC: dict[str, float] = {
    "sec/500m": 500.0,
    "s/500m": 500.0,
    "sec/km": 1000.0,
    "sec/mi": METRES_PER_MILE,
}
#: Distances and lengths (altitude, elevation): metres per unit.
_LENGTH: dict[str, float] = {
    "mi": METRES_PER_MILE,
    "mile": METRES_PER_MILE,
    "miles": METRES_PER_MILE,
    "km": 1000.0,
    "m": 1.0,
    "meters": 1.0,
    "metres": 1.0,
    "ft": METRES_PER_FOOT,
    "feet": METRES_PER_FOOT,
    "yd": 0.9144,
}
#: Work: joules per unit.
_ENERGY: dict[str, float] = {"kj": 1000.0, "j": 1.0, "mj": 1_000_000.0}
#: Weights: kilograms per unit.
_WEIGHT: dict[str, float] = {"lb": KG_PER_POUND, "lbs": KG_PER_POUND, "kg": 1.0, "kgs": 1.0}

_IMPERIAL = frozenset(
    {"mph", "mi/h", "mi", "mile", "miles", "ft", "feet", "yd", "min/mi", "min/mile", "lb", "lbs"}
)
_METRIC = frozenset({"kph", "km/h", "kmh", "km", "min/km", "kg", "kgs"})

#: ``(quantity, unit)`` pairs met so far that could not be converted.
UNKNOWN_UNITS: set[tuple[str, str]] = set()


def _key(unit: object) -> str:
    return unit.strip().lower() if isinstance(unit, str) else ""


def _report(quantity: str, unit: object) -> None:
    entry = (quantity, repr(unit) if not isinstance(unit, str) else unit)
    if entry not in UNKNOWN_UNITS:
        UNKNOWN_UNITS.add(entry)
        log.warning("unknown %s unit %r: those values are left out", quantity, unit)


def finite_float(value: object) -> float | None:
    """``value`` as a float if it is a finite real number (not a bool), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int):
        try:
            result = float(value)
        except OverflowError:
            return None
        return result if math.isfinite(result) else None
    return None


def _non_negative(value: object) -> float | None:
    v = finite_float(value)
    return v if v is not None and v >= 0.0 else None


def _finite(result: float) -> float | None:
    """``result`` of a conversion, or ``None`` when it overflowed to infinity."""
    return result if math.isfinite(result) else None


def is_known(unit: object) -> bool:
    """True when ``unit`` is any unit this module converts (speed, pace, length, ...)."""
    key = _key(unit)
    return any(key in table for table in (_SPEED, _PACE_MIN, _PACE_SEC, _LENGTH, _ENERGY, _WEIGHT))


def speed_to_mps(value: object, unit: object) -> float | None:
    """A speed (``mph``, ``kph``, ``km/h``, ``m/s``) in metres per second."""
    factor = _SPEED.get(_key(unit))
    if factor is None:
        _report("speed", unit)
        return None
    v = _non_negative(value)
    return None if v is None else v * factor


def pace_to_mps(value: object, unit: object) -> float | None:
    """A pace (``min/mi``, ``min/km``, ``min/500m``, ``sec/500m``) as a speed in m/s.

    A pace of zero or less has no meaningful speed and gives ``None``; so does Peloton's
    ``null`` pace while standing still.
    """
    key = _key(unit)
    if key in _PACE_MIN:
        metres, seconds_per_unit = _PACE_MIN[key], 60.0
    elif key in _PACE_SEC:
        metres, seconds_per_unit = _PACE_SEC[key], 1.0
    else:
        _report("pace", unit)
        return None
    v = finite_float(value)
    if v is None or v <= 0.0:
        return None
    return _finite(metres / (v * seconds_per_unit))


def to_mps(value: object, unit: object) -> float | None:
    """A speed *or* a pace in m/s, whichever ``unit`` names."""
    key = _key(unit)
    if key in _SPEED:
        return speed_to_mps(value, unit)
    if key in _PACE_MIN or key in _PACE_SEC:
        return pace_to_mps(value, unit)
    _report("speed", unit)
    return None


def speed_converter(unit: object) -> Converter | None:
    """A fast one-argument converter to m/s for a speed or pace ``unit``, or ``None``.

    Meant for converting a whole column: resolve the unit once, then call the converter
    per value. An unknown unit is reported and gives ``None``.
    """
    key = _key(unit)
    if key in _SPEED:
        factor = _SPEED[key]

        def speed(value: object) -> float | None:
            v = _non_negative(value)
            return None if v is None else v * factor

        return speed
    if key in _PACE_MIN or key in _PACE_SEC:
        metres = _PACE_MIN.get(key) or _PACE_SEC[key]
        scale = 60.0 if key in _PACE_MIN else 1.0

        def pace(value: object) -> float | None:
            v = finite_float(value)
            return None if v is None or v <= 0.0 else _finite(metres / (v * scale))

        return pace
    _report("speed", unit)
    return None


def distance_factor(unit: object) -> float | None:
    """Metres per ``unit`` (``mi``, ``km``, ``m``, ``ft``, ``yd``), or ``None`` if unknown."""
    factor = _LENGTH.get(_key(unit))
    if factor is None:
        _report("distance", unit)
    return factor


def distance_to_m(value: object, unit: object) -> float | None:
    """A distance (never negative) in metres."""
    factor = distance_factor(unit)
    v = _non_negative(value)
    return None if factor is None or v is None else _finite(v * factor)


def length_to_m(value: object, unit: object) -> float | None:
    """A length that may be negative (altitude, elevation change) in metres."""
    factor = distance_factor(unit)
    v = finite_float(value)
    return None if factor is None or v is None else _finite(v * factor)


def energy_to_j(value: object, unit: object) -> float | None:
    """Work (``kj``, ``j``) in joules."""
    factor = _ENERGY.get(_key(unit))
    if factor is None:
        _report("energy", unit)
        return None
    v = _non_negative(value)
    return None if v is None else _finite(v * factor)


def weight_to_kg(value: object, unit: object) -> float | None:
    """A weight (``lb``, ``lbs``, ``kg``) in kilograms."""
    factor = _WEIGHT.get(_key(unit))
    if factor is None:
        _report("weight", unit)
        return None
    v = _non_negative(value)
    return None if v is None else _finite(v * factor)


def unit_system(unit: object) -> UnitSystem | None:
    """``"imperial"`` or ``"metric"`` when ``unit`` tells the user's preference, else ``None``.

    ``m`` and ``min/500m`` say nothing (the Row reports metres to everybody).
    """
    key = _key(unit)
    if key in _IMPERIAL:
        return "imperial"
    if key in _METRIC:
        return "metric"
    return None
