"""Reconcile the per-sample cumulative distance with Peloton's distance summary.

Only **moving** seconds gain distance. A sample is not moving when:

* its speed is 0, or its cadence (stroke rate on the Row) and its power are both 0;
* the workout has Peloton's per-stroke list (``caesar_metrics.output.data``, the Row) and
  the sample lies before the first stroke, after the last one, or between two strokes more
  than :data:`STROKE_GAP_S` seconds apart (Peloton keeps showing pace and stroke rate after
  rowing stops).

Each increment of the cumulative distance (sample to sample, or fix to fix for the GPS
track) is set to 0 where the sample is not moving; the moving increments are scaled by
``summary / their sum``, so the series ends at Peloton's total and stays flat wherever no
one moved. When no increment is moving the old proportional rule applies (every increment
times ``summary / last value``). When the series carries no distance at all (every value
missing or zero: no speed series, a belt at 0, GPS fixes all at one point) the summary is
spread over the time of the moving samples (of all of them when none moves), so records,
laps and every format still end at Peloton's total. Without a summary nothing changes.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise
from typing import TypeVar

from peloton_export.model import GpsPoint, Sample
from peloton_export.normalize._common import Context, JsonObject, arr, obj, offset_value

__all__ = ["STROKE_GAP_S", "listed_strokes", "moving_mask", "reconcile_distance", "stroke_offsets"]

_Item = TypeVar("_Item", Sample, GpsPoint)

#: Two strokes further apart than this many seconds: no rowing between them.
STROKE_GAP_S = 10
#: A change of the series' end over this share is noted on the workout.
_NOTE_SHARE = 0.02


def _stroke_list_offsets(graph: JsonObject | None) -> list[int]:
    """The offset (s) of each stroke in Peloton's per-stroke list with a valid offset."""
    caesar = obj(graph.get("caesar_metrics")) if graph else None
    output = obj(caesar.get("output")) if caesar else None
    offsets = []
    for raw in arr(output.get("data") if output else None):
        item = obj(raw)
        offset = offset_value(item.get("seconds_since_pedaling_start")) if item else None
        if offset is not None:
            offsets.append(offset)
    return offsets


def stroke_offsets(graph: JsonObject | None) -> list[int]:
    """The sorted offsets (s) of Peloton's per-stroke list, ``[]`` when there is none."""
    return sorted(set(_stroke_list_offsets(graph)))


def listed_strokes(graph: JsonObject | None) -> int | None:
    """The number of strokes in Peloton's per-stroke list, ``None`` when there is none."""
    return len(_stroke_list_offsets(graph)) or None


def _still(sample: Sample) -> bool:
    """True when the sample's own readings say no one moved."""
    if sample.speed_mps is not None and sample.speed_mps <= 0:
        return True
    return sample.cadence_rpm == 0 and sample.power_w == 0


def _rowing(offset: int, strokes: Sequence[int]) -> bool:
    """True when ``offset`` lies between two strokes at most :data:`STROKE_GAP_S` apart."""
    k = bisect_right(strokes, offset) - 1  # the last stroke at or before the offset
    if k < 0:
        return False
    if strokes[k] == offset:
        return True
    return k + 1 < len(strokes) and strokes[k + 1] - strokes[k] <= STROKE_GAP_S


def moving_mask(samples: Sequence[Sample], strokes: Sequence[int] = ()) -> list[bool]:
    """For each sample, whether it may gain distance (see the module docstring)."""
    return [not _still(s) and (not strokes or _rowing(s.offset, strokes)) for s in samples]


def _increments(values: Sequence[float | None]) -> tuple[list[float], float]:
    """The increments of cumulative ``values`` (a missing or non-finite value gains 0) and
    the largest value seen."""
    steps: list[float] = []
    previous = 0.0
    for value in values:
        step = 0.0
        if value is not None and math.isfinite(value):
            step = max(value - previous, 0.0)
            previous = max(previous, value)
        steps.append(step)
    return steps, previous


def _time_steps(offsets: Sequence[int]) -> list[float]:
    """Seconds from each item to the one before it (the first: 0)."""
    return [0.0, *(float(max(b - a, 0)) for a, b in pairwise(offsets))]


def _rescaled(
    values: Sequence[float | None],
    moving: Sequence[bool],
    total: float,
    offsets: Sequence[int] | None = None,
) -> list[float | None] | None:
    """``values`` (cumulative; ``None`` kept, a non-finite value read as none) rebuilt from
    their moving increments scaled to end at ``total``; ``None`` when nothing can scale.

    When the values carry no distance at all (none above zero) and ``offsets`` are given,
    the total is spread over the time of the moving items (of every item when none moves),
    and every item gets a value: the file still ends at Peloton's total."""
    steps, previous = _increments(values)
    fill = False
    moved = sum(step for step, m in zip(steps, moving, strict=True) if m)
    if moved <= 0 and previous > 0:
        moving, moved = [True] * len(steps), sum(steps)
    elif moved <= 0:
        if offsets is None or total <= 0 or len(offsets) < 2:
            return None
        steps, fill = _time_steps(offsets), True
        moved = sum(step for step, m in zip(steps, moving, strict=True) if m)
        if moved <= 0:
            moving, moved = [True] * len(steps), sum(steps)
        if moved <= 0:
            return None
    factor = total / moved
    out: list[float | None] = []
    running = 0.0
    for value, step, m in zip(values, steps, moving, strict=True):
        if m:
            running += step * factor
        out.append(None if value is None and not fill else running)
    return out


def _with_distances(items: tuple[_Item, ...], distances: Sequence[float | None] | None) -> tuple[_Item, ...]:
    """``items`` with their ``distance_m`` replaced (unchanged when ``distances`` is ``None``)."""
    if distances is None:
        return items
    return tuple(
        item if d is None or d == item.distance_m else replace(item, distance_m=d)
        for item, d in zip(items, distances, strict=True)
    )


def reconcile_distance(
    samples: tuple[Sample, ...],
    track: tuple[GpsPoint, ...],
    total: float | None,
    strokes: Sequence[int],
    ctx: Context,
) -> tuple[tuple[Sample, ...], tuple[GpsPoint, ...]]:
    """Samples and track whose cumulative distance ends at ``total`` (Peloton's summary, m),
    gaining distance only while moving. ``total`` ``None``: both returned unchanged."""
    if total is None:
        return samples, track
    mask = moving_mask(samples, strokes)
    values = [s.distance_m for s in samples]
    last = max((v for v in values if v is not None and math.isfinite(v)), default=None)
    scaled = _rescaled(values, mask, total, [s.offset for s in samples])
    if scaled is not None and (last is None or last <= 0) and total > 0:
        ctx.note(
            f"the samples carry no distance; Peloton's summary ({total:.1f} m) was spread over their time"
        )
    elif scaled is not None and last is not None and last > 0 and abs(total / last - 1.0) > _NOTE_SHARE:
        ctx.note(f"the samples' distance ({last:.1f} m) was scaled to Peloton's summary ({total:.1f} m)")
    by_offset = {s.offset: m for s, m in zip(samples, mask, strict=True)}
    fixes = [p.distance_m for p in track]
    fix_mask = [by_offset.get(p.offset, True) for p in track]
    fixed = _rescaled(fixes, fix_mask, total, [p.offset for p in track]) if track else None
    return _with_distances(samples, scaled), _with_distances(track, fixed)
