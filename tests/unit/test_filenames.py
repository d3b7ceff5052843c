"""Safe, deterministic file names."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import sqlite3
import string
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from peloton_export import ExportRequest, run_export
from peloton_export.config import Config
from peloton_export.model import Workout
from peloton_export.plugins import create_host
from peloton_export.results import ExportReport
from peloton_export.store import ledger as ledger_module
from peloton_export.store.archive import Archive
from peloton_export.store.ledger import Ledger
from peloton_export.testing.synth.tiny import BASE_START, put_tiny
from peloton_export.workout.filenames import MAX_STEM_CHARS, export_stem, id_part, slug
from tests.workout_factory import cycling


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("45 min Power Zone Ride", "45-min-power-zone-ride"),
        ("../../etc/passwd", "etc-passwd"),
        ("..\\..\\windows\\system32", "windows-system32"),
        ("CON", "con-"),
        ("Café Crème", "cafe-creme"),
        ("🚴‍♀️🔥", "untitled"),
        ("", "untitled"),
        ("a\x00b\nc", "a-b-c"),
    ],
)
def test_slug(title: str, expected: str) -> None:
    assert slug(title) == expected


def test_stem_uses_the_workouts_own_timezone_and_full_id() -> None:
    workout = dataclasses.replace(
        cycling(),
        id="0123456789abcdef0123456789abcdef",
        title="Ride",
        timezone="Etc/GMT+4",
        start=datetime(2024, 7, 29, 12, 54, 52, tzinfo=UTC),
    )
    assert export_stem(workout) == "2024-07-29_0854_cycling_ride_0123456789abcdef0123456789abcdef"


def test_unknown_timezone_falls_back_to_utc() -> None:
    workout = dataclasses.replace(
        cycling(), timezone="Mars/Olympus", start=datetime(2024, 1, 1, 5, tzinfo=UTC)
    )
    assert export_stem(workout).startswith("2024-01-01_0500_")


def test_enormous_title_is_bounded_and_keeps_the_id() -> None:
    workout = dataclasses.replace(cycling(), title="x" * 10_000, discipline="y" * 500, id="f" * 64)
    stem = export_stem(workout)
    assert len(stem) <= MAX_STEM_CHARS and stem.endswith("f" * 64)
    assert "/" not in stem and "\\" not in stem


# -- unique names per workout (ids that slug alike must never share a file) -----------------

_ARCHIVE_IDS = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=64)


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PELOTON_EXPORT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PELOTON_EXPORT_ARCHIVE", str(tmp_path / "archive"))
    monkeypatch.setenv("PELOTON_CONFIG", os.devnull)  # no config
    yield tmp_path
    ledger_module.close_all()


def _export(out: Path, formats: tuple[str, ...] = ("tcx", "json")) -> ExportReport:
    request = ExportRequest(formats=formats, output_dir=out, offline=True, config=Config())
    return run_export(request, create_host(entry_points=False))


def _archive_with(root: Path, ids: list[str]) -> None:
    archive = Archive(root / "archive")
    for workout_id in ids:  # same start, same title: only the id tells them apart
        put_tiny(archive, workout_id, start=BASE_START, title="Same Ride")


def _ledger_paths(root: Path, fmt: str) -> dict[str, str]:
    ledger = Ledger(root / "state" / "ledger.sqlite3")
    return {
        workout_id: record.path
        for (workout_id, _), record in ledger.exports_for([fmt]).items()
        if record.written
    }


def test_ids_that_slug_alike_get_their_own_files_and_ledger_rows(isolated: Path) -> None:
    ids = ["ride_1", "ride-1", "RIDE-1"]
    _archive_with(isolated, ids)
    out = isolated / "out"
    report = _export(out)
    assert report.ok and report.count("exported") == 3, [r.reason for r in report.results]
    for fmt in ("tcx", "json"):
        files = sorted(out.glob(f"*.{fmt}"))
        assert len(files) == 3
        paths = _ledger_paths(isolated, fmt)
        assert sorted(paths) == sorted(ids) and sorted(paths.values()) == [str(p) for p in files]
    by_id = {json.loads(p.read_text("utf-8"))["id"]: p.name for p in out.glob("*.json")}
    assert by_id["ride-1"].endswith("_ride-1.json")  # a safe id stays verbatim
    assert by_id["ride_1"].endswith("_ride-1--g.json") and by_id["RIDE-1"].endswith("_ride-1--f.json")
    again = _export(out)
    assert again.count("exported") == 0 and again.count("unchanged") == 3
    assert sorted(p.name for p in out.glob("*.json")) == sorted(by_id.values())  # nothing new


def test_ids_differing_only_in_case_never_meet_on_a_case_insensitive_disk(isolated: Path) -> None:
    _archive_with(isolated, ["A1", "a1"])
    out = isolated / "out"
    report = _export(out, ("json",))
    assert report.ok and report.count("exported") == 2
    names = [p.name for p in out.glob("*.json")]
    assert len(names) == 2 and len({name.casefold() for name in names}) == 2
    assert all(name == name.lower() for name in names)  # no name relies on case at all


def test_the_ledger_refuses_a_file_another_workout_owns(isolated: Path) -> None:
    _archive_with(isolated, ["0123456789abcdef0123456789abcdef"])
    out = isolated / "out"
    first = _export(out, ("json",))
    (path,) = out.glob("*.json")
    before = path.read_bytes()
    # an older version (or a bug) recorded another workout at that very path, in other case
    ledger = Ledger(isolated / "state" / "ledger.sqlite3")
    ledger.record_export("imported-1", "json", str(path).upper(), "sha256:00")
    ledger.forget("0123456789abcdef0123456789abcdef")
    report = _export(out, ("json",))
    assert first.ok and report.count("failed") == 1
    (failed,) = report.failed
    assert "\n" not in failed.reason
    assert "0123456789abcdef0123456789abcdef" in failed.reason and "imported-1" in failed.reason
    assert path.read_bytes() == before and len(list(out.glob("*.json"))) == 1
    assert ledger.exported("0123456789abcdef0123456789abcdef", "json") is None


@settings(deadline=None)  # no timing in tests: the machine may be loaded
@given(_ARCHIVE_IDS, _ARCHIVE_IDS)
def test_distinct_ids_give_distinct_stems_even_after_casefolding(first: str, second: str) -> None:
    assume(first != second)
    base = _same_ride()
    one, two = (dataclasses.replace(base, id=wid, title="Same") for wid in (first, second))
    stem_one, stem_two = export_stem(one), export_stem(two)
    assert stem_one.casefold() != stem_two.casefold()
    assert len(stem_one) <= MAX_STEM_CHARS and "/" not in stem_one and "\\" not in stem_one


@functools.cache
def _same_ride() -> Workout:
    return cycling()


@given(st.text(alphabet="0123456789abcdef", min_size=32, max_size=32))
def test_peloton_ids_keep_todays_names(workout_id: str) -> None:
    assert id_part(workout_id) == workout_id == slug(workout_id, limit=64)


def _decode(part: str) -> str:
    """The exact id back from its file-name part (only possible because the part is injective)."""
    if "--" not in part:
        return part
    lowered, mark = part.rsplit("--", 1)
    mask = int(mark, 36)
    return "".join(
        (ch.upper() if ch.isalpha() else "_") if mask >> i & 1 else ch for i, ch in enumerate(lowered)
    )


@given(_ARCHIVE_IDS)
def test_an_id_part_is_lowercase_file_safe_and_gives_the_exact_id_back(workout_id: str) -> None:
    part = id_part(workout_id)
    assert re.fullmatch(r"[a-z0-9-]+", part) and len(part) <= 64 + 2 + 13
    assert _decode(part) == workout_id


def test_a_ledger_left_with_one_file_for_three_workouts_is_healed(isolated: Path) -> None:
    """What the old names left behind: three ledger rows on one path, one file, wrong data."""
    ids = ["ride_1", "ride-1", "RIDE-1"]
    _archive_with(isolated, ids)
    out = isolated / "out"
    assert _export(out, ("json",)).count("exported") == 3
    shared = next(p for p in out.glob("*.json") if p.name.endswith("_ride-1.json"))
    for path in out.glob("*.json"):
        if path != shared:
            shared.write_bytes(path.read_bytes())  # the last writer won: another workout's data
            path.unlink()
    ledger_module.close_all()
    with sqlite3.connect(isolated / "state" / "ledger.sqlite3") as conn:
        conn.execute("UPDATE exports SET path = ?", (str(shared),))
    assert json.loads(shared.read_text("utf-8"))["id"] != "ride-1"

    report = _export(out, ("json",))
    assert report.ok and report.count("exported") == 3, [r.reason for r in report.results]
    files = sorted(out.glob("*.json"))
    assert len(files) == 3
    for path in files:  # every file holds the workout its name says
        assert id_part(json.loads(path.read_text("utf-8"))["id"]) == path.stem.rsplit("_", 1)[1]
    assert sorted(_ledger_paths(isolated, "json").values()) == [str(p) for p in files]
    again = _export(out, ("json",))
    assert again.count("exported") == 0 and again.count("unchanged") == 3
