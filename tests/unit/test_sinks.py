"""Core behaviour for every sink: the ledger makes each delivery happen once."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from peloton_export.errors import AuthRequired, UploadError
from peloton_export.export.exporter import Exporter
from peloton_export.hookspecs import hookimpl
from peloton_export.plugins import PluginHost, create_host
from peloton_export.results import Selection
from peloton_export.specs import ExportContext, SinkSpec, UploadResult
from peloton_export.store import ledger as ledger_module
from peloton_export.store.archive import Archive
from peloton_export.store.ledger import Ledger
from peloton_export.testing.synth.tiny import BASE_START, put_tiny


class FakeSink:
    """A sink plugin that remembers what it received, and can be told to fail."""

    def __init__(self, name: str, accepts: tuple[str, ...] = ("fit", "tcx")) -> None:
        self.name = name
        self.accepts = accepts
        self.received: list[tuple[str, str]] = []  # (workout id, file suffix)
        self.deleted: set[str] = set()
        self.fail_with: Exception | None = None
        self.remote: dict[str, str] = {}

    def upload(self, path: Path, workout: Any, context: ExportContext) -> UploadResult:
        if self.fail_with is not None:
            raise self.fail_with
        self.received.append((workout.id, path.suffix))
        if workout.id in self.remote and self.remote[workout.id] not in self.deleted:
            return UploadResult(state="duplicate", remote_id=self.remote[workout.id])
        self.remote[workout.id] = f"r{len(self.received)}"
        return UploadResult(state="uploaded", remote_id=self.remote[workout.id])

    def exists(self, remote_id: str, context: ExportContext) -> bool:
        return remote_id not in self.deleted

    @hookimpl
    def register_sinks(self) -> list[SinkSpec]:
        return [SinkSpec(name=self.name, accepts=self.accepts, upload=self.upload, exists=self.exists)]


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    archive = Archive(tmp_path / "archive")
    for day in range(3):
        put_tiny(archive, f"{day:032x}", start=BASE_START + day * 86400, title=f"Ride {day}")
    return archive


@pytest.fixture
def ledger(tmp_path: Path) -> Any:
    yield Ledger(tmp_path / "ledger.sqlite3")
    ledger_module.close_all()


def run(
    host: PluginHost,
    archive: Archive,
    ledger: Ledger,
    out: Path,
    sinks: list[str],
    formats: tuple[str, ...] = ("tcx",),
    force: bool = False,
) -> Any:
    ctx = ExportContext(output_dir=out, force=force)
    return Exporter(
        host=host,
        archive=archive,
        context=ctx,
        formats=host.resolve("format", formats),
        sinks=host.resolve("sink", sinks),
        ledger=ledger,
    ).run(Selection())


def test_each_workout_is_delivered_once_however_often_it_runs(
    archive: Archive, ledger: Ledger, tmp_path: Path
) -> None:
    sink = FakeSink("fake")
    host = create_host(entry_points=False, extra={"fake": sink})
    for _ in range(3):
        run(host, archive, ledger, tmp_path / "out", ["fake"])
    assert Counter(w for w, _ in sink.received) == {f"{d:032x}": 1 for d in range(3)}
    assert {ledger.upload_state(f"{d:032x}", "fake").state for d in range(3)} == {"uploaded"}  # type: ignore[union-attr]


def test_sink_gets_its_preferred_format_even_when_not_requested(
    archive: Archive, ledger: Ledger, tmp_path: Path
) -> None:
    sink = FakeSink("fake", accepts=("fit", "tcx"))
    host = create_host(entry_points=False, extra={"fake": sink})
    report = run(host, archive, ledger, tmp_path / "out", ["fake"], formats=("csv",))
    assert {suffix for _, suffix in sink.received} == {".fit"}
    assert len(list((tmp_path / "out").glob("*.fit"))) == 3
    assert report.count("exported") == 3


def test_force_redelivers_but_never_a_workout_deleted_on_the_platform(
    archive: Archive, ledger: Ledger, tmp_path: Path
) -> None:
    sink = FakeSink("fake")
    host = create_host(entry_points=False, extra={"fake": sink})
    run(host, archive, ledger, tmp_path / "out", ["fake"])
    gone = f"{1:032x}"
    sink.deleted.add(sink.remote[gone])
    report = run(host, archive, ledger, tmp_path / "out", ["fake"], force=True)
    reasons = {r.workout_id: r.sinks[0].reason for r in report.results}
    assert reasons[gone] == "deleted on the platform; never sent again"
    assert ledger.is_tombstoned(gone, "fake")
    assert Counter(w for w, _ in sink.received)[gone] == 1  # not sent again
    run(host, archive, ledger, tmp_path / "out", ["fake"], force=True)
    assert Counter(w for w, _ in sink.received)[gone] == 1
    # The others were offered again under --force and answered as duplicates.
    assert Counter(w for w, _ in sink.received)[f"{0:032x}"] == 3
    assert ledger.upload_state(f"{0:032x}", "fake").state == "duplicate"  # type: ignore[union-attr]


def test_one_failing_sink_never_stops_the_others(archive: Archive, ledger: Ledger, tmp_path: Path) -> None:
    good, bad = FakeSink("good"), FakeSink("bad")
    bad.fail_with = UploadError("the service answered 500")
    host = create_host(entry_points=False, extra={"good": good, "bad": bad})
    report = run(host, archive, ledger, tmp_path / "out", ["bad", "good"])
    assert len(good.received) == 3 and report.count("failed") == 3
    assert "bad: the service answered 500" in report.failed[0].reason
    state = ledger.upload_state(f"{0:032x}", "bad")
    assert state is not None and state.state == "failed" and state.error == "the service answered 500"
    bad.fail_with = None  # the next run retries only what failed
    run(host, archive, ledger, tmp_path / "out", ["bad", "good"])
    assert len(bad.received) == 3 and len(good.received) == 3


def test_auth_required_stops_that_sink_for_the_run(archive: Archive, ledger: Ledger, tmp_path: Path) -> None:
    sink = FakeSink("fake")
    calls = 0

    def upload(path: Path, workout: Any, context: ExportContext) -> UploadResult:
        nonlocal calls
        calls += 1
        raise AuthRequired("log in first: peloton-export fake login")

    sink.upload = upload  # type: ignore[method-assign]
    host = create_host(entry_points=False, extra={"fake": sink})
    report = run(host, archive, ledger, tmp_path / "out", ["fake"])
    assert calls == 1
    reasons = [r.sinks[0].reason for r in report.results]
    assert reasons[0] == "log in first: peloton-export fake login"
    assert reasons[1:] == ["not attempted: log in first: peloton-export fake login"] * 2


def test_sink_crash_is_attributed_to_its_plugin(archive: Archive, ledger: Ledger, tmp_path: Path) -> None:
    sink = FakeSink("fake")
    sink.fail_with = KeyError("id")
    host = create_host(entry_points=False, extra={"crashy": sink})
    report = run(host, archive, ledger, tmp_path / "out", ["fake"])
    assert "plugin 'crashy' failed in upload: KeyError" in report.failed[0].reason


def test_status_shows_each_sinks_state(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from peloton_export.cli.sync import status_command

    monkeypatch.setenv("PELOTON_EXPORT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PELOTON_EXPORT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("PELOTON_CONFIG", os.devnull)
    ledger = Ledger.default()
    good, bad = FakeSink("good"), FakeSink("bad")
    bad.fail_with = UploadError("the service answered 500")
    host = create_host(entry_points=False, extra={"good": good, "bad": bad})
    run(host, archive, ledger, tmp_path / "out", ["good", "bad"])
    ledger.tombstone(f"{0:032x}", "good", "deleted on good")
    output = CliRunner().invoke(status_command(host), []).output
    assert "Sink bad: 3 failed" in output
    assert "Sink good: 1 tombstoned, 3 uploaded" in output
