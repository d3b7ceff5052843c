"""Floor kinds without a machine: meditation, yoga and a walk imported from Apple Health."""

from __future__ import annotations

import math
from collections.abc import Callable

from peloton_export.raw import RawWorkout
from peloton_export.testing.synth._bodies import INSTRUCTORS, class_ride, pseudo_ride, workout_body, wrap_raw
from peloton_export.testing.synth._common import KM_PER_MI, Ctx, Seg, tz_offset
from peloton_export.testing.synth._graph import (
    base_graph,
    class_segments,
    floor_graph,
    sample_picks,
    segment_json,
    summary_item,
)


def _meditation(ctx: Ctx) -> RawWorkout:
    """Meditation on a phone: offsets present but ``metrics: []`` and ``summaries: []``."""
    duration = ctx.minutes(5, 10)
    seg = Seg("Meditation", "meditation", 0, duration, 0.0, "floor")
    graph = base_graph(duration, [segment_json(ctx, seg)], None)
    offsets = list(range(1, duration - 1))  # phone sessions lose the last second or two
    graph["seconds_since_pedaling_start"] = [offsets[i] for i in sample_picks(len(offsets), ctx.every_n)]
    ride = class_ride(
        ctx,
        title=f"{duration // 60} min Demo Calm Meditation",
        discipline="meditation",
        duration=duration,
        pso=1,
        instructor=ctx.rng.choice(INSTRUCTORS),
        metrics=["heart_rate"],
    )
    workout = workout_body(
        ctx,
        discipline="meditation",
        device="android",
        ride=ride,
        end=ctx.start + duration,
        total_work=0.0,
        metrics_type=None,
        intro=13,
    )
    return wrap_raw(workout, graph)


def _yoga(ctx: Ctx) -> RawWorkout:
    """A yoga class on a phone with an Apple Watch: HR only."""
    duration = ctx.minutes(20, 30)
    segs = class_segments(duration, ("Flow", "yoga"), "floor", rng=ctx.rng)
    effort = [0.25 + 0.15 * math.sin(s / 90.0) ** 2 for s in range(duration)]
    graph, zones = floor_graph(ctx, segs, duration, effort)
    graph["has_apple_watch_metrics"] = True
    ride = class_ride(
        ctx,
        title=f"{duration // 60} min Demo Flow",
        discipline="yoga",
        duration=duration,
        pso=60,
        instructor=ctx.rng.choice(INSTRUCTORS),
        metrics=["heart_rate", "calories"],
    )
    workout = workout_body(
        ctx,
        discipline="yoga",
        device="iPhone",
        ride=ride,
        end=ctx.start + duration,
        total_work=0.0,
        metrics_type=None,
        hr_zones=zones,
    )
    return wrap_raw(workout, graph)


def _imported(ctx: Ctx) -> RawWorkout:
    """A walk Peloton imported from Apple Health (see the module docstring: origin fields are a guess)."""
    duration = ctx.minutes(35, 50)
    effort = [0.35 + 0.05 * math.sin(s / 300.0) for s in range(duration)]
    graph, zones = floor_graph(ctx, [], duration, effort, apple_watch=True)
    miles = round(duration / 3600 * ctx.rng.uniform(2.8, 3.4), 2)
    dist = (miles, "mi") if ctx.units == "imperial" else (round(miles * KM_PER_MI, 2), "km")
    graph["summaries"].insert(0, summary_item("distance", "Distance", dist[1], dist[0]))
    ride = pseudo_ride(ctx, "Outdoor Walk", duration, None, "")
    workout = workout_body(
        ctx,
        discipline="walking",
        device="apple_watch",
        ride=ride,
        end=ctx.start + duration,
        total_work=0.0,
        metrics_type=None,
        workout_type="freestyle",
        outdoor=True,
        hr_zones=zones,
        intro=0,
    )
    # Imported later than it happened: the list (sorted by creation) shows it out of order.
    workout["created_at"] = workout["created"] = ctx.start + duration + ctx.rng.randint(2, 3) * 86_400
    workout["device_time_created_at"] = workout["created_at"] + tz_offset(workout["created_at"])
    workout["has_leaderboard_metrics"] = False
    return wrap_raw(workout, graph)


#: The kinds this module builds.
BUILDERS: dict[str, Callable[[Ctx], RawWorkout]] = {
    "meditation": _meditation,
    "yoga": _yoga,
    "imported": _imported,
}
