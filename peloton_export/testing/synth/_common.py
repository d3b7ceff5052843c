"""Shared pieces of the synthetic generator: the member, ids, units, context and HR model."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_START = datetime(2026, 1, 31, 7, 0, tzinfo=UTC)
#: ``ride.id`` of freestyle (Just Ride) and imported workouts.
ZERO_ID = "0" * 32
MI_M = 1609.344
KM_PER_MI = MI_M / 1000.0
FT_PER_M = 1 / 0.3048
IMG = "https://example.com/peloton-export-demo"
TIMEZONE = "America/New_York"

Num = float | int
Column = list[Any]


# ----------------------------------------------------------------------------- people


@dataclass(frozen=True, slots=True)
class Person:
    """The made-up member whose workouts these are."""

    user_id: str
    username: str
    ftp: int
    max_hr: int
    rest_hr: int
    weight_lb: float
    total_workouts: int


def new_id(rng: random.Random) -> str:
    """32 lowercase hex digits, like every Peloton id."""
    return f"{rng.getrandbits(128):032x}"


def stable_id(name: str) -> str:
    """An id that depends only on ``name`` (instructors, movements)."""
    return new_id(random.Random(f"peloton-export-demo:{name}"))


def person_for(seed: int) -> Person:
    """The made-up member of ``seed`` (deterministic)."""
    rng = random.Random(f"demo-user:{seed}")
    return Person(
        user_id=new_id(rng),
        username=f"DemoRider{rng.randint(100, 999)}",
        ftp=rng.randint(160, 260),
        max_hr=rng.randint(178, 194),
        rest_hr=rng.randint(52, 64),
        weight_lb=float(rng.randint(130, 200)),
        total_workouts=rng.randint(300, 1500),
    )


def zone_bounds(max_hr: int) -> list[float]:
    """Peloton's default zone lower bounds: 0, 65, 75, 85 and 95 % of max HR."""
    return [0.0] + [round(max_hr * p, 1) for p in (0.65, 0.75, 0.85, 0.95)]


def check_units(units: str) -> str:
    """``units`` if it is ``imperial`` or ``metric``, else ``ValueError``."""
    if units not in ("imperial", "metric"):
        raise ValueError(f"units must be 'imperial' or 'metric', not {units!r}")
    return units


# ----------------------------------------------------------------------------- context


@dataclass(slots=True)
class Ctx:
    """Everything one workout's generation needs."""

    kind: str
    rng: random.Random
    start: int
    duration_s: int | None
    every_n: int
    units: str
    person: Person

    def hex(self) -> str:
        """A fresh 32-hex-digit id."""
        return new_id(self.rng)

    def minutes(self, *choices: int) -> int:
        """The class length in seconds: ``duration_s`` if given, else one of ``choices`` min."""
        if self.duration_s is not None:
            return self.duration_s
        return self.rng.choice(choices) * 60


@dataclass(slots=True)
class Seg:
    """One class segment (``segment_list`` item), in active seconds."""

    name: str
    icon: str
    start: int
    length: int
    mets: float
    metrics_type: str
    is_drill: bool = False


@dataclass(slots=True)
class Block:
    """One target block: what the class asks for during ``[start, start + length)``."""

    start: int
    length: int
    lo: tuple[float, float]
    hi: tuple[float, float]
    segment_type: str


@dataclass(slots=True)
class Samples:
    """Per-second columns (1 Hz), before gaps and ``every_n`` are applied."""

    n: int
    cols: dict[str, Column] = field(default_factory=dict)


def tz_offset(epoch: int) -> int:
    """Seconds east of UTC of the demo timezone at ``epoch``."""
    try:
        zone: Any = ZoneInfo(TIMEZONE)
    except ZoneInfoNotFoundError:  # pragma: no cover - minimal systems without tzdata
        return -5 * 3600
    delta = datetime.fromtimestamp(epoch, zone).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def api_round(value: float, digits: int) -> Num:
    """Round like the API: ints for 0 digits, floats otherwise."""
    return round(value) if digits == 0 else round(value, digits)


def gauss_noise(rng: random.Random, n: int, sigma: float) -> list[float]:
    """``n`` cheap, roughly normal draws (sum of four uniforms) with deviation ``sigma``."""
    r = rng.random
    k = sigma * math.sqrt(3.0)
    return [(r() + r() + r() + r() - 2.0) * k for _ in range(n)]


def simulate_heart_rate(
    rng: random.Random, person: Person, effort: Sequence[float], *, dropouts: int = 2, tau: float = 25.0
) -> list[int]:
    """HR (bpm) following ``effort`` (0..1 per second) with lag, noise and 0-dropouts."""
    rest, span = person.rest_hr + 20, person.max_hr - person.rest_hr - 20
    hr = float(person.rest_hr + 25)
    alpha = 1.0 / tau
    out: list[int] = []
    append = out.append
    for e, z in zip(effort, gauss_noise(rng, len(effort), 0.5), strict=True):
        target = rest + span * (0.0 if e < 0.0 else 1.0 if e > 1.0 else e)
        hr += (target - hr) * alpha + z
        append(int(hr + 0.5))
    n = len(out)
    for _ in range(dropouts if n > 120 else 0):
        at = rng.randint(30, n - 30)
        for i in range(at, min(at + rng.randint(3, 15), n)):
            out[i] = 0
    return out
