"""Change points of a per-ride residual series: binary segmentation with a calibrated penalty.

Input: one number per ride in start order, the ride's median ``ln(P / P_hat)`` against
the device's pooled model (:mod:`peloton_export.insights.fit`). A recalibration, a new
bike or a sensor fault shifts it for good; ride-to-ride noise does not.

Method: the series' noise ``sigma`` is estimated robustly from its first differences
(``1.4826 * MAD(diff) / sqrt(2)``, which a few steps barely move). Values further than
:data:`CLIP_SIGMAS` sigmas from the running median of ``2 * MIN_RIDES + 1`` rides are clipped (one odd ride
cannot make a change point; a step is followed by that median). Binary segmentation then splits a
segment at the ride that most reduces its squared error, as long as the reduction exceeds
``PENALTY_FACTOR * sigma**2 * ln(n)`` (a mean-shift test; ``PENALTY_FACTOR`` = 4 is twice
BIC's), both sides keep at least :data:`MIN_RIDES` rides and the shift is at least
:data:`MIN_SHIFT` (1 %). Calibration (``tests/unit/test_insights_drift.py``): 50 seeds of 200
rides of an unchanged synthetic bike raise no change point; a -5 % step is found within
3 rides with its size within 1 percentage point.

numpy is imported inside the functions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

PENALTY_FACTOR = 4.0
MIN_RIDES = 5
MIN_SHIFT = 0.01
CLIP_SIGMAS = 4.0


@dataclass(frozen=True, slots=True)
class Segments:
    """Where the series splits: ``starts[0] == 0``; ``levels`` are the segments' mean
    ``ln`` residuals; ``sigma`` the noise estimate (in ``ln`` units, about a fraction)."""

    starts: tuple[int, ...]
    levels: tuple[float, ...]
    sigma: float

    @property
    def change_points(self) -> tuple[int, ...]:
        """The index of the first ride of every segment after the first."""
        return self.starts[1:]

    def size(self, k: int) -> float:
        """The shift at change point ``k`` (0-based) as a fraction: ``exp(after - before) - 1``."""
        return math.exp(self.levels[k + 1] - self.levels[k]) - 1


def noise_sigma(values: Sequence[float]) -> float:
    """A robust SD of ``values``' noise from their first differences (0 for < 3 values)."""
    import numpy as np

    x = np.asarray(values, dtype=float)
    if len(x) < 3:
        return 0.0
    d = np.diff(x)
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / math.sqrt(2.0))


def segment(
    values: Sequence[float],
    *,
    penalty_factor: float = PENALTY_FACTOR,
    min_rides: int = MIN_RIDES,
    min_shift: float = MIN_SHIFT,
) -> Segments:
    """Split ``values`` (per-ride ``ln`` residuals in time order) at sustained shifts.

    :param penalty_factor: the penalty is ``penalty_factor * sigma**2 * ln(n)``.
    :param min_rides: the fewest rides on either side of a change point.
    :param min_shift: the smallest shift (fraction) reported.
    """
    import numpy as np

    x = np.asarray(values, dtype=float)
    n = len(x)
    sigma = noise_sigma(x.tolist())
    if n < 2 * min_rides or sigma <= 0:
        level = float(x.mean()) if n else 0.0
        return Segments((0,), (level,), sigma)
    half = min_rides
    centre = np.array([np.median(x[max(0, i - half) : i + half + 1]) for i in range(n)])
    x = np.clip(x, centre - CLIP_SIGMAS * sigma, centre + CLIP_SIGMAS * sigma)
    penalty = penalty_factor * sigma * sigma * math.log(n)
    cuts: list[int] = []
    stack = [(0, n)]
    while stack:
        a, b = stack.pop()
        split = _best_split(x[a:b], min_rides, penalty, min_shift)
        if split is None:
            continue
        cuts.append(a + split)
        stack.extend([(a, a + split), (a + split, b)])
    starts = tuple(sorted({0, *cuts}))
    bounds = [*starts, n]
    levels = tuple(float(x[bounds[i] : bounds[i + 1]].mean()) for i in range(len(starts)))
    return Segments(starts, levels, sigma)


def _best_split(x: object, min_rides: int, penalty: float, min_shift: float) -> int | None:
    import numpy as np

    seg = np.asarray(x, dtype=float)
    n = len(seg)
    if n < 2 * min_rides:
        return None
    total = seg.sum()
    k = np.arange(min_rides, n - min_rides + 1)
    left = np.cumsum(seg)[k - 1]
    # Reduction of the squared error from splitting after k values.
    gain = left**2 / k + (total - left) ** 2 / (n - k) - total**2 / n
    best = int(np.argmax(gain))
    split = int(k[best])
    if gain[best] <= penalty:
        return None
    shift = seg[split:].mean() - seg[:split].mean()
    if abs(math.expm1(shift)) < min_shift:
        return None
    return split
