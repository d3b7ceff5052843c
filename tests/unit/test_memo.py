"""Computed once per workout (issue 24): the writers of one export share the lap plan, the
zone times, the totals, the statistics and the merged points instead of computing them again,
and a shared result never leaks to another workout or to a caller that changes its copy."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from peloton_export.normalize import normalize
from peloton_export.plugins import create_host
from peloton_export.specs import ExportContext
from peloton_export.testing.synth import synth_workout
from peloton_export.workout import laps, memo, series, stats, totals, zones

FORMATS = ("csv", "fit", "html", "json", "parquet", "tcx")


@pytest.fixture(autouse=True)
def _fresh_memo() -> Any:
    memo.clear()
    yield
    memo.clear()


def _counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    calls: list[int] = []
    real = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_once_computes_once_per_workout_and_key() -> None:
    ride = normalize(synth_workout("cycling_class", duration_s=120))
    other = replace(ride, title="another object")
    calls: list[str] = []

    def compute(tag: str) -> str:
        calls.append(tag)
        return tag

    assert memo.once(ride, "k", lambda: compute("a")) == "a"
    assert memo.once(ride, "k", lambda: compute("b")) == "a"
    assert memo.once(ride, "other key", lambda: compute("c")) == "c"
    assert memo.once(other, "k", lambda: compute("d")) == "d"  # an equal-looking copy is its own workout
    assert calls == ["a", "c", "d"]


def test_a_failed_computation_keeps_nothing() -> None:
    ride = normalize(synth_workout("cycling_class", duration_s=120))

    def boom() -> int:
        raise ValueError("no")

    with pytest.raises(ValueError):
        memo.once(ride, "k", boom)
    assert memo.once(ride, "k", lambda: 7) == 7


def test_only_the_last_few_workouts_are_kept() -> None:
    rides = [normalize(synth_workout("cycling_class", seed=n, duration_s=60)) for n in range(memo.KEEP + 2)]
    for ride in rides:
        memo.once(ride, "k", lambda: 1)
    assert len(memo._CACHE) == memo.KEEP


def test_every_writer_of_one_workout_shares_one_computation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    workout = normalize(synth_workout("outdoor_run", duration_s=600))
    counts = {
        "planned laps": _counting(monkeypatch, laps, "_planned"),
        "timeline": _counting(monkeypatch, laps, "_timeline"),
        "totals": _counting(monkeypatch, totals, "_session_totals"),
        "hr zones": _counting(monkeypatch, zones, "_heart_rate_zone_times"),
        "power zones": _counting(monkeypatch, zones, "_power_zone_times"),
        "points": _counting(monkeypatch, series, "iter_points"),
    }
    host = create_host(entry_points=False)
    specs = host.formats()
    context = ExportContext(output_dir=tmp_path)
    for name in (*FORMATS, "gpx"):
        specs[name].write(workout, io.BytesIO(), context)
    assert {k: len(v) for k, v in counts.items()} == dict.fromkeys(counts, 1)


def test_a_caller_changing_its_laps_does_not_change_the_next_callers() -> None:
    ride = normalize(synth_workout("cycling_class", duration_s=1200))
    first = laps.planned_laps(ride)
    first.clear()
    assert laps.planned_laps(ride), "the second caller gets the whole plan"
    spans = laps.lap_plan(ride, laps.active_end(ride))
    spans.clear()
    assert laps.lap_plan(ride, laps.active_end(ride))


def test_shared_results_equal_the_fresh_computation() -> None:
    run = normalize(synth_workout("outdoor_run", duration_s=900))
    assert series.workout_points(run) == tuple(series.iter_points(run))
    assert series.workout_distances(run) == tuple(series.cumulative_distances(list(series.iter_points(run))))
    assert stats.workout_stats(run) == stats.summarize(run.samples)
    assert totals.session_totals(run) == totals._session_totals(run, "running")
    assert laps.planned_laps(run, "auto", "running") == list(laps._planned(run, "auto", "running"))
