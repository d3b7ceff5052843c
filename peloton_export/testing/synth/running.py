"""Tread runs, and the running model the outdoor run shares (speed, pace, incline)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from peloton_export.raw import JsonObject, RawWorkout
from peloton_export.testing.synth._bodies import INSTRUCTORS, class_ride, workout_body, wrap_raw
from peloton_export.testing.synth._common import (
    FT_PER_M,
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
    segment_json,
    summary_item,
    target_metrics,
)
from peloton_export.testing.synth._splits import distance_splits

# ----------------------------------------------------------------------------- running


# (name, speed range mph, incline range %)
_TREAD_MOVES: tuple[tuple[str, tuple[float, float], tuple[float, float]], ...] = (
    ("jog", (5.0, 6.0), (0.0, 1.0)),
    ("run", (6.0, 7.0), (0.5, 1.5)),
    ("push", (7.0, 8.5), (0.0, 1.0)),
    ("hill", (4.5, 5.5), (3.0, 6.0)),
    ("recover", (3.5, 4.5), (0.0, 1.0)),
)


def tread_blocks(rng: random.Random, segs: list[Seg]) -> list[Block]:
    """Speed/incline targets (mph, %) for every second of a run."""
    blocks: list[Block] = []
    for seg in segs:
        t, end = seg.start, seg.start + seg.length
        while t < end:
            if seg.icon in ("warmup", "cooldown"):
                speed, inc = (3.0, 4.0), (0.0, 1.0)
            else:
                _, speed, inc = rng.choice(_TREAD_MOVES)
            length = min(rng.choice((30, 60, 90, 120, 180)), end - t)
            if end - t - length < 20:
                length = end - t
            blocks.append(Block(t, length, (speed[0], inc[0]), (speed[1], inc[1]), "running"))
            t += length
    return blocks


def run_samples(
    ctx: Ctx, blocks: list[Block], n: int, *, stepped: bool, stops: Sequence[tuple[int, int]] = ()
) -> tuple[list[float], list[float], list[float]]:
    """(speed mph, incline %, effort) per second. ``stepped``: a tread's 0.1 mph / 0.5 % knobs."""
    rng = ctx.rng
    noise = gauss_noise(rng, n, 0.15)  # drawn for the tread too, so the RNG sequence stays stable
    speed, incline = 0.0, 0.0
    speeds: list[float] = []
    inclines: list[float] = []
    stop = {s for a, b in stops for s in range(a, b)}
    for bi, b in enumerate(blocks):
        if b.start >= n:
            break
        end = n if bi + 1 == len(blocks) else min(n, blocks[bi + 1].start)
        target_s = round(rng.uniform(b.lo[0], b.hi[0]), 1)
        target_i = round(rng.uniform(b.lo[1], b.hi[1]) * 2) / 2
        for s in range(b.start, end):
            if s < 4 or s in stop:
                speed = 0.0
            elif not stepped:
                speed = max(0.0, speed + (target_s - speed) * 0.25 + noise[s])
            else:
                if speed != target_s:  # the belt ramps 0.3 mph per second
                    speed = round(speed + max(-0.3, min(0.3, target_s - speed)), 1)
                if incline != target_i:
                    incline = round(incline + max(-0.5, min(0.5, target_i - incline)), 1)
            speeds.append(speed)
            inclines.append(incline)
    effort = [v * 0.1 + i / 30.0 if v else 0.15 for v, i in zip(speeds, inclines, strict=True)]
    return speeds, inclines, effort


def _pace(speed: float) -> float | None:
    """Decimal minutes per distance unit; ``None`` while standing."""
    return int(6000.0 / speed + 0.5) / 100 if speed >= 0.5 else None


def run_columns(
    ctx: Ctx,
    speeds_mph: list[float],
    inclines: list[float],
    effort: list[float],
    *,
    output: bool,
    incline: bool,
) -> Samples:
    """Graph columns for a run: speed/pace in the user's unit, output, incline, HR."""
    k = 1.0 if ctx.units == "imperial" else KM_PER_MI
    kg = ctx.person.weight_lb * 0.4536
    cols: dict[str, Column] = {}
    speed = [int(v * k * 10 + 0.5) / 10 for v in speeds_mph]
    cols["speed"] = speed
    cols["pace"] = [_pace(v) for v in speed]
    if output:
        cols["output"] = [
            round(kg * v * 0.44704 * (1.0 + 9.81 * i / 100 * 1.2)) if v else 0
            for v, i in zip(speeds_mph, inclines, strict=True)
        ]
    if incline:
        cols["incline"] = list(inclines)
    cols["heart_rate"] = simulate_heart_rate(ctx.rng, ctx.person, effort)
    return Samples(n=len(speeds_mph), cols=cols)


def pace_metric(ctx: Ctx, g: Graph) -> JsonObject:
    """The ``pace`` metric with its ``speed`` alternative, in the user's units."""
    speed_unit, dist_unit = ("mph", "mi") if ctx.units == "imperial" else ("kph", "km")
    alt = metric_item("speed", "Speed", speed_unit, g)
    return metric_item("pace", "Pace", f"min/{dist_unit}", g, extra={"alternatives": [alt]})


def _tread_run(ctx: Ctx) -> RawWorkout:
    """A Tread class: pace (+ speed), incline, output, HR; pace null while the belt stands."""
    duration = ctx.minutes(30, 20, 45)
    pso = 60
    segs = class_segments(duration, ("Running", "running"), "running", warm="Warmup", rng=ctx.rng)
    blocks = tread_blocks(ctx.rng, segs)
    speeds, inclines, effort = run_samples(ctx, blocks, duration, stepped=True)
    g = graph_view(
        ctx, run_columns(ctx, speeds, inclines, effort, output=True, incline=True), first=1, gaps=1
    )
    metric = ctx.units == "metric"
    dist_unit = "km" if metric else "mi"
    extra, zones = hr_extras(ctx, g)
    pace = pace_metric(ctx, g)
    metrics = [
        metric_item("output", "Output", "watts", g),
        pace,
        metric_item("incline", "Incline", "%", g),
        metric_item("heart_rate", "Heart Rate", "bpm", g, extra=extra),
    ]
    cum = integrate(g.full["speed"], g.offsets)
    speed_mps = [v * 0.44704 for v in speeds]
    climb_m = sum(v * i / 100 for v, i in zip(speed_mps, inclines, strict=True))
    elev = [0.0]
    for v, i in zip(speed_mps[1:], inclines[1:], strict=True):
        elev.append(elev[-1] + v * i / 100 * FT_PER_M)
    elev_kept = [elev[o - 1] for o in g.offsets]
    work = float(sum(g.full["output"]))
    kj = work / 1000
    graph = base_graph(duration, [segment_json(ctx, s) for s in segs], g)
    graph["metrics"] = metrics
    graph["summaries"] = [
        summary_item("total_output", "Total Output", "kj", round(kj)),
        summary_item("distance", "Distance", dist_unit, round(cum[-1], 2)),
        summary_item("elevation", "Elevation", "ft", round(climb_m * FT_PER_M)),
        summary_item("calories", "Calories", "kcal", round(kj * 1.0 + duration / 60 * 1.5)),
    ]
    graph["average_summaries"] = [
        summary_item("avg_output", "Avg Output", "watts", metrics[0]["average_value"]),
        summary_item("avg_pace", "Avg Pace", pace["display_unit"], pace["average_value"]),
        summary_item("avg_incline", "Avg Incline", "%", metrics[2]["average_value"]),
        summary_item(
            "avg_speed",
            "Avg Speed",
            pace["alternatives"][0]["display_unit"],
            pace["alternatives"][0]["average_value"],
        ),
    ]
    graph["splits_data"], graph["splits_metrics"] = distance_splits(
        cum, g.offsets, dist_unit, elevation=elev_kept
    )
    speed_scale = 1.0 if not metric else KM_PER_MI
    graph["target_metrics_performance_data"] = {
        "target_metrics": target_metrics(blocks, ("speed", "incline"), pso, speed_scale, 1),
        "time_in_metric": [],
    }
    graph["effort_zones"] = effort_zones(zones)
    title = f"{duration // 60} min {ctx.rng.choice(('Demo Tempo', 'Demo Intervals', 'Demo Hills'))} Run"
    ride = class_ride(
        ctx,
        title=title,
        discipline="running",
        duration=duration,
        pso=pso,
        instructor=ctx.rng.choice(INSTRUCTORS),
        metrics=["heart_rate", "calories", "speed", "distance", "elevation"],
    )
    workout = workout_body(
        ctx,
        discipline="running",
        device="home_tread",
        ride=ride,
        end=ctx.start + duration,
        total_work=work,
        metrics_type="running",
        hr_zones=zones,
    )
    return wrap_raw(workout, graph)


#: The kinds this module builds.
BUILDERS: dict[str, Callable[[Ctx], RawWorkout]] = {
    "tread_run": _tread_run,
}
