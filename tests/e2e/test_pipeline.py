"""The export pipeline with ``--jobs`` worker processes: the same files, in the same order.

The in-process tests are in ``tests/unit/test_pipeline.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from peloton_export.results import Selection
from peloton_export.specs import ExportContext
from peloton_export.store.archive import Archive
from peloton_export.testing.synth.tiny import BASE_START, put_tiny


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    archive = Archive(tmp_path / "archive")
    for day in range(3):
        put_tiny(archive, f"{day:032x}", start=BASE_START + day * 86400, title=f"Ride {day}")
    return archive


def test_parallel_jobs_give_the_same_files_and_order(tmp_path: Path) -> None:
    from peloton_export.export.exporter import PARALLEL_MIN_WORKOUTS, ExporterRecipe
    from peloton_export.testing.synth import synth_workouts

    archive = Archive(tmp_path / "archive")
    for raw in synth_workouts(PARALLEL_MIN_WORKOUTS + 2):
        archive.put_raw(raw)
    results = {}
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}"
        recipe = ExporterRecipe(
            archive_root=archive.root,
            context=ExportContext(output_dir=out),
            formats=("tcx", "csv", "json"),
            entry_points=False,
        )
        report = recipe().run(Selection(), jobs=jobs, rebuild=recipe)
        results[jobs] = [(r.workout_id, r.status) for r in report.results]
    assert results[1] == results[2]
    files = sorted(p.name for p in (tmp_path / "out1").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "out2").iterdir())
    for name in files:
        assert (tmp_path / "out1" / name).read_bytes() == (tmp_path / "out2" / name).read_bytes(), name
