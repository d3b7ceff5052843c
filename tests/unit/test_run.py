"""One owner for the run: ``run_export`` from Python, the plan shared by export, dry run and
status, the ledger's schema upgrade, and summary rows that survive a killed run."""

from __future__ import annotations

import csv
import os
import sqlite3
from pathlib import Path

import pytest

from peloton_export import ExportRequest, Selection, run_export
from peloton_export.config import Config
from peloton_export.export.plan import Action
from peloton_export.plugins import create_host
from peloton_export.store import ledger as ledger_module
from peloton_export.store.archive import Archive
from peloton_export.store.ledger import Ledger
from peloton_export.testing.pytest_plugin import (  # noqa: F401 (fixtures)
    fake_peloton,
    fake_peloton_factory,
    peloton_env,
)
from peloton_export.testing.synth.tiny import BASE_START
from peloton_export.testing.synth.tiny import put_tiny as put
from tests.conftest import cli


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PELOTON_EXPORT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PELOTON_EXPORT_ARCHIVE", str(tmp_path / "archive"))
    monkeypatch.setenv("PELOTON_CONFIG", os.devnull)
    return tmp_path


def _host() -> object:
    return create_host(entry_points=False)


def test_run_export_from_python_on_the_demo(tmp_path: Path) -> None:
    events: list[str] = []
    report = run_export(
        ExportRequest(
            demo=True,
            formats=("tcx", "csv"),
            output_dir=tmp_path / "out",
            progress=lambda event: events.append(event.phase),
            config=Config(),
        ),
        create_host(entry_points=False),
    )
    assert report.ok and report.sync is None
    exported = report.count("exported")
    assert exported >= 8 and len(events) == len(report.results)
    assert len(list((tmp_path / "out").glob("*.tcx"))) == exported
    with (tmp_path / "out" / "summary.csv").open(encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == exported


def _imported(isolated: Path, n: int = 5) -> Archive:
    archive = Archive(isolated / "archive")
    for day in range(n):
        put(archive, f"{day:032x}", start=BASE_START + day * 86400, title=f"Ride {day}")
    return archive


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert cli(*args) == 0
    return capsys.readouterr().out


def test_plan_actions_for_sinks(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    archive = _imported(tmp_path, 3)
    ids = sorted(archive.ids())
    ledger.record_upload(ids[0], "strava", "uploaded", "r1")
    ledger.record_upload(ids[1], "strava", "failed", error="timeout")
    ledger.tombstone(ids[2], "strava", "deleted")
    from peloton_export.export.plan import make_plan
    from peloton_export.store.selection import select_entries

    entries = select_entries(archive, Selection())
    plan = make_plan(ledger, entries, formats=[], sinks=["strava"], output_dir=tmp_path)
    actions = {w.workout_id: w.sinks["strava"] for w in plan.workouts}
    assert actions == {ids[0]: Action.SETTLED, ids[1]: Action.DELIVER, ids[2]: Action.TOMBSTONED}
    forced = make_plan(ledger, entries, formats=[], sinks=["strava"], output_dir=tmp_path, force=True)
    actions = {w.workout_id: w.sinks["strava"] for w in forced.workouts}
    assert actions == {ids[0]: Action.REDELIVER, ids[1]: Action.DELIVER, ids[2]: Action.TOMBSTONED}
    assert [w.workout_id for w in plan.todo] == [ids[1]]


def test_a_version_1_ledger_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE schema_version (version INTEGER NOT NULL);
        INSERT INTO schema_version VALUES (1);
        CREATE TABLE exports (workout_id TEXT NOT NULL, format TEXT NOT NULL, path TEXT NOT NULL,
            content_hash TEXT NOT NULL, exported_at TEXT NOT NULL, PRIMARY KEY (workout_id, format));
        INSERT INTO exports VALUES ('w1', 'gpx', '/out', 'skipped', '2026-01-01T00:00:00Z');
        INSERT INTO exports VALUES ('w1', 'tcx', '/out/w1.tcx', 'sha256:ab', '2026-01-01T00:00:00Z');
        """
    )
    conn.commit()
    conn.close()
    ledger = Ledger(path)
    gpx, tcx = ledger.exported("w1", "gpx"), ledger.exported("w1", "tcx")
    assert gpx is not None and not gpx.written and gpx.content_hash == ""
    assert tcx is not None and tcx.written and tcx.content_hash == "sha256:ab"
    version = sqlite3.connect(path).execute("SELECT version FROM schema_version").fetchall()
    assert version == [(ledger_module.SCHEMA_VERSION,)]
    assert ledger.stacks() == {}  # the stacked-classes tables exist after the upgrade
    ledger_module.close_all()
    assert Ledger(path).exported("w1", "tcx") == tcx  # opening again changes nothing


def test_summary_rows_come_back_from_the_ledger(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What a kill -9 before the summary was written leaves: files and ledger rows, no
    summary.csv. The next run (with nothing to export) writes every row again."""
    _imported(isolated, 4)
    out = isolated / "out"
    _cli(capsys, "--offline", "-f", "csv", "-o", str(out))
    summary = out / "summary.csv"
    full = summary.read_bytes()
    summary.unlink()
    assert "4 unchanged" in _cli(capsys, "--offline", "-f", "csv", "-o", str(out))
    assert summary.read_bytes() == full
    mtime = summary.stat().st_mtime_ns
    _cli(capsys, "--offline", "-f", "csv", "-o", str(out))
    assert summary.stat().st_mtime_ns == mtime  # unchanged content is not rewritten
