"""The plan carries its records: a run reads the ledger a fixed number of times, whatever
the number of workouts; each workout's export only writes to it (issue 21).

The reads are counted on the real SQLite connection (``set_trace_callback``), so every
``SELECT`` any part of the run sends is seen, including ones inside a write transaction.
"""

from __future__ import annotations

from pathlib import Path

from peloton_export.export.exporter import Exporter
from peloton_export.plugins import create_host
from peloton_export.results import ExportReport, Selection
from peloton_export.specs import ExportContext
from peloton_export.store.archive import Archive
from peloton_export.store.ledger import Ledger
from peloton_export.testing.synth.tiny import BASE_START, put_tiny


class Reads:
    """Counts the SELECT statements sent on a ledger's connection while active."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.selects: list[str] = []

    def __enter__(self) -> Reads:
        self.ledger._conn.set_trace_callback(self._trace)
        return self

    def __exit__(self, *exc: object) -> None:
        self.ledger._conn.set_trace_callback(None)

    def _trace(self, statement: str) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.selects.append(statement)


def _archive(root: Path, count: int) -> Archive:
    archive = Archive(root)
    for day in range(count):
        put_tiny(archive, f"{day:032x}", start=BASE_START + day * 86400, title=f"Ride {day}")
    return archive


def _run(
    archive: Archive, ledger: Ledger, out: Path, formats: tuple[str, ...], **context: bool
) -> tuple[ExportReport, int]:
    host = create_host(entry_points=False)
    ctx = ExportContext(output_dir=out, options={"directory.path": str(out / "copies")}, **context)
    exporter = Exporter(
        host=host,
        archive=archive,
        context=ctx,
        formats=host.resolve("format", formats),
        sinks=host.resolve("sink", ["directory"]),
        ledger=ledger,
    )
    with Reads(ledger) as reads:
        report = exporter.run(Selection())
    return report, len(reads.selects)


def _reads_per_run(tmp_path: Path, count: int) -> list[int]:
    """SELECTs of: a first run (write, deliver), a second with one more format (the sink
    settled), a forced one (redeliver), and one with nothing to do."""
    archive = _archive(tmp_path / "archive", count)
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    out = tmp_path / "out"
    counts = []
    first, reads = _run(archive, ledger, out, ("tcx", "csv"))
    assert [r.status for r in first.results] == ["exported"] * count
    counts.append(reads)
    more, reads = _run(archive, ledger, out, ("tcx", "csv", "json"))
    assert {r.status for r in more.results} == {"exported"}
    assert {s.reason for r in more.results for s in r.sinks} == {"already uploaded"}
    counts.append(reads)
    forced, reads = _run(archive, ledger, out, ("tcx", "csv", "json"), force=True)
    assert {s.status for r in forced.results for s in r.sinks} == {"duplicate"}
    counts.append(reads)
    idle, reads = _run(archive, ledger, out, ("tcx", "csv", "json"))
    assert {r.status for r in idle.results} == {"unchanged"}
    counts.append(reads)
    assert len(list(out.glob("*.json"))) == count
    return counts


def test_ledger_reads_do_not_grow_with_the_workout_count(tmp_path: Path) -> None:
    ten = _reads_per_run(tmp_path / "ten", 10)
    fifty = _reads_per_run(tmp_path / "fifty", 50)
    assert fifty == ten, f"ledger SELECTs per run, 10 workouts {ten}, 50 workouts {fifty}"
    assert max(fifty) <= 12, fifty  # a handful per run: one per table, not one per workout
