"""Hold-out error of the bike model on the recorded rides, and its recovery of a known bike.

Run from the project root with the ``insights`` extra installed::

    python benchmarks/bench_bike.py            # recorded rides (../shared) + synthetic bike
    python benchmarks/bench_bike.py --smoke    # a few seconds: small synthetic history only

Recorded rides: every Bike ride in ``../shared/fixtures/peloton-api`` is imported into a
temporary archive, normalized and cleaned (:mod:`peloton_export.insights.rides`); each ride
is then predicted by a model fitted on the *other* rides (leave one ride out), rides of
every device pooled (they are all ``home_bike_v1`` but one with no device, which a real
fit keeps apart) and rides per device as ``bike model`` fits them. Printed: the mean
absolute error of output per usable sample (percent of the mean output) and the per-ride
bias (predicted total output against the recorded one), for 1-s and 5-s rides.

Synthetic: a history from :mod:`peloton_export.testing.synth.bike_history` (known map,
noise, a -5 % step half way): the same hold-out error, the change point found, and the
largest resistance error of ``bike resistance`` against the true map over cadence 60-110
rpm x output 80-350 W. Measurements, not tests (the tests assert the claims).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from peloton_export.insights.fit import FitError, analyze, fit_model, holdout, predict  # noqa: E402
from peloton_export.insights.rides import RideSeries, ride_series  # noqa: E402
from peloton_export.insights.store import load_rides  # noqa: E402
from peloton_export.source.importers import import_paths  # noqa: E402
from peloton_export.store.archive import Archive  # noqa: E402
from peloton_export.testing.synth.bike_history import bike_history  # noqa: E402

FIXTURES = (
    Path(os.environ.get("PELOTON_EXPORT_SHARED") or ROOT.parent / "shared") / "fixtures" / "peloton-api"
)


def _table(title: str, rides: list[RideSeries]) -> None:
    hold, per_ride = holdout(rides)
    print(f"\n{title}: {hold.rides} rides, {hold.seconds:,} s used, {hold.method}")
    print("| rides | n | MAE per sample | mean abs bias | max abs bias |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for s in hold.by_step:
        print(
            f"| {s.every_n}-s | {s.rides} | {s.mae_pct:.2f} % | {s.bias_mean_abs_pct:.2f} % "
            f"| {s.bias_max_abs_pct:.2f} % |"
        )
    print(
        f"| all | {hold.rides} | {hold.mae_pct:.2f} % | {hold.bias_mean_abs_pct:.2f} % "
        f"| {hold.bias_max_abs_pct:.2f} % |"
    )
    print(f"90 % of held-out samples read {hold.q05_pct:+.1f} % .. {hold.q95_pct:+.1f} % of the prediction")
    worst = sorted(zip(rides, per_ride, strict=True), key=lambda x: -abs(x[1][0]))[:5]
    for ride, (bias, mae) in worst:
        print(
            f"  {ride.start.date()} {ride.workout_id[:8]} {ride.every_n}-s {ride.seconds:5d} s"
            f"  bias {bias:+.2f} %  MAE {mae:.2f} %  {ride.title[:40]}"
        )


def _mae(pred: list[float], actual: list[float]) -> tuple[float, float]:
    """(sum of absolute errors, sum of output) of one ride's prediction."""
    return sum(abs(p - a) for p, a in zip(pred, actual, strict=True)), sum(actual)


def floor(title: str, rides: list[RideSeries]) -> None:
    """What no model of other bikes can remove: the error left with each ride's own calibration.

    Three figures per sample step, each the MAE per sample as a percent of output:
    held out (a model of the other rides), held out with the prediction rescaled by the
    ride's own bias (a perfect per-bike calibration, known only after the ride), and the
    same model form fitted on the ride itself (the form's own floor at this resolution).
    """
    rows: dict[int, list[float]] = {}
    for i, ride in enumerate(rides):
        others = [r for j, r in enumerate(rides) if j != i]
        try:
            model = fit_model(others)
            own = fit_model([ride])
        except FitError:
            continue
        actual = list(ride.output)
        pred = [float(v) for v in predict(model, ride.cadence, ride.resistance)]
        scale = sum(actual) / sum(pred)
        mine = [float(v) for v in predict(own, ride.cadence, ride.resistance)]
        err, out = _mae(pred, actual)
        cal, _ = _mae([p * scale for p in pred], actual)
        self_err, _ = _mae(mine, actual)
        acc = rows.setdefault(ride.every_n, [0.0, 0.0, 0.0, 0.0, 0.0])
        acc[0] += err
        acc[1] += cal
        acc[2] += self_err
        acc[3] += out
        acc[4] += 1
    print(f"\n{title}: the floor (MAE per sample)")
    print("| rides | n | held out | held out, own calibration | form fitted on the ride itself |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for step, (err, cal, self_err, out, n) in sorted(rows.items()):
        print(
            f"| {step}-s | {int(n)} | {100 * err / out:.2f} % | {100 * cal / out:.2f} % "
            f"| {100 * self_err / out:.2f} % |"
        )


def recorded() -> None:
    if not FIXTURES.is_dir():
        print(f"{FIXTURES} is absent: recorded-ride table skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        archive = Archive(Path(tmp) / "archive")
        import_paths([FIXTURES], archive)
        rides, skipped = load_rides(archive)
    print(f"recorded Bike rides with usable samples: {len(rides)}; left out: {len(skipped)}")
    for line in skipped:
        print(f"  left out {line}")
    _table("All recorded rides pooled", rides)
    floor("All recorded rides pooled", rides)
    devices: dict[str, list[RideSeries]] = {}
    for ride in rides:
        devices.setdefault(ride.device, []).append(ride)
    for device, group in devices.items():
        if len(group) >= 2:
            _table(f"Device {device}", group)
        else:
            print(f"\nDevice {device}: {len(group)} ride, no hold-out possible")
    models = analyze(rides)
    for change in models.change_points:
        print(f"change point: {change.device}: {change.sentence()}")
    print(f"per-ride residual noise by device: { {k: round(v, 2) for k, v in models.noise_pct.items()} } %")


def synthetic(rides: int, ride_s: int, every_n: int = 1) -> None:
    step_at = rides // 2
    history = bike_history(7, rides=rides, ride_s=ride_s, step_at=step_at, every_n=every_n)
    series = [s for w in history.workouts() if (s := ride_series(w)) is not None]
    t0 = time.perf_counter()
    models = analyze(series)
    took = time.perf_counter() - t0
    print(
        f"\nSynthetic bike, seed 7: {rides} rides of {ride_s} s at {every_n}-s, step -5 % at ride "
        f"{step_at} ({history.step_date:%Y-%m-%d}); analyze took {took:.1f} s"
    )
    for model in models.models:
        hold = model.holdout
        if hold:
            print(
                f"  era {model.era}: {hold.rides} rides, {model.terms}; MAE {hold.mae_pct:.2f} %, "
                f"bias mean |{hold.bias_mean_abs_pct:.2f}| % max {hold.bias_max_abs_pct:.2f} %"
            )
    for change in models.change_points:
        print(
            f"  change point at ride {change.index} (true {step_at}): {change.sentence()} (true 5.0 % lower)"
        )
    model = models.latest()
    assert model is not None
    worst = 0.0
    for cadence in range(60, 111, 5):
        for watts in range(80, 351, 10):
            truth = history.truth.resistance_for(watts / 0.95, cadence)
            answer = model.resistance_for(watts, cadence)
            if truth is None or answer.value is None:
                continue
            worst = max(worst, abs(answer.value - truth))
    print(
        f"  bike resistance vs the true map, cadence 60-110 x output 80-350 W: worst error {worst:.2f} points"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few seconds: a small synthetic history only")
    args = parser.parse_args()
    if args.smoke:
        synthetic(rides=20, ride_s=600)
        return
    recorded()
    synthetic(rides=200, ride_s=1200)
    synthetic(rides=60, ride_s=1200, every_n=5)


if __name__ == "__main__":
    main()
