"""The export pipeline against a real on-disk archive."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from peloton_export.errors import ConfigError
from peloton_export.export.exporter import Exporter
from peloton_export.hookspecs import hookimpl
from peloton_export.plugins import PluginHost, create_host
from peloton_export.results import Selection
from peloton_export.specs import ExportContext, FormatSpec
from peloton_export.store.archive import Archive
from peloton_export.store.selection import select_ids
from peloton_export.testing.synth.tiny import BASE_START, put_tiny


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    archive = Archive(tmp_path / "archive")
    for day in range(3):
        put_tiny(archive, f"{day:032x}", start=BASE_START + day * 86400, title=f"Ride {day}")
    return archive


@pytest.fixture
def host() -> PluginHost:
    return create_host(entry_points=False)


def exporter(
    host: PluginHost,
    archive: Archive,
    out: Path,
    formats: tuple[str, ...] = ("tcx", "csv", "json"),
    **context: Any,
) -> Exporter:
    ctx = ExportContext(output_dir=out, **context)
    return Exporter(host=host, archive=archive, context=ctx, formats=host.resolve("format", formats))


def test_exports_every_workout_newest_first(host: PluginHost, archive: Archive, tmp_path: Path) -> None:
    report = exporter(host, archive, tmp_path / "out").run(Selection())
    assert [r.status for r in report.results] == ["exported"] * 3
    assert [r.title for r in report.results] == ["Ride 2", "Ride 1", "Ride 0"]
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(names) == 3 * 3 + 1 and "summary.csv" in names
    assert names[0].startswith("2026-01-01_0200_cycling_ride-0_")  # local time, America/New_York


def test_second_run_is_unchanged_and_force_rewrites(
    host: PluginHost, archive: Archive, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    exporter(host, archive, out).run(Selection())
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    again = exporter(host, archive, out).run(Selection())
    assert {r.status for r in again.results} == {"unchanged"}
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name != "summary.csv"} == {
        k: v for k, v in before.items() if k != "summary.csv"
    }
    forced = exporter(host, archive, out, force=True).run(Selection())
    assert {r.status for r in forced.results} == {"exported"}


def test_output_is_deterministic(host: PluginHost, archive: Archive, tmp_path: Path) -> None:
    exporter(host, archive, tmp_path / "a").run(Selection())
    exporter(host, archive, tmp_path / "b").run(Selection())
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


def test_filters_limit_dates_ids_and_discipline(host: PluginHost, archive: Archive, tmp_path: Path) -> None:
    day1 = datetime.fromtimestamp(BASE_START + 86400, UTC)
    assert len(select_ids(archive, Selection(since=day1))) == 2
    assert len(select_ids(archive, Selection(until=day1))) == 1
    assert select_ids(archive, Selection(workout_ids=frozenset({f"{1:032x}"}))) == [f"{1:032x}"]
    limited = exporter(host, archive, tmp_path / "o").run(Selection(limit=2))
    assert [r.title for r in limited.results] == ["Ride 2", "Ride 1"]
    none = exporter(host, archive, tmp_path / "p").run(Selection(disciplines=frozenset({"running"})))
    assert none.results == []


def test_bad_body_fails_alone_and_archive_is_untouched(
    host: PluginHost, archive: Archive, tmp_path: Path
) -> None:
    bad_id = f"{1:032x}"
    graph = archive.body_path(bad_id, "performance_graph")
    graph.write_bytes(graph.read_bytes()[:100])  # truncated on disk
    original = graph.read_bytes()
    report = exporter(host, archive, tmp_path / "out").run(Selection())
    statuses = {r.workout_id: r.status for r in report.results}
    assert statuses[bad_id] == "failed" and list(statuses.values()).count("exported") == 2
    failed = report.failed[0]
    assert bad_id in failed.reason and "performance_graph.json" in failed.reason
    assert "\n" not in failed.reason and "Traceback" not in failed.reason
    assert graph.read_bytes() == original


def test_wrong_types_in_body_fail_that_workout_only(
    host: PluginHost, archive: Archive, tmp_path: Path
) -> None:
    bad_id = f"{2:032x}"
    path = archive.body_path(bad_id, "workout")
    body = json.loads(path.read_bytes())
    body["start_time"] = "yesterday"
    body["end_time"] = body["created_at"] = None  # nothing left to rebuild a start from
    path.write_text(json.dumps(body))
    report = exporter(host, archive, tmp_path / "out").run(Selection())
    assert report.count("exported") == 2 and report.count("failed") == 1
    assert bad_id in report.failed[0].reason


def test_a_damaged_start_time_is_rebuilt_and_the_workout_exported_with_a_warning(
    host: PluginHost, archive: Archive, tmp_path: Path
) -> None:
    bad_id = f"{2:032x}"
    path = archive.body_path(bad_id, "workout")
    body = json.loads(path.read_bytes())
    body["start_time"] = "yesterday"
    path.write_text(json.dumps(body))
    report = exporter(host, archive, tmp_path / "out").run(Selection())
    assert report.count("exported") == 3, report
    (warned,) = [r for r in report.results if r.warnings]
    assert warned.workout_id == bad_id
    assert warned.warnings[0].startswith(
        "workout.start_time: the string 'yesterday' is not a time; the start is"
    )


def test_writer_crash_is_attributed_and_leaves_no_partial_file(
    host: PluginHost, archive: Archive, tmp_path: Path
) -> None:
    def explode(workout: Any, stream: Any, context: Any) -> None:
        stream.write(b"half a file")
        raise ZeroDivisionError("oops")

    class Exploding:
        @hookimpl
        def register_formats(self) -> list[FormatSpec]:
            return [FormatSpec(name="boom", suffix=".boom", write=explode)]

    host = create_host(entry_points=False, extra={"exploding": Exploding()})
    out = tmp_path / "out"
    report = exporter(host, archive, out, formats=("boom", "tcx")).run(Selection())
    assert report.count("failed") == 3
    assert "plugin 'exploding' failed in write: ZeroDivisionError: oops" in report.failed[0].reason
    assert not list(out.glob("*.boom")) and len(list(out.glob("*.tcx"))) == 3
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_summary_csv_keeps_rows_of_earlier_runs(host: PluginHost, archive: Archive, tmp_path: Path) -> None:
    out = tmp_path / "out"
    exporter(host, archive, out, formats=("csv",)).run(Selection(workout_ids=frozenset({f"{0:032x}"})))
    exporter(host, archive, out, formats=("csv",)).run(Selection(workout_ids=frozenset({f"{2:032x}"})))
    rows = list(csv.DictReader((out / "summary.csv").read_text(encoding="utf-8").splitlines()))
    assert [r["workout_id"] for r in rows] == [f"{0:032x}", f"{2:032x}"]
    assert rows[0]["title"] == "Ride 0" and float(rows[0]["avg_power_w"]) > 100


def test_dry_run_writes_nothing(host: PluginHost, archive: Archive, tmp_path: Path) -> None:
    report = exporter(host, archive, tmp_path / "out", dry_run=True).run(Selection())
    assert {r.status for r in report.results} == {"planned"}
    assert not (tmp_path / "out").exists()


def test_an_output_folder_that_is_a_file_stops_the_run_with_one_reason(
    host: PluginHost, archive: Archive, tmp_path: Path
) -> None:
    from peloton_export.errors import OutputRefused

    out = tmp_path / "not-a-folder"
    out.write_text("a file where the output folder should be")
    with pytest.raises(OutputRefused) as caught:
        exporter(host, archive, out, formats=("tcx",)).run(Selection())
    reason = str(caught.value)
    assert f"cannot create the output folder {out}" in reason and "\n" not in reason
    assert out.read_text() == "a file where the output folder should be"


def test_unknown_format_or_sink_lists_the_choices(host: PluginHost) -> None:
    with pytest.raises(
        ConfigError,
        match=r"unknown format 'tcxx' \(did you mean 'tcx'\?\); "
        "choose one of: csv, csv-sets, fit, gpx, html, json, parquet, tcx",
    ):
        host.resolve("format", ["tcxx"])
    with pytest.raises(ConfigError, match="unknown sink 'nope'; choose one of: directory"):
        host.resolve("sink", ["nope"])


def test_directory_sink_copies_and_reports_duplicates(
    host: PluginHost, archive: Archive, tmp_path: Path
) -> None:
    dest = tmp_path / "synced"
    ctx = ExportContext(output_dir=tmp_path / "out", options={"directory.path": str(dest)})
    run = Exporter(
        host=host,
        archive=archive,
        context=ctx,
        formats=host.resolve("format", ["tcx"]),
        sinks=host.resolve("sink", ["directory"]),
    )
    first = run.run(Selection())
    assert [s.status for r in first.results for s in r.sinks] == ["uploaded"] * 3
    assert len(list(dest.glob("*.tcx"))) == 3
    second = Exporter(
        host=host,
        archive=archive,
        context=ctx,
        formats=host.resolve("format", ["tcx"]),
        sinks=host.resolve("sink", ["directory"]),
    ).run(Selection())
    assert [s.status for r in second.results for s in r.sinks] == ["duplicate"] * 3


def test_directory_sink_without_a_folder_fails_each_workout_clearly(
    host: PluginHost, archive: Archive, tmp_path: Path
) -> None:
    ctx = ExportContext(output_dir=tmp_path / "out")
    report = Exporter(
        host=host,
        archive=archive,
        context=ctx,
        formats=host.resolve("format", ["tcx"]),
        sinks=host.resolve("sink", ["directory"]),
    ).run(Selection())
    assert report.count("failed") == 3
    assert "directory sink needs a folder" in report.failed[0].reason


def test_ledger_short_circuit_never_parses_done_workouts(
    host: PluginHost, archive: Archive, tmp_path: Path
) -> None:
    from peloton_export.store.ledger import Ledger

    ledger = Ledger(tmp_path / "ledger.sqlite3")
    out = tmp_path / "out"
    ctx = ExportContext(output_dir=out)
    first = Exporter(
        host=host, archive=archive, context=ctx, formats=host.resolve("format", ["tcx", "gpx"]), ledger=ledger
    ).run(Selection())
    assert first.count("exported") == 3

    def explode(raw: Any) -> Any:
        raise AssertionError("a done workout was parsed again")

    second = Exporter(
        host=host,
        archive=archive,
        context=ctx,
        formats=host.resolve("format", ["tcx", "gpx"]),
        ledger=ledger,
        normalize=explode,
    ).run(Selection())
    assert second.count("unchanged") == 3
    next(out.glob("*.tcx")).unlink()  # a file removed by hand is written again
    third = Exporter(
        host=host, archive=archive, context=ctx, formats=host.resolve("format", ["tcx", "gpx"]), ledger=ledger
    ).run(Selection())
    assert third.count("exported") == 1 and third.count("unchanged") == 2
