"""The Row is ``rowing`` wherever a user reads it; Peloton's own name ``caesar`` stays in data.

File names, the HTML pages and index, ``summary.csv``, sink titles and messages say
``rowing``; ``--discipline caesar`` still works; a ledger written before the change (files
named ``_caesar_``) never leads to a second upload, and the old file is renamed only when
the workout is written again.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from peloton_export.normalize import normalize
from peloton_export.raw import RawWorkout
from peloton_export.sinkkit.settings import PluginSettings
from peloton_export.sinkkit.templates import activity_title, template_fields
from peloton_export.source.demo import demo_workouts
from peloton_export.specs import ExportContext
from peloton_export.store import ledger as ledger_module
from peloton_export.store.archive import Archive
from peloton_export.store.ledger import Ledger
from peloton_export.workout.disciplines import display_discipline
from tests.conftest import cli

ROW_ID = "55b87ce7318a329594ed353245e003ef"  # the demo's Row


def _row_raw() -> RawWorkout:
    (raw,) = (r for r in demo_workouts() if r.workout["fitness_discipline"] == "caesar")
    assert raw.workout_id == ROW_ID
    return raw


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PELOTON_EXPORT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PELOTON_EXPORT_ARCHIVE", str(tmp_path / "archive"))
    monkeypatch.setenv("PELOTON_CONFIG", os.devnull)  # no config
    yield tmp_path
    ledger_module.close_all()


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = cli(*args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_display_names() -> None:
    assert display_discipline("caesar") == "rowing" and display_discipline("CAESAR") == "rowing"
    assert display_discipline("caesar_bootcamp") == "rowing_bootcamp"
    assert display_discipline("cycling") == "cycling" and display_discipline(None) == ""


def test_caesar_and_rowing_both_select_the_row_and_messages_say_rowing(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for word in ("caesar", "rowing", "row"):
        out = isolated / f"out-{word}"
        code, text = _cli(capsys, "--demo", "-q", "--discipline", word, "-f", "json", "-o", str(out))
        assert code == 0 and "1 exported" in text, text
        assert [p.name for p in out.glob("*.json")] == [next(out.glob("*.json")).name]
        assert "_rowing_" in next(out.glob("*.json")).name
    code, text = _cli(capsys, "--demo", "--discipline", "caesr", "-f", "json", "-o", str(isolated / "x"))
    assert code == 2 and "did you mean rowing?" in text and "caesar" not in text.replace("'caesr'", "")
    assert "rowing" in text.split("choose one of:")[1]
    code, text = _cli(capsys, "--help")
    assert code == 0 and "rowing" in text


def test_sink_titles_and_settings_say_rowing_and_still_read_caesar_keys(tmp_path: Path) -> None:
    row = normalize(_row_raw())
    untitled = dataclasses.replace(row, title="")
    assert template_fields(row)["discipline"] == "rowing"
    assert activity_title(row, template="{discipline} {title}").startswith("rowing ")
    assert template_fields(untitled)["title"] == "Rowing"
    old = ExportContext(output_dir=tmp_path, options={"toy.gear.caesar": "old-shoes"})
    assert PluginSettings.from_context(old, "toy").per_discipline("gear", row.discipline) == "old-shoes"
    both = ExportContext(output_dir=tmp_path, options={"toy.gear.caesar": "a", "toy.gear.rowing": "b"})
    assert PluginSettings.from_context(both, "toy").per_discipline("gear", row.discipline) == "b"


def _export(capsys: pytest.CaptureFixture[str], out: Path, synced: Path, *extra: str) -> str:
    code, text = _cli(
        capsys, "--offline", "-f", "tcx", "--sink", "directory", "-o", str(out),
        "--option", f"directory.path={synced}", *extra,
    )  # fmt: skip
    assert code == 0, text
    return text


def _age_as_before_the_change(isolated: Path, out: Path, synced: Path) -> Path:
    """Make the ledger, the output and the synced folder look as an earlier version left them."""
    (new,) = out.glob("*.tcx")
    old = new.with_name(new.name.replace("_rowing_", "_caesar_"))
    new.rename(old)
    (synced / new.name).rename(synced / old.name)
    with sqlite3.connect(isolated / "state" / "ledger.sqlite3") as conn:
        conn.execute("UPDATE exports SET path = ? WHERE workout_id = ?", (str(old), ROW_ID))
        conn.execute("UPDATE uploads SET remote_id = replace(remote_id, '_rowing_', '_caesar_')")
    return old


def test_a_ledger_from_before_the_change_never_uploads_again(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = Archive(isolated / "archive")
    archive.put_raw(_row_raw())
    out, synced = isolated / "out", isolated / "synced"
    assert "1 exported" in _export(capsys, out, synced)
    ledger_module.close_all()
    old = _age_as_before_the_change(isolated, out, synced)
    ledger = Ledger(isolated / "state" / "ledger.sqlite3")
    before = ledger.upload_state(ROW_ID, "directory")
    assert before is not None and before.state == "uploaded"

    # nothing changed for the workout: the old file stays, nothing is written or sent
    text = _export(capsys, out, synced)
    assert "1 unchanged" in text and [p.name for p in out.glob("*.tcx")] == [old.name]
    assert [p.name for p in synced.iterdir()] == [old.name]

    # Peloton changed the workout (archive entry stored again): the file is written again
    # under its new name, the unchanged old one is removed, and the sink is not used again
    raw = _row_raw()
    bodies = {
        "workout": json.dumps(raw.workout).encode(),
        "performance_graph": json.dumps(raw.performance_graph).encode(),
    }
    assert archive.put(ROW_ID, bodies, source="api", replace=True)
    with sqlite3.connect(isolated / "state" / "ledger.sqlite3") as conn:  # exported before that
        conn.execute("UPDATE exports SET exported_at = '2000-01-01T00:00:00Z'")
    text = _export(capsys, out, synced)
    assert "1 exported" in text, text
    (now,) = out.glob("*.tcx")
    assert "_rowing_" in now.name and not old.exists()
    assert [p.name for p in synced.iterdir()] == [old.name]  # the delivered copy was not re-sent
    after = ledger.upload_state(ROW_ID, "directory")
    assert after == before and ledger.exported(ROW_ID, "tcx").path == str(now)  # type: ignore[union-attr]


def test_an_old_file_the_user_changed_is_kept(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = Archive(isolated / "archive")
    archive.put_raw(_row_raw())
    out, synced = isolated / "out", isolated / "synced"
    _export(capsys, out, synced)
    ledger_module.close_all()
    old = _age_as_before_the_change(isolated, out, synced)
    old.write_bytes(old.read_bytes() + b"<!-- my notes -->")
    _export(capsys, out, synced, "--force")
    assert old.exists() and len(list(out.glob("*_rowing_*.tcx"))) == 1
