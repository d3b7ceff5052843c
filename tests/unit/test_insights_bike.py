"""The bike model: fit, hold-out, inversion, the ``bike`` command, the saved file, the recorded rides."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("numpy", reason="the insights extra (numpy) is not installed")

import itertools

from peloton_export.cli import run
from peloton_export.insights.fit import analyze, fit_model, holdout
from peloton_export.insights.model import models_from_json
from peloton_export.insights.rides import LAG_S, RideSeries, ride_series
from peloton_export.insights.store import load_models, load_rides, model_path
from peloton_export.model import Sample
from peloton_export.plugins import create_host
from peloton_export.source.importers import import_paths
from peloton_export.store.archive import Archive
from peloton_export.testing.synth.bike_history import SynthHistory, bike_history


@pytest.fixture(scope="module")
def history() -> SynthHistory:
    return bike_history(5, rides=24, ride_s=1200)


@pytest.fixture(scope="module")
def series(history: SynthHistory) -> tuple[RideSeries, ...]:
    """Every ride's series, in ride order (built once: the fits below only read them)."""
    found = tuple(s for w in history.workouts() if (s := ride_series(w)))
    assert len(found) == len(history.rides)
    return found


@pytest.fixture(scope="module")
def archive_root(history: SynthHistory, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bike") / "archive"
    history.put(Archive(root))
    return root


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = run(args, host=create_host(entry_points=False))
    out, err = capsys.readouterr()
    return code, out, err


# -- sample handling -----------------------------------------------------------------------------


def test_coasting_zero_cadence_glitches_and_lag_seconds_are_left_out(history: SynthHistory) -> None:
    workout = history.rides[0].workout()
    start = workout.start
    samples = [
        Sample(offset=i, time=start, power_w=100.0, cadence_rpm=c, resistance_pct=r)
        for i, (c, r) in enumerate(
            [
                (80, 40),
                (80, 40),
                (0, 40),
                (30, 40),
                (186, 40),
                (80, 45),
                (80, 45),
                (80, 45),
                (80, 45),
                (80, 45),
            ]
        )
    ]
    series = ride_series(replace(workout, samples=tuple(samples)))
    assert series is not None
    # kept: offsets 0, 1 and, after the change at offset 5, those from 5 + LAG_S on
    assert len(series.output) == 2 + (10 - 5 - LAG_S)
    assert series.cadence == (80.0,) * len(series.output)


def test_non_bike_workouts_have_no_series(history: SynthHistory) -> None:
    assert ride_series(replace(history.rides[0].workout(), discipline="running")) is None


# -- the fit -------------------------------------------------------------------------------------


def test_the_fit_is_monotone_and_close_to_the_true_map(
    history: SynthHistory, series: tuple[RideSeries, ...]
) -> None:
    model = fit_model(list(series))
    errors = []
    for cadence in range(60, 111, 10):
        previous = 0.0
        for resistance in range(25, 76, 5):
            watts = model.watts(cadence, resistance)
            assert watts > previous
            previous = watts
            # rides' day-to-day factors average to about 1
            errors.append(abs(watts / history.truth.watts(cadence, resistance) - 1))
    assert max(errors) < 0.04
    assert sum(errors) / len(errors) < 0.015


def test_outliers_do_not_move_the_fit(series: tuple[RideSeries, ...]) -> None:
    first = list(series[:8])
    clean = fit_model(first)
    spiked = [
        replace(s, output=tuple(p * 3 if i % 50 == 0 else p for i, p in enumerate(s.output))) for s in first
    ]
    robust = fit_model(spiked)
    assert robust.watts(90, 45) == pytest.approx(clean.watts(90, 45), rel=0.005)


def test_holdout_predicts_unseen_rides(series: tuple[RideSeries, ...]) -> None:
    hold, per_ride = holdout(list(series[:12]))
    assert hold.method == "leave-one-ride-out"
    assert hold.rides == 12 and len(per_ride) == 12
    assert 0.5 < hold.mae_pct < 3.0
    assert hold.bias_mean_abs_pct < 1.5
    assert hold.q05_pct < 0 < hold.q95_pct


def test_rides_of_another_device_get_their_own_model(series: tuple[RideSeries, ...]) -> None:
    first = series[:12]
    other = [replace(s, device="home_bike_plus", output=tuple(p * 1.3 for p in s.output)) for s in first[:6]]
    models = analyze([*first[6:], *other])
    assert models.devices() == ["home_bike_v1", "home_bike_plus"]
    v1, plus = models.latest("home_bike_v1"), models.latest("home_bike_plus")
    assert v1 is not None and plus is not None
    assert plus.watts(90, 40) / v1.watts(90, 40) == pytest.approx(1.3, abs=0.03)
    assert not models.change_points


# -- the command ---------------------------------------------------------------------------------


def test_bike_resistance_is_within_2_points_of_the_true_map(
    archive_root: Path, history: SynthHistory, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(
        ["bike", "resistance", "--output", "200", "--cadence", "90", "--archive", str(archive_root)], capsys
    )
    assert code == 0, err
    truth = history.truth.resistance_for(200, 90)
    assert truth is not None
    said = float(out.split("resistance ")[1].split(" %")[0])
    assert said == pytest.approx(truth, abs=2)
    models = load_models(model_path(archive_root))  # the command fitted and saved it
    assert models is not None
    model = models.latest()
    assert model is not None
    checked = 0
    for cadence in range(60, 111, 5):
        for watts in range(80, 351, 15):
            true_r = history.truth.resistance_for(watts, cadence)
            answer = model.resistance_for(watts, cadence)
            if true_r is None:
                assert answer.value is None or answer.value > 95
                continue
            assert answer.value is not None
            assert abs(answer.value - true_r) <= 2, (cadence, watts, answer, true_r)
            assert answer.low is not None and answer.high is not None
            assert answer.low <= answer.value <= answer.high
            checked += 1
    assert checked > 150


def test_bike_output_and_the_grid(
    archive_root: Path, history: SynthHistory, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(
        ["bike", "output", "--cadence", "90", "--resistance", "45", "--archive", str(archive_root)], capsys
    )
    assert code == 0
    watts = float(out.split("%: ")[1].split(" W")[0])
    assert watts == pytest.approx(history.truth.watts(90, 45), rel=0.03)
    assert "90 % range" in out
    code, out, _ = cli(["bike", "resistance", "--archive", str(archive_root)], capsys)
    assert code == 0
    rows = out.splitlines()
    assert rows[0].split()[-1] == "350" and rows[1].split()[0] == "60"
    # resistance falls with cadence at a given output, rises with output at a given cadence
    grid = [[float(c.rstrip("*")) for c in row.split()[1:]] for row in rows[1:7]]
    assert all(a < b for row in grid for a, b in itertools.pairwise(row))
    assert all(grid[i][j] > grid[i + 1][j] for i in range(5) for j in range(7))


def test_bike_model_reports_the_fit_and_its_rides(
    archive_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(["bike", "model", "--archive", str(archive_root)], capsys)
    assert code == 0, err
    assert "Bike home_bike_v1: 24 rides" in out
    assert "hold-out (leave-one-ride-out)" in out
    assert "no change point" in out
    assert out.count(" era 1 ") == 24
    code, out, _ = cli(["bike", "model", "--json", "--archive", str(archive_root)], capsys)
    data = json.loads(out)
    assert models_from_json(data).models[0].holdout is not None


def test_usage_errors_and_a_broken_model_file(
    archive_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(["bike", "resistance", "--output", "200", "--archive", str(archive_root)], capsys)
    assert code == 2 and "give both --output and --cadence" in err
    code, _, err = cli(
        [
            "bike",
            "output",
            "--cadence",
            "90",
            "--resistance",
            "45",
            "--device",
            "tread",
            "--archive",
            str(archive_root),
        ],
        capsys,
    )
    assert code == 2 and "no model for device 'tread'; devices: home_bike_v1" in err
    code, _, err = cli(["bike", "model", "--archive", str(tmp_path / "none")], capsys)
    assert code == 2 and "no archive at" in err and "Traceback" not in err
    path = model_path(archive_root)
    saved = path.read_bytes()
    try:
        path.write_text("{not json", encoding="utf-8")
        code, out, err = cli(
            ["bike", "output", "--cadence", "90", "--resistance", "45", "--archive", str(archive_root)],
            capsys,
        )
        assert code == 0 and "Ignoring the saved model" in err and " W " in out
    finally:
        path.write_bytes(saved)


def test_saved_model_round_trips(archive_root: Path, history: SynthHistory) -> None:
    series, skipped = load_rides(Archive(archive_root))
    assert len(series) == 24 and skipped == []
    models = analyze(series[:6])
    again = models_from_json(json.loads(json.dumps(models.to_json())))
    assert again == models
    with pytest.raises(ValueError, match="format"):
        models_from_json({"format": 99})
    bad = models.to_json()
    bad["models"][0]["terms"] = ["1", "evil"]
    with pytest.raises(ValueError, match="bad terms"):
        models_from_json(bad)


# -- the recorded rides ---------------------------------------------------------------------------


def test_recorded_rides_hold_out_error(fixtures_dir: Path, tmp_path: Path) -> None:
    """The numbers in benchmarks/README.md (leave-one-ride-out on the recorded Bike rides)."""
    archive = Archive(tmp_path / "archive")
    import_paths([fixtures_dir], archive)
    rides, skipped = load_rides(archive)
    assert len(rides) == 16 and skipped == []
    v1 = [r for r in rides if r.device == "home_bike_v1"]
    hold, _ = holdout(v1)
    by_step = {s.every_n: s for s in hold.by_step}
    assert by_step[1].rides == 9 and by_step[5].rides == 6
    assert by_step[1].mae_pct < 3.6
    assert by_step[5].mae_pct < 4.5
    assert hold.bias_mean_abs_pct < 2.0
    models = analyze(rides)
    assert [m.device for m in models.models].count("unknown") == 1  # no device: kept apart
