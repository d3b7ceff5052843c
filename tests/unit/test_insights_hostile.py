"""Hostile data for the bike model (issue 28 review): rides no bike records, a damaged model
file, class cues no class asks. Each is a line naming what was wrong, never a traceback."""

from __future__ import annotations

import json
import logging
import math
import random
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("numpy", reason="the insights extra (numpy) is not installed")

from peloton_export.cli import run
from peloton_export.insights.cues import class_cues
from peloton_export.insights.fit import analyze
from peloton_export.insights.model import models_from_json
from peloton_export.insights.rides import RideSeries, ride_series
from peloton_export.insights.store import model_path, save_models
from peloton_export.model import Sample, TargetRange
from peloton_export.plugins import create_host
from peloton_export.store.archive import Archive
from peloton_export.testing.synth.bike_history import SynthHistory, bike_history

START = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def history() -> SynthHistory:
    return bike_history(11, rides=8, ride_s=600)


@pytest.fixture(scope="module")
def saved(history: SynthHistory, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive of the history with its fitted model saved."""
    root = tmp_path_factory.mktemp("hostile-bike") / "archive"
    history.put(Archive(root))
    series = [s for s in (ride_series(w) for w in history.workouts()) if s is not None]
    save_models(root, analyze(series))
    return root


def series(i: int, cad: list[float], res: list[float], out: list[float]) -> RideSeries:
    return RideSeries(
        f"{i:032x}",
        START + timedelta(days=i),
        "home_bike_v1",
        f"ride {i}",
        1,
        tuple(cad),
        tuple(res),
        tuple(out),
        len(out),
    )


def natural(i: int, n: int = 400) -> RideSeries:
    rng = random.Random(i)
    cad = [rng.uniform(60, 110) for _ in range(n)]
    res = [float(rng.randint(20, 60)) for _ in range(n)]
    out = [
        math.exp(4.7 + 1.1 * math.log(c / 90) + 3.7 * (r / 100 - 0.4)) * rng.gauss(1, 0.02)
        for c, r in zip(cad, res, strict=True)
    ]
    return series(i, cad, res, out)


# -- the fit ---------------------------------------------------------------------------------------


def test_rides_at_one_setting_are_a_line_not_a_singular_matrix() -> None:
    """Every second at 90 rpm and 40 %: no form can be fitted (numpy's LinAlgError before)."""
    rides = [series(i, [90.0] * 100, [40.0] * 100, [150.0] * 100) for i in range(5)]
    models = analyze(rides)
    assert models.models == ()
    assert (
        len(models.skipped) == 5 and "too few distinct cadence and resistance settings" in models.skipped[0]
    )


def test_a_tiny_second_ride_leaves_the_model_without_a_hold_out(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A full ride and a 2-sample one: the fold that holds out the full ride has nothing to
    fit on (a FitError traceback from ``bike model`` before); the model stays, with a line."""
    models = analyze([natural(0), series(1, [90.0, 91.0], [40.0, 41.0], [150.0, 152.0])])
    assert len(models.models) == 1 and models.models[0].holdout is None
    assert models.skipped == (
        "device home_bike_v1 era 1: no hold-out error (2 usable samples; a bike model needs at least 30)",
    )
    from peloton_export.insights.cli import model_lines

    text = "\n".join(model_lines(models))
    assert "hold-out: none (the other rides are too short for a fold: see 'left out')" in text


def test_samples_no_bike_reads_are_left_out(history: SynthHistory) -> None:
    """NaN resistance, 1e300 W, 3001 W and resistance above 100 % never reach a fit."""
    workout = history.rides[0].workout()
    good = Sample(offset=0, time=workout.start, power_w=150.0, cadence_rpm=90.0, resistance_pct=40.0)
    bad = [
        replace(good, resistance_pct=math.nan),
        replace(good, power_w=1e300),
        replace(good, power_w=3001.0),
        replace(good, power_w=math.inf),
        replace(good, resistance_pct=140.0),
        replace(good, cadence_rpm=math.nan),
    ]
    samples = [good] + [replace(s, offset=10 * (i + 1)) for i, s in enumerate(bad)]
    got = ride_series(replace(workout, samples=tuple(samples)))
    assert got is not None and got.output == (150.0,) and got.resistance == (40.0,)


def test_thousands_of_short_rides_fit(history: SynthHistory) -> None:
    rides = [natural(i, 40) for i in range(1500)]
    models = analyze(rides, with_holdout=False)
    assert len(models.models) >= 1 and len(models.rides) == 1500


# -- the saved model file --------------------------------------------------------------------------


def damaged(root: Path, change: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(model_path(root).read_text(encoding="utf-8"))
    model = data["models"][0]
    if change == "coef":
        model["coef"][0] = 1e300
    elif change == "era":
        model["era"] = math.inf
    elif change == "range":
        model["q05_pct"] = model["q95_pct"] = 1e308
    elif change == "residual":
        data["rides"][0]["residual_pct"] = -1e300
    elif change == "cadence":
        model["cadence_range"] = [-5.0, 1e9]
    elif change == "seconds":
        model["seconds"] = 2.5
    return data


CHANGES = ["coef", "era", "range", "residual", "cadence", "seconds"]


@pytest.mark.parametrize("change", CHANGES)
def test_a_damaged_model_file_is_refused_with_the_field(saved: Path, change: str) -> None:
    """Before: ``era: inf`` was an OverflowError, ``coef: 1e300`` a math range error in every
    export's HTML and JSON, ``q05_pct: 1e308`` a 300-digit range from ``bike output``."""
    with pytest.raises(ValueError) as raised:
        models_from_json(damaged(saved, change))
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("change", ["coef", "era", "range"])
def test_an_export_with_a_damaged_model_warns_once_and_writes_every_file(
    saved: Path,
    tmp_path: Path,
    change: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = tmp_path / "archive"
    shutil.copytree(saved, root)
    model_path(root).write_text(json.dumps(damaged(saved, change)), encoding="utf-8")
    args = [
        "--offline",
        "--archive",
        str(root),
        "-o",
        str(tmp_path / "out"),
        "-f",
        "json,html",
        "-q",
        "-j",
        "1",
    ]
    with caplog.at_level(logging.WARNING):
        code = run(args, host=create_host(entry_points=False))
    out, err = capsys.readouterr()
    assert code == 0, out + err
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and str(model_path(root)) in warnings[0] and "bike model" in warnings[0], (
        warnings
    )
    pages = list((tmp_path / "out").glob("*.json"))
    assert len(pages) == 8 and all("class_cues" not in json.loads(p.read_text()) for p in pages)
    assert len(list((tmp_path / "out").glob("*.html"))) == 9  # 8 rides and index.html


def test_bike_output_with_a_damaged_model_fits_again(
    saved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "archive"
    shutil.copytree(saved, root)
    model_path(root).write_text(json.dumps(damaged(saved, "range")), encoding="utf-8")
    args = ["bike", "output", "--cadence", "90", "--resistance", "45", "--archive", str(root)]
    code = run(args, host=create_host(entry_points=False))
    out, err = capsys.readouterr()
    assert code == 0 and "Ignoring the saved model" in err and "q05_pct" in err
    low, high = (float(v) for v in out.split("90 % range ")[1].split(" W")[0].split("-"))
    assert 50 < low < high < 400, out


# -- answers and cues ------------------------------------------------------------------------------


def test_answers_far_outside_never_overflow(saved: Path, history: SynthHistory) -> None:
    models = models_from_json(json.loads(model_path(saved).read_text(encoding="utf-8")))
    model = models.models[0]
    assert math.isfinite(model.watts(1e300, 100)) and model.watts(math.inf, 50) == 0.0
    assert model.watts(math.nan, 50) == 0.0
    workout = history.rides[0].workout()
    hostile = (
        TargetRange(start_offset=0, end_offset=60, metric="cadence", lower=80.0, upper=1e300),
        TargetRange(start_offset=0, end_offset=60, metric="resistance", lower=30.0, upper=40.0),
        TargetRange(start_offset=61, end_offset=120, metric="cadence", lower=80.0, upper=90.0),
        TargetRange(start_offset=61, end_offset=120, metric="resistance", lower=30.0, upper=400.0),
        TargetRange(start_offset=121, end_offset=180, metric="cadence", lower=80.0, upper=90.0),
        TargetRange(start_offset=121, end_offset=180, metric="resistance", lower=30.0, upper=40.0),
    )
    cues = class_cues(replace(workout, targets=hostile), model)
    assert [(c.start_offset, c.end_offset) for c in cues] == [(121, 180)]


def test_resistance_out_of_reach_and_below_zero_say_so(
    saved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def ask(watts: str, cadence: str) -> str:
        args = ["bike", "resistance", "--output", watts, "--cadence", cadence, "--archive", str(saved)]
        assert run(args, host=create_host(entry_points=False)) == 0
        return capsys.readouterr().out.splitlines()[0]

    # before: "resistance - % (90 % range --- %) (more than 100 % resistance would be needed)"
    assert ask("2500", "60").startswith(
        "2500 W at 60 rpm: out of reach (more than 100 % resistance would be needed)"
    )
    # before: "resistance 0.0 % (90 % range 0.0-0.0 %) (outside the fitted range)"
    assert "even 0 % resistance gives more at this cadence" in ask("5", "150")
