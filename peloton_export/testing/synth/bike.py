"""The Bike model: class targets, the rider's cadence and resistance, power, speed, the graph."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from peloton_export.raw import JsonObject
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
BIKE_MOVES: tuple[tuple[str, tuple[int, int], tuple[int, int], int, int], ...] = (
    ("flat", (80, 90), (30, 40), 60, 180),
    ("climb", (60, 75), (45, 60), 60, 180),
    ("sprint", (100, 110), (38, 48), 20, 45),
    ("recovery", (80, 90), (25, 35), 30, 60),
    ("tempo", (90, 100), (35, 45), 60, 150),
)


def bike_blocks(rng: random.Random, segs: list[Seg]) -> list[Block]:
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
                _, cad, res, lo_len, hi_len = rng.choice(BIKE_MOVES)
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


def bike_graph(
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
