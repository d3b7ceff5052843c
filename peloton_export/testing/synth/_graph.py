"""Performance-graph assembly: class plans, sampling, metrics, summaries, zones and splits."""

from __future__ import annotations

import random
from dataclasses import dataclass

from peloton_export.raw import JsonObject
from peloton_export.testing.synth._common import (
    IMG,
    Block,
    Column,
    Ctx,
    Num,
    Samples,
    Seg,
    api_round,
    simulate_heart_rate,
    zone_bounds,
)

# ----------------------------------------------------------------------------- class plans


def class_segments(
    duration: int, main: tuple[str, str], metrics_type: str, *, warm: str = "Warm Up", rng: random.Random
) -> list[Seg]:
    """Warm Up / main / Cool Down, sized like real classes."""
    w = min(max(round(duration * 0.12 / 10) * 10, 60), 480) if duration >= 300 else 0
    c = min(max(round(duration * 0.08 / 10) * 10, 60), 300) if duration >= 600 else 0
    w += rng.choice((-10, 0, 0, 10)) if w else 0
    segs = []
    if w:
        segs.append(Seg(warm, "warmup", 0, w, 3.5, metrics_type))
    segs.append(
        Seg(main[0], main[1], w, duration - w - c, 6.0 if metrics_type != "floor" else 4.0, metrics_type)
    )
    if c:
        segs.append(Seg("Cool Down", "cooldown", duration - c, c, 3.5, metrics_type))
    return segs


def segment_json(ctx: Ctx, seg: Seg) -> JsonObject:
    """A ``segment_list`` item."""
    return {
        "id": ctx.hex(),
        "length": seg.length,
        "start_time_offset": seg.start,
        "icon_url": f"{IMG}/segment-icons/{seg.icon}.png",
        "intensity_in_mets": seg.mets,
        "metrics_type": seg.metrics_type,
        "icon_name": seg.icon,
        "icon_slug": seg.icon,
        "name": seg.name,
        "is_drill": seg.is_drill,
    }


def target_metrics(
    blocks: list[Block], names: tuple[str, str], pso: int, scale: float = 1.0, digits: int = 0
) -> list[JsonObject]:
    """``target_metrics_performance_data.target_metrics``: class-video time, inclusive ends."""
    out: list[JsonObject] = []
    for i, b in enumerate(blocks):
        metrics = [
            {
                "name": names[k],
                "upper": api_round(b.hi[k] * (scale if k == 0 else 1.0), digits),
                "lower": api_round(b.lo[k] * (scale if k == 0 else 1.0), digits),
            }
            for k in (1, 0)
        ]
        out.append(
            {
                "offsets": {"start": pso + b.start + (1 if i else 0), "end": pso + b.start + b.length},
                "segment_type": b.segment_type,
                "metrics": metrics,
            }
        )
    return out


# ----------------------------------------------------------------------------- graph assembly


def keep_indices(rng: random.Random, n: int, gaps: int) -> list[int] | None:
    """Indices of the 1 Hz samples Peloton kept (a few single seconds go missing)."""
    if gaps <= 0 or n < 60:
        return None
    drop = {rng.randint(5, n - 5) for _ in range(gaps)}
    return [i for i in range(n) if i not in drop]


def sample_picks(n: int, every_n: int) -> list[int]:
    """Indices reported with ``every_n``: every Nth sample plus the last one."""
    picks = list(range(0, n, every_n))
    if n and picks[-1] != n - 1:
        picks.append(n - 1)
    return picks


def sample_down(values: Column, picks: list[int], every_n: int, digits: int, zero_missing: bool) -> Column:
    """``every_n`` values: the mean of each window (``None`` when it has no value)."""
    if every_n == 1:
        return values
    out: Column = []
    for p in picks:
        window = [v for v in values[p : p + every_n] if v is not None and not (zero_missing and v == 0)]
        if not window:
            out.append(None if not zero_missing else 0)
        else:
            out.append(api_round(sum(window) / len(window), digits))
    return out


DIGITS = {
    "output": 0,
    "cadence": 0,
    "resistance": 0,
    "speed": 1,
    "heart_rate": 0,
    "pace": 2,
    "incline": 1,
    "altitude": 0,
    "stroke_rate": 0,
    "split_pace": 2,
}


@dataclass(slots=True)
class Graph:
    """The kept (1 Hz) and reported (``every_n``) view of one workout's samples."""

    offsets: list[int]
    full: dict[str, Column]
    shown_offsets: list[int]
    shown: dict[str, Column]
    picks: list[int]


def graph_view(ctx: Ctx, samples: Samples, *, first: int, gaps: int) -> Graph:
    """Apply missing seconds and ``every_n`` to 1 Hz samples whose first offset is ``first``."""
    keep = keep_indices(ctx.rng, samples.n, gaps)
    if keep is None:
        offsets = list(range(first, first + samples.n))
        full = samples.cols
    else:
        offsets = [first + i for i in keep]
        full = {k: [v[i] for i in keep] for k, v in samples.cols.items()}
    picks = sample_picks(len(offsets), ctx.every_n)
    shown_offsets = offsets if ctx.every_n == 1 else [offsets[p] for p in picks]
    shown = {
        k: sample_down(v, picks, ctx.every_n, DIGITS.get(k, 2), k == "heart_rate") for k, v in full.items()
    }
    return Graph(offsets, full, shown_offsets, shown, picks)


def api_stats(
    values: Column, *, zero_missing: bool = False, low_is_max: bool = False, digits: int = 0
) -> tuple[Num | None, Num | None]:
    """(max_value, average_value) like the API (pace: the *fastest*, i.e. lowest, is max)."""
    nums = [v for v in values if v is not None and not (zero_missing and v == 0)]
    if not nums:
        return None, None
    best = min(nums) if low_is_max else max(nums)
    return api_round(best, digits), api_round(sum(nums) / len(nums), digits)


def metric_item(
    slug: str, name: str, unit: str, g: Graph, col: str | None = None, *, extra: JsonObject | None = None
) -> JsonObject:
    """A ``metrics[]`` item; stats come from the full 1 Hz data."""
    col = col or slug
    hr = slug == "heart_rate"
    mx, avg = api_stats(
        g.full[col], zero_missing=hr, low_is_max=slug in ("pace", "split_pace"), digits=DIGITS.get(col, 2)
    )
    item: JsonObject = {
        "display_name": name,
        "display_unit": unit,
        "max_value": mx,
        "average_value": avg,
        "values": g.shown[col],
        "slug": slug,
    }
    if extra:
        item.update(extra)
    return item


def summary_item(slug: str, name: str, unit: str | None, value: Num | None) -> JsonObject:
    """A ``summaries[]`` / ``average_summaries[]`` item."""
    return {"display_name": name, "display_unit": unit, "value": value, "slug": slug}


def hr_extras(ctx: Ctx, g: Graph) -> tuple[JsonObject, dict[str, int]]:
    """``zones`` and ``missing_data_duration`` for the HR metric, and the zone durations."""
    max_hr = ctx.person.max_hr
    bounds = [int(b) for b in zone_bounds(max_hr)]
    durations = [0] * 5
    missing = 0
    values = g.full["heart_rate"]
    for i, v in enumerate(values):
        step = g.offsets[i + 1] - g.offsets[i] if i + 1 < len(values) else 1
        if v == 0:
            missing += step
            continue
        z = 4
        while z > 0 and v < bounds[z]:
            z -= 1
        durations[z] += step
    zones = []
    for z in range(5):
        lo = bounds[z]
        hi = bounds[z + 1] - 1 if z < 4 else max_hr
        rng_text = f"<{bounds[1]} bpm" if z == 0 else (f">={lo} bpm" if z == 4 else f"{lo}-{hi} bpm")
        zones.append(
            {
                "display_name": f"Zone {z + 1}",
                "slug": f"zone{z + 1}",
                "range": rng_text,
                "duration": durations[z],
                "max_value": hi,
                "min_value": lo,
            }
        )
    names = {f"heart_rate_z{z + 1}_duration": durations[z] for z in range(5)}
    return {"zones": zones, "missing_data_duration": missing}, names


def effort_zones(durations: dict[str, int] | None) -> JsonObject | None:
    """``effort_zones``: effort points weighted by HR zone, and the zone durations."""
    if durations is None:
        return None
    weights = (0.3, 0.6, 1.2, 2.0, 3.0)
    points = sum(w * d / 60 for w, d in zip(weights, durations.values(), strict=True))
    return {"total_effort_points": round(points, 1), "heart_rate_zone_durations": dict(durations)}


def integrate(values: Column, offsets: list[int], per_hour: float = 1.0) -> list[float]:
    """Cumulative ``sum(v * dt) / 3600 * per_hour`` at every sample (distance from speed)."""
    out: list[float] = []
    total, prev = 0.0, None
    for off, v in zip(offsets, values, strict=True):
        if prev is not None and v is not None:
            total += v * (off - prev) / 3600.0 * per_hour
        out.append(total)
        prev = off
    return out


_MUSCLES = (
    ("biceps", "Biceps"),
    ("chest", "Chest"),
    ("core", "Core"),
    ("glutes", "Glutes"),
    ("hamstrings", "Hamstrings"),
    ("quads", "Quads"),
    ("calves", "Calves"),
    ("lats", "Lats"),
    ("shoulders", "Shoulders"),
)


def muscle_scores(rng: random.Random, focus: tuple[str, ...]) -> list[JsonObject]:
    """``muscle_group_score``: every group, with the ``focus`` groups scoring highest."""
    scores = {m: rng.randint(200, 600) * (4 if m in focus else 1) for m, _ in _MUSCLES}
    total = sum(scores.values())
    return [
        {
            "muscle_group": m,
            "score": float(scores[m]),
            "percentage": round(100 * scores[m] / total),
            "bucket": min(3, 1 + 3 * scores[m] // total),
            "display_name": name,
        }
        for m, name in _MUSCLES
    ]


def base_graph(duration: int, segs: list[JsonObject], g: Graph | None) -> JsonObject:
    """The keys every performance graph has, in the API's order."""
    return {
        "duration": duration,
        "is_class_plan_shown": bool(segs),
        "segment_list": segs,
        "seconds_since_pedaling_start": g.shown_offsets if g else [],
        "average_summaries": [],
        "summaries": [],
        "metrics": [],
        "has_apple_watch_metrics": False,
        "location_data": [],
        "is_location_data_accurate": None,
        "splits_data": {},
        "target_metrics_performance_data": {"target_metrics": [], "time_in_metric": []},
        "effort_zones": None,
    }


def floor_graph(
    ctx: Ctx,
    segs: list[Seg],
    duration: int,
    effort: list[float],
    *,
    first: int = 1,
    apple_watch: bool = False,
) -> tuple[JsonObject, dict[str, int]]:
    """HR-only graph (strength, yoga, imported) with a calories summary."""
    samples = Samples(n=len(effort), cols={"heart_rate": simulate_heart_rate(ctx.rng, ctx.person, effort)})
    g = graph_view(ctx, samples, first=first, gaps=0)
    extra, zones = hr_extras(ctx, g)
    graph = base_graph(duration, [segment_json(ctx, s) for s in segs], g)
    hr = metric_item("heart_rate", "Heart Rate", "bpm", g, extra=extra)
    graph["metrics"] = [hr]
    avg = hr["average_value"] or ctx.person.rest_hr
    frac = (avg - ctx.person.rest_hr) / (ctx.person.max_hr - ctx.person.rest_hr)
    kcal = round(len(effort) / 60 * (2.5 + 9.0 * max(frac, 0.0)))
    slug, name = ("total_calories", "Total Calories") if apple_watch else ("calories", "Calories")
    graph["summaries"] = [summary_item(slug, name, "kcal", kcal)]
    graph["has_apple_watch_metrics"] = apple_watch
    graph["effort_zones"] = effort_zones(zones)
    return graph, zones
