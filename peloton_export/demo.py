"""Deterministic synthetic Peloton API bodies, for demos, tests and benchmarks.

Everything here is made up by this module: the people, the instructors (all named
``"<First> Demo"``), the class titles, the ids (32 lowercase hex digits from a seeded RNG) and
the sample values. Nothing is copied from recorded responses; only the *shapes* (key names,
types, units, time mapping and quirks described in ``docs/peloton-api.md``) follow the real
API:

* ``GET /api/workout/{id}?joins=ride,ride.instructor`` -> :attr:`RawWorkout.workout`;
* ``GET /api/workout/{id}/performance_graph?every_n=N`` -> :attr:`RawWorkout.performance_graph`;
* ``GET /api/ride/{ride_id}/details`` (strength classes only) -> :attr:`RawWorkout.ride_details`;
* ``GET /api/me``, ``GET /api/user/{id}/settings`` and list items of
  ``GET /api/user/{id}/workouts`` via :func:`demo_user`, :func:`demo_settings`, :func:`list_item`.

Same arguments give byte-identical JSON: every random draw comes from a
``random.Random`` seeded from the kind and the seed, and no clock is read. The bodies
belong to one made-up person (:func:`demo_user` with seed 0).

Model (kept simple, but physiologically plausible):

* Bike: the rider follows the class's cadence/resistance targets (resistance as knob
  turns, cadence with inertia and noise); power is a function of cadence and resistance,
  speed is derived from power the way the Bike does (a fitted power law, about
  ``2.85 * W**0.38`` mph); heart rate follows effort with a ~25 s lag and has a few
  strap dropouts recorded as ``0``.
* Tread: belt speed and incline move in steps toward the class targets; output comes from
  speed, incline and body mass; pace (min/mi or min/km) is ``null`` while the belt stands.
* Outdoor run: GPS fixes at their own offsets along a made-up loop on the Great Lawn of
  Central Park, New York (a public landmark; no one's home), with accuracy sometimes null.
* Row: discrete strokes; per-second values hold the last stroke; pace from the ergometer
  relation ``W = 2.8 / (s/m)**3``.

The imported-workout kind marks its origin with ``platform: "apple_health"`` and
``device_type: "apple_watch"``. **These two values are a guess**: the API notes only say that
imported workouts exist, have an all-zero ``ride.id``, are listed by creation time (so their
``start_time`` can be older than their neighbours'), may report ``total_calories`` and set
``has_apple_watch_metrics``. Everything else in that kind mirrors those facts.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from peloton_export.raw import JsonObject, RawWorkout

__all__ = [
    "DEFAULT_START",
    "DEMO_KINDS",
    "STANDARD_KINDS",
    "demo_settings",
    "demo_user",
    "demo_workout",
    "demo_workouts",
    "list_item",
]

#: Start of the newest demo workout when no ``start`` is given.
DEFAULT_START = datetime(2026, 1, 31, 7, 0, tzinfo=UTC)
#: ``ride.id`` of freestyle (Just Ride) and imported workouts.
ZERO_ID = "0" * 32

#: The standard demo set, in the order ``peloton-export --demo`` shows it.
STANDARD_KINDS: tuple[str, ...] = (
    "cycling_class",
    "just_ride",
    "tread_run",
    "outdoor_run",
    "row",
    "strength",
    "strength_2023",
    "meditation",
    "paused_ride",
    "metric_ride",
)
#: Every kind: the standard set first, then edge cases for tests.
DEMO_KINDS: tuple[str, ...] = (
    *STANDARD_KINDS,
    "bike_bootcamp",
    "scenic_ended_early",
    "empty",
    "in_progress",
    "imported",
    "yoga",
)
#: The default mix of :func:`demo_workouts` with a count (weights of a typical member).
_MIX: tuple[str, ...] = (
    "cycling_class",
    "cycling_class",
    "cycling_class",
    "just_ride",
    "tread_run",
    "outdoor_run",
    "cycling_class",
    "row",
    "strength",
    "cycling_class",
    "metric_ride",
    "meditation",
    "tread_run",
    "paused_ride",
    "strength_2023",
    "cycling_class",
)

_MI_M = 1609.344
_KM_PER_MI = _MI_M / 1000.0
_FT_PER_M = 1 / 0.3048
_IMG = "https://example.com/peloton-export-demo"
_TIMEZONE = "America/New_York"

Num = float | int
Column = list[Any]


# ----------------------------------------------------------------------------- people


@dataclass(frozen=True, slots=True)
class _Person:
    """The made-up member whose workouts these are."""

    user_id: str
    username: str
    ftp: int
    max_hr: int
    rest_hr: int
    weight_lb: float
    total_workouts: int


def _hex(rng: random.Random) -> str:
    """32 lowercase hex digits, like every Peloton id."""
    return f"{rng.getrandbits(128):032x}"


def _stable_id(name: str) -> str:
    """An id that depends only on ``name`` (instructors, movements)."""
    return _hex(random.Random(f"peloton-export-demo:{name}"))


def _person(seed: int) -> _Person:
    """The made-up member of ``seed`` (deterministic)."""
    rng = random.Random(f"demo-user:{seed}")
    return _Person(
        user_id=_hex(rng),
        username=f"DemoRider{rng.randint(100, 999)}",
        ftp=rng.randint(160, 260),
        max_hr=rng.randint(178, 194),
        rest_hr=rng.randint(52, 64),
        weight_lb=float(rng.randint(130, 200)),
        total_workouts=rng.randint(300, 1500),
    )


def _zone_bounds(max_hr: int) -> list[float]:
    """Peloton's default zone lower bounds: 0, 65, 75, 85 and 95 % of max HR."""
    return [0.0] + [round(max_hr * p, 1) for p in (0.65, 0.75, 0.85, 0.95)]


def demo_user(seed: int = 0) -> dict[str, Any]:
    """A ``GET /api/me`` body for a made-up member (no real PII: no email, name or birthday)."""
    p = _person(seed)
    return {
        "id": p.user_id,
        "username": p.username,
        "image_url": f"{_IMG}/users/default.png",
        "location": "Demo City",
        "is_private": True,
        "is_profile_private": True,
        "total_workouts": p.total_workouts,
        "total_pedaling_metric_workouts": p.total_workouts // 2,
        "total_non_pedaling_metric_workouts": p.total_workouts - p.total_workouts // 2,
        "cycling_ftp": p.ftp,
        "cycling_ftp_source": "ftp_workout_source",
        "cycling_workout_ftp": p.ftp,
        "cycling_ftp_workout_id": _hex(random.Random(f"demo-ftp-test:{seed}")),
        "estimated_cycling_ftp": p.ftp - 4,
        "default_max_heart_rate": p.max_hr,
        "customized_max_heart_rate": None,
        "default_heart_rate_zones": _zone_bounds(p.max_hr),
        "customized_heart_rate_zones": [],
        "weight": p.weight_lb,
        "height": 68.0,
        "created_at": 1_600_000_000 + seed % 1000 * 86_400,
    }


def demo_settings(units: str = "imperial") -> dict[str, Any]:
    """A ``GET /api/user/{id}/settings`` body with the given ``distance_unit``."""
    units = _check_units(units)
    metric = units == "metric"
    return {
        "distance_unit": units,
        "weight_unit": "metric" if metric else "imperial",
        "height_unit": "metric" if metric else "imperial",
        "workout_maps_private": True,
        "content_preferences": [],
        "is_strava_auto_share_enabled": False,
        "is_fitbit_auto_share_enabled": False,
    }


def _check_units(units: str) -> str:
    """``units`` if it is ``imperial`` or ``metric``, else ``ValueError``."""
    if units not in ("imperial", "metric"):
        raise ValueError(f"units must be 'imperial' or 'metric', not {units!r}")
    return units


# ----------------------------------------------------------------------------- instructors


_INSTRUCTORS: tuple[str, ...] = ("Avery", "Jordan", "Riley", "Casey", "Morgan", "Quinn", "Rowan", "Skyler")
_INSTRUCTOR_DISCIPLINES = ("cycling", "running", "caesar", "strength", "yoga", "meditation")


def _instructor(first: str) -> JsonObject:
    """A full ``ride.instructor`` object for the made-up instructor ``<first> Demo``."""
    iid = _stable_id(f"instructor:{first}")
    img = f"{_IMG}/instructors/{first.lower()}"
    return {
        "id": iid,
        "bio": f"{first} Demo is a fictional instructor made up for peloton-export demos.",
        "short_bio": "Fictional demo instructor.",
        "coach_type": "peloton_coach",
        "is_filterable": True,
        "is_instructor_group": False,
        "is_visible": True,
        "is_announced": True,
        "list_order": _INSTRUCTORS.index(first) + 1,
        "featured_profile": False,
        "film_link": "",
        "facebook_fan_page": "",
        "music_bio": "",
        "spotify_playlist_uri": "",
        "background": "",
        "ordered_q_and_as": [],
        "instagram_profile": "",
        "strava_profile": "",
        "twitter_profile": "",
        "quote": "Demo data, real effort.",
        "username": f"{first.lower()}demo",
        "name": f"{first} Demo",
        "first_name": first,
        "last_name": "Demo",
        "user_id": _stable_id(f"instructor-user:{first}"),
        "life_style_image_url": f"{img}/lifestyle.png",
        "bike_instructor_list_display_image_url": f"{img}/bike.png",
        "web_instructor_list_display_image_url": f"{img}/web.png",
        "ios_instructor_list_display_image_url": f"{img}/ios.png",
        "about_image_url": f"{img}/about.png",
        "image_url": f"{img}/profile.png",
        "jumbotron_url": f"{img}/jumbotron.png",
        "jumbotron_url_dark": f"{img}/jumbotron-dark.png",
        "jumbotron_url_ios": f"{img}/jumbotron-ios.png",
        "web_instructor_list_gif_image_url": None,
        "instructor_hero_image_url": f"{img}/hero.png",
        "workout_share_images": [],
        "fitness_disciplines": list(_INSTRUCTOR_DISCIPLINES),
    }


# ----------------------------------------------------------------------------- context


@dataclass(slots=True)
class _Ctx:
    """Everything one workout's generation needs."""

    kind: str
    rng: random.Random
    start: int
    duration_s: int | None
    every_n: int
    units: str
    person: _Person

    def hex(self) -> str:
        """A fresh 32-hex-digit id."""
        return _hex(self.rng)

    def minutes(self, *choices: int) -> int:
        """The class length in seconds: ``duration_s`` if given, else one of ``choices`` min."""
        if self.duration_s is not None:
            return self.duration_s
        return self.rng.choice(choices) * 60


@dataclass(slots=True)
class _Seg:
    """One class segment (``segment_list`` item), in active seconds."""

    name: str
    icon: str
    start: int
    length: int
    mets: float
    metrics_type: str
    is_drill: bool = False


@dataclass(slots=True)
class _Block:
    """One target block: what the class asks for during ``[start, start + length)``."""

    start: int
    length: int
    lo: tuple[float, float]
    hi: tuple[float, float]
    segment_type: str


@dataclass(slots=True)
class _Samples:
    """Per-second columns (1 Hz), before gaps and ``every_n`` are applied."""

    n: int
    cols: dict[str, Column] = field(default_factory=dict)


def _tz_offset(epoch: int) -> int:
    """Seconds east of UTC of the demo timezone at ``epoch``."""
    try:
        zone: Any = ZoneInfo(_TIMEZONE)
    except ZoneInfoNotFoundError:  # pragma: no cover - minimal systems without tzdata
        return -5 * 3600
    delta = datetime.fromtimestamp(epoch, zone).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


# ----------------------------------------------------------------------------- class plans


def _segments(
    duration: int, main: tuple[str, str], metrics_type: str, *, warm: str = "Warm Up", rng: random.Random
) -> list[_Seg]:
    """Warm Up / main / Cool Down, sized like real classes."""
    w = min(max(round(duration * 0.12 / 10) * 10, 60), 480) if duration >= 300 else 0
    c = min(max(round(duration * 0.08 / 10) * 10, 60), 300) if duration >= 600 else 0
    w += rng.choice((-10, 0, 0, 10)) if w else 0
    segs = []
    if w:
        segs.append(_Seg(warm, "warmup", 0, w, 3.5, metrics_type))
    segs.append(
        _Seg(main[0], main[1], w, duration - w - c, 6.0 if metrics_type != "floor" else 4.0, metrics_type)
    )
    if c:
        segs.append(_Seg("Cool Down", "cooldown", duration - c, c, 3.5, metrics_type))
    return segs


def _segment_json(ctx: _Ctx, seg: _Seg) -> JsonObject:
    """A ``segment_list`` item."""
    return {
        "id": ctx.hex(),
        "length": seg.length,
        "start_time_offset": seg.start,
        "icon_url": f"{_IMG}/segment-icons/{seg.icon}.png",
        "intensity_in_mets": seg.mets,
        "metrics_type": seg.metrics_type,
        "icon_name": seg.icon,
        "icon_slug": seg.icon,
        "name": seg.name,
        "is_drill": seg.is_drill,
    }


# (name, cadence range, resistance range, min length, max length)
_BIKE_MOVES: tuple[tuple[str, tuple[int, int], tuple[int, int], int, int], ...] = (
    ("flat", (80, 90), (30, 40), 60, 180),
    ("climb", (60, 75), (45, 60), 60, 180),
    ("sprint", (100, 110), (38, 48), 20, 45),
    ("recovery", (80, 90), (25, 35), 30, 60),
    ("tempo", (90, 100), (35, 45), 60, 150),
)


def _bike_blocks(rng: random.Random, segs: list[_Seg]) -> list[_Block]:
    """Cadence/resistance targets for every second of a bike class."""
    blocks: list[_Block] = []
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
            blocks.append(_Block(t, length, (cad[0], res[0] + shift), (cad[1], res[1] + shift), "cycling"))
            t += length
    return blocks


def _target_metrics(
    blocks: list[_Block], names: tuple[str, str], pso: int, scale: float = 1.0, digits: int = 0
) -> list[JsonObject]:
    """``target_metrics_performance_data.target_metrics``: class-video time, inclusive ends."""
    out: list[JsonObject] = []
    for i, b in enumerate(blocks):
        metrics = [
            {
                "name": names[k],
                "upper": _r(b.hi[k] * (scale if k == 0 else 1.0), digits),
                "lower": _r(b.lo[k] * (scale if k == 0 else 1.0), digits),
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


def _r(value: float, digits: int) -> Num:
    """Round like the API: ints for 0 digits, floats otherwise."""
    return round(value) if digits == 0 else round(value, digits)


# ----------------------------------------------------------------------------- physiology


def _bike_power(cadence: float, resistance: float, k: float) -> float:
    """Watts from cadence (rpm) and resistance (%), scaled by the rider."""
    return cadence * (0.25 + 6.0 * math.pow(resistance / 100.0, 1.8)) * k


def _bike_speed_mph(watts: float) -> float:
    """The Bike's virtual speed for a power (fitted power law)."""
    return 2.85 * math.pow(watts, 0.38) if watts > 0 else 0.0


def _noise(rng: random.Random, n: int, sigma: float) -> list[float]:
    """``n`` cheap, roughly normal draws (sum of four uniforms) with deviation ``sigma``."""
    r = rng.random
    k = sigma * math.sqrt(3.0)
    return [(r() + r() + r() + r() - 2.0) * k for _ in range(n)]


def _heart_rate(
    rng: random.Random, person: _Person, effort: Sequence[float], *, dropouts: int = 2, tau: float = 25.0
) -> list[int]:
    """HR (bpm) following ``effort`` (0..1 per second) with lag, noise and 0-dropouts."""
    rest, span = person.rest_hr + 20, person.max_hr - person.rest_hr - 20
    hr = float(person.rest_hr + 25)
    alpha = 1.0 / tau
    out: list[int] = []
    append = out.append
    for e, z in zip(effort, _noise(rng, len(effort), 0.5), strict=True):
        target = rest + span * (0.0 if e < 0.0 else 1.0 if e > 1.0 else e)
        hr += (target - hr) * alpha + z
        append(int(hr + 0.5))
    n = len(out)
    for _ in range(dropouts if n > 120 else 0):
        at = rng.randint(30, n - 30)
        for i in range(at, min(at + rng.randint(3, 15), n)):
            out[i] = 0
    return out


#: Resistance factor of :func:`_bike_power` for every whole percent.
_RES_FACTOR = tuple(_bike_power(1.0, r, 1.0) for r in range(101))


def _bike_samples(
    ctx: _Ctx, blocks: list[_Block], n: int, *, hr: bool, floor: Sequence[bool] | None = None
) -> _Samples:
    """1 Hz bike columns (output, cadence, resistance, speed, HR) following ``blocks``."""
    rng = ctx.rng
    k = ctx.person.ftp / 200.0 * rng.uniform(1.0, 1.2)
    speed_k = 2.85 * (1.0 if ctx.units == "imperial" else _KM_PER_MI)
    effort_k = 1.0 / (ctx.person.ftp * 1.15)
    noise = _noise(rng, n, 1.2)
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
    samples = _Samples(n=n)
    samples.cols = {"output": out_c, "cadence": cad_c, "resistance": res_c, "speed": spd_c}
    if hr:
        samples.cols["heart_rate"] = _heart_rate(rng, ctx.person, effort)
    return samples


# ----------------------------------------------------------------------------- graph assembly


def _keep_indices(rng: random.Random, n: int, gaps: int) -> list[int] | None:
    """Indices of the 1 Hz samples Peloton kept (a few single seconds go missing)."""
    if gaps <= 0 or n < 60:
        return None
    drop = {rng.randint(5, n - 5) for _ in range(gaps)}
    return [i for i in range(n) if i not in drop]


def _picks(n: int, every_n: int) -> list[int]:
    """Indices reported with ``every_n``: every Nth sample plus the last one."""
    picks = list(range(0, n, every_n))
    if n and picks[-1] != n - 1:
        picks.append(n - 1)
    return picks


def _sample_down(values: Column, picks: list[int], every_n: int, digits: int, zero_missing: bool) -> Column:
    """``every_n`` values: the mean of each window (``None`` when it has no value)."""
    if every_n == 1:
        return values
    out: Column = []
    for p in picks:
        window = [v for v in values[p : p + every_n] if v is not None and not (zero_missing and v == 0)]
        if not window:
            out.append(None if not zero_missing else 0)
        else:
            out.append(_r(sum(window) / len(window), digits))
    return out


_DIGITS = {
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
class _Graph:
    """The kept (1 Hz) and reported (``every_n``) view of one workout's samples."""

    offsets: list[int]
    full: dict[str, Column]
    shown_offsets: list[int]
    shown: dict[str, Column]
    picks: list[int]


def _graph_view(ctx: _Ctx, samples: _Samples, *, first: int, gaps: int) -> _Graph:
    """Apply missing seconds and ``every_n`` to 1 Hz samples whose first offset is ``first``."""
    keep = _keep_indices(ctx.rng, samples.n, gaps)
    if keep is None:
        offsets = list(range(first, first + samples.n))
        full = samples.cols
    else:
        offsets = [first + i for i in keep]
        full = {k: [v[i] for i in keep] for k, v in samples.cols.items()}
    picks = _picks(len(offsets), ctx.every_n)
    shown_offsets = offsets if ctx.every_n == 1 else [offsets[p] for p in picks]
    shown = {
        k: _sample_down(v, picks, ctx.every_n, _DIGITS.get(k, 2), k == "heart_rate") for k, v in full.items()
    }
    return _Graph(offsets, full, shown_offsets, shown, picks)


def _stats(
    values: Column, *, zero_missing: bool = False, low_is_max: bool = False, digits: int = 0
) -> tuple[Num | None, Num | None]:
    """(max_value, average_value) like the API (pace: the *fastest*, i.e. lowest, is max)."""
    nums = [v for v in values if v is not None and not (zero_missing and v == 0)]
    if not nums:
        return None, None
    best = min(nums) if low_is_max else max(nums)
    return _r(best, digits), _r(sum(nums) / len(nums), digits)


def _metric(
    slug: str, name: str, unit: str, g: _Graph, col: str | None = None, *, extra: JsonObject | None = None
) -> JsonObject:
    """A ``metrics[]`` item; stats come from the full 1 Hz data."""
    col = col or slug
    hr = slug == "heart_rate"
    mx, avg = _stats(
        g.full[col], zero_missing=hr, low_is_max=slug in ("pace", "split_pace"), digits=_DIGITS.get(col, 2)
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


def _summary(slug: str, name: str, unit: str | None, value: Num | None) -> JsonObject:
    """A ``summaries[]`` / ``average_summaries[]`` item."""
    return {"display_name": name, "display_unit": unit, "value": value, "slug": slug}


def _hr_extras(ctx: _Ctx, g: _Graph) -> tuple[JsonObject, dict[str, int]]:
    """``zones`` and ``missing_data_duration`` for the HR metric, and the zone durations."""
    max_hr = ctx.person.max_hr
    bounds = [int(b) for b in _zone_bounds(max_hr)]
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


def _effort_zones(durations: dict[str, int] | None) -> JsonObject | None:
    """``effort_zones``: effort points weighted by HR zone, and the zone durations."""
    if durations is None:
        return None
    weights = (0.3, 0.6, 1.2, 2.0, 3.0)
    points = sum(w * d / 60 for w, d in zip(weights, durations.values(), strict=True))
    return {"total_effort_points": round(points, 1), "heart_rate_zone_durations": dict(durations)}


def _integrate(values: Column, offsets: list[int], per_hour: float = 1.0) -> list[float]:
    """Cumulative ``sum(v * dt) / 3600 * per_hour`` at every sample (distance from speed)."""
    out: list[float] = []
    total, prev = 0.0, None
    for off, v in zip(offsets, values, strict=True):
        if prev is not None and v is not None:
            total += v * (off - prev) / 3600.0 * per_hour
        out.append(total)
        prev = off
    return out


def _splits(
    cum: list[float], offsets: list[int], unit: str, *, elevation: list[float] | None = None
) -> tuple[JsonObject, JsonObject]:
    """``splits_data`` and ``splits_metrics`` per whole distance unit, plus the remainder."""
    rows: list[tuple[float, int, float | None]] = []
    marker, last_t, last_e = 1, offsets[0] if offsets else 0, elevation[0] if elevation else 0.0
    for i, d in enumerate(cum):
        if d >= marker:
            e = elevation[i] - last_e if elevation else None
            rows.append((float(marker), offsets[i] - last_t, e))
            last_t, last_e = offsets[i], elevation[i] if elevation else 0.0
            marker += 1
    if cum and cum[-1] - (marker - 1) >= 0.01:
        e = elevation[-1] - last_e if elevation else None
        rows.append((round(cum[-1] - (marker - 1), 2), offsets[-1] - last_t, e))
    whole = [r for r in rows if r[0] == int(r[0])]
    best = min(range(len(whole)), key=lambda i: whole[i][1]) if whole else -1
    splits = [
        {
            "distance_marker": int(m) if m == int(m) else m,
            "order": i + 1,
            "seconds": s,
            "elevation_change": None if e is None else round(e),
            "has_floor_segment": False,
            "is_best": i == best,
        }
        for i, (m, s, e) in enumerate(rows)
    ]
    elevation_unit = "ft" if unit == "mi" else "m"
    data = {
        "distance_marker_display_unit": unit,
        "elevation_change_display_unit": elevation_unit,
        "splits": splits,
    }
    elapsed = 0
    metrics = []
    for i, (m, s, e) in enumerate(rows):
        elapsed += s
        metrics.append(
            {
                "is_best": i == best,
                "has_floor_segment": False,
                "data": [
                    {"slug": unit, "value": int(m) if m == int(m) else m, "unit": unit},
                    {"slug": "total_time", "value": round(elapsed / 60, 2), "unit": "min"},
                    {"slug": "pace", "value": round(s / 60 / m, 2) if m else None, "unit": f"min/{unit}"},
                    {
                        "slug": "elevation",
                        "value": None if e is None else round(e),
                        "unit": data["elevation_change_display_unit"],
                    },
                ],
            }
        )
    header = [
        {"slug": unit, "display_name": unit},
        {"slug": "total_time", "display_name": "Total Time"},
        {"slug": "pace", "display_name": "Pace"},
        {"slug": "elevation", "display_name": "Elevation"},
    ]
    return data, {"header": header, "metrics": metrics}


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


def _muscle_scores(rng: random.Random, focus: tuple[str, ...]) -> list[JsonObject]:
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


def _base_graph(duration: int, segs: list[JsonObject], g: _Graph | None) -> JsonObject:
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


# ----------------------------------------------------------------------------- workout body


_DISCIPLINE_NAMES = {
    "cycling": "Cycling",
    "running": "Running",
    "walking": "Walking",
    "caesar": "Rowing",
    "strength": "Strength",
    "meditation": "Meditation",
    "yoga": "Yoga",
    "bike_bootcamp": "Bike Bootcamp",
}
_DEVICES = {  # device_type -> (platform, device_type_display_name)
    "home_bike_v1": ("home_bike", "Bike"),
    "home_tread": ("home_tread", "Tread"),
    "caesar": ("caesar", "Row"),
    "iPhone": ("iOS_app", "App"),
    "android": ("android", "App"),
    "apple_watch": ("apple_health", "App"),
}


def _ride(
    ctx: _Ctx,
    *,
    title: str,
    discipline: str,
    duration: int,
    pso: int,
    instructor: str | None,
    metrics: list[str],
    content_provider: str = "peloton",
    pedaling: bool = False,
) -> JsonObject:
    """A full class (``ride``) object with its instructor joined."""
    rid = ctx.hex()
    aired = ctx.start - ctx.rng.randint(30, 900) * 86_400
    aired -= aired % 3600
    iid = _stable_id(f"instructor:{instructor}") if instructor else None
    class_type = _stable_id(f"class-type:{discipline}")
    length = pso + duration + (ctx.rng.randint(60, 150) if pso >= 60 else pso)
    return {
        "content_availability": "digital_and_above",
        "content_availability_level": "digital_and_above",
        "free_for_limited_time": False,
        "is_limited_ride": False,
        "availability": {"is_available": True, "reason": None},
        "class_type_ids": [class_type],
        "content_provider": content_provider,
        "content_format": "video" if discipline not in ("meditation",) and pso >= 60 else "audio",
        "description": f"A made-up {_DISCIPLINE_NAMES.get(discipline, discipline).lower()} class "
        "for peloton-export demos.",
        "difficulty_estimate": round(ctx.rng.uniform(5.0, 8.5), 4),
        "overall_estimate": round(ctx.rng.uniform(0.97, 0.999), 4),
        "difficulty_rating_avg": round(ctx.rng.uniform(5.0, 8.5), 4),
        "difficulty_rating_count": ctx.rng.randint(100, 5000),
        "difficulty_level": None,
        "duration": duration,
        "equipment_ids": [],
        "equipment_tags": [],
        "explicit_rating": 0,
        "extra_images": [],
        "fitness_discipline": discipline,
        "fitness_discipline_display_name": _DISCIPLINE_NAMES.get(discipline, discipline.title()),
        "has_closed_captions": True,
        "has_pedaling_metrics": pedaling,
        "home_peloton_id": ctx.hex(),
        "id": rid,
        "image_url": f"{_IMG}/classes/{rid}.jpg",
        "instructor_id": iid,
        "individual_instructor_ids": [],
        "is_archived": True,
        "is_closed_caption_shown": True,
        "is_explicit": False,
        "has_free_mode": False,
        "is_live_in_studio_only": False,
        "language": "english",
        "origin_locale": "en-US",
        "length": length,
        "live_stream_id": f"{rid}-live",
        "live_stream_url": None,
        "location": "demo-studio-1",
        "metrics": metrics,
        "original_air_time": aired,
        "overall_rating_avg": round(ctx.rng.uniform(0.97, 0.999), 4),
        "overall_rating_count": ctx.rng.randint(100, 5000),
        "pedaling_start_offset": pso,
        "pedaling_end_offset": pso + duration,
        "pedaling_duration": duration,
        "rating": 0,
        "ride_type_id": class_type,
        "ride_type_ids": [class_type],
        "sample_vod_stream_url": None,
        "sample_preview_stream_url": None,
        "scheduled_start_time": aired + 300,
        "series_id": ctx.hex(),
        "sold_out": False,
        "studio_peloton_id": ctx.hex(),
        "title": title,
        "total_ratings": ctx.rng.randint(500, 20000),
        "total_in_progress_workouts": 0,
        "total_workouts": ctx.rng.randint(1000, 60000),
        "vod_stream_url": None,
        "vod_stream_id": f"{rid}-vod",
        "captions": ["en-US"],
        "user_caption_locales": [],
        "join_tokens": {"on_demand": "ZGVtbw=="},
        "flags": [],
        "is_dynamic_video_eligible": False,
        "is_fixed_distance": False,
        "dynamic_video_recorded_speed_in_mph": 0,
        "thumbnail_title": None,
        "thumbnail_location": None,
        "distance": None,
        "distance_unit": None,
        "distance_display_value": None,
        "is_outdoor": False,
        "has_tread_pace_target": False,
        "excluded_platforms": [],
        "class_avg_follow_along_score": 0,
        "muscle_group_score": [],
        "instructor": _instructor(instructor) if instructor else None,
    }


def _pseudo_ride(ctx: _Ctx, title: str, duration: int, name: str | None, image: str) -> JsonObject:
    """The minimal ride of freestyle and imported workouts (all-zero id)."""
    ride: JsonObject = {
        "id": ZERO_ID,
        "is_archived": False,
        "title": title,
        "scheduled_start_time": ctx.start,
        "duration": duration,
    }
    ride["instructor"] = {"name": name, "image_url": f"{_IMG}/{image}.png"} if name else None
    return ride


def _workout(
    ctx: _Ctx,
    *,
    discipline: str,
    device: str,
    ride: JsonObject,
    end: int | None,
    total_work: float,
    metrics_type: str | None,
    workout_type: str = "class",
    pedaling: bool = False,
    outdoor: bool = False,
    hr_zones: dict[str, int] | None = None,
    pause: int | None = None,
    intro: int = 60,
    status: str = "COMPLETE",
) -> JsonObject:
    """The workout detail body (``joins=ride,ride.instructor``)."""
    platform, device_name = _DEVICES[device]
    created = ctx.start - intro - ctx.rng.randint(0, 5)
    wid = ctx.hex()
    effort = _effort_zones(hr_zones)
    ftp = ctx.person.ftp if discipline in ("cycling", "bike_bootcamp") else 0
    ranked = workout_type == "class" and pedaling
    return {
        "created_at": created,
        "device_type": device,
        "end_time": end,
        "fitness_discipline": discipline,
        "has_pedaling_metrics": pedaling,
        "has_leaderboard_metrics": workout_type == "class" and device not in ("iPhone", "android"),
        "id": wid,
        "is_total_work_personal_record": False,
        "is_outdoor": outdoor,
        "metrics_type": metrics_type,
        "name": f"{_DISCIPLINE_NAMES.get(discipline, discipline.title())} Workout",
        "peloton_id": ctx.hex(),
        "platform": platform,
        "start_time": ctx.start,
        "status": status,
        "timezone": _TIMEZONE,
        "title": None,
        "total_work": round(total_work, 2),
        "user_id": ctx.person.user_id,
        "workout_type": workout_type,
        "total_video_watch_time_seconds": 0,
        "total_video_buffering_seconds": 0,
        "v2_total_video_watch_time_seconds": (end - created) if end is not None else None,
        "v2_total_video_buffering_seconds": ctx.rng.randint(0, 2),
        "total_music_audio_play_seconds": None,
        "total_music_audio_buffer_seconds": None,
        "service_id": None,
        "created": created,
        "device_time_created_at": created + _tz_offset(created),
        "strava_id": None,
        "fitbit_id": None,
        "is_skip_intro_available": intro >= 60,
        "pause_time_remaining": None,
        "pause_time_elapsed": pause,
        "is_paused": False,
        "has_paused": bool(pause),
        "is_pause_available": True,
        "pause_time_limit": 60 if workout_type == "class" else None,
        "ride": ride,
        "total_heart_rate_zone_durations": dict(hr_zones) if hr_zones else None,
        "average_effort_score": round(effort["total_effort_points"]) if effort else None,
        "achievement_templates": [],
        "leaderboard_rank": ctx.rng.randint(100, 9000) if ranked else None,
        "total_leaderboard_users": ctx.rng.randint(9000, 30000) if ranked else 0,
        "ftp_info": {"ftp": ftp, "ftp_source": "ftp_workout_source" if ftp else None, "ftp_workout_id": None},
        "device_type_display_name": device_name,
    }


def _raw(workout: JsonObject, graph: JsonObject | None, details: JsonObject | None = None) -> RawWorkout:
    """Wrap the bodies as a demo :class:`RawWorkout`."""
    return RawWorkout(
        workout_id=workout["id"],
        workout=workout,
        performance_graph=graph,
        ride_details=details,
        source="demo",
    )


# ----------------------------------------------------------------------------- bike kinds


_RIDE_THEMES = ("Demo Hits", "Demo Climb", "Demo Intervals", "Demo Endurance", "Demo Tempo", "Demo Groove")
_BIKE_METRICS_CLASS = ["heart_rate", "cadence", "calories"]


def _bike_graph(
    ctx: _Ctx,
    *,
    duration: int,
    blocks: list[_Block],
    segs: list[_Seg],
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
    g = _graph_view(ctx, samples, first=first, gaps=gaps)
    metric = ctx.units == "metric"
    speed_unit, dist_unit = ("kph", "km") if metric else ("mph", "mi")
    graph = _base_graph(duration, [_segment_json(ctx, s) for s in segs], g)
    work = sum(w for w in g.full["output"] if w is not None) * 1.0
    metrics = [
        _metric("output", "Output", "watts", g),
        _metric("cadence", "Cadence", "rpm", g),
        _metric("resistance", "Resistance", "%", g),
        _metric("speed", "Speed", speed_unit, g),
    ]
    zones = None
    if hr:
        extra, zones = _hr_extras(ctx, g)
        metrics.append(_metric("heart_rate", "Heart Rate", "bpm", g, extra=extra))
    graph["metrics"] = metrics
    cum = _integrate(g.full["speed"], g.offsets)
    kj = work / 1000.0
    minutes = (g.offsets[-1] - g.offsets[0]) / 60.0 if g.offsets else 0.0
    graph["summaries"] = [
        _summary("total_output", "Total Output", "kj", round(kj)),
        _summary("distance", "Distance", dist_unit, round(cum[-1], 2) if cum else 0.0),
        _summary("calories", "Calories", "kcal", round(kj * 1.09 + minutes * 1.2)),
    ]
    graph["average_summaries"] = [
        _summary(f"avg_{m['slug']}", f"Avg {m['display_name']}", m["display_unit"], m["average_value"])
        for m in metrics[:4]
    ]
    graph["splits_data"], graph["splits_metrics"] = _splits(cum, g.offsets, dist_unit)
    if targets:
        tm = _target_metrics(blocks, ("cadence", "resistance"), pso)
        tpm = graph["target_performance_metrics"] = _target_graph(blocks, g)
        graph["target_metrics_compliance"] = {}
        graph["target_metrics_performance_data"] = {
            "target_metrics": tm,
            "time_in_metric": [
                {"name": name, "value": tpm[f"{name}_time_in_range"]} for name in ("resistance", "cadence")
            ],
        }
    graph["effort_zones"] = _effort_zones(zones)
    graph["muscle_group_score"] = _muscle_scores(ctx.rng, ("quads", "glutes", "hamstrings"))
    graph["summary_available"] = True
    graph["performance_graph_available"] = True
    return graph, work, zones


def _block_index(blocks: list[_Block], n: int) -> list[int]:
    """The index of the block in force at every active second ``0..n-1``."""
    idx: list[int] = []
    for bi in range(len(blocks)):
        end = n if bi + 1 == len(blocks) else blocks[bi + 1].start
        idx.extend([bi] * max(0, min(end, n) - len(idx)))
    idx.extend([len(blocks) - 1] * (n - len(idx)))
    return idx


def _target_graph(blocks: list[_Block], g: _Graph) -> JsonObject:
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
    ctx: _Ctx, *, minutes: tuple[int, ...], pause: int | None = None, in_progress: bool = False
) -> RawWorkout:
    """An instructor-led bike class with HR, targets and splits.

    ``in_progress``: the member is still riding (40 % done): ``IN_PROGRESS``, no ``end_time``.
    """
    duration = ctx.minutes(*minutes)
    active = duration * 2 // 5 if in_progress else duration
    pso = 60
    segs = _segments(duration, ("Cycling", "cycling"), "cycling", rng=ctx.rng)
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
    ride = _ride(
        ctx,
        title=title,
        discipline="cycling",
        duration=duration,
        pso=pso,
        instructor=ctx.rng.choice(_INSTRUCTORS),
        metrics=list(_BIKE_METRICS_CLASS),
        pedaling=True,
    )
    ride["muscle_group_score"] = graph["muscle_group_score"]
    end = None if in_progress else ctx.start + active + (pause or 0)
    workout = _workout(
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
    return _raw(workout, graph)


def _cycling_class(ctx: _Ctx) -> RawWorkout:
    """A 45 or 30 min bike class."""
    return _bike_class(ctx, minutes=(45, 30))


def _paused_ride(ctx: _Ctx) -> RawWorkout:
    """A class paused for 120 s: ``end - start = active + pause``; offsets do not skip it."""
    return _bike_class(ctx, minutes=(20, 30), pause=120)


def _metric_ride(ctx: _Ctx) -> RawWorkout:
    """A bike class by a metric user: speed in kph, distance in km."""
    return _bike_class(ctx, minutes=(30, 20))


def _just_ride(ctx: _Ctx) -> RawWorkout:
    """A freestyle ride: zero ride id, ``JUST RIDE`` instructor, offsets from 0, no HR."""
    active = ctx.duration_s if ctx.duration_s is not None else ctx.rng.randint(15 * 60, 40 * 60)
    segs: list[_Seg] = []
    rng = ctx.rng
    blocks, t = [], 0
    while t < active:
        _, cad, res, _, _ = rng.choice((*_BIKE_MOVES[:2], *_BIKE_MOVES[3:]))
        length = min(rng.randint(120, 420), active - t)
        blocks.append(_Block(t, length, (cad[0], res[0]), (cad[1], res[1]), "cycling"))
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
    ride = _pseudo_ride(ctx, f"{round(active / 60)} min Just Ride", active, "JUST RIDE", "just-ride")
    workout = _workout(
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
    return _raw(workout, graph)


def _bike_bootcamp(ctx: _Ctx) -> RawWorkout:
    """Bike bootcamp: bike and floor segments; bike metrics are ``null`` off the bike."""
    duration = ctx.minutes(30, 45)
    rng = ctx.rng
    segs: list[_Seg] = [_Seg("Warm Up", "warmup", 0, 300, 3.5, "cycling")]
    t, on_bike = 300, False
    while t < duration - 180:
        length = min(rng.choice((300, 420, 480)), duration - 180 - t)
        segs.append(
            _Seg("Cycling", "cycling", t, length, 6.0, "cycling")
            if on_bike
            else _Seg("Strength", "strength", t, length, 4.5, "floor")
        )
        t += length
        on_bike = not on_bike
    segs.append(_Seg("Cool Down", "cooldown", t, duration - t, 2.5, "floor"))
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
    ride = _ride(
        ctx,
        title=f"{duration // 60} min Demo Bootcamp",
        discipline="bike_bootcamp",
        duration=duration,
        pso=60,
        instructor=rng.choice(_INSTRUCTORS),
        metrics=list(_BIKE_METRICS_CLASS),
        pedaling=True,
    )
    workout = _workout(
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
    return _raw(workout, graph)


def _scenic_ended_early(ctx: _Ctx) -> RawWorkout:
    """A scenic ride left early: graph ``duration`` is the plan, offsets stop near 400 s."""
    duration = ctx.duration_s if ctx.duration_s is not None else 1200
    active = min(duration, max(60, duration // 3 + ctx.rng.randint(-20, 20)))
    seg = _Seg("Scenic", "scenic", 0, duration, 5.0, "cycling")
    blocks = [_Block(0, duration, (78, 30), (90, 40), "cycling")]
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
    ride = _ride(
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
    workout = _workout(
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
    return _raw(workout, graph)


def _empty(ctx: _Ctx) -> RawWorkout:
    """A COMPLETE workout with nothing in it (end == start, empty arrays, null summaries)."""
    duration = ctx.minutes(30, 20)
    ride = _ride(
        ctx,
        title=f"{duration // 60} min {ctx.rng.choice(_RIDE_THEMES)} Ride",
        discipline="cycling",
        duration=duration,
        pso=60,
        instructor=ctx.rng.choice(_INSTRUCTORS),
        metrics=list(_BIKE_METRICS_CLASS),
        pedaling=True,
    )
    workout = _workout(
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
    graph = _base_graph(duration, [], None)
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
    graph["average_summaries"] = [_summary(f"avg_{s}", f"Avg {n}", u, None) for s, n, u in slugs]
    graph["summaries"] = [
        _summary("total_output", "Total Output", "kj", None),
        _summary("distance", "Distance", "mi", None),
        _summary("calories", "Calories", "kcal", None),
    ]
    graph["splits_data"], graph["splits_metrics"] = _splits([], [], "mi")
    graph["muscle_group_score"] = []
    graph["summary_available"] = True
    graph["performance_graph_available"] = True
    return _raw(workout, graph)


def _in_progress(ctx: _Ctx) -> RawWorkout:
    """A class still being ridden: ``IN_PROGRESS``, no ``end_time``, the samples so far."""
    return _bike_class(ctx, minutes=(45, 30), in_progress=True)


# ----------------------------------------------------------------------------- running


# (name, speed range mph, incline range %)
_TREAD_MOVES: tuple[tuple[str, tuple[float, float], tuple[float, float]], ...] = (
    ("jog", (5.0, 6.0), (0.0, 1.0)),
    ("run", (6.0, 7.0), (0.5, 1.5)),
    ("push", (7.0, 8.5), (0.0, 1.0)),
    ("hill", (4.5, 5.5), (3.0, 6.0)),
    ("recover", (3.5, 4.5), (0.0, 1.0)),
)


def _tread_blocks(rng: random.Random, segs: list[_Seg]) -> list[_Block]:
    """Speed/incline targets (mph, %) for every second of a run."""
    blocks: list[_Block] = []
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
            blocks.append(_Block(t, length, (speed[0], inc[0]), (speed[1], inc[1]), "running"))
            t += length
    return blocks


def _run_samples(
    ctx: _Ctx, blocks: list[_Block], n: int, *, stepped: bool, stops: Sequence[tuple[int, int]] = ()
) -> tuple[list[float], list[float], list[float]]:
    """(speed mph, incline %, effort) per second. ``stepped``: a tread's 0.1 mph / 0.5 % knobs."""
    rng = ctx.rng
    noise = _noise(rng, n, 0.15)  # drawn for the tread too, so the RNG sequence stays stable
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


def _run_columns(
    ctx: _Ctx,
    speeds_mph: list[float],
    inclines: list[float],
    effort: list[float],
    *,
    output: bool,
    incline: bool,
) -> _Samples:
    """Graph columns for a run: speed/pace in the user's unit, output, incline, HR."""
    k = 1.0 if ctx.units == "imperial" else _KM_PER_MI
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
    cols["heart_rate"] = _heart_rate(ctx.rng, ctx.person, effort)
    return _Samples(n=len(speeds_mph), cols=cols)


def _pace_metric(ctx: _Ctx, g: _Graph) -> JsonObject:
    """The ``pace`` metric with its ``speed`` alternative, in the user's units."""
    speed_unit, dist_unit = ("mph", "mi") if ctx.units == "imperial" else ("kph", "km")
    alt = _metric("speed", "Speed", speed_unit, g)
    return _metric("pace", "Pace", f"min/{dist_unit}", g, extra={"alternatives": [alt]})


def _tread_run(ctx: _Ctx) -> RawWorkout:
    """A Tread class: pace (+ speed), incline, output, HR; pace null while the belt stands."""
    duration = ctx.minutes(30, 20, 45)
    pso = 60
    segs = _segments(duration, ("Running", "running"), "running", warm="Warmup", rng=ctx.rng)
    blocks = _tread_blocks(ctx.rng, segs)
    speeds, inclines, effort = _run_samples(ctx, blocks, duration, stepped=True)
    g = _graph_view(
        ctx, _run_columns(ctx, speeds, inclines, effort, output=True, incline=True), first=1, gaps=1
    )
    metric = ctx.units == "metric"
    dist_unit = "km" if metric else "mi"
    extra, zones = _hr_extras(ctx, g)
    pace = _pace_metric(ctx, g)
    metrics = [
        _metric("output", "Output", "watts", g),
        pace,
        _metric("incline", "Incline", "%", g),
        _metric("heart_rate", "Heart Rate", "bpm", g, extra=extra),
    ]
    cum = _integrate(g.full["speed"], g.offsets)
    speed_mps = [v * 0.44704 for v in speeds]
    climb_m = sum(v * i / 100 for v, i in zip(speed_mps, inclines, strict=True))
    elev = [0.0]
    for v, i in zip(speed_mps[1:], inclines[1:], strict=True):
        elev.append(elev[-1] + v * i / 100 * _FT_PER_M)
    elev_kept = [elev[o - 1] for o in g.offsets]
    work = float(sum(g.full["output"]))
    kj = work / 1000
    graph = _base_graph(duration, [_segment_json(ctx, s) for s in segs], g)
    graph["metrics"] = metrics
    graph["summaries"] = [
        _summary("total_output", "Total Output", "kj", round(kj)),
        _summary("distance", "Distance", dist_unit, round(cum[-1], 2)),
        _summary("elevation", "Elevation", "ft", round(climb_m * _FT_PER_M)),
        _summary("calories", "Calories", "kcal", round(kj * 1.0 + duration / 60 * 1.5)),
    ]
    graph["average_summaries"] = [
        _summary("avg_output", "Avg Output", "watts", metrics[0]["average_value"]),
        _summary("avg_pace", "Avg Pace", pace["display_unit"], pace["average_value"]),
        _summary("avg_incline", "Avg Incline", "%", metrics[2]["average_value"]),
        _summary(
            "avg_speed",
            "Avg Speed",
            pace["alternatives"][0]["display_unit"],
            pace["alternatives"][0]["average_value"],
        ),
    ]
    graph["splits_data"], graph["splits_metrics"] = _splits(cum, g.offsets, dist_unit, elevation=elev_kept)
    speed_scale = 1.0 if not metric else _KM_PER_MI
    graph["target_metrics_performance_data"] = {
        "target_metrics": _target_metrics(blocks, ("speed", "incline"), pso, speed_scale, 1),
        "time_in_metric": [],
    }
    graph["effort_zones"] = _effort_zones(zones)
    title = f"{duration // 60} min {ctx.rng.choice(('Demo Tempo', 'Demo Intervals', 'Demo Hills'))} Run"
    ride = _ride(
        ctx,
        title=title,
        discipline="running",
        duration=duration,
        pso=pso,
        instructor=ctx.rng.choice(_INSTRUCTORS),
        metrics=["heart_rate", "calories", "speed", "distance", "elevation"],
    )
    workout = _workout(
        ctx,
        discipline="running",
        device="home_tread",
        ride=ride,
        end=ctx.start + duration,
        total_work=work,
        metrics_type="running",
        hr_zones=zones,
    )
    return _raw(workout, graph)


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


def _outdoor_run(ctx: _Ctx) -> RawWorkout:
    """An outdoor audio run on a phone: pace (+ speed), altitude (ft), HR and GPS."""
    duration = ctx.minutes(30, 20)
    rng = ctx.rng
    segs = _segments(duration, ("Running", "running"), "running", rng=rng)
    blocks = _tread_blocks(rng, segs)
    stop_at = rng.randint(duration // 3, duration // 2)
    speeds, inclines, effort = _run_samples(
        ctx, blocks, duration, stepped=False, stops=[(stop_at, stop_at + rng.randint(6, 15))]
    )
    cols = _run_columns(ctx, speeds, inclines, effort, output=False, incline=False)
    metric = ctx.units == "metric"
    dist_unit = "km" if metric else "mi"
    cum_m, total = [], 0.0
    for v in speeds:
        total += v * 0.44704
        cum_m.append(total)
    lats, lons, alts = _loop_track(cum_m)
    alt_ft = [round(a * _FT_PER_M) for a in alts]
    cols.cols["altitude"] = alt_ft
    g = _graph_view(ctx, cols, first=1, gaps=0)
    extra, zones = _hr_extras(ctx, g)
    pace = _pace_metric(ctx, g)
    altitude = _metric("altitude", "Elevation", "ft", g)
    altitude["max_value"] = altitude["average_value"] = None
    metrics = [pace, altitude, _metric("heart_rate", "Heart Rate", "bpm", g, extra=extra)]
    unit_m = 1000.0 if metric else _MI_M
    graph = _base_graph(duration, [_segment_json(ctx, s) for s in segs], g)
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
        _summary("distance", "Distance", dist_unit, round(cum[-1], 2)),
        _summary("elevation", "Elevation", "ft", climb),
        _summary("calories", "Calories", "kcal", round(ctx.person.weight_lb * 0.4536 * cum_m[-1] / 1000)),
    ]
    graph["average_summaries"] = [
        _summary("avg_pace", "Avg Pace", pace["display_unit"], pace["average_value"]),
        _summary(
            "avg_speed",
            "Avg Speed",
            pace["alternatives"][0]["display_unit"],
            pace["alternatives"][0]["average_value"],
        ),
    ]
    graph["splits_data"], _ = _splits(
        cum, list(range(1, duration + 1)), dist_unit, elevation=[float(a) for a in alt_ft]
    )
    graph["effort_zones"] = _effort_zones(zones)
    ride = _ride(
        ctx,
        title=f"{duration // 60} min Demo Park Run",
        discipline="running",
        duration=duration,
        pso=1,
        instructor=rng.choice(_INSTRUCTORS),
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
    workout = _workout(
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
    return _raw(workout, graph)


# ----------------------------------------------------------------------------- rowing


def _row(ctx: _Ctx) -> RawWorkout:
    """A Row class: per-stroke output/stroke rate, split pace (min/500m), HR, 500 m splits."""
    duration = ctx.minutes(20, 15, 30)
    rng = ctx.rng
    segs: list[_Seg] = [_Seg("Warm Up", "warmup", 0, 180, 3.5, "caesar")]
    t, drill = 180, True
    while t < duration - 120:
        length = min(rng.choice((60, 90, 120, 180)), duration - 120 - t)
        segs.append(_Seg("Drills" if drill else "Rowing", "caesar", t, length, 5.0, "caesar", is_drill=drill))
        drill = not drill
        t += length
    segs.append(_Seg("Cool Down", "cooldown", t, duration - t, 3.0, "caesar"))
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
    samples = _Samples(n=duration, cols={"output": out, "stroke_rate": spm_c, "split_pace": pace_c})
    samples.cols["heart_rate"] = _heart_rate(rng, ctx.person, effort)
    g = _graph_view(ctx, samples, first=1, gaps=0)
    extra, zones = _hr_extras(ctx, g)
    metrics = [
        _metric("output", "Stroke Output", "watts", g),
        _metric("stroke_rate", "Stroke Rate", "spm", g),
        _metric("split_pace", "Pace", "min/500m", g),
        _metric("heart_rate", "Heart Rate", "bpm", g, extra=extra),
    ]
    meters = [(v / 2.8) ** (1 / 3) if v else 0.0 for v in g.full["output"]]
    cum_m = _integrate(meters, g.offsets, per_hour=3600.0)
    work = float(sum(g.full["output"]))
    graph = _base_graph(duration, [_segment_json(ctx, s) for s in segs], g)
    for key in ("location_data", "is_location_data_accurate", "splits_data"):
        del graph[key]
    graph["metrics"] = metrics
    graph["summaries"] = [
        _summary("total_output", "Total Output", "kj", round(work / 1000)),
        _summary("distance", "Distance", "m", round(cum_m[-1], 2)),
        _summary("stroke_count", "Strokes", None, len(strokes)),
        _summary("calories", "Calories", "kcal", round(work / 1000 * 1.1 + duration / 60 * 1.5)),
    ]
    graph["average_summaries"] = [
        _summary("avg_output", "Avg Stroke Output", "watts", metrics[0]["average_value"]),
        _summary("avg_stroke_rate", "Avg Stroke Rate", "spm", metrics[1]["average_value"]),
        _summary("avg_split_pace", "Avg Pace", "min/500m", metrics[2]["average_value"]),
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
    graph["effort_zones"] = _effort_zones(zones)
    graph["muscle_group_score"] = _muscle_scores(rng, ("lats", "quads", "core"))
    ride = _ride(
        ctx,
        title=f"{duration // 60} min Demo Power Row",
        discipline="caesar",
        duration=duration,
        pso=60,
        instructor=rng.choice(_INSTRUCTORS),
        metrics=["heart_rate", "calories"],
    )
    workout = _workout(
        ctx,
        discipline="caesar",
        device="caesar",
        ride=ride,
        end=ctx.start + duration,
        total_work=work,
        metrics_type="caesar",
        hr_zones=zones,
    )
    return _raw(workout, graph)


def _row_splits(rng: random.Random, cum_m: list[float], g: _Graph) -> JsonObject:
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
        "id": _stable_id(f"movement:{name}"),
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
                "id": _hex(rng),
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
                    "id": _hex(rng),
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
    item: JsonObject = {"movement_id": _stable_id(f"movement:{name}"), "movement_name": name}
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


def _floor_graph(
    ctx: _Ctx,
    segs: list[_Seg],
    duration: int,
    effort: list[float],
    *,
    first: int = 1,
    apple_watch: bool = False,
) -> tuple[JsonObject, dict[str, int]]:
    """HR-only graph (strength, yoga, imported) with a calories summary."""
    samples = _Samples(n=len(effort), cols={"heart_rate": _heart_rate(ctx.rng, ctx.person, effort)})
    g = _graph_view(ctx, samples, first=first, gaps=0)
    extra, zones = _hr_extras(ctx, g)
    graph = _base_graph(duration, [_segment_json(ctx, s) for s in segs], g)
    hr = _metric("heart_rate", "Heart Rate", "bpm", g, extra=extra)
    graph["metrics"] = [hr]
    avg = hr["average_value"] or ctx.person.rest_hr
    frac = (avg - ctx.person.rest_hr) / (ctx.person.max_hr - ctx.person.rest_hr)
    kcal = round(len(effort) / 60 * (2.5 + 9.0 * max(frac, 0.0)))
    slug, name = ("total_calories", "Total Calories") if apple_watch else ("calories", "Calories")
    graph["summaries"] = [_summary(slug, name, "kcal", kcal)]
    graph["has_apple_watch_metrics"] = apple_watch
    graph["effort_zones"] = _effort_zones(zones)
    return graph, zones


def _strength_kind(ctx: _Ctx, schema: int) -> RawWorkout:
    """A strength class with Guide rep tracking, plus its ``/api/ride/{id}/details`` plan."""
    duration = ctx.minutes(20, 30, 10)
    rng = ctx.rng
    warm, cool = min(180, duration // 6), min(120, duration // 8)
    segs = [
        _Seg("Warm Up", "warmup", 0, warm, 3.0, "floor"),
        _Seg(
            rng.choice(("Upper Body", "Lower Body", "Full Body")),
            "strength",
            warm,
            duration - warm - cool,
            5.0,
            "floor",
        ),
        _Seg("Cool Down", "cooldown", duration - cool, cool, 2.5, "floor"),
    ]
    subs, sets = _strength_plan(rng, duration, warm, cool)
    effort = [0.3] * duration
    for st in sets:
        for s in range(st.offset, min(st.offset + st.length, duration)):
            effort[s] = 0.6 + 0.1 * (st.move % 3)
    graph, zones = _floor_graph(ctx, segs, duration, effort)
    title = f"{duration // 60} min {segs[1].name} Demo Strength"
    ride = _ride(
        ctx,
        title=title,
        discipline="strength",
        duration=duration,
        pso=60,
        instructor=rng.choice(_INSTRUCTORS),
        metrics=["heart_rate", "calories"],
    )
    workout = _workout(
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
    return _raw(workout, graph, details)


def _ride_details(ctx: _Ctx, ride: JsonObject, segs: list[_Seg], subs: list[JsonObject]) -> JsonObject:
    """``GET /api/ride/{id}/details``: the class with its segment plan and movements."""
    seg_list = []
    for seg in segs:
        item = _segment_json(ctx, seg)
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


def _strength(ctx: _Ctx) -> RawWorkout:
    """Strength with Guide tracking, 2025 schema (``tracking_type``, ``completed_reps``...)."""
    return _strength_kind(ctx, 2025)


def _strength_2023(ctx: _Ctx) -> RawWorkout:
    """Strength with Guide tracking, 2023 schema (``is_hold``, ``completed_number``)."""
    return _strength_kind(ctx, 2023)


def _meditation(ctx: _Ctx) -> RawWorkout:
    """Meditation on a phone: offsets present but ``metrics: []`` and ``summaries: []``."""
    duration = ctx.minutes(5, 10)
    seg = _Seg("Meditation", "meditation", 0, duration, 0.0, "floor")
    graph = _base_graph(duration, [_segment_json(ctx, seg)], None)
    offsets = list(range(1, duration - 1))  # phone sessions lose the last second or two
    graph["seconds_since_pedaling_start"] = [offsets[i] for i in _picks(len(offsets), ctx.every_n)]
    ride = _ride(
        ctx,
        title=f"{duration // 60} min Demo Calm Meditation",
        discipline="meditation",
        duration=duration,
        pso=1,
        instructor=ctx.rng.choice(_INSTRUCTORS),
        metrics=["heart_rate"],
    )
    workout = _workout(
        ctx,
        discipline="meditation",
        device="android",
        ride=ride,
        end=ctx.start + duration,
        total_work=0.0,
        metrics_type=None,
        intro=13,
    )
    return _raw(workout, graph)


def _yoga(ctx: _Ctx) -> RawWorkout:
    """A yoga class on a phone with an Apple Watch: HR only."""
    duration = ctx.minutes(20, 30)
    segs = _segments(duration, ("Flow", "yoga"), "floor", rng=ctx.rng)
    effort = [0.25 + 0.15 * math.sin(s / 90.0) ** 2 for s in range(duration)]
    graph, zones = _floor_graph(ctx, segs, duration, effort)
    graph["has_apple_watch_metrics"] = True
    ride = _ride(
        ctx,
        title=f"{duration // 60} min Demo Flow",
        discipline="yoga",
        duration=duration,
        pso=60,
        instructor=ctx.rng.choice(_INSTRUCTORS),
        metrics=["heart_rate", "calories"],
    )
    workout = _workout(
        ctx,
        discipline="yoga",
        device="iPhone",
        ride=ride,
        end=ctx.start + duration,
        total_work=0.0,
        metrics_type=None,
        hr_zones=zones,
    )
    return _raw(workout, graph)


def _imported(ctx: _Ctx) -> RawWorkout:
    """A walk Peloton imported from Apple Health (see the module docstring: origin fields are a guess)."""
    duration = ctx.minutes(35, 50)
    effort = [0.35 + 0.05 * math.sin(s / 300.0) for s in range(duration)]
    graph, zones = _floor_graph(ctx, [], duration, effort, apple_watch=True)
    miles = round(duration / 3600 * ctx.rng.uniform(2.8, 3.4), 2)
    dist = (miles, "mi") if ctx.units == "imperial" else (round(miles * _KM_PER_MI, 2), "km")
    graph["summaries"].insert(0, _summary("distance", "Distance", dist[1], dist[0]))
    ride = _pseudo_ride(ctx, "Outdoor Walk", duration, None, "")
    workout = _workout(
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
    workout["device_time_created_at"] = workout["created_at"] + _tz_offset(workout["created_at"])
    workout["has_leaderboard_metrics"] = False
    return _raw(workout, graph)


# ----------------------------------------------------------------------------- public API


_BUILDERS: dict[str, Callable[[_Ctx], RawWorkout]] = {
    "cycling_class": _cycling_class,
    "just_ride": _just_ride,
    "tread_run": _tread_run,
    "outdoor_run": _outdoor_run,
    "row": _row,
    "strength": _strength,
    "strength_2023": _strength_2023,
    "meditation": _meditation,
    "paused_ride": _paused_ride,
    "metric_ride": _metric_ride,
    "bike_bootcamp": _bike_bootcamp,
    "scenic_ended_early": _scenic_ended_early,
    "empty": _empty,
    "in_progress": _in_progress,
    "imported": _imported,
    "yoga": _yoga,
}
_DEFAULT_UNITS = {"metric_ride": "metric"}


def demo_workout(
    kind: str,
    *,
    seed: int = 0,
    start: datetime | None = None,
    duration_s: int | None = None,
    every_n: int = 1,
    units: str | None = None,
) -> RawWorkout:
    """One synthetic workout of ``kind`` (see :data:`DEMO_KINDS`).

    :param seed: picks every random choice; the same arguments give the same JSON.
    :param start: the workout's ``start_time`` (default :data:`DEFAULT_START`).
    :param duration_s: the class length in seconds instead of the kind's usual one.
    :param every_n: sample every N seconds, as ``performance_graph?every_n=N`` does.
    :param units: ``"imperial"`` or ``"metric"`` (the user's display preference); the
        default is the kind's (metric for ``metric_ride``, else imperial).
    """
    builder = _BUILDERS.get(kind)
    if builder is None:
        raise ValueError(f"unknown demo kind {kind!r}; expected one of {', '.join(DEMO_KINDS)}")
    if every_n < 1:
        raise ValueError(f"every_n must be at least 1, not {every_n}")
    if duration_s is not None and not 60 <= duration_s <= 6 * 3600:
        raise ValueError(f"duration_s must be between 60 and 21600 seconds, not {duration_s}")
    when = start if start is not None else DEFAULT_START
    if when.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    ctx = _Ctx(
        kind=kind,
        rng=random.Random(f"peloton-export-demo:{kind}:{seed}"),
        start=int(when.timestamp()),
        duration_s=duration_s,
        every_n=every_n,
        units=_check_units(units or _DEFAULT_UNITS.get(kind, "imperial")),
        person=_person(0),
    )
    return builder(ctx)


def demo_workouts(
    count: int | None = None,
    *,
    seed: int = 0,
    duration_s: int | None = None,
    kinds: Sequence[str] | None = None,
    start: datetime | None = None,
) -> Iterator[RawWorkout]:
    """Synthetic workouts, newest first, one day apart going back from ``start``.

    ``count=None`` gives :data:`STANDARD_KINDS` once; ``count=N`` gives N workouts cycling
    through ``kinds`` (default: a realistic mix of the standard kinds), each with its own
    seed. Lazy: each workout is built only when the iterator reaches it.
    """
    if count is not None and count < 0:
        raise ValueError(f"count must not be negative, not {count}")
    order = tuple(kinds) if kinds is not None else (STANDARD_KINDS if count is None else _MIX)
    if not order:
        raise ValueError("kinds must not be empty")
    for kind in order:
        if kind not in _BUILDERS:
            raise ValueError(f"unknown demo kind {kind!r}; expected one of {', '.join(DEMO_KINDS)}")
    first = start if start is not None else DEFAULT_START
    total = len(order) if count is None else count
    return _iterate(order, total, seed, duration_s, first)


def _iterate(
    order: tuple[str, ...], total: int, seed: int, duration_s: int | None, first: datetime
) -> Iterator[RawWorkout]:
    """The generator behind :func:`demo_workouts` (arguments already checked)."""
    for i in range(total):
        yield demo_workout(
            order[i % len(order)],
            seed=seed * 1_000_003 + i,
            duration_s=duration_s,
            start=first - timedelta(days=i),
        )


#: Workout keys that the list endpoint returns (a subset of the detail object).
_LIST_KEYS = (
    "created_at",
    "device_type",
    "end_time",
    "fitness_discipline",
    "has_pedaling_metrics",
    "has_leaderboard_metrics",
    "id",
    "is_total_work_personal_record",
    "is_outdoor",
    "metrics_type",
    "name",
    "peloton_id",
    "platform",
    "start_time",
    "status",
    "timezone",
    "title",
    "total_work",
    "user_id",
    "workout_type",
    "total_video_watch_time_seconds",
    "total_video_buffering_seconds",
    "v2_total_video_watch_time_seconds",
    "v2_total_video_buffering_seconds",
    "total_music_audio_play_seconds",
    "total_music_audio_buffer_seconds",
    "service_id",
    "created",
    "device_time_created_at",
    "strava_id",
    "fitbit_id",
    "effort_zones",
    "ride",
)


def list_item(raw: RawWorkout) -> dict[str, Any]:
    """The workout as an item of ``GET /api/user/{id}/workouts?joins=ride,ride.instructor``."""
    w = raw.workout
    item = {k: w[k] for k in _LIST_KEYS if k in w}
    if "effort_zones" not in item:
        item["effort_zones"] = (raw.performance_graph or {}).get("effort_zones")
    return item
