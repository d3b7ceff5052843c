"""Display units for the pages: SI values in, text in the user's own units out.

``system`` is the workout's ``units`` (``"imperial"`` or ``"metric"``, Peloton's setting for
the user). Every function returns ``"–"`` for a missing or non-finite value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from peloton_export.workout.units import KG_PER_POUND, METRES_PER_FOOT, METRES_PER_MILE

DASH = "–"


def ok(value: float | None) -> bool:
    """True for a finite number."""
    return value is not None and math.isfinite(value)


def duration(seconds: float | None) -> str:
    """``h:mm:ss`` or ``m:ss``."""
    if not ok(seconds):
        return DASH
    assert seconds is not None
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def number(value: float | None, digits: int = 0, unit: str = "") -> str:
    """``value`` with ``digits`` decimals and thousands separators, then `` unit``."""
    if not ok(value):
        return DASH
    text = f"{value:,.{digits}f}"
    return f"{text} {unit}" if unit else text


@dataclass(frozen=True, slots=True)
class Units:
    """Conversions for one unit system (``imperial`` or ``metric``)."""

    system: str = "imperial"

    @property
    def imperial(self) -> bool:
        """True for miles, feet and pounds."""
        return self.system == "imperial"

    @property
    def distance_unit(self) -> str:
        """``mi`` or ``km``."""
        return "mi" if self.imperial else "km"

    @property
    def speed_unit(self) -> str:
        """``mph`` or ``km/h``."""
        return "mph" if self.imperial else "km/h"

    @property
    def length_unit(self) -> str:
        """``ft`` or ``m`` (altitude)."""
        return "ft" if self.imperial else "m"

    @property
    def weight_unit(self) -> str:
        """``lb`` or ``kg``."""
        return "lb" if self.imperial else "kg"

    def distance(self, metres: float | None) -> float | None:
        """Metres in miles or kilometres."""
        if not ok(metres):
            return None
        assert metres is not None
        return metres / (METRES_PER_MILE if self.imperial else 1000.0)

    def speed(self, mps: float | None) -> float | None:
        """Metres per second in mph or km/h."""
        if not ok(mps):
            return None
        assert mps is not None
        return mps * 3600 / (METRES_PER_MILE if self.imperial else 1000.0)

    def length(self, metres: float | None) -> float | None:
        """Metres in feet or metres."""
        if not ok(metres):
            return None
        assert metres is not None
        return metres / METRES_PER_FOOT if self.imperial else metres

    def weight(self, kg: float | None) -> float | None:
        """Kilograms in pounds or kilograms."""
        if not ok(kg):
            return None
        assert kg is not None
        return kg / KG_PER_POUND if self.imperial else kg

    def pace_s(self, mps: float | None, per_m: float | None = None) -> float | None:
        """Seconds per mile or kilometre (or per ``per_m`` metres); ``None`` below 0.8 m/s
        (standing, or slower than 34 min/mi: no pace worth drawing)."""
        if not ok(mps) or mps is None or mps < 0.8:
            return None
        metres = per_m if per_m is not None else (METRES_PER_MILE if self.imperial else 1000.0)
        return metres / mps

    def distance_text(self, metres: float | None) -> str:
        """``12.34 mi``."""
        return number(self.distance(metres), 2, self.distance_unit)


__all__ = ["DASH", "Units", "duration", "number", "ok"]
