"""Strength sets, from Peloton Guide rep tracking or, failing that, the class plan.

**Tracked sets** (``source="tracker"``) come from
``workout.movement_tracker_data.completed_movements_summary_data.repetition_summary_data[]``.
Two schemas are accepted:

* 2025: ``tracking_type`` (``rep_counting``, ``time_tracked_rep``, ``time_based``, ``rounds``),
  ``completed_reps``, ``completed_duration``;
* 2023: ``is_hold`` and ``completed_number`` (reps, or seconds for a hold). These are given
  ``tracking_type`` ``"rep_counting"`` or ``"time_based"`` (for holds).

Each item has ``offset`` (active seconds from pedaling start) and ``length`` (seconds). A set
lasts ``completed_duration`` when Peloton gives one, else ``length``. Time-based sets have no
repetition count. The weight is the **first** entry of ``weight[]`` converted to kg (Peloton
lists the weight selected for the movement; entries are not added up); a weight of 0 (body
weight) gives ``weight_kg=None``. Between two sets, a pause of 5 s or more becomes a
``rest`` set.

**Class-plan sets** (``source="class_plan"``) are used only when there is no tracked set:
``ride_details.segments.segment_list[].subsegments_v2[]`` (or the same list inside the
graph's ``segment_list``). A ``rest`` sub-segment becomes a rest set; a sub-segment with
movements is split evenly across its movements, one after the other, with ``rounds`` as the
repetitions. Sub-segment offsets are taken as active seconds from pedaling start.
"""

from __future__ import annotations

from dataclasses import dataclass

from peloton_export.model import ExerciseSet
from peloton_export.normalize._common import (
    Context,
    JsonObject,
    arr,
    at,
    duration_value,
    num,
    obj,
    offset_value,
    text,
)
from peloton_export.workout.units import weight_to_kg

REST_GAP_S = 5.0
MAX_REPS = 10_000


@dataclass(frozen=True, slots=True)
class _Set:
    start: int
    duration: float
    movement_id: str | None
    movement_name: str | None
    reps: int | None
    weight_kg: float | None
    tracking_type: str | None
    kind: str = "active"


def _reps(value: object) -> int | None:
    v = num(value)
    if v is None or v < 0 or v > MAX_REPS:
        return None
    return round(v)


def _weight(item: JsonObject) -> float | None:
    for raw in arr(item.get("weight")):
        entry = obj(raw)
        data = obj(entry.get("weight_data")) if entry else None
        if data is None:
            continue
        kg = weight_to_kg(data.get("weight_value"), data.get("weight_unit") or "lb")
        return kg if kg else None
    return None


def _tracked(workout: JsonObject) -> list[_Set]:
    tracker = obj(workout.get("movement_tracker_data"))
    summary = obj(tracker.get("completed_movements_summary_data")) if tracker else None
    items = arr(summary.get("repetition_summary_data")) if summary else []
    out: list[_Set] = []
    for raw in items:
        item = obj(raw)
        if item is None:
            continue
        start = offset_value(item.get("offset"))
        if start is None:
            continue
        length = duration_value(item.get("length")) or 0.0
        tracking = text(item.get("tracking_type"))
        reps: int | None
        if tracking is not None:  # 2025 schema
            completed = duration_value(item.get("completed_duration"))
            duration = completed if completed else length
            reps = None if tracking == "time_based" else _reps(item.get("completed_reps"))
        else:  # 2023 schema
            hold = item.get("is_hold") is True
            tracking = "time_based" if hold else "rep_counting"
            number = item.get("completed_number")
            if hold:
                reps = None
                duration = duration_value(number) or length
            else:
                reps = _reps(number)
                duration = length
        out.append(
            _Set(
                start=start,
                duration=duration,
                movement_id=text(item.get("movement_id")),
                movement_name=text(item.get("movement_name")),
                reps=reps,
                weight_kg=_weight(item),
                tracking_type=tracking,
            )
        )
    return sorted(out, key=lambda s: s.start)


def _plan_segments(ride_details: JsonObject | None, graph: JsonObject | None) -> list[JsonObject]:
    if ride_details is not None:
        segments = obj(ride_details.get("segments"))
        found = [s for s in arr(segments.get("segment_list") if segments else None) if isinstance(s, dict)]
        if found:
            return found
    if graph is not None:
        return [s for s in arr(graph.get("segment_list")) if isinstance(s, dict)]
    return []


def _planned(ride_details: JsonObject | None, graph: JsonObject | None) -> list[_Set]:
    out: list[_Set] = []
    for segment in _plan_segments(ride_details, graph):
        for raw in arr(segment.get("subsegments_v2")):
            sub = obj(raw)
            if sub is None:
                continue
            start = offset_value(sub.get("offset"))
            length = duration_value(sub.get("length"))
            if start is None or not length:
                continue
            if text(sub.get("type")) == "rest":
                out.append(_Set(start, length, None, None, None, None, None, kind="rest"))
                continue
            movements = [m for m in arr(sub.get("movements")) if isinstance(m, dict)]
            if not movements:
                continue
            each = length / len(movements)
            rounds = _reps(sub.get("rounds"))
            for k, movement in enumerate(movements):
                out.append(
                    _Set(
                        start=start + round(k * each),
                        duration=each,
                        movement_id=text(movement.get("id")),
                        movement_name=text(movement.get("name")),
                        reps=rounds if rounds else None,
                        weight_kg=None,
                        tracking_type=None,
                    )
                )
    return sorted(out, key=lambda s: s.start)


def read_sets(
    workout: JsonObject, ride_details: JsonObject | None, graph: JsonObject | None, ctx: Context
) -> tuple[ExerciseSet, ...]:
    """Active and rest sets (see the module docstring); ``()`` when there is no data."""
    source = "tracker"
    sets = _tracked(workout)
    if not sets:
        source = "class_plan"
        sets = _planned(ride_details, graph)
    if not sets:
        return ()
    with_rests: list[_Set] = []
    for current in sets:
        if with_rests and source == "tracker":
            previous = with_rests[-1]
            previous_end = previous.start + previous.duration
            gap = current.start - previous_end
            if gap >= REST_GAP_S:
                with_rests.append(
                    _Set(
                        round(previous_end),
                        float(current.start - round(previous_end)),
                        None,
                        None,
                        None,
                        None,
                        None,
                        kind="rest",
                    )
                )
        with_rests.append(current)
    return tuple(
        ExerciseSet(
            index=i,
            kind="rest" if s.kind == "rest" else "active",
            start_offset=s.start,
            start=at(ctx.start, s.start),
            duration_s=s.duration,
            movement_id=s.movement_id,
            movement_name=s.movement_name,
            repetitions=s.reps,
            weight_kg=s.weight_kg,
            tracking_type=s.tracking_type,
            source=source,  # type: ignore[arg-type]
        )
        for i, s in enumerate(with_rests)
    )
