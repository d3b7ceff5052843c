"""Bike kinds: classes, Just Ride, paused, metric, bootcamp, scenic, empty and in-progress rides."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

from peloton_export.raw import JsonObject, RawWorkout
from peloton_export.testing.synth._bodies import (
    INSTRUCTORS,
    class_ride,
    pseudo_ride,
    workout_body,
    wrap_raw,
)
from peloton_export.testing.synth._common import (
    KM_PER_MI,
    Block,
    Column,
    Ctx,
    Samples,
    Seg,
    gauss_noise,
    simulate_heart_rate,
)
from peloton_export.testing.synth._graph import (
    Graph,
    base_graph,
    class_segments,
    effort_zones,
    graph_view,
    hr_extras,
    integrate,
    metric_item,
    muscle_scores,
    segment_json,
    summary_item,
    target_metrics,
)
from peloton_export.testing.synth._splits import distance_splits

# (name, cadence range, resistance range, min length, max length)
_BIKE_MOVES: tuple[tuple[str, tuple[int, int], tuple[int, int], int, int], ...] = (
    ("flat", (80, 90), (30, 40), 60, 180),
    ("climb", (60, 75), (45, 60), 60, 180),
    ("sprint", (100, 110), (38, 48), 20, 45),
    ("recovery", (80, 90), (25, 35), 30, 60),
    ("tempo", (90, 100), (35, 45), 60, 150),
)


def _bike_blocks(rng: random.Random, segs: list[Seg]) -> list[Block]:
    """Cadence/resistance targets for every second of a bike class."""
    blocks: list[Block] = []
    for seg in segs:
        t, end = seg.start, seg.start + seg.length
        while t < end:
            if seg.icon == "warmup":
                cad, res, lo_len, hi_len = (80, 90), (25, 35), 60, 120
            elif seg.icon == "cooldown":
                cad, res, lo_len, hi_len = (70, 80), (20, 30), 60, 120
            else:
                _, cad, res, lo_len, hi_len = rng.choice(_BIKE_MOVES)
            length = min(rng.randint(lo_len, hi_len), end - t)
            if end - t - length < 20:
                length = end - t
            shift = rng.choice((-5, 0, 0, 5)) if seg.icon not in ("warmup", "cooldown") else 0
            blocks.append(Block(t, length, (cad[0], res[0] + shift), (cad[1], res[1] + shift), "cycling"))
            t += length
    return blocks


# ----------------------------------------------------------------------------- physiology


def bike_power(cadence: float, resistance: float, k: float) -> float:
    """Watts from cadence (rpm) and resistance (%), scaled by the rider."""
    return cadence * (0.25 + 6.0 * math.pow(resistance / 100.0, 1.8)) * k


def bike_speed_mph(watts: float) -> float:
    """The Bike's virtual speed for a power (fitted power law)."""
    return 2.85 * math.pow(watts, 0.38) if watts > 0 else 0.0


#: Resistance factor of :func:`bike_power` for every whole percent.
_RES_FACTOR = tuple(bike_power(1.0, r, 1.0) for r in range(101))


def _bike_samples(
    ctx: Ctx, blocks: list[Block], n: int, *, hr: bool, floor: Sequence[bool] | None = None
) -> Samples:
    """1 Hz bike columns (output, cadence, resistance, speed, HR) following ``blocks``."""
    rng = ctx.rng
    k = ctx.person.ftp / 200.0 * rng.uniform(1.0, 1.2)
    speed_k = 2.85 * (1.0 if ctx.units == "imperial" else KM_PER_MI)
    effort_k = 1.0 / (ctx.person.ftp * 1.15)
    noise = gauss_noise(rng, n, 1.2)
    knob = [rng.random() for _ in range(n)]
    out_c: Column = []
    cad_c: Column = []
    res_c: Column = []
    spd_c: Column = []
    effort: list[float] = []
    cad, res = 0.0, 25
    for bi, b in enumerate(blocks):
        end = n if bi + 1 == len(blocks) else min(n, blocks[bi + 1].start)
        if b.start >= n:
            break
        cad_target = rng.uniform(b.lo[0] - 3, b.hi[0] + 1)
        res_target = int(min(100, max(0, rng.uniform(b.lo[1] - 4, b.hi[1] + 1))))
        res_at = b.start + rng.randint(2, 6)
        for s in range(b.start, end):
            if floor is not None and floor[s]:
                cad = 0.0
                out_c.append(None)
                cad_c.append(None)
                res_c.append(None)
                spd_c.append(None)
                effort.append(0.55)
                continue
            if s == res_at:
                res = res_target
            elif knob[s] < 0.01:
                res = min(100, max(0, res + (1 if knob[s] < 0.005 else -1)))
            cad += (cad_target - cad) * (0.5 if s < 4 else 0.2) + noise[s]
            cad = 0.0 if cad < 0.0 else 130.0 if cad > 130.0 else cad
            watts = cad * _RES_FACTOR[res] * k
            out_c.append(int(watts + 0.5))
            cad_c.append(int(cad + 0.5))
            res_c.append(res)
            spd_c.append(round(speed_k * watts**0.38, 1) if watts > 0 else 0.0)
            effort.append(watts * effort_k)
    samples = Samples(n=n)
    samples.cols = {"output": out_c, "cadence": cad_c, "resistance": res_c, "speed": spd_c}
    if hr:
        samples.cols["heart_rate"] = simulate_heart_rate(rng, ctx.person, effort)
    return samples


# ----------------------------------------------------------------------------- bike kinds


_RIDE_THEMES = ("Demo Hits", "Demo Climb", "Demo Intervals", "Demo Endurance", "Demo Tempo", "Demo Groove")
_BIKE_METRICS_CLASS = ["heart_rate", "cadence", "calories"]


def _bike_graph(
    ctx: Ctx,
    *,
    duration: int,
    blocks: list[Block],
    segs: list[Seg],
    active: int,
    hr: bool,
    first: int,
    pso: int,
    targets: bool,
    gaps: int = 2,
    floor: Sequence[bool] | None = None,
) -> tuple[JsonObject, float, dict[str, int] | None]:
    """The performance graph of a bike workout; returns (graph, total work J, HR zones)."""
    samples = _bike_samples(ctx, blocks, active, hr=hr, floor=floor)
    g = graph_view(ctx, samples, first=first, gaps=gaps)
    metric = ctx.units == "metric"
    speed_unit, dist_unit = ("kph", "km") if metric else ("mph", "mi")
    graph = base_graph(duration, [segment_json(ctx, s) for s in segs], g)
    work = sum(w for w in g.full["output"] if w is not None) * 1.0
    metrics = [
        metric_item("output", "Output", "watts", g),
        metric_item("cadence", "Cadence", "rpm", g),
        metric_item("resistance", "Resistance", "%", g),
        metric_item("speed", "Speed", speed_unit, g),
    ]
    zones = None
    if hr:
        extra, zones = hr_extras(ctx, g)
        metrics.append(metric_item("heart_rate", "Heart Rate", "bpm", g, extra=extra))
    graph["metrics"] = metrics
    cum = integrate(g.full["speed"], g.offsets)
    kj = work / 1000.0
    minutes = (g.offsets[-1] - g.offsets[0]) / 60.0 if g.offsets else 0.0
    graph["summaries"] = [
        summary_item("total_output", "Total Output", "kj", round(kj)),
        summary_item("distance", "Distance", dist_unit, round(cum[-1], 2) if cum else 0.0),
        summary_item("calories", "Calories", "kcal", round(kj * 1.09 + minutes * 1.2)),
    ]
    graph["average_summaries"] = [
        summary_item(f"avg_{m['slug']}", f"Avg {m['display_name']}", m["display_unit"], m["average_value"])
        for m in metrics[:4]
    ]
    graph["splits_data"], graph["splits_metrics"] = distance_splits(cum, g.offsets, dist_unit)
    if targets:
        tm = target_metrics(blocks, ("cadence", "resistance"), pso)
        tpm = graph["target_performance_metrics"] = _target_graph(blocks, g)
        graph["target_metrics_compliance"] = {}
        graph["target_metrics_performance_data"] = {
            "target_metrics": tm,
            "time_in_metric": [
                {"name": name, "value": tpm[f"{name}_time_in_range"]} for name in ("resistance", "cadence")
            ],
        }
    graph["effort_zones"] = effort_zones(zones)
    graph["muscle_group_score"] = muscle_scores(ctx.rng, ("quads", "glutes", "hamstrings"))
    graph["summary_available"] = True
    graph["performance_graph_available"] = True
    return graph, work, zones


def _block_index(blocks: list[Block], n: int) -> list[int]:
    """The index of the block in force at every active second ``0..n-1``."""
    idx: list[int] = []
    for bi in range(len(blocks)):
        end = n if bi + 1 == len(blocks) else blocks[bi + 1].start
        idx.extend([bi] * max(0, min(end, n) - len(idx)))
    idx.extend([len(blocks) - 1] * (n - len(idx)))
    return idx


def _target_graph(blocks: list[Block], g: Graph) -> JsonObject:
    """``target_performance_metrics``: per-sample upper/lower/average, aligned with the offsets."""
    out: JsonObject = {"target_graph_metrics": []}
    first = g.offsets[0] if g.offsets else 0
    at = _block_index(blocks, (g.offsets[-1] - first + 1) if g.offsets else 0)
    shown = [at[o - first] for o in g.shown_offsets]
    full = [at[o - first] for o in g.offsets]
    for k, kind in ((0, "cadence"), (1, "resistance")):
        his = [int(b.hi[k]) for b in blocks]
        los = [int(b.lo[k]) for b in blocks]
        upper = [his[i] for i in shown]
        lower = [los[i] for i in shown]
        values = g.full[kind]
        in_range = sum(
            1 for v, i in zip(values, full, strict=True) if v is not None and los[i] <= v <= his[i]
        )
        avg = [(u + lo) // 2 for u, lo in zip(upper, lower, strict=True)]
        out["target_graph_metrics"].append(
            {
                "graph_data": {"upper": upper, "lower": lower, "average": avg},
                "max": max(upper) if upper else None,
                "min": min(lower) if lower else None,
                "average": round(sum(avg) / len(avg)) if avg else None,
                "type": kind,
            }
        )
        out[f"{kind}_time_in_range"] = round(100 * in_range / len(values)) if values else 0
    return out


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
    blocks = _bike_blocks(ctx.rng, segs)
    graph, work, zones = _bike_graph(
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
        _, cad, res, _, _ = rng.choice((*_BIKE_MOVES[:2], *_BIKE_MOVES[3:]))
        length = min(rng.randint(120, 420), active - t)
        blocks.append(Block(t, length, (cad[0], res[0]), (cad[1], res[1]), "cycling"))
        t += length
    graph, work, _ = _bike_graph(
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
    blocks = _bike_blocks(rng, [s for s in segs])
    graph, work, zones = _bike_graph(
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
    graph, work, zones = _bike_graph(
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
