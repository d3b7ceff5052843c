"""The parquet format: DuckDB reads the dataset and its totals match the json format's."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest

from peloton_export.export.exporter import Exporter
from peloton_export.plugins import create_host
from peloton_export.results import ExportReport, Selection
from peloton_export.specs import ExportContext
from peloton_export.store.archive import Archive
from peloton_export.store.ledger import Ledger
from peloton_export.testing.synth.kinds import KINDS as DEMO_KINDS
from peloton_export.testing.synth.kinds import synth_workout as demo_workout

duckdb = pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")


def export(archive: Archive, ledger: Ledger, out: Path) -> ExportReport:
    host = create_host(entry_points=False)
    return Exporter(
        host=host,
        archive=archive,
        context=ExportContext(output_dir=out),
        formats=host.resolve("format", ["json", "parquet"]),
        ledger=ledger,
    ).run(Selection())


def dataset_files(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in (out / "parquet").rglob("*.parquet")}


def close(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9))


def test_duckdb_totals_equal_json_totals_for_every_demo_kind(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "archive")
    for day, kind in enumerate(DEMO_KINDS):
        archive.put_raw(
            demo_workout(kind, seed=day, duration_s=600, start=datetime(2026, 2, 1 + day, 7, tzinfo=UTC))
        )
    out = tmp_path / "out"
    report = export(archive, Ledger(tmp_path / "ledger.sqlite3"), out)
    exported = [r for r in report.results if r.status == "exported"]
    assert len(exported) == len(DEMO_KINDS) - 2  # "empty" and "in_progress" are skipped, with reasons
    assert all(r.reason for r in report.results if r.status == "skipped")

    con = duckdb.connect()
    workouts = con.sql(
        "SELECT workout_id, distance_m, calories_kcal, total_work_j, elapsed_s, timer_s, ftp_w, title, "
        "instructor, class_id, samples, year, month "
        f"FROM read_parquet('{out}/parquet/workouts/**/*.parquet', hive_partitioning = true)"
    ).fetchall()
    sums = {
        row[0]: row[1:]
        for row in con.sql(
            "SELECT workout_id, count(*), sum(power_w), sum(heart_rate_bpm), max(distance_m), "
            "count(target_cadence_lower), count(latitude) "
            f"FROM read_parquet('{out}/parquet/samples/**/*.parquet', hive_partitioning = true) GROUP BY 1"
        ).fetchall()
    }
    assert len(workouts) == len(exported)
    for row in workouts:
        (
            wid,
            distance,
            calories,
            work,
            elapsed,
            timer,
            ftp,
            title,
            instructor,
            class_id,
            count,
            year,
            month,
        ) = row
        data = json.loads(next(out.glob(f"*_{wid}.json")).read_text())
        assert close(distance, data["distance_m"]) and close(calories, data["calories_kcal"])
        assert close(work, data["total_work_j"]) and close(elapsed, data["elapsed_s"])
        assert close(timer, data["timer_s"]) and close(ftp, data["ftp_w"])
        assert (title, instructor, class_id) == (data["title"], data["instructor"], data["ride_id"])
        assert (year, month) == (2026, 2) and isinstance(month, int)
        samples = data["samples"]
        offsets = set(samples["offset_s"]) | set(data["track"]["offset_s"])
        assert count == len(samples["offset_s"])
        if offsets:
            n, power, hr, _top, with_target, with_gps = sums[wid]
            assert n == len(offsets)
            assert close(power, math.fsum(v for v in samples["power_w"] if v is not None) or None)
            assert hr == (sum(v for v in samples["heart_rate_bpm"] if v is not None) or None)
            cadence_targets = [t for t in data["targets"] if t["metric"] == "cadence"]
            assert (with_target > 0) == bool(cadence_targets)
            assert with_gps == len(data["track"]["offset_s"])
        else:
            assert wid not in sums


def test_a_second_run_adds_only_the_new_workouts_files(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "archive")
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    for day, kind in enumerate(("cycling_class", "tread_run")):
        archive.put_raw(
            demo_workout(kind, seed=day, duration_s=300, start=datetime(2026, 1, 30 + day, tzinfo=UTC))
        )
    out = tmp_path / "out"
    export(archive, ledger, out)
    before = dataset_files(out)
    assert len(before) == 4
    new = demo_workout("row", seed=5, duration_s=300, start=datetime(2026, 2, 3, 12, tzinfo=UTC))
    archive.put_raw(new)
    report = export(archive, ledger, out)
    assert [r.status for r in report.results].count("exported") == 1
    after = dataset_files(out)
    added = sorted(set(after) - set(before))
    new_id = str(new.workout["id"])
    assert added == [
        f"parquet/samples/year=2026/month=2/{new_id}.parquet",
        f"parquet/workouts/year=2026/month=2/{new_id}.parquet",
    ]
    assert {k: after[k] for k in before} == before  # history untouched
    rows = duckdb.sql(f"SELECT count(*) FROM read_parquet('{out}/parquet/workouts/**/*.parquet')").fetchall()
    assert rows == [(3,)]


def test_same_workout_same_bytes(tmp_path: Path) -> None:
    from peloton_export.formats import parquet as dataset
    from peloton_export.normalize import normalize

    workout = normalize(demo_workout("outdoor_run", seed=2, duration_s=300))
    one = dataset.table_bytes(dataset.samples_table(workout))
    assert one == dataset.table_bytes(dataset.samples_table(workout))
