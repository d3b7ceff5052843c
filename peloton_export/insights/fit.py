"""Fitting bike models with numpy: robust regression, the monotone form, held-out error, eras.

The ``insights`` extra (numpy) is needed here and only here (and in :mod:`.drift`);
numpy is imported by the functions, so importing this module is cheap.

How a model is fitted (:func:`fit_model`):

1. The usable samples of every ride (:func:`peloton_export.insights.rides.ride_series`).
2. ``ln P`` is regressed on the terms of :data:`FORMS` (the richest first) by iteratively
   reweighted least squares with Huber weights (``delta = 1.345`` robust SDs, residual SD
   from the MAD) and samples further than :data:`REJECT_SIGMAS` SDs out given no weight:
   a spike, a stale reading or a second the lag rule missed does not move the fit. Each
   sample weighs the seconds it stands for (5 at ``every_n=5``).
3. The first form whose ``P`` rises with cadence *and* resistance everywhere on a 25 x 25
   grid over the fitted range is kept (a richer form that bends back is dropped for a
   simpler one): the model is monotone where it is used, and beyond that range it
   continues along its edge slopes (:class:`~peloton_export.insights.model.BikeModel`).

Hold-out (:func:`holdout`): every ride is predicted by a model fitted without it (the
whole procedure above, form choice included): leave-one-ride-out up to
:data:`LOO_MAX_RIDES` rides, else :data:`FOLDS` folds of whole rides.

Eras (:func:`analyze`): per device, the per-ride median residual against a model of all
its rides, in start order, is split at change points (:mod:`.drift`); each era gets its
own model and hold-out.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from peloton_export.insights.drift import segment
from peloton_export.insights.model import (
    REF_CADENCE,
    REF_RESISTANCE,
    TERMS,
    BikeModel,
    BikeModels,
    ChangePoint,
    HoldOut,
    RideFit,
    StepError,
)
from peloton_export.insights.rides import RideSeries

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Array = npt.NDArray[np.float64]

#: Candidate forms, richest first (see the module docstring).
FORMS: tuple[tuple[str, ...], ...] = (
    ("1", "L", "L2", "rho", "rho2", "rho3", "L*rho"),
    ("1", "L", "L2", "rho", "rho2", "L*rho"),
    ("1", "L", "rho", "rho2", "L*rho"),
    ("1", "L", "rho", "rho2"),
    ("1", "L", "rho"),
)
HUBER_DELTA = 1.345
REJECT_SIGMAS = 5.0
IRLS_STEPS = 30
LOO_MAX_RIDES = 30
FOLDS = 10
#: The fewest usable samples a fit needs.
MIN_SAMPLES = 30


class FitError(ValueError):
    """Too little usable data for a model (the message says what is missing)."""


class _Pool:
    """The usable samples of some rides as arrays (cadence, resistance, ln P, weight, ride)."""

    def __init__(self, rides: Sequence[RideSeries]) -> None:
        import numpy as np

        self.rides = list(rides)
        self.cad = np.concatenate([np.asarray(r.cadence, float) for r in rides]) if rides else np.empty(0)
        self.res = np.concatenate([np.asarray(r.resistance, float) for r in rides]) if rides else np.empty(0)
        out = np.concatenate([np.asarray(r.output, float) for r in rides]) if rides else np.empty(0)
        self.y = np.log(out)
        self.w = np.concatenate([np.full(len(r.output), float(r.every_n)) for r in rides]) if rides else out
        self.ride = np.concatenate([np.full(len(r.output), i) for i, r in enumerate(rides)]) if rides else out

    def take(self, mask: Array) -> tuple[Array, Array, Array, Array]:
        return self.cad[mask], self.res[mask], self.y[mask], self.w[mask]


def _design(cad: Array, res: Array, terms: Sequence[str]) -> Array:
    import numpy as np

    L = np.log(cad / REF_CADENCE)
    p = res / 100.0 - REF_RESISTANCE / 100.0
    return np.column_stack([np.broadcast_to(TERMS[t][0](L, p), L.shape) for t in terms])  # type: ignore[arg-type]


def huber_irls(X: Array, y: Array, w: Array) -> tuple[Array, float]:
    """Huber-weighted least squares (``delta`` = :data:`HUBER_DELTA` robust SDs; samples past
    :data:`REJECT_SIGMAS` get no weight); returns (coefficients, robust residual SD)."""
    import numpy as np

    beta = _wls(X, y, w)
    scale = 0.0
    for _ in range(IRLS_STEPS):
        r = y - X @ beta
        scale = float(1.4826 * np.median(np.abs(r - np.median(r)))) or 1e-9
        u = np.abs(r) / (HUBER_DELTA * scale)
        hub = np.where(u <= 1.0, 1.0, 1.0 / np.maximum(u, 1e-12))
        hub[np.abs(r) > REJECT_SIGMAS * scale] = 0.0
        new = _wls(X, y, w * hub)
        done = float(np.max(np.abs(new - beta))) < 1e-7
        beta = new
        if done:
            break
    return beta, scale


def _wls(X: Array, y: Array, w: Array) -> Array:
    """Weighted least squares by the normal equations (a handful of centred terms)."""
    import numpy as np

    Xw = X * w[:, None]
    return np.asarray(np.linalg.solve(X.T @ Xw, Xw.T @ y), dtype=float)


def _wquantile(values: Array, weights: Array, q: float) -> float:
    import numpy as np

    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, q * cum[-1])])


def _range(values: Array, weights: Array) -> tuple[float, float]:
    lo, hi = _wquantile(values, weights, 0.01), _wquantile(values, weights, 0.99)
    return (lo, hi) if hi > lo else (lo - 1.0, hi + 1.0)


def _monotone(model: BikeModel) -> bool:
    import numpy as np

    for c in np.linspace(*model.cadence_range, 25):
        for r in np.linspace(*model.resistance_range, 25):
            L = math.log(c / REF_CADENCE)
            p = r / 100.0 - REF_RESISTANCE / 100.0
            _, dl, dp = model._poly(L, p)
            if dl <= 0 or dp <= 0:
                return False
    return True


def fit_model(rides: Sequence[RideSeries], *, device: str | None = None, era: int = 1) -> BikeModel:
    """A monotone robust model of ``rides`` (no hold-out: see :func:`holdout`).

    :raises FitError: fewer than :data:`MIN_SAMPLES` usable samples, or no monotone form.
    """
    import numpy as np

    pool = _Pool(rides)
    if len(pool.y) < MIN_SAMPLES:
        raise FitError(f"{len(pool.y)} usable samples; a bike model needs at least {MIN_SAMPLES}")
    cad_range = _range(pool.cad, pool.w)
    res_range = _range(pool.res, pool.w)
    for terms in FORMS:
        X = _design(pool.cad, pool.res, terms)
        try:
            beta, _ = huber_irls(X, pool.y, pool.w)
        except np.linalg.LinAlgError:  # too few distinct settings for this form: try a smaller one
            continue
        if not np.all(np.isfinite(beta)):
            continue
        rel = np.expm1(pool.y - X @ beta)
        model = BikeModel(
            device=device or (rides[0].device if rides else "unknown"),
            terms=terms,
            coef=tuple(float(b) for b in beta),
            cadence_range=cad_range,
            resistance_range=res_range,
            rides=tuple(r.workout_id for r in rides),
            seconds=int(pool.w.sum()),
            era=era,
            era_start=min(r.start for r in rides),
            era_end=max(r.start for r in rides),
            q05_pct=100 * _wquantile(rel, pool.w, 0.05),
            q95_pct=100 * _wquantile(rel, pool.w, 0.95),
        )
        if _monotone(model):
            return model
    raise FitError(
        "no monotone form fits these rides (too few distinct cadence and resistance settings, "
        "or output that does not rise with them)"
    )


def predict(model: BikeModel, cadence: Iterable[float], resistance: Iterable[float]) -> Array:
    """Predicted watts for arrays of cadence and resistance (vectorised :meth:`BikeModel.watts`
    inside the fitted range; the edge-slope tails outside it)."""
    import numpy as np

    cad = np.asarray(list(cadence), float)
    res = np.asarray(list(resistance), float)
    inside = (
        (cad >= model.cadence_range[0])
        & (cad <= model.cadence_range[1])
        & (res >= model.resistance_range[0])
        & (res <= model.resistance_range[1])
    )
    out: Array = np.exp(_design(cad, res, model.terms) @ np.asarray(model.coef))
    for i in np.flatnonzero(~inside):
        out[i] = model.watts(float(cad[i]), float(res[i]))
    return out


def holdout(rides: Sequence[RideSeries]) -> tuple[HoldOut, list[tuple[float, float]]]:
    """Held-out error of the fitting procedure on ``rides`` and each ride's (bias %, MAE %).

    :raises FitError: fewer than 2 rides, or a fold with too little data.
    """
    import numpy as np

    n = len(rides)
    if n < 2:
        raise FitError("hold-out needs at least 2 rides")
    if n <= LOO_MAX_RIDES:
        folds = [[i] for i in range(n)]
        method = "leave-one-ride-out"
    else:
        folds = [list(range(k, n, FOLDS)) for k in range(FOLDS)]
        method = f"{FOLDS}-fold by ride (each ride held out once)"
    per_ride: list[tuple[float, float]] = [(0.0, 0.0)] * n
    errors: list[Array] = []
    weights: list[Array] = []
    abs_err = np.zeros(n)
    total = np.zeros(n)
    for fold in folds:
        train = [r for i, r in enumerate(rides) if i not in fold]
        model = fit_model(train)
        for i in fold:
            ride = rides[i]
            actual = np.asarray(ride.output, float)
            pred = predict(model, ride.cadence, ride.resistance)
            abs_err[i] = float(np.abs(pred - actual).sum()) * ride.every_n
            total[i] = float(actual.sum()) * ride.every_n
            bias = float(pred.sum() / actual.sum() - 1.0)
            per_ride[i] = (100 * bias, 100 * float(np.abs(pred - actual).sum() / actual.sum()))
            errors.append(actual / pred - 1.0)
            weights.append(np.full(len(actual), float(ride.every_n)))
    rel = np.concatenate(errors)
    wts = np.concatenate(weights)
    biases = np.array([b for b, _ in per_ride])
    steps = sorted({r.every_n for r in rides})
    by_step = []
    for step in steps:
        idx = [i for i, r in enumerate(rides) if r.every_n == step]
        b = np.abs(biases[idx])
        by_step.append(
            StepError(
                step,
                len(idx),
                float(100 * abs_err[idx].sum() / total[idx].sum()),
                float(b.mean()),
                float(b.max()),
            )
        )
    result = HoldOut(
        method=method,
        rides=n,
        seconds=int(wts.sum()),
        mae_pct=float(100 * abs_err.sum() / total.sum()),
        bias_mean_abs_pct=float(np.abs(biases).mean()),
        bias_max_abs_pct=float(np.abs(biases).max()),
        q05_pct=100 * _wquantile(rel, wts, 0.05),
        q95_pct=100 * _wquantile(rel, wts, 0.95),
        by_step=tuple(by_step),
    )
    return result, per_ride


def ride_residuals(model: BikeModel, rides: Sequence[RideSeries]) -> list[float]:
    """Each ride's median ``ln(P / P_hat)`` against ``model`` (what drift is detected on)."""
    import numpy as np

    out = []
    for ride in rides:
        pred = predict(model, ride.cadence, ride.resistance)
        out.append(float(np.median(np.log(np.asarray(ride.output, float) / pred))))
    return out


def analyze(
    series: Sequence[RideSeries], *, skipped: Sequence[str] = (), with_holdout: bool = True
) -> BikeModels:
    """Models per device and calibration era, change points and the ride table.

    A device whose rides hold fewer than :data:`MIN_SAMPLES` usable samples gets no model
    (its rides are listed in ``skipped``).
    """
    models: list[BikeModel] = []
    changes: list[ChangePoint] = []
    fits: list[RideFit] = []
    noise: dict[str, float] = {}
    left_out = list(skipped)
    devices: dict[str, list[RideSeries]] = {}
    for ride in series:
        devices.setdefault(ride.device, []).append(ride)
    for device, rides in devices.items():
        rides.sort(key=lambda r: r.start)
        try:
            pooled = fit_model(rides, device=device)
        except FitError as exc:
            left_out.extend(f"{r.workout_id}: device {device}: {exc}" for r in rides)
            continue
        residuals = ride_residuals(pooled, rides)
        segs = segment(residuals)
        noise[device] = 100 * segs.sigma
        bounds = [*segs.starts, len(rides)]
        for k, index in enumerate(segs.change_points):
            changes.append(ChangePoint(device, index, rides[index].start, segs.size(k)))
        for era, (a, b) in enumerate(itertools.pairwise(bounds), start=1):
            era_rides = rides[a:b]
            try:
                model = fit_model(era_rides, device=device, era=era)
            except FitError as exc:
                left_out.extend(f"{r.workout_id}: device {device} era {era}: {exc}" for r in era_rides)
                continue
            per_ride: list[tuple[float, float]] | None = None
            if with_holdout and len(era_rides) >= 2:
                try:
                    hold, per_ride = holdout(era_rides)
                except FitError as exc:  # the other rides are too little for a fold's model
                    left_out.append(f"device {device} era {era}: no hold-out error ({exc})")
                else:
                    model = _with_holdout(model, hold)
            for i, ride in enumerate(era_rides):
                fits.append(
                    RideFit(
                        workout_id=ride.workout_id,
                        start=ride.start,
                        device=device,
                        title=ride.title,
                        every_n=ride.every_n,
                        seconds=ride.seconds,
                        era=era,
                        residual_pct=100 * math.expm1(residuals[a + i]),
                        bias_pct=per_ride[i][0] if per_ride else None,
                        mae_pct=per_ride[i][1] if per_ride else None,
                    )
                )
            models.append(model)
    return BikeModels(tuple(models), tuple(changes), tuple(fits), tuple(left_out), noise)


def _with_holdout(model: BikeModel, hold: HoldOut) -> BikeModel:
    from dataclasses import replace

    return replace(model, holdout=hold, q05_pct=hold.q05_pct, q95_pct=hold.q95_pct)
