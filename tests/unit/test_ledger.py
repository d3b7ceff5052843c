"""The SQLite sync ledger."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from peloton_export.export.plan import ledger_pending, should_upload
from peloton_export.store import ledger as ledger_module
from peloton_export.store.ledger import Ledger, LedgerError, content_hash
from peloton_export.store.ledger.queries import counts, history


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    yield Ledger(tmp_path / "ledger.sqlite3")
    ledger_module.close_all()


def test_schema_wal_and_version(ledger: Ledger) -> None:
    conn = sqlite3.connect(ledger.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(ledger_module.SCHEMA_VERSION,)]
    conn.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    Ledger(path)
    ledger_module.close_all()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(LedgerError, match="newer peloton-export"):
        Ledger(path)
    ledger_module.close_all()


def test_one_connection_per_process(ledger: Ledger) -> None:
    other = Ledger(ledger.path)
    assert other._conn is ledger._conn


def test_seen_is_an_upsert(ledger: Ledger) -> None:
    ledger.seen("w1", 100, 160, "IN_PROGRESS")
    first = ledger.workout("w1")
    ledger.seen("w1", 100, 160, "COMPLETE")
    record = ledger.workout("w1")
    assert record is not None and first is not None
    assert record.status == "COMPLETE" and record.first_seen == first.first_seen
    assert ledger.workout("nope") is None


def test_exports_make_a_second_run_a_no_op(ledger: Ledger) -> None:
    assert ledger.exported("w1", "tcx") is None
    ledger.record_export("w1", "tcx", Path("/out/w1.tcx"), "sha256:aa")
    record = ledger.exported("w1", "tcx")
    assert record is not None and record.path == "/out/w1.tcx" and record.content_hash == "sha256:aa"
    ledger.record_export("w1", "tcx", "/out/w1.tcx", "sha256:bb")
    assert ledger.exported("w1", "tcx").content_hash == "sha256:bb"  # type: ignore[union-attr]
    assert ledger.exported("w1", "gpx") is None


def test_uploads_and_tombstones(ledger: Ledger) -> None:
    assert should_upload(ledger, "w1", "strava")
    ledger.record_upload("w1", "strava", "failed", error="HTTP 500")
    assert should_upload(ledger, "w1", "strava")
    ledger.record_upload("w1", "strava", "uploaded", remote_id="123")
    record = ledger.upload_state("w1", "strava")
    assert record is not None and record.done and record.remote_id == "123" and record.attempts == 2
    assert record.error is None
    assert not should_upload(ledger, "w1", "strava")
    assert should_upload(ledger, "w1", "strava", force=True)
    ledger.tombstone("w1", "strava", "deleted on Strava")
    assert ledger.is_tombstoned("w1", "strava") and not ledger.is_tombstoned("w1", "garmin")
    assert not should_upload(ledger, "w1", "strava", force=True)


def test_forget_redoes_one_workout(ledger: Ledger) -> None:
    ledger.seen("w1", 1, 2, "COMPLETE")
    ledger.record_export("w1", "tcx", "/a", "h")
    ledger.record_upload("w1", "strava", "uploaded", "9")
    ledger.tombstone("w1", "garmin", "gone")
    ledger.record_export("w2", "tcx", "/b", "h")
    assert ledger.forget("w1") == 4
    assert ledger.exported("w1", "tcx") is None and ledger.upload_state("w1", "strava") is None
    assert not ledger.is_tombstoned("w1", "garmin") and ledger.exported("w2", "tcx") is not None
    assert ledger.forget("w1") == 0


def test_history_and_pending(ledger: Ledger) -> None:
    ledger.seen_many(
        [
            ("w1", 10, 11, "COMPLETE", "peloton"),
            ("w2", 20, 21, "COMPLETE", "peloton"),
            ("w3", 30, 31, "IN_PROGRESS", "peloton"),
            ("w4", 40, 41, "COMPLETE", "apple_health"),
        ]
    )
    ledger.record_export("w1", "tcx", "/w1.tcx", "h")
    ledger.record_upload("w1", "strava", "uploaded", "r1")
    ledger.record_upload("w2", "strava", "failed", error="timeout")
    recent = history(ledger)
    assert {(h.kind, h.workout_id) for h in recent} == {("export", "w1"), ("upload", "w1"), ("upload", "w2")}
    pending = {(p.workout_id, p.kind, p.target) for p in ledger_pending(ledger, ["tcx"], ["strava"])}
    assert pending == {("w2", "export", "tcx"), ("w2", "upload", "strava"), ("w3", "in_progress", "")}
    assert counts(ledger) == {"workouts": 4, "exports": 1, "uploads": 2, "tombstones": 0}


def test_backfill_marker_and_meta(ledger: Ledger) -> None:
    assert not ledger.backfill_done("u1")
    ledger.mark_backfill_done("u1")
    assert ledger.backfill_done("u1") and not ledger.backfill_done("u2")
    ledger.set_meta("k", "v")
    ledger.set_meta("k", "w")
    assert ledger.get_meta("k") == "w"


def test_threads_share_the_ledger(ledger: Ledger) -> None:
    def work(n: int) -> None:
        for i in range(20):
            ledger.record_export(f"w{n}-{i}", "tcx", "/x", "h")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counts(ledger)["exports"] == 80


def test_default_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PELOTON_EXPORT_STATE_DIR", str(tmp_path / "state"))
    assert Ledger.default().path == tmp_path / "state" / "ledger.sqlite3"
    ledger_module.close_all()


def test_content_hash() -> None:
    assert content_hash(b"") == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
