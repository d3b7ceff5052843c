"""The bundled demo workouts (package data) that ``peloton-export --demo`` exports."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
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


def test_the_demo_does_not_load_the_generator() -> None:
    code = (
        "import sys; from peloton_export.source.demo import demo_workouts; n = len(list(demo_workouts())); "
        "print(n, sorted(m for m in sys.modules if m.startswith('peloton_export.testing')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "10 []"


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


def test_demo_command_exports_the_bundled_workouts(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PELOTON_CONFIG": os.devnull,
        "PELOTON_EXPORT_DATA_DIR": str(tmp_path / "data"),
        "PELOTON_EXPORT_STATE_DIR": str(tmp_path / "state"),
        "PELOTON_EXPORT_CONFIG_DIR": str(tmp_path / "config"),
    }
    out = tmp_path / "out"
    args = [sys.executable, "-m", "peloton_export", "--demo", "-o", str(out), "-f", "json"]
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "10 workouts: 10 exported, 0 failed" in done.stdout
    exported = {json.loads(p.read_text())["id"] for p in out.glob("*.json")}
    assert exported == {r.workout_id for r in demo_workouts()}
