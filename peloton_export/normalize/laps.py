"""Laps from the class plan (``segment_list``) and class targets.

Laps: each ``segment_list`` entry ``{start_time_offset, length, name}`` becomes a lap over
active seconds ``[start, start + length)`` (offsets relative to pedaling start, the same
clock as the samples). Laps are clipped to the workout's active time (the last sample
offset, so a class ended early keeps only what was ridden); a lap starting at or after that
point is dropped, as is any lap of zero length. Overlaps are trimmed. When samples run past
the last lap, that lap is stretched to cover them. With no usable segment (Just Ride,
outdoor "Just Walk", no graph), one ``session`` lap covers the whole workout; a workout
with no active time at all gets no lap. Laps by
distance (distance-based classes) are left to the writers.

Lap boundaries: a lap's ``end_offset`` is the next lap's ``start_offset``; the last lap ends
at the last sample offset (``Workout.timer_s``), so lap lengths add up to the timer time.

Targets come from ``target_metrics_performance_data.target_metrics[]``. Their offsets are in
class-*video* time and both ends are inclusive, so ``ride.pedaling_start_offset`` is
subtracted. ``speed`` targets are converted to m/s with the workout's own speed unit (mph
or kph); other metrics (cadence rpm, resistance %, incline %, power zone numbers, ...) are
kept as Peloton gives them.
"""

from __future__ import annotations

from collections.abc import Iterator

from peloton_export.model import Lap, LapTrigger, TargetRange
from peloton_export.normalize._common import (
    MAX_OFFSET,
    Context,
    JsonObject,
    arr,
    at,
    num,
    obj,
    offset_value,
    text,
)
from peloton_export.workout.units import Converter, speed_converter


def read_laps(graph: JsonObject | None, timer_s: float, ctx: Context) -> tuple[Lap, ...]:
    """The laps of the workout (see the module docstring)."""
    end_all = max(int(timer_s), 0)
    if end_all <= 0:
        return ()
    spans: list[tuple[int, int, str]] = []
    trigger: LapTrigger = "segment"
    if graph is not None:
        previous_end = 0
        for raw in arr(graph.get("segment_list")):
            seg = obj(raw)
            if seg is None:
                continue
            start = offset_value(seg.get("start_time_offset"))
            length = offset_value(seg.get("length"))
            if start is None or length is None:
                continue
            start = max(start, previous_end)
            end = min(start + length, end_all)
            if end <= start:
                continue
            spans.append((start, end, text(seg.get("name")) or ""))
            previous_end = end
    if spans:
        last_start, last_end, last_name = spans[-1]
        if last_end < end_all:
            spans[-1] = (last_start, end_all, last_name)
    else:
        spans = [(0, end_all, "")]
        trigger = "session"
    return tuple(
        Lap(
            index=i,
            start_offset=a,
            end_offset=b,
            start=at(ctx.start, a),
            end=at(ctx.start, b),
            name=name,
            trigger=trigger,
        )
        for i, (a, b, name) in enumerate(spans)
    )


def read_targets(
    graph: JsonObject | None, pedaling_start_offset: int, speed_unit: str | None, ctx: Context
) -> tuple[TargetRange, ...]:
    """Class targets over inclusive offset ranges, lined up with the sample offsets."""
    if graph is None:
        return ()
    data = obj(graph.get("target_metrics_performance_data"))
    if data is None:
        return ()
    to_speed = speed_converter(speed_unit) if speed_unit else None
    targets: list[TargetRange] = []
    for raw in arr(data.get("target_metrics")):
        item = obj(raw)
        span = _target_span(item, pedaling_start_offset) if item is not None else None
        if item is None or span is None:
            continue
        targets.extend(_item_targets(item, span, to_speed, ctx))
    return tuple(targets)


def _target_span(item: JsonObject, pedaling_start_offset: int) -> tuple[int, int] | None:
    """The inclusive ``(start, end)`` sample offsets of one target entry, or ``None``.

    ``None`` when an end is missing, not a time within any workout, or the range is empty.
    """
    offsets = obj(item.get("offsets"))
    if offsets is None:
        return None
    start = num(offsets.get("start"))
    end = num(offsets.get("end"))
    if start is None or end is None or not (abs(start) <= MAX_OFFSET and abs(end) <= MAX_OFFSET):
        return None
    a = max(int(start) - pedaling_start_offset, 0)
    b = int(end) - pedaling_start_offset
    return (a, b) if b >= a else None


def _item_targets(
    item: JsonObject, span: tuple[int, int], to_speed: Converter | None, ctx: Context
) -> Iterator[TargetRange]:
    """One :class:`TargetRange` per usable metric of a target entry."""
    a, b = span
    for raw_metric in arr(item.get("metrics")):
        metric = obj(raw_metric)
        name = text(metric.get("name")) if metric else None
        if metric is None or name is None:
            continue
        bounds = _target_bounds(metric, name, to_speed, ctx)
        if bounds is not None:
            yield TargetRange(start_offset=a, end_offset=b, metric=name, lower=bounds[0], upper=bounds[1])


def _target_bounds(
    metric: JsonObject, name: str, to_speed: Converter | None, ctx: Context
) -> tuple[float | None, float | None] | None:
    """``(lower, upper)`` of one target metric (speed in m/s), or ``None`` when it has neither."""
    lower, upper = num(metric.get("lower")), num(metric.get("upper"))
    if name == "speed":
        if to_speed is None:
            ctx.note("speed targets were left out: the workout's speed unit is unknown")
            return None
        lower = None if lower is None else to_speed(lower)
        upper = None if upper is None else to_speed(upper)
    if lower is None and upper is None:
        return None
    return lower, upper
