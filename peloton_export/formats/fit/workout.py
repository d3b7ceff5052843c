"""The FIT ``workout`` and ``workout_step`` messages: the class title and its targets.

Garmin Connect names an uploaded activity from ``workout.wkt_name`` and, when the file has
``workout_step`` messages, draws each step's target band under the matching chart.

* ``workout``: ``wkt_name`` is the activity title (:func:`peloton_export.sinkkit.templates.
  activity_title`), ``sport``/``sub_sport`` those of the session, ``num_valid_steps`` the
  number of steps (0 for a class without targets: the title still reaches Garmin Connect).
* ``workout_step``: one per target span of the class as Peloton set it (count and start
  offsets; :func:`step_spans`). The ``target`` laps may fold a span under
  :data:`peloton_export.workout.laps.MIN_LAP_S` into a neighbour; a lap that is exactly a step
  names it (``lap.wkt_step_index``). Spans without targets (a warm-up before the
  first target, a gap, the time after the last) are ``open`` steps. Durations are
  ``time`` steps in active (pedaling) seconds: Peloton's target offsets are already shifted
  to the pedaling start by the normalizer.
* Targets: cadence (rpm; strides per minute for running and walking, as in the records) is
  the primary ``cadence`` target with ``custom_target_value_low/high``; speed (m/s) is the
  primary ``speed`` target when there is no cadence target, else the secondary target.
  FIT has no custom range for resistance or incline, so those (and any other metric) are
  named in ``wkt_step_name`` only, e.g. ``"cadence 80-90 rpm, resistance 32.5-40 %"``, with
  Peloton's decimals (up to two) and speed in the user's unit (mph or km/h).
* Power targets (opt-in, ``fit.power_targets=true``, with a model saved by ``peloton-export
  bike model``): a step inside a class cue in watts (:class:`PowerCue`, from
  :mod:`peloton_export.insights.cues`) gets ``power`` as its primary target,
  ``custom_target_power_low/high`` the cue's asked watts rounded to whole watts plus
  :data:`POWER_OFFSET` (the FIT profile's ``workout_power``: values from 1000 are watts,
  below it percent of FTP); its cadence target becomes the secondary one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from peloton_export.model import TargetRange, Workout
from peloton_export.workout.lap_spans import LapSpan
from peloton_export.workout.laps import active_end
from peloton_export.workout.sports import SportChoice
from peloton_export.workout.units import METRES_PER_MILE

__all__ = ["POWER_OFFSET", "PowerCue", "step_spans", "workout_messages"]

#: FIT ``workout_power``: a raw target of 1000 or more is ``raw - 1000`` watts.
POWER_OFFSET = 1000

_UNITS = {"cadence": "rpm", "resistance": "%", "incline": "%", "speed": "m/s"}
_STEP_NAME_LIMIT = 60
_RUNNING = frozenset({"running", "walking"})


@dataclass(frozen=True, slots=True)
class PowerCue:
    """A class cue in watts over the active seconds ``[start_offset, end_offset]`` (both
    inclusive, as Peloton's targets): ``low_w`` to ``high_w`` W."""

    start_offset: int
    end_offset: int
    low_w: float
    high_w: float


def _active_end(workout: Workout) -> int:
    """The end of the last step: the laps' last active second (at least 1)."""
    return max(active_end(workout), 1)


def step_spans(workout: Workout) -> list[LapSpan]:
    """The spans ``[start, end)`` (active seconds) of the steps; empty without targets.

    One step per target span as Peloton set it (``target_metrics``: its offsets, both ends
    inclusive), however short and even when its values equal the span before; where
    spans of different metrics overlap, a step starts wherever any of them starts or ends.
    The time no target covers (before the first, between two, after the last) is an open
    step. Unlike the laps (:func:`peloton_export.workout.laps.lap_plan`), nothing is merged.
    """
    if not workout.targets:
        return []
    end = _active_end(workout)
    bounds = {0, end}
    for t in workout.targets:
        bounds.update(b for b in (t.start_offset, t.end_offset + 1) if 0 < b < end)
    edges = sorted(bounds)
    return [LapSpan(a, b, "fitness_equipment", "target") for a, b in pairwise(edges)]


def _ranges(targets: Sequence[TargetRange], start: int) -> dict[str, tuple[float, float]]:
    """``metric -> (low, high)`` of the targets covering active second ``start``."""
    ranges: dict[str, tuple[float, float]] = {}
    for t in targets:
        if t.start_offset <= start <= t.end_offset and t.metric not in ranges:
            values = [v for v in (t.lower, t.upper) if v is not None and math.isfinite(v)]
            if values:
                ranges[t.metric] = (min(values), max(values))
    return ranges


def _decimals(value: float) -> str:
    """``value`` with the decimals it has (up to two): ``1.5``, ``2``, ``4.25``."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _describe(ranges: dict[str, tuple[float, float]], units: str = "imperial") -> str:
    """The step name: each metric's range as Peloton set it (its decimals kept; speed in the
    user's own unit, mph or km/h, as Peloton shows it)."""
    parts = []
    for metric, (low, high) in ranges.items():
        unit = _UNITS.get(metric, "")
        if metric == "speed":
            per_hour = 3600 / (METRES_PER_MILE if units == "imperial" else 1000.0)
            low, high, unit = low * per_hour, high * per_hour, ("mph" if units == "imperial" else "km/h")
        text = _decimals(low) if low == high else f"{_decimals(low)}-{_decimals(high)}"
        parts.append(f"{metric.replace('_', ' ')} {text}{' ' + unit if unit else ''}")
    return ", ".join(parts)[:_STEP_NAME_LIMIT]


def _uint(value: float) -> int | None:
    number = round(value)
    return number if 0 <= number <= 0xFFFFFFFE else None


def _targets(
    ranges: dict[str, tuple[float, float]], running: bool, power: PowerCue | None = None
) -> dict[str, object]:
    """Primary (and secondary) FIT target fields of one step (power first when given)."""
    found: list[tuple[str, int, int]] = []
    if power is not None:
        low, high = sorted((power.low_w, power.high_w))
        found.append(("power", *_pair(low + POWER_OFFSET, high + POWER_OFFSET, 1)))
    if "cadence" in ranges:
        low, high = ranges["cadence"]
        divisor = 2 if running else 1
        found.append(("cadence", *_pair(low / divisor, high / divisor, 1)))
    if "speed" in ranges:
        low, high = ranges["speed"]
        found.append(("speed", *_pair(low, high, 1000)))
    found = [f for f in found if f[1] >= 0]
    fields: dict[str, object] = {"target_type": "open"}
    if found:
        kind, low_raw, high_raw = found[0]
        fields = {
            "target_type": kind,
            "target_value": 0,
            "custom_target_value_low": low_raw,
            "custom_target_value_high": high_raw,
        }
    if len(found) > 1:
        kind, low_raw, high_raw = found[1]
        fields.update(
            {
                "secondary_target_type": kind,
                "secondary_target_value": 0,
                "secondary_custom_target_value_low": low_raw,
                "secondary_custom_target_value_high": high_raw,
            }
        )
    return fields


def _pair(low: float, high: float, scale: int) -> tuple[int, int]:
    """Raw ``(low, high)``; ``(-1, -1)`` when a value does not fit the field."""
    a, b = _uint(low * scale), _uint(high * scale)
    return (a, b) if a is not None and b is not None else (-1, -1)


def _intensity(index: int, count: int, has_targets: bool) -> str:
    if has_targets:
        return "active"
    if index == 0:
        return "warmup"
    return "cooldown" if index == count - 1 else "recovery"


def _power_at(power: Sequence[PowerCue], start: int) -> PowerCue | None:
    """The cue holding active second ``start``, if any."""
    return next((c for c in power if c.start_offset <= start <= c.end_offset), None)


def workout_messages(
    workout: Workout, title: str, sport: SportChoice, power: Sequence[PowerCue] = ()
) -> list[tuple[str, dict[str, object]]]:
    """The ``workout`` message named ``title`` and one ``workout_step`` per target span.

    :param power: class cues in watts; a step they cover gets a power target (module docstring).
    :returns: ``(message name, fields)`` pairs, in file order.
    """
    spans = step_spans(workout)
    running = sport.family in _RUNNING
    messages: list[tuple[str, dict[str, object]]] = [
        (
            "workout",
            {
                "wkt_name": title or None,
                "sport": sport.sport,
                "sub_sport": sport.sub_sport,
                "num_valid_steps": len(spans),
            },
        )
    ]
    for index, span in enumerate(spans):
        ranges = _ranges(workout.targets, span.start)
        step: dict[str, object] = {
            "message_index": index,
            "wkt_step_name": _describe(ranges, workout.units) or None,
            "duration_type": "time",
            "duration_value": (span.end - span.start) * 1000,
            "intensity": _intensity(index, len(spans), bool(ranges)),
            **_targets(ranges, running, _power_at(power, span.start)),
        }
        messages.append(("workout_step", step))
    return messages
