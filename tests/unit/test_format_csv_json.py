"""The csv and json formats."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest

from peloton_export.default_plugins.json_format import write_json
from peloton_export.formats.csv import SAMPLE_COLUMNS, safe_cell, summary_row, write_csv
from peloton_export.model import Workout
from peloton_export.specs import ExportContext
from tests.workout_factory import all_workouts, hostile, outdoor_run

WORKOUTS = all_workouts()


@pytest.fixture
def ctx(tmp_path: Path) -> ExportContext:
    return ExportContext(output_dir=tmp_path)


def render(writer: object, workout: Workout, ctx: ExportContext) -> bytes:
    buffer = io.BytesIO()
    writer(workout, buffer, ctx)  # type: ignore[operator]
    return buffer.getvalue()


@pytest.mark.parametrize("name", sorted(WORKOUTS))
def test_csv_has_a_row_per_instant(name: str, ctx: ExportContext) -> None:
    workout = WORKOUTS[name]
    rows = list(csv.DictReader(io.StringIO(render(write_csv, workout, ctx).decode())))
    offsets = {s.offset for s in workout.samples} | {g.offset for g in workout.track}
    assert len(rows) >= len(offsets)
    if offsets:  # a workout without readings gets a summary-only file (test_csv_spreadsheet)
        assert list(rows[0].keys()) == list(SAMPLE_COLUMNS)
    if workout.samples:
        first = workout.samples[0]
        row = next(r for r in rows if int(r["offset_s"]) == first.offset)
        if first.power_w is not None:
            assert float(row["power_w"]) == pytest.approx(first.power_w, abs=0.05)
        if first.heart_rate_bpm is None:
            assert row["heart_rate_bpm"] == ""


def test_csv_carries_gps(ctx: ExportContext) -> None:
    workout = outdoor_run()
    rows = list(csv.DictReader(io.StringIO(render(write_csv, workout, ctx).decode())))
    with_position = [r for r in rows if r["latitude"]]
    assert len(with_position) == len(workout.track)
    assert float(with_position[0]["latitude"]) == pytest.approx(workout.track[0].latitude, abs=1e-7)


@pytest.mark.parametrize("text", ['=HYPERLINK("x")', "+1", "-1+2", "@SUM(A1)", "\tx"])
def test_formula_injection_is_neutralised(text: str) -> None:
    assert safe_cell(text).startswith("'")


def test_summary_row_of_hostile_title(ctx: ExportContext) -> None:
    import dataclasses

    row = summary_row(dataclasses.replace(hostile(), title="=cmd|' /C calc'!A0"), ctx)
    assert row["title"].startswith("'=")


@pytest.mark.parametrize("name", sorted(WORKOUTS))
def test_json_round_trips_the_model(name: str, ctx: ExportContext) -> None:
    workout = WORKOUTS[name]
    data = json.loads(render(write_json, workout, ctx))
    assert data["schema"] == "peloton-export/workout@2"
    assert data["id"] == workout.id and data["title"] == workout.title
    assert len(data["samples"]["offset_s"]) == len(workout.samples)
    assert all(len(col) == len(workout.samples) for col in data["samples"].values())
    finite = [p if p is None or math.isfinite(p) else None for p in (s.power_w for s in workout.samples)]
    assert data["samples"]["power_w"] == finite
    assert len(data["track"]["latitude"]) == len(workout.track)
    assert len(data["class_segments"]) == len(workout.laps) and len(data["sets"]) == len(workout.sets)
    assert len(data["laps"]) >= 1
    assert sum(lap["timer_s"] for lap in data["laps"]) == data["laps"][-1]["end_offset"]
    assert data["start"].endswith("Z")


def test_json_is_deterministic(ctx: ExportContext) -> None:
    workout = outdoor_run()
    assert render(write_json, workout, ctx) == render(write_json, workout, ctx)
