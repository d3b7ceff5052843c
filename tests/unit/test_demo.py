"""The bundled demo workouts (package data) that ``peloton-export --demo`` exports."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from peloton_export.source.demo import demo_folders, demo_workouts, read_workout_folder
from peloton_export.store.archive import Archive

DISCIPLINES = [
    "cycling",
    "cycling",
    "running",
    "running",
    "caesar",
    "strength",
    "strength",
    "meditation",
    "cycling",
    "cycling",
]


def test_ten_workouts_newest_first_one_day_apart() -> None:
    raws = list(demo_workouts())
    assert [r.workout["fitness_discipline"] for r in raws] == DISCIPLINES
    assert all(r.source == "demo" and r.workout_id == r.workout["id"] for r in raws)
    starts = [r.workout["start_time"] for r in raws]
    assert [a - b for a, b in itertools.pairwise(starts)] == [86_400] * 9
    assert len({r.workout_id for r in raws}) == 10
    names = [f.name for f in demo_folders()]
    assert names[0] == "01-cycling_class" and names[-1] == "10-metric_ride"
    assert [r.ride_details is not None for r in raws] == [
        n.endswith(("-strength", "-strength_2023")) for n in names
    ]


def test_every_demo_workout_archives_and_normalizes(tmp_path: Path) -> None:
    from peloton_export.normalize import normalize

    archive = Archive(tmp_path)
    for raw in demo_workouts():
        assert archive.put_raw(raw) is True
        assert archive.load(raw.workout_id) == raw
        assert normalize(raw).id == raw.workout_id
    assert len(archive) == 10


def test_read_workout_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"has no workout\.json"):
        read_workout_folder(tmp_path)
    (tmp_path / "workout.json").write_text('{"id": "ab"}')
    (tmp_path / "performance_graph.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match=r"performance_graph\.json is a JSON list, not an object"):
        read_workout_folder(tmp_path)
    (tmp_path / "performance_graph.json").unlink()
    raw = read_workout_folder(tmp_path, source="test")
    assert (raw.workout_id, raw.performance_graph, raw.ride_details, raw.source) == ("ab", None, None, "test")
    (tmp_path / "workout.json").write_text('{"title": "no id"}')
    with pytest.raises(ValueError, match="has no workout id"):
        read_workout_folder(tmp_path)
