"""Synthetic ride histories of one Bike with a known power map, noise and an optional step.

This is the ground truth the bike insights (:mod:`peloton_export.insights`) are tested and
benchmarked against: everything the fit should recover is known here.

The true map (:class:`TrueBike`) is *not* in the family the insights fit (a
log-polynomial in ``ln C`` and ``R``), so a test measures how well that family
approximates a bike rather than reading back its own formula::

    P(C, R) = P90(R) * (C / 90) ** k(R)                       watts, C rpm, R percent
    ln P90(R) = -0.4217 - 0.01634 * R + 0.9403 * sqrt(R)
    k(R) = 1.35 + 0.4 * (1 - exp(-(R - 15) / 20))

shaped after the recorded rides in ``../shared/fixtures`` (at 90 rpm about 35 W at
resistance 21, 140 W at 41 and 280 W at 55; a cadence exponent of 1.4 to 1.7 that rises
with resistance). It is floored at 1 W.

What a synthetic ride adds to that law, per second (``every_n`` seconds per sample):

* the rider's cadence follows a block target with inertia and noise (SD 1.5 rpm), and
  coasts now and then (cadence falls to 0-35 rpm for a few seconds);
* the resistance knob is continuous; the bike shows it rounded to a whole percent, so each
  block carries a hidden offset of up to +-0.5 point (the main source of per-ride bias);
* after a knob turn the brake takes ``LAG_S`` seconds to reach its new strength while the
  reading has already moved;
* the output reading has multiplicative noise (SD 1.5 %), is rounded to whole watts and is
  an outlier (x0.5-1.6) in 0.2 % of the seconds;
* a ride-to-ride factor (SD 0.8 %) and the bike's calibration factor: 1 until the step,
  ``1 + step`` from the step ride on (a recalibration, a new bike).

numpy (the ``insights`` extra) is imported when a history is made, never at import.
Same arguments give the same history.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from peloton_export.model import Sample, TargetRange, Workout
from peloton_export.raw import JsonObject

if TYPE_CHECKING:
    import numpy as np

    from peloton_export.store.archive import Archive

#: Seconds the brake takes to reach a new knob position.
LAG_S = 3
DEFAULT_HISTORY_START = datetime(2024, 1, 1, 7, 0, tzinfo=UTC)

# (cadence lo, hi, resistance lo, hi, seconds lo, hi): climbs, flats, sprints, recoveries.
_MOVES = (
    (58, 72, 55, 82, 60, 150),
    (78, 95, 32, 52, 60, 180),
    (100, 118, 30, 55, 20, 45),
    (80, 92, 20, 32, 30, 90),
    (88, 105, 38, 60, 60, 120),
)


@dataclass(frozen=True, slots=True)
class TrueBike:
    """The generator's power map (see the module docstring); W, rpm, percent."""

    p0: float = -0.4217
    p1: float = -0.01634
    p2: float = 0.9403

    def exponent(self, resistance: float) -> float:
        """The cadence exponent ``k(R)``."""
        return 1.35 + 0.4 * (1.0 - math.exp(-(resistance - 15.0) / 20.0))

    def watts(self, cadence: float, resistance: float) -> float:
        """Watts at ``cadence`` rpm and ``resistance`` percent (at least 1 W)."""
        r = max(resistance, 0.0)
        p90 = math.exp(self.p0 + self.p1 * r + self.p2 * math.sqrt(r))
        scale: float = (max(cadence, 0.0) / 90.0) ** self.exponent(r)
        return max(1.0, p90 * scale)

    def resistance_for(self, watts: float, cadence: float) -> float | None:
        """The resistance (percent) that gives ``watts`` at ``cadence``; ``None`` above 100 %."""
        if self.watts(cadence, 100.0) < watts:
            return None
        lo, hi = 0.0, 100.0
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if self.watts(cadence, mid) < watts else (lo, mid)
        return (lo + hi) / 2


@dataclass(frozen=True, slots=True)
class SynthRide:
    """One synthetic ride: the recorded columns (``None`` where nothing was recorded)."""

    workout_id: str
    start: datetime
    device_type: str
    every_n: int
    offsets: tuple[int, ...]
    cadence: tuple[float | None, ...]
    resistance: tuple[float | None, ...]
    output: tuple[float | None, ...]
    #: The true multiplicative factor of this ride (calibration times the day's factor).
    factor: float
    targets: tuple[TargetRange, ...] = ()

    def workout(self) -> Workout:
        """This ride as a normalized :class:`~peloton_export.model.Workout` (a class ride)."""
        samples = tuple(
            Sample(
                offset=o,
                time=self.start + timedelta(seconds=o),
                power_w=p,
                cadence_rpm=c,
                resistance_pct=r,
            )
            for o, c, r, p in zip(self.offsets, self.cadence, self.resistance, self.output, strict=True)
        )
        duration = (self.offsets[-1] if self.offsets else 0) + self.every_n
        work = sum(p for p in self.output if p is not None) * self.every_n
        return Workout(
            id=self.workout_id,
            discipline="cycling",
            start=self.start,
            end=self.start + timedelta(seconds=duration),
            elapsed_s=float(duration),
            timer_s=float(duration),
            title=f"{duration // 60} min Synthetic Ride",
            workout_type="class",
            device_type=self.device_type,
            platform="home_bike",
            timezone="UTC",
            total_work_j=float(work),
            samples=samples,
            targets=self.targets,
        )

    def bodies(self) -> dict[str, JsonObject]:
        """``{"workout": ..., "performance_graph": ...}``: the ride as raw API bodies (a class
        with ``pedaling_start_offset`` 60; targets in ``target_metrics_performance_data``)."""
        start = int(self.start.timestamp())
        duration = (self.offsets[-1] if self.offsets else 0) + self.every_n
        pso = 60

        def metric(slug: str, name: str, unit: str, values: tuple[float | None, ...]) -> JsonObject:
            present = [v for v in values if v is not None]
            return {
                "slug": slug,
                "display_name": name,
                "display_unit": unit,
                "values": [None if v is None else int(v) for v in values],
                "average_value": round(sum(present) / len(present)) if present else None,
                "max_value": max(present) if present else None,
            }

        spans: dict[tuple[int, int], list[JsonObject]] = {}
        for t in self.targets:
            spans.setdefault((t.start_offset, t.end_offset), []).append(
                {"name": t.metric, "lower": t.lower, "upper": t.upper}
            )
        work = sum(p for p in self.output if p is not None) * self.every_n
        workout: JsonObject = {
            "id": self.workout_id,
            "status": "COMPLETE",
            "created_at": start - 60,
            "start_time": start,
            "end_time": start + duration,
            "timezone": "UTC",
            "fitness_discipline": "cycling",
            "workout_type": "class",
            "name": "Cycling Workout",
            "platform": "home_bike",
            "device_type": self.device_type,
            "metrics_type": "cycling",
            "total_work": float(work),
            "has_pedaling_metrics": True,
            "has_paused": False,
            "pause_time_elapsed": 0,
            "ride": {
                "id": self.workout_id[::-1],
                "title": f"{duration // 60} min Synthetic Ride",
                "duration": duration,
                "pedaling_start_offset": pso,
                "instructor": {"name": "Synth Demo"},
                "fitness_discipline": "cycling",
            },
        }
        graph: JsonObject = {
            "duration": duration,
            "seconds_since_pedaling_start": [o + 1 for o in self.offsets],
            "segment_list": [],
            "metrics": [
                metric("output", "Output", "watts", self.output),
                metric("cadence", "Cadence", "rpm", self.cadence),
                metric("resistance", "Resistance", "%", self.resistance),
            ],
            "summaries": [
                {
                    "slug": "total_output",
                    "display_name": "Total Output",
                    "display_unit": "kj",
                    "value": round(work / 1000),
                },
            ],
            "average_summaries": [],
        }
        if spans:
            graph["target_metrics_performance_data"] = {
                "target_metrics": [
                    {"offsets": {"start": a + pso + 1, "end": b + pso + 1}, "metrics": metrics}
                    for (a, b), metrics in sorted(spans.items())
                ]
            }
        return {"workout": workout, "performance_graph": graph}


@dataclass(frozen=True, slots=True)
class SynthHistory:
    """A history of rides in start order, with the truth they were made from."""

    rides: tuple[SynthRide, ...]
    truth: TrueBike
    #: Index in ``rides`` of the first ride after the step (``None``: no step).
    step_index: int | None
    step: float
    seed: int
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def step_date(self) -> datetime | None:
        """The start of the first ride with the new calibration."""
        return None if self.step_index is None else self.rides[self.step_index].start

    def workouts(self) -> list[Workout]:
        """Every ride as a :class:`~peloton_export.model.Workout`."""
        return [ride.workout() for ride in self.rides]

    def put(self, archive: Archive) -> None:
        """Store every ride's raw bodies in ``archive`` (source ``synth``)."""
        import json

        for ride in self.rides:
            bodies = {k: json.dumps(v).encode() for k, v in ride.bodies().items()}
            archive.put(ride.workout_id, bodies, source="synth")


def bike_history(
    seed: int,
    *,
    rides: int = 200,
    ride_s: int = 1200,
    every_n: int = 1,
    step_at: int | None = None,
    step: float = -0.05,
    start: datetime = DEFAULT_HISTORY_START,
    days_between: float = 2.0,
    device_type: str = "home_bike_v1",
    truth: TrueBike | None = None,
    targets: bool = False,
) -> SynthHistory:
    """``rides`` rides of ``ride_s`` seconds, one every ``days_between`` days from ``start``.

    :param step_at: the index of the first ride whose bike reads ``1 + step`` times what it
        did (``-0.05`` is 5 % lower); ``None`` for an unchanged bike.
    :param every_n: seconds per sample (1 or 5, as Peloton's ``every_n``); a 5-s sample is
        the reading at that second, like Peloton's.
    :param targets: give each ride its class's cadence and resistance ranges
        (:class:`~peloton_export.model.TargetRange`, one pair per block).
    :raises ValueError: for a step index outside ``0..rides-1`` or a non-positive length.
    """
    import numpy as np

    if ride_s <= 0 or rides <= 0 or every_n <= 0:
        raise ValueError("rides, ride_s and every_n must be positive")
    if step_at is not None and not 0 <= step_at < rides:
        raise ValueError(f"step_at {step_at} is outside 0..{rides - 1}")
    truth = truth or TrueBike()
    rng = np.random.default_rng(seed)
    out: list[SynthRide] = []
    for i in range(rides):
        calibration = 1.0 + step if step_at is not None and i >= step_at else 1.0
        factor = calibration * math.exp(rng.normal(0.0, 0.008))
        when = start + timedelta(days=i * days_between, minutes=float(rng.integers(0, 600)))
        out.append(_ride(rng, truth, i, when, ride_s, every_n, factor, device_type, targets))
    return SynthHistory(tuple(out), truth, step_at, step if step_at is not None else 0.0, seed)


def _ride(
    rng: np.random.Generator,
    truth: TrueBike,
    index: int,
    when: datetime,
    ride_s: int,
    every_n: int,
    factor: float,
    device_type: str,
    with_targets: bool,
) -> SynthRide:
    import numpy as np

    n = ride_s
    cad_target = np.empty(n)
    knob = np.empty(n)  # the continuous knob position (percent)
    blocks: list[tuple[int, int, tuple[int, int, int, int]]] = []
    t = 0
    while t < n:
        move = _MOVES[int(rng.integers(0, len(_MOVES)))]
        length = min(int(rng.integers(move[4], move[5] + 1)), n - t)
        cad_target[t : t + length] = rng.uniform(move[0], move[1])
        knob[t : t + length] = rng.uniform(move[2], move[3])
        blocks.append((t, t + length, move[:4]))
        t += length
    # Cadence: inertia towards the block target plus noise; a few coasting spells.
    cadence = np.empty(n)
    value = cad_target[0]
    noise = rng.normal(0.0, 1.5, n)
    for s in range(n):
        value += (cad_target[s] - value) * 0.25 + noise[s]
        cadence[s] = value
    for _ in range(int(rng.integers(0, 4))):
        at = int(rng.integers(0, max(1, n - 10)))
        cadence[at : at + int(rng.integers(3, 9))] = rng.uniform(0.0, 35.0)
    cadence = np.clip(cadence, 0.0, 140.0)
    shown_res = np.rint(knob)
    # The brake reaches a new knob position over LAG_S seconds.
    brake = knob.copy()
    for s in range(1, n):
        if knob[s] != knob[s - 1]:
            for j in range(LAG_S):
                if s + j < n and knob[s + j] == knob[s]:
                    w = (j + 1) / (LAG_S + 1)
                    brake[s + j] = knob[s - 1] + (knob[s] - knob[s - 1]) * w
    shown_cad = np.rint(cadence)
    r = np.maximum(brake, 0.0)
    k = 1.35 + 0.4 * (1.0 - np.exp(-(r - 15.0) / 20.0))
    watts = np.exp(truth.p0 + truth.p1 * r + truth.p2 * np.sqrt(r)) * (cadence / 90.0) ** k
    watts = np.maximum(watts, 1.0) * factor * np.exp(rng.normal(0.0, 0.015, n))
    outliers = rng.random(n) < 0.002
    watts[outliers] *= rng.uniform(0.5, 1.6, int(outliers.sum()))
    watts[shown_cad < 20] = 0.0  # a coasting flywheel reads no output
    output = np.rint(watts)
    idx = np.arange(0, n, every_n)
    ride_targets: tuple[TargetRange, ...] = ()
    if with_targets:
        ride_targets = tuple(
            TargetRange(start_offset=a, end_offset=b - 1, metric=metric, lower=float(lo), upper=float(hi))
            for a, b, (c_lo, c_hi, r_lo, r_hi) in blocks
            for metric, lo, hi in (("cadence", c_lo, c_hi), ("resistance", r_lo, r_hi))
        )
    return SynthRide(
        workout_id=f"{index:04d}{int(rng.integers(0, 2**63)):028x}"[:32],
        start=when,
        device_type=device_type,
        every_n=every_n,
        offsets=tuple(int(o) for o in idx),
        cadence=_col(shown_cad[idx]),
        resistance=_col(shown_res[idx]),
        output=_col(output[idx]),
        factor=factor,
        targets=ride_targets,
    )


def _col(values: Sequence[float] | Any) -> tuple[float | None, ...]:
    return tuple(float(v) for v in values)
