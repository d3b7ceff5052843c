"""import_path()/import_paths(): every workout-shaped fixture imports; bad files fail alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from peloton_export.errors import NormalizeError, SkipWorkout
from peloton_export.normalize import normalize
from peloton_export.source.importers import (
    ImportReport,
    companion_names,
    dto_to_raw,
    import_path,
    import_paths,
)
from peloton_export.store.archive import Archive

P2G = "peloton-to-garmin"
LEGACY = f"{P2G}/legacy-python-2021"
NOT_WORKOUTS = {
    f"{P2G}/rower_sample.json": "list page: 1 workout, no samples",
    f"{P2G}/rower_performance_graph.json": "performance graph without its workout",
    f"{LEGACY}/peloton_workouts_01.json": "list page: 1 workout, no samples",
    **{
        f"{LEGACY}/peloton_workoutsummary_{x}.json": "summary"
        for x in ("cycling", "cycling_freestyle", "cycling_km", "running", "running_outdoor", "strength")
    },
}
SKIPPED_WORKOUTS = {"143517e9e0e6493e9532eb1b15b2321c": "empty workout"}
WID = "f" * 32


def _rel(report: ImportReport, root: Path) -> dict[str, Any]:
    return {r.path.relative_to(root).as_posix(): r for r in report.results}


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    return Archive(tmp_path / "archive")


def test_every_fixture_imports_and_normalizes_or_is_skipped(fixtures_dir: Path, archive: Archive) -> None:
    report = import_path(fixtures_dir, archive)
    by_file = _rel(report, fixtures_dir)
    assert report.ok, [r.line() for r in report.failed]
    # every JSON file is reported exactly once, except the graphs imported with their workout
    companions = {
        f"{LEGACY}/peloton_workoutsamples_{x}.json"
        for x in ("cycling", "cycling_freestyle", "cycling_km", "running", "running_outdoor", "strength")
    }
    all_files = {p.relative_to(fixtures_dir).as_posix() for p in fixtures_dir.rglob("*.json")}
    assert set(by_file) == all_files - companions
    for name, reason in NOT_WORKOUTS.items():
        assert by_file[name].status == "skipped" and reason in by_file[name].message
        assert by_file[name].message.startswith("not a workout file")
    imported = [r for r in report.results if r.status == "imported"]
    assert len(imported) == len(all_files) - len(companions) - len(NOT_WORKOUTS) == 30
    assert sorted(archive.ids()) == sorted(str(r.workout_id) for r in imported)
    outcomes: dict[str, str] = {}
    for wid in archive.ids():
        try:
            normalize(archive.load(wid))
            outcomes[wid] = "ok"
        except SkipWorkout as exc:
            outcomes[wid] = str(exc)
        except NormalizeError as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"{wid}: {exc}")
    skipped = {wid: reason for wid, reason in outcomes.items() if reason != "ok"}
    assert set(skipped) == set(SKIPPED_WORKOUTS)
    for wid, reason in SKIPPED_WORKOUTS.items():
        assert reason in skipped[wid]


def test_sources_and_graphs_are_recorded(fixtures_dir: Path, archive: Archive) -> None:
    by_file = _rel(import_path(fixtures_dir, archive), fixtures_dir)
    expected = {
        f"{P2G}/SyncMyWorkout01.json": "import:p2g",
        f"{P2G}/walking_outdoor_01.json": "import:p2g",
        f"{P2G}/strength_guide_with_exercise.json": "import:p2g-dto",
        f"{P2G}/3ce6e73be6434462a1940e20c1d61e5a_workout.json": "import:p2g-dto",
        "peloton-cyrii42/d154f5c4471b44378c84c531f5a30e70.json": "import:cyrii42",
        f"{LEGACY}/peloton_workout_cycling.json": "import",
    }
    for name, source in expected.items():
        meta = archive.meta(by_file[name].workout_id)
        assert meta.source == source, name
        assert meta.has_performance_graph, name


def test_raw_files_keep_their_exact_bytes(fixtures_dir: Path, archive: Archive) -> None:
    by_file = _rel(import_path(fixtures_dir / LEGACY, archive), fixtures_dir / LEGACY)
    result = by_file["peloton_workout_cycling.json"]
    assert "peloton_workoutsamples_cycling.json" in result.message
    wid = result.workout_id
    assert (
        archive.body_path(wid, "workout").read_bytes()
        == (fixtures_dir / LEGACY / "peloton_workout_cycling.json").read_bytes()
    )
    assert (
        archive.body_path(wid, "performance_graph").read_bytes()
        == (fixtures_dir / LEGACY / "peloton_workoutsamples_cycling.json").read_bytes()
    )


def test_converted_formats_are_compact_snake_case_json(fixtures_dir: Path, archive: Archive) -> None:
    import_path(fixtures_dir / P2G / "strength_guide_with_exercise.json", archive)
    import_path(fixtures_dir / "peloton-cyrii42" / "d154f5c4471b44378c84c531f5a30e70.json", archive)
    dto = archive.body_path("ab02df14382243c4a69bc00d3d3526b3", "workout").read_bytes()
    assert b"\n" not in dto and b'", "' not in dto
    body = json.loads(dto)
    assert body["fitness_discipline"] == "strength" and body["id"] == "ab02df14382243c4a69bc00d3d3526b3"
    items = body["movement_tracker_data"]["completed_movements_summary_data"]["repetition_summary_data"]
    assert items[0]["completed_number"] == 10
    cyrii = json.loads(archive.body_path("d154f5c4471b44378c84c531f5a30e70", "workout").read_bytes())
    graph = json.loads(
        archive.body_path("d154f5c4471b44378c84c531f5a30e70", "performance_graph").read_bytes()
    )
    assert "workout_id" not in cyrii and "workout_id" not in graph


def test_dto_to_raw_recases_keys_and_enums() -> None:
    dto = {
        "Fitness_Discipline": "Caesar_Bootcamp",
        "Ftp_Info": {"Ftp_Source": "Ftp_Workout_Source"},
        "Ride": {"Title": "Keep Me As Is"},
        "Average_Summaries": [{"Display_Unites": None, "Slug": "avg_output"}],
    }
    raw = dto_to_raw(dto)
    assert raw == {
        "fitness_discipline": "caesar_bootcamp",
        "ftp_info": {"ftp_source": "ftp_workout_source"},
        "ride": {"title": "Keep Me As Is"},
        "average_summaries": [{"display_unit": None, "slug": "avg_output"}],
    }


def test_bom_files_import(fixtures_dir: Path, archive: Archive, tmp_path: Path) -> None:
    walk = fixtures_dir / P2G / "walking_outdoor_01.json"
    assert walk.read_bytes().startswith(b"\xef\xbb\xbf")
    assert import_path(walk, archive).imported
    # a raw workout and its graph, both with a BOM, stored byte for byte
    folder = tmp_path / "bom"
    folder.mkdir()
    workout = {
        "id": WID,
        "status": "COMPLETE",
        "fitness_discipline": "cycling",
        "start_time": 1_700_000_000,
        "end_time": 1_700_000_010,
        "ride": {"id": "b" * 32, "title": "Ride"},
    }
    graph = {
        "seconds_since_pedaling_start": [1, 2],
        "metrics": [{"slug": "output", "display_unit": "watts", "values": [1, 2]}],
    }
    w_bytes = b"\xef\xbb\xbf" + json.dumps(workout).encode()
    (folder / f"{WID}.json").write_bytes(w_bytes)
    (folder / f"{WID}_performance_graph.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(graph).encode())
    report = import_path(folder, archive)
    assert [r.status for r in report.results] == ["imported"]
    assert archive.body_path(WID, "workout").read_bytes() == w_bytes
    assert len(normalize(archive.load(WID)).samples) == 2


def test_reimport_is_a_no_op(fixtures_dir: Path, archive: Archive) -> None:
    first = import_path(fixtures_dir, archive)
    stamps = {wid: archive.meta(wid).stored_at for wid in archive.ids()}
    mtimes = {p: p.stat().st_mtime_ns for p in archive.workouts_dir.rglob("*.json")}
    second = import_path(fixtures_dir, archive)
    assert not second.imported and not second.failed
    assert len(second.unchanged) == len(first.imported)
    assert "already in the archive" in second.unchanged[0].message
    assert {wid: archive.meta(wid).stored_at for wid in archive.ids()} == stamps
    assert {p: p.stat().st_mtime_ns for p in archive.workouts_dir.rglob("*.json")} == mtimes


def test_truncated_and_wrong_shaped_files_fail_alone(
    fixtures_dir: Path, archive: Archive, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    shutil.copytree(fixtures_dir / "peloton-cyrii42", folder)
    good = (fixtures_dir / P2G / "cycling_workout.json").read_bytes()
    (folder / "truncated.json").write_bytes(good[: len(good) // 2])
    (folder / "wrong_shape.json").write_text(json.dumps({"Workout": "oops", "WorkoutSamples": {}}))
    (folder / "bad_id.json").write_text(
        json.dumps({"id": 5, "fitness_discipline": "cycling", "start_time": 1})
    )
    (folder / "bad_start.json").write_text(
        json.dumps({"id": WID, "fitness_discipline": "cycling", "start_time": "yesterday"})
    )
    (folder / "empty.json").write_bytes(b"")
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    report = import_path(folder, archive)
    by_name = {r.path.name: r for r in report.results}
    failed = {r.path.name for r in report.failed}
    assert failed == {
        "truncated.json",
        "wrong_shape.json",
        "bad_id.json",
        "bad_start.json",
        "empty.json",
        "deep.json",
    }
    assert len(report.imported) == 7  # every cyrii42 file still imported
    for name in failed:
        line = by_name[name].line()
        assert name in line and "\n" not in line and "Traceback" not in line
    assert "not valid JSON" in by_name["truncated.json"].message
    assert "Workout" in by_name["wrong_shape.json"].message
    assert WID in by_name["bad_start.json"].message and "start_time" in by_name["bad_start.json"].message
    assert "empty" in by_name["empty.json"].message


def test_missing_and_non_workout_files(archive: Archive, tmp_path: Path) -> None:
    (tmp_path / "note.json").write_text('{"hello": "world"}')
    (tmp_path / "numbers.json").write_text("[1, 2, 3]")
    report = import_paths(
        [tmp_path / "nope.json", tmp_path / "note.json", tmp_path / "numbers.json"], archive
    )
    statuses = {r.path.name: (r.status, r.message) for r in report.results}
    assert statuses["nope.json"] == ("failed", "file not found")
    assert statuses["note.json"][0] == "skipped" and "not a workout file" in statuses["note.json"][1]
    assert statuses["numbers.json"][0] == "skipped"
    assert report.summary() == "0 imported, 0 unchanged, 2 not workouts, 1 failed"


def _workout(wid: str = WID) -> dict[str, Any]:
    return {
        "id": wid,
        "status": "COMPLETE",
        "fitness_discipline": "cycling",
        "start_time": 1_700_000_000,
        "end_time": 1_700_000_100,
    }


GRAPH = {
    "seconds_since_pedaling_start": [1],
    "metrics": [{"slug": "output", "display_unit": "watts", "values": [5]}],
}


@pytest.mark.parametrize(
    ("workout_name", "graph_name"),
    [
        (f"{WID}_workout.json", f"{WID}_performance_graph.json"),
        (f"{WID}.json", f"{WID}.performance_graph.json"),
        ("workout.json", "performance_graph.json"),  # an archive folder's layout
        ("peloton_workout_x.json", "peloton_workoutsamples_x.json"),
        ("ride.json", f"{WID}-performance_graph.json"),
    ],
)
def test_companion_naming_conventions(
    archive: Archive, tmp_path: Path, workout_name: str, graph_name: str
) -> None:
    (tmp_path / workout_name).write_text(json.dumps(_workout()))
    (tmp_path / graph_name).write_text(json.dumps(GRAPH))
    report = import_path(tmp_path, archive)
    assert [(r.path.name, r.status) for r in report.results] == [(workout_name, "imported")]
    assert archive.meta(WID).has_performance_graph
    assert graph_name in companion_names(tmp_path / workout_name, WID, "performance_graph")


def test_ride_details_companion_and_bad_graph(archive: Archive, tmp_path: Path) -> None:
    (tmp_path / f"{WID}.json").write_text(json.dumps(_workout()))
    (tmp_path / f"{WID}_ride_details.json").write_text(
        json.dumps({"ride": {}, "segments": {"segment_list": []}})
    )
    assert import_path(tmp_path, archive).imported
    assert archive.load(WID).ride_details is not None
    other = "e" * 32
    (tmp_path / f"{other}.json").write_text(json.dumps(_workout(other)))
    (tmp_path / f"{other}_performance_graph.json").write_text("{broken")
    report = import_path(tmp_path / f"{other}.json", archive)
    assert report.failed and f"{other}_performance_graph.json" in report.failed[0].message


def test_bundle_file(archive: Archive, tmp_path: Path) -> None:
    (tmp_path / "bundle.json").write_text(json.dumps({"workout": _workout(), "performance_graph": GRAPH}))
    report = import_path(tmp_path / "bundle.json", archive)
    assert report.imported and archive.meta(WID).source == "import:bundle"
    assert normalize(archive.load(WID)).samples[0].power_w == 5


def test_walk_skips_hidden_folders_and_the_archive_itself(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "archive")
    (tmp_path / "bundle.json").write_text(json.dumps({"workout": _workout(), "performance_graph": GRAPH}))
    assert import_path(tmp_path, archive).imported
    hidden = tmp_path / ".cache"
    hidden.mkdir()
    (hidden / "x.json").write_text("{broken")
    report = import_path(tmp_path, archive)
    assert [r.status for r in report.results] == ["unchanged"]
