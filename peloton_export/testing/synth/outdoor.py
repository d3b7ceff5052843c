"""Outdoor runs: GPS fixes along a made-up loop on the Great Lawn of Central Park."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from itertools import pairwise

from peloton_export.raw import JsonObject, RawWorkout
from peloton_export.testing.synth._bodies import INSTRUCTORS, class_ride, workout_body, wrap_raw
from peloton_export.testing.synth._common import FT_PER_M, MI_M, Ctx
from peloton_export.testing.synth._graph import (
    base_graph,
    class_segments,
    effort_zones,
    graph_view,
    hr_extras,
    metric_item,
    segment_json,
    summary_item,
)
from peloton_export.testing.synth._splits import distance_splits
from peloton_export.testing.synth.running import pace_metric, run_columns, run_samples, tread_blocks

# A made-up ellipse on the Great Lawn, Central Park, New York (a public landmark).
_PARK = (40.78125, -73.96600)
_PARK_AXES_M = (200.0, 100.0)  # a ~1 km oval inside the lawn, clear of the ponds
_PARK_ALT_M = 32.0


_A, _B = _PARK_AXES_M
_PERIMETER_M = math.pi * (3 * (_A + _B) - math.sqrt((3 * _A + _B) * (_A + 3 * _B)))
_LAT_PER_M = 1 / 111_320.0
_LON_PER_M = 1 / (111_320.0 * math.cos(math.radians(_PARK[0])))


def _loop_track(distances_m: Sequence[float]) -> tuple[list[float], list[float], list[float]]:
    """(lats, lons, altitudes in m) at each distance along the loop (arc length ~ angle)."""
    lats: list[float] = []
    lons: list[float] = []
    alts: list[float] = []
    cos, sin = math.cos, math.sin
    per_m = 2 * math.pi / _PERIMETER_M
    lat_k, lon_k = _B * _LAT_PER_M * 1e6, _A * _LON_PER_M * 1e6
    lat0, lon0 = _PARK[0] * 1e6 + 0.5, -_PARK[1] * 1e6 + 0.5
    for d in distances_m:
        theta = d * per_m
        st = sin(theta)
        # Fixed-point rounding to 6 decimals (faster than round(); latitude > 0 > longitude).
        lats.append(int(lat0 + lat_k * st) / 1e6)
        lons.append(-int(lon0 - lon_k * cos(theta)) / 1e6)
        alts.append(_PARK_ALT_M + 4.0 * st + 1.5 * sin(3 * theta))
    return lats, lons, alts


def _fixes(
    rng: random.Random,
    seconds: range,
    lats: list[float],
    lons: list[float],
    distances: list[float],
    unit: str,
) -> list[JsonObject]:
    """GPS fixes for active ``seconds`` (offset ``s + 1``): ~1 % missed, ~2 % without accuracy."""
    r = rng.random
    out: list[JsonObject] = []
    for s in seconds:
        draw = r()
        if s > 5 and draw < 0.01:
            continue  # an occasional missed fix
        accuracy = None if draw > 0.98 else int(300 + 1300 * r()) / 100
        out.append(
            {
                "seconds_offset_from_start": s + 1,
                "latitude": lats[s],
                "longitude": lons[s],
                "accuracy": accuracy,
                "distance": distances[s],
                "distance_display_unit": unit,
            }
        )
    return out


def _outdoor_run(ctx: Ctx) -> RawWorkout:
    """An outdoor audio run on a phone: pace (+ speed), altitude (ft), HR and GPS."""
    duration = ctx.minutes(30, 20)
    rng = ctx.rng
    segs = class_segments(duration, ("Running", "running"), "running", rng=rng)
    blocks = tread_blocks(rng, segs)
    stop_at = rng.randint(duration // 3, duration // 2)
    speeds, inclines, effort = run_samples(
        ctx, blocks, duration, stepped=False, stops=[(stop_at, stop_at + rng.randint(6, 15))]
    )
    cols = run_columns(ctx, speeds, inclines, effort, output=False, incline=False)
    metric = ctx.units == "metric"
    dist_unit = "km" if metric else "mi"
    cum_m, total = [], 0.0
    for v in speeds:
        total += v * 0.44704
        cum_m.append(total)
    lats, lons, alts = _loop_track(cum_m)
    alt_ft = [round(a * FT_PER_M) for a in alts]
    cols.cols["altitude"] = alt_ft
    g = graph_view(ctx, cols, first=1, gaps=0)
    extra, zones = hr_extras(ctx, g)
    pace = pace_metric(ctx, g)
    altitude = metric_item("altitude", "Elevation", "ft", g)
    altitude["max_value"] = altitude["average_value"] = None
    metrics = [pace, altitude, metric_item("heart_rate", "Heart Rate", "bpm", g, extra=extra)]
    unit_m = 1000.0 if metric else MI_M
    graph = base_graph(duration, [segment_json(ctx, s) for s in segs], g)
    graph["metrics"] = metrics
    distances = [int(d / unit_m * 100 + 0.5) / 100 for d in cum_m]
    graph["location_data"] = [
        {
            "segment_id": seg_json["id"],
            "is_gap": False,
            "coordinates": _fixes(
                rng, range(seg.start, min(seg.start + seg.length, duration)), lats, lons, distances, dist_unit
            ),
        }
        for seg_json, seg in zip(graph["segment_list"], segs, strict=True)
    ]
    graph["is_location_data_accurate"] = True
    cum = [d / unit_m for d in cum_m]
    climb = sum(max(0, b - a) for a, b in pairwise(alt_ft))
    graph["summaries"] = [
        summary_item("distance", "Distance", dist_unit, round(cum[-1], 2)),
        summary_item("elevation", "Elevation", "ft", climb),
        summary_item("calories", "Calories", "kcal", round(ctx.person.weight_lb * 0.4536 * cum_m[-1] / 1000)),
    ]
    graph["average_summaries"] = [
        summary_item("avg_pace", "Avg Pace", pace["display_unit"], pace["average_value"]),
        summary_item(
            "avg_speed",
            "Avg Speed",
            pace["alternatives"][0]["display_unit"],
            pace["alternatives"][0]["average_value"],
        ),
    ]
    graph["splits_data"], _ = distance_splits(
        cum, list(range(1, duration + 1)), dist_unit, elevation=[float(a) for a in alt_ft]
    )
    graph["effort_zones"] = effort_zones(zones)
    ride = class_ride(
        ctx,
        title=f"{duration // 60} min Demo Park Run",
        discipline="running",
        duration=duration,
        pso=1,
        instructor=rng.choice(INSTRUCTORS),
        metrics=[
            "heart_rate",
            "calories",
            "speed",
            "distance",
            "gps",
            "gps_accuracy",
            "altitude",
            "elevation",
        ],
    )
    ride["is_outdoor"] = True
    workout = workout_body(
        ctx,
        discipline="running",
        device="iPhone",
        ride=ride,
        end=ctx.start + duration,
        total_work=0.0,
        metrics_type=None,
        outdoor=True,
        hr_zones=zones,
        intro=1,
    )
    return wrap_raw(workout, graph)


#: The kinds this module builds.
BUILDERS: dict[str, Callable[[Ctx], RawWorkout]] = {
    "outdoor_run": _outdoor_run,
}
