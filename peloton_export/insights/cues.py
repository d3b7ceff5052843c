"""Class cues in watts: a class's cadence and resistance ranges as the output *this* bike gives.

Pure Python (no numpy): exports call it with the model saved by ``peloton-export bike
model`` (:mod:`peloton_export.insights.store`), which the built-in ``insights`` plugin
loads once per run into ``ExportContext.state["insights"]``.

For each span of the class where Peloton gives both a cadence and a resistance range (the
class's ``target_metrics``, see :class:`~peloton_export.model.TargetRange`), the asked
output is ``P(cadence low, resistance low)`` to ``P(cadence high, resistance high)`` (the
model rises in both, so these are the band's corners), from the model of the ride's
device and calibration era. *Delivered* is the mean recorded output over the span's
samples; ``delivered_pct`` is it as a percent of the band's middle, ``in_band_pct`` the
share of the span's output samples inside the band.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from peloton_export.insights.model import BikeModel, BikeModels, models_from_json
from peloton_export.insights.rides import BIKE_DISCIPLINES, device_key
from peloton_export.model import TargetRange, Workout

#: The key of the built-in ``insights`` plugin in ``ExportContext.state``.
STATE_KEY = "insights"
#: Cadence cues above this (rpm) are left out (as are resistance cues outside 0-100 %).
MAX_CUE_CADENCE = 200.0


@dataclass(frozen=True, slots=True)
class ClassCue:
    """One span ``[start_offset, end_offset]`` (active seconds) of asked against delivered."""

    start_offset: int
    end_offset: int
    cadence_rpm: tuple[float, float]
    resistance_pct: tuple[float, float]
    asked_low_w: float
    asked_high_w: float
    delivered_w: float | None
    delivered_pct: float | None
    in_band_pct: float | None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (watts and percents rounded to 0.1)."""
        return {
            "start_offset": self.start_offset,
            "end_offset": self.end_offset,
            "cadence_rpm": list(self.cadence_rpm),
            "resistance_pct": list(self.resistance_pct),
            "asked_low_w": round(self.asked_low_w, 1),
            "asked_high_w": round(self.asked_high_w, 1),
            "delivered_w": _r(self.delivered_w),
            "delivered_pct": _r(self.delivered_pct),
            "in_band_pct": _r(self.in_band_pct),
        }


@dataclass(frozen=True, slots=True)
class ClassCues:
    """A ride's cues with the model they came from."""

    device: str
    era: int
    cues: tuple[ClassCue, ...]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: ``{"device", "era", "segments": [...]}``."""
        return {"device": self.device, "era": self.era, "segments": [c.to_json() for c in self.cues]}


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _cue_ranges(
    cadence: TargetRange | None, resistance: TargetRange
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The sorted (cadence, resistance) ranges of one span, or ``None`` when either is
    missing or asks what no Bike cue asks (above :data:`MAX_CUE_CADENCE` rpm, outside
    0-100 %: a damaged body, left out rather than shown)."""
    if cadence is None or None in (cadence.lower, cadence.upper, resistance.lower, resistance.upper):
        return None
    c_lo, c_hi = sorted((float(cadence.lower or 0), float(cadence.upper or 0)))
    r_lo, r_hi = sorted((float(resistance.lower or 0), float(resistance.upper or 0)))
    if not (c_lo > 0 and c_hi <= MAX_CUE_CADENCE and r_lo >= 0 and r_hi <= 100):
        return None
    return (c_lo, c_hi), (r_lo, r_hi)


def class_cues(workout: Workout, model: BikeModel) -> tuple[ClassCue, ...]:
    """The cues of ``workout`` under ``model``; empty when it has no cadence and resistance
    targets over the same span."""
    cadence = {(t.start_offset, t.end_offset): t for t in workout.targets if t.metric == "cadence"}
    out: list[ClassCue] = []
    for t in sorted((t for t in workout.targets if t.metric == "resistance"), key=lambda t: t.start_offset):
        ranges = _cue_ranges(cadence.get((t.start_offset, t.end_offset)), t)
        if ranges is None:
            continue
        (c_lo, c_hi), (r_lo, r_hi) = ranges
        low, high = model.watts(c_lo, r_lo), model.watts(c_hi, r_hi)
        watts = [
            s.power_w
            for s in workout.samples
            if t.start_offset <= s.offset <= t.end_offset and s.power_w is not None
        ]
        delivered = sum(watts) / len(watts) if watts else None
        middle = (low + high) / 2
        out.append(
            ClassCue(
                start_offset=t.start_offset,
                end_offset=t.end_offset,
                cadence_rpm=(c_lo, c_hi),
                resistance_pct=(r_lo, r_hi),
                asked_low_w=low,
                asked_high_w=high,
                delivered_w=delivered,
                delivered_pct=None if delivered is None else 100 * delivered / middle,
                in_band_pct=None if not watts else 100 * sum(low <= w <= high for w in watts) / len(watts),
            )
        )
    return tuple(out)


def cues_for(workout: Workout, state: Mapping[str, Any]) -> ClassCues | None:
    """The cues of ``workout`` from the model in ``state`` (``ExportContext.state``), or
    ``None``: not a Bike ride, no targets, no saved model or none for its device."""
    if workout.discipline not in BIKE_DISCIPLINES or not workout.targets:
        return None
    mine = state.get(STATE_KEY)
    if not isinstance(mine, dict):
        return None
    models = mine.get("parsed")
    if models is None:
        raw = mine.get("models")
        if not isinstance(raw, Mapping):
            return None
        try:
            models = mine["parsed"] = models_from_json(raw)
        except ValueError:  # the insights plugin checked it at the run's start; a caller may not have
            mine["models"] = None
            return None
    assert isinstance(models, BikeModels)
    model = models.for_ride(device_key(workout), workout.start)
    if model is None:
        return None
    cues = class_cues(workout, model)
    return ClassCues(model.device, model.era, cues) if cues else None
