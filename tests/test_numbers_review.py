"""Issue 11, found in review: hostile summaries and series still give one story per file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_decode import decode

from peloton_export.archive import Archive
from peloton_export.fit.encode import encode_workout
from peloton_export.importers import import_path
from peloton_export.model import Workout
from peloton_export.normalize import normalize
from peloton_export.raw import RawWorkout

P2G = "peloton-to-garmin"


def _raw(fixtures_dir: Path, tmp_path: Path, name: str) -> RawWorkout:
    archive = Archive(tmp_path / "archive")
    report = import_path(fixtures_dir / P2G / name, archive)
    imported = [r for r in report.results if r.status == "imported"]
    assert imported, [r.line() for r in report.results]
    return archive.load(str(imported[0].workout_id))


def _with_graph(raw: RawWorkout, change: Any) -> Workout:
    graph = json.loads(json.dumps(raw.performance_graph))
    change(graph)
    return normalize(RawWorkout(workout_id=raw.workout_id, workout=raw.workout, performance_graph=graph))


def _drop_summary(graph: dict[str, Any], slug: str) -> None:
    for key in ("summaries", "average_summaries"):
        graph[key] = [s for s in graph.get(key) or [] if s.get("slug") != slug]


def test_row_strokes_come_from_the_per_stroke_list_without_stroke_count(
    fixtures_dir: Path, tmp_path: Path
) -> None:
    """No ``stroke_count`` summary: the per-stroke list (133 strokes) is the count, not the
    stroke rate integrated over time (218, which counts the seconds after rowing stopped)."""
    workout = _with_graph(
        _raw(fixtures_dir, tmp_path, "rower_workout.json"), lambda g: _drop_summary(g, "stroke_count")
    )
    assert workout.strokes == 133
    session = decode(encode_workout(workout)).one("session")
    assert session["total_cycles"] == 133
    assert session["avg_stroke_distance"] == pytest.approx(7.69, abs=0.01)
