"""Bike kinds: classes, Just Ride, paused, metric, bootcamp, scenic, empty and in-progress rides.

The rider and the Bike are modelled in :mod:`.bike`; this module plans each kind of ride.
"""

from __future__ import annotations

from collections.abc import Callable

from peloton_export.raw import RawWorkout
from peloton_export.testing.synth._bodies import INSTRUCTORS, class_ride, pseudo_ride, workout_body, wrap_raw
from peloton_export.testing.synth._common import Block, Ctx, Seg
from peloton_export.testing.synth._graph import base_graph, class_segments, summary_item
from peloton_export.testing.synth._splits import distance_splits
from peloton_export.testing.synth.bike import BIKE_MOVES, bike_blocks, bike_graph

_RIDE_THEMES = ("Demo Hits", "Demo Climb", "Demo Intervals", "Demo Endurance", "Demo Tempo", "Demo Groove")
_BIKE_METRICS_CLASS = ["heart_rate", "cadence", "calories"]


def _bike_class(
    ctx: Ctx, *, minutes: tuple[int, ...], pause: int | None = None, in_progress: bool = False
) -> RawWorkout:
    """An instructor-led bike class with HR, targets and splits.

    ``in_progress``: the member is still riding (40 % done): ``IN_PROGRESS``, no ``end_time``.
    """
    duration = ctx.minutes(*minutes)
    active = duration * 2 // 5 if in_progress else duration
    pso = 60
    segs = class_segments(duration, ("Cycling", "cycling"), "cycling", rng=ctx.rng)
    blocks = bike_blocks(ctx.rng, segs)
    graph, work, zones = bike_graph(
        ctx,
        duration=duration,
        blocks=blocks,
        segs=segs,
        active=active,
        hr=True,
        first=1,
        pso=pso,
        targets=True,
    )
    title = f"{duration // 60} min {ctx.rng.choice(_RIDE_THEMES)} Ride"
    ride = class_ride(
        ctx,
        title=title,
        discipline="cycling",
        duration=duration,
        pso=pso,
        instructor=ctx.rng.choice(INSTRUCTORS),
        metrics=list(_BIKE_METRICS_CLASS),
        pedaling=True,
    )
    ride["muscle_group_score"] = graph["muscle_group_score"]
    end = None if in_progress else ctx.start + active + (pause or 0)
    workout = workout_body(
        ctx,
        discipline="cycling",
        device="home_bike_v1",
        ride=ride,
        end=end,
        total_work=work,
        metrics_type="cycling",
        pedaling=True,
        hr_zones=zones,
        pause=pause,
        status="IN_PROGRESS" if in_progress else "COMPLETE",
    )
    if in_progress:
        graph["summary_available"] = False
        workout["leaderboard_rank"] = None
    return wrap_raw(workout, graph)


def _cycling_class(ctx: Ctx) -> RawWorkout:
    """A 45 or 30 min bike class."""
    return _bike_class(ctx, minutes=(45, 30))


def _paused_ride(ctx: Ctx) -> RawWorkout:
    """A class paused for 120 s: ``end - start = active + pause``; offsets do not skip it."""
    return _bike_class(ctx, minutes=(20, 30), pause=120)


def _metric_ride(ctx: Ctx) -> RawWorkout:
    """A bike class by a metric user: speed in kph, distance in km."""
    return _bike_class(ctx, minutes=(30, 20))


def _just_ride(ctx: Ctx) -> RawWorkout:
    """A freestyle ride: zero ride id, ``JUST RIDE`` instructor, offsets from 0, no HR."""
    active = ctx.duration_s if ctx.duration_s is not None else ctx.rng.randint(15 * 60, 40 * 60)
    segs: list[Seg] = []
    rng = ctx.rng
    blocks, t = [], 0
    while t < active:
        _, cad, res, _, _ = rng.choice((*BIKE_MOVES[:2], *BIKE_MOVES[3:]))
        length = min(rng.randint(120, 420), active - t)
        blocks.append(Block(t, length, (cad[0], res[0]), (cad[1], res[1]), "cycling"))
        t += length
    graph, work, _ = bike_graph(
        ctx,
        duration=active,
        blocks=blocks,
        segs=segs,
        active=active + 1,
        hr=False,
        first=0,
        pso=0,
        targets=False,
    )
    ride = pseudo_ride(ctx, f"{round(active / 60)} min Just Ride", active, "JUST RIDE", "just-ride")
    workout = workout_body(
        ctx,
        discipline="cycling",
        device="home_bike_v1",
        ride=ride,
        end=ctx.start + active,
        total_work=work,
        metrics_type="cycling",
        workout_type="freestyle",
        pedaling=True,
        intro=0,
    )
    return wrap_raw(workout, graph)


def _bike_bootcamp(ctx: Ctx) -> RawWorkout:
    """Bike bootcamp: bike and floor segments; bike metrics are ``null`` off the bike."""
    duration = ctx.minutes(30, 45)
    rng = ctx.rng
    segs: list[Seg] = [Seg("Warm Up", "warmup", 0, 300, 3.5, "cycling")]
    t, on_bike = 300, False
    while t < duration - 180:
        length = min(rng.choice((300, 420, 480)), duration - 180 - t)
        segs.append(
            Seg("Cycling", "cycling", t, length, 6.0, "cycling")
            if on_bike
            else Seg("Strength", "strength", t, length, 4.5, "floor")
        )
        t += length
        on_bike = not on_bike
    segs.append(Seg("Cool Down", "cooldown", t, duration - t, 2.5, "floor"))
    floor = [False] * duration
    for s in segs:
        if s.metrics_type == "floor":
            floor[s.start : s.start + s.length] = [True] * s.length
    blocks = bike_blocks(rng, [s for s in segs])
    graph, work, zones = bike_graph(
        ctx,
        duration=duration,
        blocks=blocks,
        segs=segs,
        active=duration,
        hr=True,
        first=1,
        pso=60,
        targets=False,
        floor=floor,
    )
    ride = class_ride(
        ctx,
        title=f"{duration // 60} min Demo Bootcamp",
        discipline="bike_bootcamp",
        duration=duration,
        pso=60,
        instructor=rng.choice(INSTRUCTORS),
        metrics=list(_BIKE_METRICS_CLASS),
        pedaling=True,
    )
    workout = workout_body(
        ctx,
        discipline="bike_bootcamp",
        device="home_bike_v1",
        ride=ride,
        end=ctx.start + duration,
        total_work=work,
        metrics_type="cycling",
        pedaling=True,
        hr_zones=zones,
    )
    return wrap_raw(workout, graph)


def _scenic_ended_early(ctx: Ctx) -> RawWorkout:
    """A scenic ride left early: graph ``duration`` is the plan, offsets stop near 400 s."""
    duration = ctx.duration_s if ctx.duration_s is not None else 1200
    active = min(duration, max(60, duration // 3 + ctx.rng.randint(-20, 20)))
    seg = Seg("Scenic", "scenic", 0, duration, 5.0, "cycling")
    blocks = [Block(0, duration, (78, 30), (90, 40), "cycling")]
    graph, work, zones = bike_graph(
        ctx,
        duration=duration,
        blocks=blocks,
        segs=[seg],
        active=active,
        hr=True,
        first=1,
        pso=3,
        targets=False,
    )
    ride = class_ride(
        ctx,
        title=f"{duration // 60} min Demo Coast Ride",
        discipline="cycling",
        duration=duration,
        pso=3,
        instructor=None,
        metrics=["heart_rate", "cadence", "calories"],
        content_provider="virtual_active",
        pedaling=True,
    )
    workout = workout_body(
        ctx,
        discipline="cycling",
        device="home_bike_v1",
        ride=ride,
        end=ctx.start + active,
        total_work=work,
        metrics_type="cycling",
        workout_type="scenic",
        pedaling=True,
        hr_zones=zones,
        intro=3,
    )
    workout["name"] = "Scenic Ride"
    return wrap_raw(workout, graph)


def _empty(ctx: Ctx) -> RawWorkout:
    """A COMPLETE workout with nothing in it (end == start, empty arrays, null summaries)."""
    duration = ctx.minutes(30, 20)
    ride = class_ride(
        ctx,
        title=f"{duration // 60} min {ctx.rng.choice(_RIDE_THEMES)} Ride",
        discipline="cycling",
        duration=duration,
        pso=60,
        instructor=ctx.rng.choice(INSTRUCTORS),
        metrics=list(_BIKE_METRICS_CLASS),
        pedaling=True,
    )
    workout = workout_body(
        ctx,
        discipline="cycling",
        device="home_bike_v1",
        ride=ride,
        end=ctx.start,
        total_work=0,
        metrics_type="cycling",
        pedaling=True,
        intro=2,
    )
    workout["total_work"] = 0
    graph = base_graph(duration, [], None)
    slugs = (
        ("output", "Output", "watts"),
        ("cadence", "Cadence", "rpm"),
        ("resistance", "Resistance", "%"),
        ("speed", "Speed", "mph"),
    )
    graph["metrics"] = [
        {
            "display_name": n,
            "display_unit": u,
            "max_value": None,
            "average_value": None,
            "values": [],
            "slug": s,
        }
        for s, n, u in slugs
    ]
    graph["average_summaries"] = [summary_item(f"avg_{s}", f"Avg {n}", u, None) for s, n, u in slugs]
    graph["summaries"] = [
        summary_item("total_output", "Total Output", "kj", None),
        summary_item("distance", "Distance", "mi", None),
        summary_item("calories", "Calories", "kcal", None),
    ]
    graph["splits_data"], graph["splits_metrics"] = distance_splits([], [], "mi")
    graph["muscle_group_score"] = []
    graph["summary_available"] = True
    graph["performance_graph_available"] = True
    return wrap_raw(workout, graph)


def _in_progress(ctx: Ctx) -> RawWorkout:
    """A class still being ridden: ``IN_PROGRESS``, no ``end_time``, the samples so far."""
    return _bike_class(ctx, minutes=(45, 30), in_progress=True)


#: The kinds this module builds.
BUILDERS: dict[str, Callable[[Ctx], RawWorkout]] = {
    "cycling_class": _cycling_class,
    "paused_ride": _paused_ride,
    "metric_ride": _metric_ride,
    "just_ride": _just_ride,
    "bike_bootcamp": _bike_bootcamp,
    "scenic_ended_early": _scenic_ended_early,
    "empty": _empty,
    "in_progress": _in_progress,
}
