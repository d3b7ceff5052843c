"""The fitted bike model: evaluate, invert and store it in pure Python (no numpy).

Form (fitted by :mod:`peloton_export.insights.fit`)::

    ln P = sum_i coef_i * term_i(L, rho),  L = ln(C / 90),  rho = R / 100 - 0.4

with P in W, C the cadence in rpm and R the resistance in percent. The terms are ``1``,
``L``, ``L2`` (L**2), ``rho``, ``rho2``, ``rho3`` and ``L*rho``: an eddy-current brake's
power is a cadence power law whose exponent and scale change smoothly with the magnets'
position, which a low-order polynomial in ``(ln C, R)`` captures (``ln P`` is what a
percentage error is measured in). The fit keeps only the terms that leave ``P`` rising
in both cadence and resistance over the data (see ``fit``).

Outside the cadence and resistance range the model was fitted on (its ``domain``), ``ln P``
continues along its slope at the edge (straight lines in log space): smooth, still
rising, and flagged as extrapolated in every answer.

Everything a plain export needs (class cues in watts) uses only this module.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

REF_CADENCE = 90.0
REF_RESISTANCE = 40.0
#: Version of the saved JSON layout (``bike-model.json``).
MODEL_FORMAT = 1
#: Read-back bounds of a saved model (a fitted one is far inside them; a damaged file is
#: refused): coefficients of ``ln P``, the fitted cadence (rpm) and resistance (%) ranges,
#: the 90 % range's percents, and the largest ``ln P`` an answer is evaluated to (e**12 is
#: about 163 kW: no answer overflows, whatever a class's cue asks).
MAX_COEF = 100.0
CADENCE_BOUNDS = (1.0, 250.0)
RESISTANCE_BOUNDS = (0.0, 100.0)
PCT_BOUNDS = (-100.0, 1000.0)
MAX_LOG_WATTS = 12.0

_Term = tuple[
    Callable[[float, float], float], Callable[[float, float], float], Callable[[float, float], float]
]
#: term -> (value, d/dL, d/drho)
TERMS: dict[str, _Term] = {
    "1": (lambda L, p: 1.0, lambda L, p: 0.0, lambda L, p: 0.0),
    "L": (lambda L, p: L, lambda L, p: 1.0, lambda L, p: 0.0),
    "L2": (lambda L, p: L * L, lambda L, p: 2.0 * L, lambda L, p: 0.0),
    "rho": (lambda L, p: p, lambda L, p: 0.0, lambda L, p: 1.0),
    "rho2": (lambda L, p: p * p, lambda L, p: 0.0, lambda L, p: 2.0 * p),
    "rho3": (lambda L, p: p**3, lambda L, p: 0.0, lambda L, p: 3.0 * p * p),
    "L*rho": (lambda L, p: L * p, lambda L, p: p, lambda L, p: L),
}


def to_features(cadence: float, resistance: float) -> tuple[float, float]:
    """``(L, rho)`` of a cadence (rpm, > 0) and a resistance (percent)."""
    return math.log(cadence / REF_CADENCE), resistance / 100.0 - REF_RESISTANCE / 100.0


@dataclass(frozen=True, slots=True)
class StepError:
    """Hold-out error of the rides sampled every ``every_n`` seconds (percent)."""

    every_n: int
    rides: int
    mae_pct: float
    bias_mean_abs_pct: float
    bias_max_abs_pct: float


@dataclass(frozen=True, slots=True)
class HoldOut:
    """How well the model predicts rides it was not fitted on.

    ``mae_pct``: the mean absolute error of output per usable sample as a percent of the
    mean output (sum |P_hat - P| / sum P, weighted by seconds per sample). A ride's *bias*
    is its total predicted output against its recorded one (sum P_hat / sum P - 1).
    ``q05_pct``/``q95_pct``: 90 % of held-out samples read between these percents of the
    prediction (P / P_hat - 1). ``method`` says how rides were held out.
    """

    method: str
    rides: int
    seconds: int
    mae_pct: float
    bias_mean_abs_pct: float
    bias_max_abs_pct: float
    q05_pct: float
    q95_pct: float
    by_step: tuple[StepError, ...] = ()


@dataclass(frozen=True, slots=True)
class Answer:
    """A prediction with its 90 % range; ``value`` is ``None`` when it cannot be reached."""

    value: float | None
    low: float | None
    high: float | None
    extrapolated: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class BikeModel:
    """One device's (and one calibration era's) power map; see the module docstring.

    ``cadence_range`` (rpm) and ``resistance_range`` (percent) are the 1st-99th
    percentiles of the samples it was fitted on. ``era_start``/``era_end`` are the first and
    last ride of the era. ``q05_pct``/``q95_pct`` come from ``holdout`` when there is one,
    else from the fit's own residuals.
    """

    device: str
    terms: tuple[str, ...]
    coef: tuple[float, ...]
    cadence_range: tuple[float, float]
    resistance_range: tuple[float, float]
    rides: tuple[str, ...]
    seconds: int
    era: int = 1
    era_start: datetime | None = None
    era_end: datetime | None = None
    holdout: HoldOut | None = None
    q05_pct: float = -5.0
    q95_pct: float = 5.0

    def _poly(self, L: float, p: float) -> tuple[float, float, float]:
        value = dl = dp = 0.0
        for name, c in zip(self.terms, self.coef, strict=True):
            f, fl, fp = TERMS[name]
            value += c * f(L, p)
            dl += c * fl(L, p)
            dp += c * fp(L, p)
        return value, dl, dp

    def log_watts(self, cadence: float, resistance: float) -> float:
        """``ln P`` (W) at ``cadence`` rpm (> 0) and ``resistance`` percent."""
        L, p = to_features(cadence, resistance)
        lo_l, hi_l = (math.log(c / REF_CADENCE) for c in self.cadence_range)
        lo_p, hi_p = (r / 100.0 - REF_RESISTANCE / 100.0 for r in self.resistance_range)
        cl, cp = min(max(L, lo_l), hi_l), min(max(p, lo_p), hi_p)
        value, dl, dp = self._poly(cl, cp)
        return value + dl * (L - cl) + dp * (p - cp)

    def watts(self, cadence: float, resistance: float) -> float:
        """Predicted output (W) at ``cadence`` rpm and ``resistance`` percent; 0 at 0 rpm (and
        for a non-finite input); at most ``e**MAX_LOG_WATTS`` far outside the fitted range."""
        if not cadence > 0 or not math.isfinite(cadence) or not math.isfinite(resistance):
            return 0.0
        return math.exp(min(self.log_watts(cadence, resistance), MAX_LOG_WATTS))

    def inside(self, cadence: float, resistance: float) -> bool:
        """True when both values lie in the range the model was fitted on."""
        return (
            self.cadence_range[0] <= cadence <= self.cadence_range[1]
            and self.resistance_range[0] <= resistance <= self.resistance_range[1]
        )

    def output(self, cadence: float, resistance: float) -> Answer:
        """Watts at a cadence and resistance, with the 90 % range of held-out seconds.

        :raises ValueError: for a cadence at or below 0 rpm or a resistance outside 0-100.
        """
        if cadence <= 0 or not 0 <= resistance <= 100:
            raise ValueError("cadence must be above 0 rpm and resistance within 0-100 %")
        watts = self.watts(cadence, resistance)
        outside = not self.inside(cadence, resistance)
        return Answer(
            watts,
            watts * (1 + self.q05_pct / 100),
            watts * (1 + self.q95_pct / 100),
            outside,
            "outside the fitted range" if outside else "",
        )

    def resistance_for(self, watts: float, cadence: float) -> Answer:
        """The resistance (percent) that gives ``watts`` at ``cadence`` rpm, with the range
        of resistances whose 90 % band holds ``watts``; ``value`` is ``None`` when even
        100 % gives less.

        :raises ValueError: for non-positive watts or cadence.
        """
        if watts <= 0 or cadence <= 0:
            raise ValueError("output and cadence must be above 0")
        best = self._solve(watts, cadence, 1.0)
        # A bike that reads higher than predicted needs less resistance, and the other way round.
        low = self._solve(watts, cadence, 1 + self.q95_pct / 100)
        high = self._solve(watts, cadence, 1 + self.q05_pct / 100)
        if best is None:
            return Answer(None, low, high, True, "more than 100 % resistance would be needed")
        outside = not self.inside(cadence, best)
        if best == 0.0:
            return Answer(best, low, high, outside, "even 0 % resistance gives more at this cadence")
        return Answer(best, low, high, outside, "outside the fitted range" if outside else "")

    def _solve(self, watts: float, cadence: float, scale: float) -> float | None:
        """The resistance where ``scale * P(cadence, R) == watts`` (bisection; P rises in R)."""

        def at(r: float) -> float:
            return scale * self.watts(cadence, r)

        lo, hi = 0.0, 100.0
        if at(hi) < watts:
            return None
        if at(lo) >= watts:
            return 0.0
        for _ in range(50):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if at(mid) < watts else (lo, mid)
        return (lo + hi) / 2

    def formula(self) -> str:
        """The fitted formula as one line of text."""
        parts = [
            f"{c:+.4f}" + ("" if t == "1" else f"*{t}") for t, c in zip(self.terms, self.coef, strict=True)
        ]
        return "ln P = " + " ".join(parts) + "  (L = ln(C/90), rho = R/100 - 0.4)"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (see :func:`model_from_json`)."""
        hold = self.holdout
        return {
            "device": self.device,
            "era": self.era,
            "era_start": _iso(self.era_start),
            "era_end": _iso(self.era_end),
            "terms": list(self.terms),
            "coef": list(self.coef),
            "cadence_range": list(self.cadence_range),
            "resistance_range": list(self.resistance_range),
            "rides": list(self.rides),
            "seconds": self.seconds,
            "q05_pct": self.q05_pct,
            "q95_pct": self.q95_pct,
            "holdout": None
            if hold is None
            else {
                "method": hold.method,
                "rides": hold.rides,
                "seconds": hold.seconds,
                "mae_pct": hold.mae_pct,
                "bias_mean_abs_pct": hold.bias_mean_abs_pct,
                "bias_max_abs_pct": hold.bias_max_abs_pct,
                "q05_pct": hold.q05_pct,
                "q95_pct": hold.q95_pct,
                "by_step": [
                    {
                        "every_n": s.every_n,
                        "rides": s.rides,
                        "mae_pct": s.mae_pct,
                        "bias_mean_abs_pct": s.bias_mean_abs_pct,
                        "bias_max_abs_pct": s.bias_max_abs_pct,
                    }
                    for s in hold.by_step
                ],
            },
        }


def model_from_json(data: Mapping[str, Any]) -> BikeModel:
    """A :class:`BikeModel` from :meth:`BikeModel.to_json` output.

    :raises ValueError: a missing or malformed field, or an unknown term (the message says which).
    """
    try:
        terms = tuple(str(t) for t in data["terms"])
        coef = tuple(_bounded(c, -MAX_COEF, MAX_COEF, "coefficient") for c in data["coef"])
        unknown = [t for t in terms if t not in TERMS]
        if unknown or len(terms) != len(coef) or not terms:
            raise ValueError(f"bad terms {list(terms)!r}")
        hold = data.get("holdout")
        holdout = None
        if hold:
            holdout = HoldOut(
                method=str(hold["method"]),
                rides=_count(hold["rides"]),
                seconds=_count(hold["seconds"]),
                mae_pct=_pct(hold["mae_pct"]),
                bias_mean_abs_pct=_pct(hold["bias_mean_abs_pct"]),
                bias_max_abs_pct=_pct(hold["bias_max_abs_pct"]),
                q05_pct=_pct(hold["q05_pct"]),
                q95_pct=_pct(hold["q95_pct"]),
                by_step=tuple(
                    StepError(
                        _count(s["every_n"]),
                        _count(s["rides"]),
                        _pct(s["mae_pct"]),
                        _pct(s["bias_mean_abs_pct"]),
                        _pct(s["bias_max_abs_pct"]),
                    )
                    for s in hold.get("by_step") or ()
                ),
            )
        return BikeModel(
            device=str(data["device"]),
            era=_count(data.get("era", 1)),
            era_start=_date(data.get("era_start")),
            era_end=_date(data.get("era_end")),
            terms=terms,
            coef=coef,
            cadence_range=_pair(data["cadence_range"], CADENCE_BOUNDS, "cadence range"),
            resistance_range=_pair(data["resistance_range"], RESISTANCE_BOUNDS, "resistance range"),
            rides=tuple(str(r) for r in data.get("rides") or ()),
            seconds=_count(data.get("seconds", 0)),
            holdout=holdout,
            q05_pct=_bounded(data.get("q05_pct", -5.0), *PCT_BOUNDS, "q05_pct"),
            q95_pct=_bounded(data.get("q95_pct", 5.0), *PCT_BOUNDS, "q95_pct"),
        )
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise ValueError(f"malformed bike model ({type(exc).__name__}: {exc})") from None


@dataclass(frozen=True, slots=True)
class ChangePoint:
    """A sustained shift of a device's per-ride residual: from ``date`` (the first ride
    after it, ``index`` in the device's rides by start) the bike reads ``size`` (a
    fraction, -0.05 is 5 % lower) differently at the same cadence and resistance."""

    device: str
    index: int
    date: datetime
    size: float

    def sentence(self) -> str:
        """``since 2025-03-14 this bike reads 7.0 % lower at the same cadence and resistance``."""
        way = "lower" if self.size < 0 else "higher"
        return (
            f"since {self.date.date().isoformat()} this bike reads {abs(self.size) * 100:.1f} % {way} "
            "at the same cadence and resistance"
        )


@dataclass(frozen=True, slots=True)
class RideFit:
    """One ride in a fit: its era, the usable seconds and how the model did on it.

    ``residual_pct``: the ride's median ``P / P_hat - 1`` against the device's pooled
    model (what drift is detected on); ``bias_pct``/``mae_pct``: the hold-out bias and
    error (see :class:`HoldOut`), ``None`` when the ride could not be held out.
    """

    workout_id: str
    start: datetime
    device: str
    title: str
    every_n: int
    seconds: int
    era: int
    residual_pct: float
    bias_pct: float | None = None
    mae_pct: float | None = None


@dataclass(frozen=True, slots=True)
class BikeModels:
    """Every device's era models, change points and rides (what ``bike model`` saves)."""

    models: tuple[BikeModel, ...]
    change_points: tuple[ChangePoint, ...] = ()
    rides: tuple[RideFit, ...] = ()
    skipped: tuple[str, ...] = field(default=())
    #: The per-ride residual's noise (percent SD) by device, as drift detection saw it.
    noise_pct: Mapping[str, float] = field(default_factory=dict)

    def devices(self) -> list[str]:
        """The devices with a model, in first-seen order."""
        return list(dict.fromkeys(m.device for m in self.models))

    def for_ride(self, device: str, when: datetime) -> BikeModel | None:
        """The model of ``device`` for a ride at ``when``: the era it falls in, else the
        nearest era before it, else the first; ``None`` when the device has no model."""
        eras = sorted((m for m in self.models if m.device == device), key=lambda m: m.era)
        if not eras:
            return None
        chosen = eras[0]
        for model in eras:
            if model.era_start is None or model.era_start <= when:
                chosen = model
        return chosen

    def latest(self, device: str | None = None) -> BikeModel | None:
        """The newest era's model of ``device`` (default: the device with the most seconds)."""
        if device is None:
            totals: dict[str, int] = {}
            for m in self.models:
                totals[m.device] = totals.get(m.device, 0) + m.seconds
            if not totals:
                return None
            device = max(totals, key=lambda d: totals[d])
        eras = [m for m in self.models if m.device == device]
        return max(eras, key=lambda m: m.era) if eras else None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (see :func:`models_from_json`)."""
        return {
            "format": MODEL_FORMAT,
            "models": [m.to_json() for m in self.models],
            "change_points": [
                {"device": c.device, "index": c.index, "date": _iso(c.date), "size": c.size}
                for c in self.change_points
            ],
            "noise_pct": dict(self.noise_pct),
            "rides": [
                {
                    "workout_id": r.workout_id,
                    "start": _iso(r.start),
                    "device": r.device,
                    "title": r.title,
                    "every_n": r.every_n,
                    "seconds": r.seconds,
                    "era": r.era,
                    "residual_pct": r.residual_pct,
                    "bias_pct": r.bias_pct,
                    "mae_pct": r.mae_pct,
                }
                for r in self.rides
            ],
            "skipped": list(self.skipped),
        }


def models_from_json(data: Mapping[str, Any]) -> BikeModels:
    """A :class:`BikeModels` from :meth:`BikeModels.to_json` output.

    :raises ValueError: an unknown format or a malformed entry (the message says which).
    """
    if not isinstance(data, Mapping) or data.get("format") != MODEL_FORMAT:
        raise ValueError(f"not a bike model file of format {MODEL_FORMAT}")
    try:
        models = tuple(model_from_json(m) for m in data["models"])
        changes = tuple(
            ChangePoint(
                str(c["device"]),
                _count(c["index"]),
                _need_date(c["date"]),
                _bounded(c["size"], -1.0, 10.0, "size"),
            )
            for c in data.get("change_points") or ()
        )
        rides = tuple(
            RideFit(
                workout_id=str(r["workout_id"]),
                start=_need_date(r["start"]),
                device=str(r["device"]),
                title=str(r.get("title", "")),
                every_n=_count(r["every_n"]),
                seconds=_count(r["seconds"]),
                era=_count(r["era"]),
                residual_pct=_pct(r["residual_pct"]),
                bias_pct=None if r.get("bias_pct") is None else _pct(r["bias_pct"]),
                mae_pct=None if r.get("mae_pct") is None else _pct(r["mae_pct"]),
            )
            for r in data.get("rides") or ()
        )
        noise = {str(k): _pct(v) for k, v in (data.get("noise_pct") or {}).items()}
        skipped = tuple(str(s) for s in data.get("skipped") or ())
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"malformed bike model file ({type(exc).__name__}: {exc})") from None
    return BikeModels(models, changes, rides, skipped, noise)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _date(value: object) -> datetime | None:
    if value is None:
        return None
    return _need_date(value)


def _need_date(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO date, got {value!r}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"date without a timezone: {value!r}")
    return parsed


def _finite(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value!r}")
    return float(value)


def _bounded(value: object, lo: float, hi: float, what: str) -> float:
    number = _finite(value)
    if not lo <= number <= hi:
        raise ValueError(f"{what} {number!r} is outside {lo:g}..{hi:g}")
    return number


def _pct(value: object) -> float:
    return _bounded(value, *PCT_BOUNDS, "percent")


#: The largest count a model file may hold (rides, seconds, an era or index).
MAX_COUNT = 10**9


def _count(value: object) -> int:
    """A whole non-negative number of at most :data:`MAX_COUNT` (JSON ``3`` or ``3.0``)."""
    number = _finite(value)
    if not (0 <= number <= MAX_COUNT and number == int(number)):
        raise ValueError(f"expected a count, got {value!r}")
    return int(number)


def _pair(
    value: Sequence[Any] | Iterable[Any], bounds: tuple[float, float], what: str
) -> tuple[float, float]:
    lo, hi = (_bounded(v, *bounds, what) for v in value)
    if not lo < hi:
        raise ValueError(f"bad {what} {lo!r}..{hi!r}")
    return lo, hi
