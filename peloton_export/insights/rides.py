"""A ride's cadence, resistance and output columns, and which seconds a bike fit may use.

Pure Python (no numpy): exports read rides this way too.

Which samples are left out of a fit (each a named limit, also in docs/bike.md):

* a missing cadence, resistance or output;
* cadence below :data:`MIN_CADENCE` rpm (coasting, 0 cadence: the flywheel spins down and
  the output no longer follows the cadence reading) or above :data:`MAX_CADENCE` rpm
  (sensor glitches such as a 186 rpm second in a recorded ride);
* resistance below :data:`MIN_RESISTANCE` % or above 100 %, output of 0 W or above
  :data:`MAX_OUTPUT_W` (no Bike reads that; a damaged body can), any non-finite value;
* the first :data:`LAG_S` seconds after a resistance change (the reading moves at once, the
  brake magnets follow); at 5-s samples (``every_n=5``), the sample where the resistance
  reading changed.

Output outliers are handled by the robust fit itself (:mod:`peloton_export.insights.fit`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime

from peloton_export.model import Workout

MIN_CADENCE = 40.0
MAX_CADENCE = 150.0
MIN_RESISTANCE = 5.0
MAX_OUTPUT_W = 3000.0
LAG_S = 3
#: Disciplines whose samples come from a Bike.
BIKE_DISCIPLINES = frozenset({"cycling"})


@dataclass(frozen=True, slots=True)
class RideSeries:
    """The usable seconds of one ride, in offset order.

    ``cadence`` rpm, ``resistance`` percent, ``output`` W; ``every_n`` is the typical
    seconds between samples (1 or 5 at Peloton); ``device`` is :func:`device_key`.
    ``total`` counts the ride's samples before cleaning.
    """

    workout_id: str
    start: datetime
    device: str
    title: str
    every_n: int
    cadence: tuple[float, ...]
    resistance: tuple[float, ...]
    output: tuple[float, ...]
    total: int

    @property
    def seconds(self) -> int:
        """Seconds of riding the usable samples stand for."""
        return len(self.output) * self.every_n


def device_key(workout: Workout) -> str:
    """The bike a workout was ridden on, as far as Peloton says: ``device_type``, else
    ``platform`` (the workout body's fields, for example ``home_bike_v1`` / ``home_bike``),
    else ``"unknown"``. Rides of different keys never share a model."""
    return workout.device_type or workout.platform or "unknown"


def _usable(workout: Workout, every_n: int) -> list[tuple[float, float, float]]:
    """(cadence, resistance, output) of the samples a fit may use (see the module docstring)."""
    kept: list[tuple[float, float, float]] = []
    changed_at: int | None = None
    previous: float | None = None
    lag = LAG_S if every_n == 1 else 1
    for sample in workout.samples:
        c, r, p = sample.cadence_rpm, sample.resistance_pct, sample.power_w
        if r is not None:
            if previous is not None and r != previous:
                changed_at = sample.offset
            previous = r
        if c is None or r is None or p is None:
            continue
        # Written so that NaN fails every test (each comparison with NaN is false).
        if not (MIN_CADENCE <= c <= MAX_CADENCE and MIN_RESISTANCE <= r <= 100 and 0 < p <= MAX_OUTPUT_W):
            continue
        if changed_at is not None and sample.offset - changed_at < lag:
            continue
        kept.append((float(c), float(r), float(p)))
    return kept


def ride_series(workout: Workout) -> RideSeries | None:
    """The usable samples of a Bike ride, or ``None`` when it is not one or has none."""
    if workout.discipline not in BIKE_DISCIPLINES or not workout.samples:
        return None
    offsets = [s.offset for s in workout.samples]
    gaps = sorted(b - a for a, b in itertools.pairwise(offsets) if b > a)
    every_n = gaps[len(gaps) // 2] if gaps else 1
    cad: list[float] = []
    res: list[float] = []
    out: list[float] = []
    for c, r, p in _usable(workout, every_n):
        cad.append(c)
        res.append(r)
        out.append(p)
    if not out:
        return None
    return RideSeries(
        workout_id=workout.id,
        start=workout.start,
        device=device_key(workout),
        title=workout.title,
        every_n=max(1, int(every_n)),
        cadence=tuple(cad),
        resistance=tuple(res),
        output=tuple(out),
        total=len(workout.samples),
    )
