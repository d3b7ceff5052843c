"""CSV for a spreadsheet: display-unit columns, the strength sets file, summary-only files."""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import pytest

from peloton_export.errors import ConfigError
from peloton_export.formats.csv import (
    DISPLAY_COLUMNS,
    NO_METRICS_COLUMNS,
    SAMPLE_COLUMNS,
    SET_COLUMNS,
    write_csv,
    write_sets_csv,
)
from peloton_export.model import Workout
from peloton_export.normalize import normalize
from peloton_export.plugins import create_host
from peloton_export.specs import ExportContext
from peloton_export.testing.synth.kinds import synth_workout as demo_workout


def rows(workout: Workout, tmp_path: Path, writer=write_csv, **options: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    writer(workout, buffer, ExportContext(output_dir=tmp_path, options=options))
    return list(csv.DictReader(io.StringIO(buffer.getvalue().decode("utf-8"))))


def test_default_csv_has_only_the_si_columns(tmp_path: Path) -> None:
    workout = normalize(demo_workout("tread_run", seed=1, duration_s=120))
    assert tuple(rows(workout, tmp_path)[0]) == SAMPLE_COLUMNS


@pytest.mark.parametrize(("system", "per_unit"), [("metric", 1000.0), ("imperial", 1609.344)])
def test_units_option_adds_display_columns_beside_si(system: str, per_unit: float, tmp_path: Path) -> None:
    workout = normalize(demo_workout("tread_run", seed=1, duration_s=300))
    table = rows(workout, tmp_path, **{"csv.units": system})
    speed, pace, distance = DISPLAY_COLUMNS[system]
    assert tuple(table[0]) == (*SAMPLE_COLUMNS, speed, pace, distance)
    moving = [r for r in table if r["speed_mps"] and float(r["speed_mps"]) > 1.0]
    assert moving
    for r in moving:
        mps = float(r["speed_mps"])
        assert float(r[speed]) == pytest.approx(mps * 3600 / per_unit, abs=0.012)
        assert float(r[pace]) == pytest.approx(per_unit / mps / 60, abs=0.012)
        assert float(r[distance]) == pytest.approx(float(r["distance_m"]) / per_unit, abs=0.0006)
    standing = [r for r in table if r["speed_mps"] and float(r["speed_mps"]) < 0.5]
    assert all(r[pace] == "" for r in standing)  # no pace while the belt stands


def test_unknown_units_value_is_a_clear_error(tmp_path: Path) -> None:
    workout = normalize(demo_workout("tread_run", seed=1, duration_s=60))
    with pytest.raises(ConfigError, match=r"csv\.units must be 'metric' or 'imperial'"):
        rows(workout, tmp_path, **{"csv.units": "furlongs"})


def test_strength_gets_a_sets_csv(tmp_path: Path) -> None:
    workout = normalize(demo_workout("strength", seed=1, duration_s=600))
    table = rows(workout, tmp_path, writer=write_sets_csv)
    assert tuple(table[0]) == SET_COLUMNS
    assert len(table) == len(workout.sets)
    first = next(s for s in workout.sets if s.kind == "active")
    row = table[first.index]
    assert row["kind"] == "active" and row["movement"] == first.movement_name
    assert row["repetitions"] == ("" if first.repetitions is None else str(first.repetitions))
    assert float(row["duration_s"]) == pytest.approx(first.duration_s, abs=0.5)
    host = create_host(entry_points=False)
    spec = host.formats()["csv-sets"]
    assert spec.skip_reason(workout) is None
    assert spec.skip_reason(normalize(demo_workout("cycling_class", seed=1, duration_s=60))) == (
        "no strength sets in this workout"
    )


def test_hostile_movement_name_cannot_become_a_formula(tmp_path: Path) -> None:
    workout = normalize(demo_workout("strength", seed=1, duration_s=300))
    sets = tuple(dataclasses.replace(s, movement_name='=HYPERLINK("x")') for s in workout.sets)
    table = rows(dataclasses.replace(workout, sets=sets), tmp_path, writer=write_sets_csv)
    assert all(r["movement"].startswith("'=") for r in table)


def test_workout_without_readings_gets_a_summary_that_says_so(tmp_path: Path) -> None:
    workout = normalize(demo_workout("meditation", seed=1))
    table = rows(workout, tmp_path)
    assert tuple(table[0]) == NO_METRICS_COLUMNS
    assert len(table) == 1
    assert table[0]["note"].startswith("no per-second readings were recorded")
    assert table[0]["workout_id"] == workout.id and table[0]["title"] == workout.title
