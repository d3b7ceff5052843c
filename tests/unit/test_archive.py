"""The raw archive: exact bytes, atomic entries, immutability."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from peloton_export.store.archive import Archive, ArchiveError
from peloton_export.testing.synth.tiny import tiny_bodies


def bodies(workout_id: str) -> dict[str, bytes]:
    raw = tiny_bodies(workout_id)
    return {
        "workout": b"\xef\xbb\xbf" + json.dumps(raw["workout"], indent=3).encode(),  # BOM + odd spacing
        "performance_graph": json.dumps(raw["performance_graph"]).encode(),
    }


def test_stores_exact_bytes_and_reads_back(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    data = bodies("a" * 32)
    assert archive.put("a" * 32, data) is True
    assert archive.body_path("a" * 32, "workout").read_bytes() == data["workout"]
    raw = archive.load("a" * 32)
    assert raw.workout["id"] == "a" * 32 and raw.performance_graph is not None
    assert raw.ride_details is None and archive.ids() == ["a" * 32]
    assert archive.is_complete("a" * 32)


def test_complete_entry_is_immutable_unless_replaced(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    archive.put("a" * 32, bodies("a" * 32))
    changed = dict(bodies("a" * 32), workout=json.dumps({"id": "a" * 32, "status": "COMPLETE"}).encode())
    assert archive.put("a" * 32, changed) is False
    assert archive.load("a" * 32).workout.get("fitness_discipline") == "cycling"
    assert archive.put("a" * 32, changed, replace=True) is True
    assert "fitness_discipline" not in archive.load("a" * 32).workout


def test_in_progress_entry_is_replaced_by_a_later_fetch(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    raw = tiny_bodies("b" * 32)
    raw["workout"]["status"] = "IN_PROGRESS"
    archive.put("b" * 32, {"workout": json.dumps(raw["workout"]).encode()})
    assert not archive.is_complete("b" * 32)
    assert archive.put("b" * 32, bodies("b" * 32)) is True
    assert archive.is_complete("b" * 32)


def test_folder_without_meta_is_an_interrupted_write(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    folder = tmp_path / "workouts" / ("c" * 32)
    folder.mkdir(parents=True)
    (folder / "workout.json").write_text('{"id": "ccc')  # half written, no meta.json
    assert archive.ids() == [] and "c" * 32 not in archive


@pytest.mark.parametrize("bad_id", ["../escape", "a/b", "", "x" * 65, "..", "a b"])
def test_unsafe_ids_are_rejected(tmp_path: Path, bad_id: str) -> None:
    with pytest.raises(ArchiveError, match="invalid workout id"):
        Archive(tmp_path).put(bad_id, bodies("d" * 32))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "is empty"),
        (b'{"id": "e', "not valid JSON"),
        (b"[1, 2]", "not an object"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_bad_bodies_are_refused_with_a_reason(tmp_path: Path, body: bytes, message: str) -> None:
    archive = Archive(tmp_path)
    with pytest.raises(ValueError, match=message):
        archive.put("e" * 32, {"workout": body})
    assert archive.ids() == []


def test_body_with_another_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="body has id"):
        Archive(tmp_path).put("f" * 32, bodies("0" * 32))


def test_corrupt_file_on_disk_names_the_file(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    archive.put("a" * 32, bodies("a" * 32))
    path = archive.body_path("a" * 32, "performance_graph")
    path.write_bytes(b'{"metrics": [')
    with pytest.raises(ArchiveError) as info:
        archive.load("a" * 32)
    assert str(path) in str(info.value) and "a" * 32 in str(info.value)


def test_no_temporary_files_are_left_behind(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    for i in range(5):
        archive.put(f"{i:032x}", bodies(f"{i:032x}"))
    leftovers = [p for p in tmp_path.rglob("*") if p.name.startswith(".")]
    assert leftovers == []


def test_archive_files_are_private_and_exports_follow_the_umask(tmp_path: Path) -> None:
    import os
    import stat

    from peloton_export.store.atomic import write_bytes_atomic

    archive = Archive(tmp_path / "a")
    archive.put("a" * 32, bodies("a" * 32))
    for path in (tmp_path / "a").rglob("*.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    old = os.umask(0o027)
    try:
        import peloton_export.store.atomic as atomic

        atomic._umask = None  # read the umask again in this test
        write_bytes_atomic(tmp_path / "export.tcx", b"x")
        assert stat.S_IMODE((tmp_path / "export.tcx").stat().st_mode) == 0o640
    finally:
        os.umask(old)
        atomic._umask = None
