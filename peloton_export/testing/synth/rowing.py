"""Row classes: discrete strokes, split pace and 500 m splits."""

from __future__ import annotations

import random
from collections.abc import Callable

from peloton_export.raw import JsonObject, RawWorkout
from peloton_export.testing.synth._bodies import INSTRUCTORS, class_ride, workout_body, wrap_raw
from peloton_export.testing.synth._common import Column, Ctx, Samples, Seg, simulate_heart_rate
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
)

# ----------------------------------------------------------------------------- rowing


def _row(ctx: Ctx) -> RawWorkout:
    """A Row class: per-stroke output/stroke rate, split pace (min/500m), HR, 500 m splits."""
    duration = ctx.minutes(20, 15, 30)
    rng = ctx.rng
    segs: list[Seg] = [Seg("Warm Up", "warmup", 0, 180, 3.5, "caesar")]
    t, drill = 180, True
    while t < duration - 120:
        length = min(rng.choice((60, 90, 120, 180)), duration - 120 - t)
        segs.append(Seg("Drills" if drill else "Rowing", "caesar", t, length, 5.0, "caesar", is_drill=drill))
        drill = not drill
        t += length
    segs.append(Seg("Cool Down", "cooldown", t, duration - t, 3.0, "caesar"))
    k = ctx.person.ftp / 200.0
    out: Column = []
    spm_c: Column = []
    pace_c: Column = []
    effort: list[float] = []
    strokes: list[JsonObject] = []
    next_stroke, watts, spm, si = 2.0, 0.0, 0.0, 0
    for s in range(duration):
        while si + 1 < len(segs) and segs[si + 1].start <= s:
            si += 1
        seg = segs[si]
        if s >= next_stroke:
            base_spm = 18 if seg.icon in ("warmup", "cooldown") else (20 if seg.is_drill else 26)
            spm = max(10.0, rng.gauss(base_spm, 1.5))
            base_w = (60 if seg.icon in ("warmup", "cooldown") else (90 if seg.is_drill else 150)) * k
            watts = max(5.0, rng.gauss(base_w, base_w * 0.08))
            strokes.append(
                {
                    "id": len(strokes) + 1,
                    "seconds_since_pedaling_start": s + 1,
                    "output": round(watts, 3),
                    "stroke_rate": float(round(spm)),
                    "errors": [],
                }
            )
            next_stroke += 60.0 / spm
        out.append(round(watts))
        spm_c.append(round(spm))
        pace_c.append(round(500.0 / (watts / 2.8) ** (1 / 3) / 60.0, 2) if watts else None)
        effort.append(watts / (200.0 * k))
    samples = Samples(n=duration, cols={"output": out, "stroke_rate": spm_c, "split_pace": pace_c})
    samples.cols["heart_rate"] = simulate_heart_rate(rng, ctx.person, effort)
    g = graph_view(ctx, samples, first=1, gaps=0)
    extra, zones = hr_extras(ctx, g)
    metrics = [
        metric_item("output", "Stroke Output", "watts", g),
        metric_item("stroke_rate", "Stroke Rate", "spm", g),
        metric_item("split_pace", "Pace", "min/500m", g),
        metric_item("heart_rate", "Heart Rate", "bpm", g, extra=extra),
    ]
    meters = [(v / 2.8) ** (1 / 3) if v else 0.0 for v in g.full["output"]]
    cum_m = integrate(meters, g.offsets, per_hour=3600.0)
    work = float(sum(g.full["output"]))
    graph = base_graph(duration, [segment_json(ctx, s) for s in segs], g)
    for key in ("location_data", "is_location_data_accurate", "splits_data"):
        del graph[key]
    graph["metrics"] = metrics
    graph["summaries"] = [
        summary_item("total_output", "Total Output", "kj", round(work / 1000)),
        summary_item("distance", "Distance", "m", round(cum_m[-1], 2)),
        summary_item("stroke_count", "Strokes", None, len(strokes)),
        summary_item("calories", "Calories", "kcal", round(work / 1000 * 1.1 + duration / 60 * 1.5)),
    ]
    graph["average_summaries"] = [
        summary_item("avg_output", "Avg Stroke Output", "watts", metrics[0]["average_value"]),
        summary_item("avg_stroke_rate", "Avg Stroke Rate", "spm", metrics[1]["average_value"]),
        summary_item("avg_split_pace", "Avg Pace", "min/500m", metrics[2]["average_value"]),
    ]
    graph["splits_metrics"] = _row_splits(rng, cum_m, g)
    graph["caesar_metrics"] = {
        "output": {
            "slug": "stroke_output",
            "display_name": "Stroke Output",
            "display_unit": "watts",
            "max_value": max(st["output"] for st in strokes),
            "average_value": round(sum(st["output"] for st in strokes) / len(strokes), 2),
            "data": strokes,
        },
        "detail": {"score": rng.randint(75, 98), "user_avg_score": None, "segments": []},
    }
    graph["effort_zones"] = effort_zones(zones)
    graph["muscle_group_score"] = muscle_scores(rng, ("lats", "quads", "core"))
    ride = class_ride(
        ctx,
        title=f"{duration // 60} min Demo Power Row",
        discipline="caesar",
        duration=duration,
        pso=60,
        instructor=rng.choice(INSTRUCTORS),
        metrics=["heart_rate", "calories"],
    )
    workout = workout_body(
        ctx,
        discipline="caesar",
        device="caesar",
        ride=ride,
        end=ctx.start + duration,
        total_work=work,
        metrics_type="caesar",
        hr_zones=zones,
    )
    return wrap_raw(workout, graph)


def _row_splits(rng: random.Random, cum_m: list[float], g: Graph) -> JsonObject:
    """``splits_metrics`` per 500 m (the last one is the remainder)."""
    rows: list[tuple[float, int, int, int]] = []
    marker, last_i = 500.0, 0

    def close(i: int, meters: float) -> None:
        """Record the split that ends at sample ``i``."""
        sl = slice(last_i, i + 1)
        spm = g.full["stroke_rate"][sl]
        watts = g.full["output"][sl]
        rows.append(
            (meters, g.offsets[i] - g.offsets[0], round(sum(spm) / len(spm)), round(sum(watts) / len(watts)))
        )

    for i, d in enumerate(cum_m):
        if d >= marker:
            close(i, marker)
            last_i, marker = i + 1, marker + 500.0
    if cum_m and last_i < len(cum_m) - 1:
        close(len(cum_m) - 1, round(cum_m[-1] - (marker - 500.0), 2))
    header = [
        {"slug": slug, "display_name": name}
        for slug, name in (
            ("meter", "Meters"),
            ("total_time", "Total Time"),
            ("pace", "min/500m"),
            ("spm", "spm"),
            ("avg_output", "Avg Output"),
            ("form_score", "Form Rating"),
        )
    ]
    metrics, prev_t = [], 0
    ends = [r[1] for r in rows]
    split_times = [t - p for t, p in zip(ends, [0, *ends[:-1]], strict=True)]
    best = min(range(len(rows)), key=lambda i: split_times[i]) if rows else -1
    for i, (meters, t, spm, watts) in enumerate(rows):
        pace = (t - prev_t) / 60 / (meters / 500) if meters else 0.0
        prev_t = t
        metrics.append(
            {
                "is_best": i == best,
                "has_floor_segment": False,
                "data": [
                    {"slug": "meter", "value": meters, "unit": "m"},
                    {"slug": "total_time", "value": round(t / 60, 2), "unit": "min"},
                    {"slug": "pace", "value": round(pace, 2), "unit": "min/500m"},
                    {"slug": "spm", "value": spm, "unit": None},
                    {"slug": "avg_output", "value": watts, "unit": "w"},
                    {"slug": "form_score", "value": round(rng.uniform(80, 98), 2), "unit": "%"},
                ],
            }
        )
    return {"header": header, "metrics": metrics}


#: The kinds this module builds.
BUILDERS: dict[str, Callable[[Ctx], RawWorkout]] = {
    "row": _row,
}
