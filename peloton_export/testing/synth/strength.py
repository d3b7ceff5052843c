"""Strength classes with Guide rep tracking (2025 and 2023 schemas) and their class plans."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from peloton_export.raw import JsonObject, RawWorkout
from peloton_export.testing.synth._bodies import INSTRUCTORS, class_ride, workout_body, wrap_raw
from peloton_export.testing.synth._common import Ctx, Seg, new_id, stable_id
from peloton_export.testing.synth._graph import floor_graph, segment_json

# ----------------------------------------------------------------------------- floor kinds


# (name, muscle groups, tracking type, weighted)
_MOVES: tuple[tuple[str, tuple[str, ...], str, bool], ...] = (
    ("Goblet Squat", ("quads", "glutes"), "rep_counting", True),
    ("Reverse Lunge", ("quads", "glutes"), "rep_counting", True),
    ("Bent Over Row", ("lats", "biceps"), "rep_counting", True),
    ("Overhead Press", ("shoulders",), "rep_counting", True),
    ("Bicep Curl", ("biceps",), "rep_counting", True),
    ("Push Up", ("chest", "core"), "time_tracked_rep", False),
    ("Glute Bridge", ("glutes", "hamstrings"), "time_tracked_rep", False),
    ("Forearm Plank", ("core",), "time_based", False),
)


def _movement_json(name: str, groups: tuple[str, ...]) -> JsonObject:
    """A ``movements[]`` item of a class-plan sub-segment."""
    return {
        "id": stable_id(f"movement:{name}"),
        "name": name,
        "slug": name.lower().replace(" ", "_"),
        "skill_level": "beginner",
        "muscle_groups": [
            {"muscle_group": m, "display_name": m.title(), "ranking": i + 1} for i, m in enumerate(groups)
        ],
        "talkback_description": f"{name}, a demo movement.",
    }


@dataclass(slots=True)
class _Set:
    """One set done: movement index into ``_MOVES``, active-seconds offset and length."""

    move: int
    offset: int
    length: int


def _strength_plan(
    rng: random.Random, duration: int, warm: int, cool: int
) -> tuple[list[JsonObject], list[_Set]]:
    """Sub-segments (``subsegments_v2``) of the main block, and the sets done in them."""
    subs: list[JsonObject] = []
    sets: list[_Set] = []
    t, end = warm, duration - cool
    while t < end:
        length = min(rng.choice((40, 45, 60)), end - t)
        moves = rng.sample(range(len(_MOVES)), 2 if length >= 60 else 1)
        subs.append(
            {
                "id": new_id(rng),
                "type": "movement",
                "display_name": " + ".join(_MOVES[m][0] for m in moves),
                "scheduled_offset": t,
                "offset": t,
                "length": length,
                "rounds": rng.choice((8, 10, 12)),
                "trackable_movements_disabled": False,
                "movements": [
                    _movement_json(_MOVES[m][0], _MOVES[m][1])
                    | ({"weight_level": "medium"} if _MOVES[m][3] else {})
                    for m in moves
                ],
            }
        )
        per = length // len(moves)
        for j, m in enumerate(moves):
            sets.append(_Set(m, t + j * per, per))
        t += length
        if t < end - 20:
            rest = min(rng.choice((15, 20, 30)), end - t)
            subs.append(
                {
                    "id": new_id(rng),
                    "type": "rest",
                    "display_name": "Rest",
                    "scheduled_offset": t,
                    "offset": t,
                    "length": rest,
                    "rounds": 0,
                    "trackable_movements_disabled": True,
                    "movements": [],
                }
            )
            t += rest
    return subs, sets


def _rep_item(rng: random.Random, st: _Set, schema: int) -> JsonObject:
    """One ``repetition_summary_data`` item in the 2025 (``schema=2025``) or 2023 schema."""
    name, _, tracking, weighted = _MOVES[st.move]
    weight = [
        {
            "weight_data": {
                "weight_value": rng.choice((10, 15, 20, 25)) if weighted else 0,
                "weight_unit": "lb",
            }
        }
    ]
    reps = max(1, round(st.length / rng.uniform(2.6, 4.0)))
    item: JsonObject = {"movement_id": stable_id(f"movement:{name}"), "movement_name": name}
    if schema == 2025:
        item["tracking_type"] = tracking
        item["completed_reps"] = 0 if tracking == "time_based" else reps
        item["completed_duration"] = st.length - rng.randint(0, 3) if tracking != "rep_counting" else None
    else:
        hold = tracking == "time_based"
        item["is_hold"] = hold
        item["completed_number"] = st.length - rng.randint(0, 3) if hold else reps
    item.update(offset=st.offset, length=st.length, weight=weight)
    return item


def _strength_kind(ctx: Ctx, schema: int) -> RawWorkout:
    """A strength class with Guide rep tracking, plus its ``/api/ride/{id}/details`` plan."""
    duration = ctx.minutes(20, 30, 10)
    rng = ctx.rng
    warm, cool = min(180, duration // 6), min(120, duration // 8)
    segs = [
        Seg("Warm Up", "warmup", 0, warm, 3.0, "floor"),
        Seg(
            rng.choice(("Upper Body", "Lower Body", "Full Body")),
            "strength",
            warm,
            duration - warm - cool,
            5.0,
            "floor",
        ),
        Seg("Cool Down", "cooldown", duration - cool, cool, 2.5, "floor"),
    ]
    subs, sets = _strength_plan(rng, duration, warm, cool)
    effort = [0.3] * duration
    for st in sets:
        for s in range(st.offset, min(st.offset + st.length, duration)):
            effort[s] = 0.6 + 0.1 * (st.move % 3)
    graph, zones = floor_graph(ctx, segs, duration, effort)
    title = f"{duration // 60} min {segs[1].name} Demo Strength"
    ride = class_ride(
        ctx,
        title=title,
        discipline="strength",
        duration=duration,
        pso=60,
        instructor=rng.choice(INSTRUCTORS),
        metrics=["heart_rate", "calories"],
    )
    workout = workout_body(
        ctx,
        discipline="strength",
        device="android" if schema == 2023 else "iPhone",
        ride=ride,
        end=ctx.start + duration,
        total_work=0.0,
        metrics_type=None,
        hr_zones=zones,
    )
    workout["movement_tracker_data"] = {
        "completed_movements_summary_data": {
            "repetition_summary_data": [_rep_item(rng, st, schema) for st in sets]
        }
    }
    details = _ride_details(ctx, ride, segs, subs)
    return wrap_raw(workout, graph, details)


def _ride_details(ctx: Ctx, ride: JsonObject, segs: list[Seg], subs: list[JsonObject]) -> JsonObject:
    """``GET /api/ride/{id}/details``: the class with its segment plan and movements."""
    seg_list = []
    for seg in segs:
        item = segment_json(ctx, seg)
        item["subsegments_v2"] = (
            [s for s in subs if seg.start <= s["offset"] < seg.start + seg.length]
            if seg.icon == "strength"
            else []
        )
        seg_list.append(item)
    return {
        "ride": ride,
        "class_types": [{"id": ride["ride_type_id"], "name": "Demo Strength", "is_active": True}],
        "segments": {"segment_list": seg_list},
        "instructor_cues": [],
        "target_metrics_data": {"target_metrics": []},
        "is_power_zone_class": False,
        "is_ftp_test": False,
    }


def _strength(ctx: Ctx) -> RawWorkout:
    """Strength with Guide tracking, 2025 schema (``tracking_type``, ``completed_reps``...)."""
    return _strength_kind(ctx, 2025)


def _strength_2023(ctx: Ctx) -> RawWorkout:
    """Strength with Guide tracking, 2023 schema (``is_hold``, ``completed_number``)."""
    return _strength_kind(ctx, 2023)


#: The kinds this module builds.
BUILDERS: dict[str, Callable[[Ctx], RawWorkout]] = {
    "strength": _strength,
    "strength_2023": _strength_2023,
}
