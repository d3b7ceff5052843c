"""Every workout file in ../shared/fixtures imports and exports to every format.

TCX and GPX output is validated against the official XSDs, JSON is parsed, CSV is read.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from peloton_export.export.exporter import Exporter
from peloton_export.model import Workout
from peloton_export.plugins import create_host
from peloton_export.results import Selection
from peloton_export.source.importers import import_paths
from peloton_export.specs import ExportContext
from peloton_export.store.archive import Archive
from tests.xsd import validate


@pytest.fixture(scope="module")
def exported(
    tmp_path_factory: pytest.TempPathFactory, recorded_workouts: Mapping[str, Workout]
) -> tuple[Archive, Path, object]:
    """Every fixture imported and exported to every format, once per test process.

    It asks for ``recorded_workouts`` (the same fixtures, normalized once per process) so
    that this module's tests run on the worker that holds them: the FIT files written here
    are byte for byte the ones the other conformance tests encode, and are decoded once.
    """
    from tests.conftest import FIXTURES

    if not FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is not present")
    root = tmp_path_factory.mktemp("conformance")
    archive = Archive(root / "archive")
    report = import_paths([FIXTURES], archive)
    assert not report.failed, [r.line() for r in report.failed]
    host = create_host(entry_points=False)
    formats = host.resolve("format", list(host.formats()))
    ctx = ExportContext(output_dir=root / "out")
    result = Exporter(host=host, archive=archive, context=ctx, formats=formats).run(Selection())
    return archive, root / "out", result


def test_every_workout_exports_or_is_skipped_with_a_reason(exported: tuple[Archive, Path, object]) -> None:
    archive, _, report = exported
    results = report.results  # type: ignore[attr-defined]
    assert len(results) == len(archive.ids()) >= 25
    failed = [(r.workout_id, r.reason) for r in results if r.status == "failed"]
    assert failed == []
    skipped = [r for r in results if r.status == "skipped"]
    assert all(r.reason for r in skipped)
    # Only the known empty COMPLETE workout is skipped entirely.
    assert [r.workout_id for r in skipped] == ["143517e9e0e6493e9532eb1b15b2321c"]


def test_every_tcx_and_gpx_is_valid(exported: tuple[Archive, Path, object], schemas_dir: Path) -> None:
    _, out, _ = exported
    files = sorted(out.glob("*.tcx")) + sorted(out.glob("*.gpx"))
    assert len(list(out.glob("*.gpx"))) >= 3  # the outdoor walks and runs
    for path in files:
        errors = validate(path.suffix[1:], path.read_bytes())
        assert errors == [], (path.name, errors[:3])


def test_every_fit_decodes_and_matches_the_workout(
    exported: tuple[Archive, Path, object], recorded_workouts: Mapping[str, Workout]
) -> None:
    from tests.fit_decode import compare, decode

    _, out, report = exported
    fits = {p.stem.rsplit("_", 1)[1]: p for p in out.glob("*.fit")}
    exported_ids = [r.workout_id for r in report.results if r.status == "exported"]  # type: ignore[attr-defined]
    assert sorted(fits) == sorted(exported_ids)
    for workout_id, path in fits.items():
        # the workout normalized from the same recorded bodies (once per process)
        compare(recorded_workouts[workout_id], decode(path.read_bytes(), both=True))


def test_every_json_and_csv_reads_back(exported: tuple[Archive, Path, object]) -> None:
    _, out, _ = exported
    for path in out.glob("*.json"):
        data = json.loads(path.read_bytes())
        assert data["schema"] == "peloton-export/workout@2"
        assert len(set(map(len, data["samples"].values()))) <= 1
    summary = list(csv.DictReader(io.StringIO((out / "summary.csv").read_text(encoding="utf-8"))))
    assert len(summary) == len(list(out.glob("*.json")))
