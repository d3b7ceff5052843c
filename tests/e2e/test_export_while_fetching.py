"""Export while fetching: each workout is exported as soon as the sync archives it.

Every test runs :func:`run_export` against the fake Peloton API (real loopback HTTP, real
SQLite ledger, real files); latency is injected per request by the fake's ``latency`` fault.
No test asserts a duration: the order of events is read off the fake's request record,
the files' modification times and the progress events.
"""
# ruff: noqa: F811  (fixtures imported by name)

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from peloton_export import ExportRequest, run_export
from peloton_export.errors import PelotonExportError
from peloton_export.export.plan import ExportPlan
from peloton_export.export.run import ProgressEvent
from peloton_export.hookspecs import hookimpl
from peloton_export.plugins import create_host
from peloton_export.results import ExportReport, RunContext
from peloton_export.specs import ExportContext, FormatSpec, SinkSpec, UploadResult
from peloton_export.store.archive import Archive
from peloton_export.testing import FakePeloton
from peloton_export.testing.pytest_plugin import (  # noqa: F401 (fixtures)
    fake_peloton,
    fake_peloton_factory,
    peloton_env,
)
from peloton_export.testing.synth import synth_workouts

WORKOUT_PATH = r"^/api/workout/"


class Recorder:
    """A plugin that records the lifecycle hooks (and their thread), a format that fails for
    one chosen workout, and a sink that records each delivery."""

    def __init__(self, fail_id: str = "") -> None:
        self.fail_id = fail_id
        self.calls: list[tuple[str, str]] = []
        self.planned_at_start: list[str] = []
        self.planned_at_finish: list[str] = []
        self.plan: ExportPlan | None = None
        self.delivered: list[str] = []

    def _thread(self) -> str:
        return threading.current_thread().name

    @hookimpl
    def register_formats(self) -> list[FormatSpec]:
        return [FormatSpec(name="flaky", suffix=".flaky", write=self._write)]

    def _write(self, workout: Any, stream: Any, context: Any) -> None:
        if workout.id == self.fail_id:
            raise PelotonExportError("this workout is broken on purpose")
        stream.write(f"{workout.id} {workout.title}\n".encode())

    @hookimpl
    def register_sinks(self) -> list[SinkSpec]:
        return [SinkSpec(name="void", accepts=("json",), upload=self._upload)]

    def _upload(self, path: Path, workout: Any, context: Any) -> UploadResult:
        self.delivered.append(workout.id)
        return UploadResult(state="uploaded", remote_id=f"void-{workout.id[:8]}")

    @hookimpl
    def export_started(self, context: RunContext, plan: ExportPlan) -> None:
        self.calls.append(("export_started", self._thread()))
        self.plan = plan
        self.planned_at_start = [item.workout_id for item in plan.workouts]

    @hookimpl
    def transform_workout(self, workout: Any, context: ExportContext) -> None:
        self.calls.append(("transform_workout", self._thread()))

    @hookimpl
    def export_finished(self, context: RunContext, report: ExportReport) -> None:
        self.calls.append(("export_finished", self._thread()))
        assert self.plan is not None
        self.planned_at_finish = [item.workout_id for item in self.plan.workouts]


def _dirs(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    monkeypatch.setenv("PELOTON_EXPORT_STATE_DIR", str(root / "state"))
    monkeypatch.setenv("PELOTON_EXPORT_ARCHIVE", str(root / "archive"))


def _export(
    root: Path,
    recorder: Recorder | None = None,
    *,
    formats: tuple[str, ...] = ("json",),
    sinks: tuple[str, ...] = (),
    stream: bool = True,
    events: list[tuple[str, ProgressEvent]] | None = None,
) -> ExportReport:
    extra = {"recorder": recorder} if recorder is not None else None
    host = create_host(entry_points=False, extra=extra)

    def progress(event: ProgressEvent) -> None:
        if events is not None:
            events.append((threading.current_thread().name, event))

    return run_export(
        ExportRequest(
            formats=formats,
            sinks=sinks,
            output_dir=root / "out",
            archive_dir=root / "archive",
            export_while_fetching=stream,
            progress=progress,
        ),
        host,
    )


def _fetch_times(fake: FakePeloton) -> list[float]:
    return sorted(r.time for r in fake.requests if r.host == "api" and r.path.startswith("/api/workout/"))


def test_the_first_file_is_written_before_the_last_workout_is_fetched(
    peloton_env: FakePeloton, tmp_path: Path
) -> None:
    peloton_env.fault("latency", delay=0.1, path=WORKOUT_PATH, times=None)
    report = _export(tmp_path)
    assert report.ok and report.sync is not None and len(report.sync.new) == 25
    files = sorted((tmp_path / "out").glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    assert len(files) == 25
    fetches = _fetch_times(peloton_env)
    assert len(fetches) == 50  # a detail and a performance graph per workout
    first_file = files[0].stat().st_mtime
    # the first file was on disk while the sync still had workouts to fetch
    assert first_file < fetches[-1]
    assert sum(1 for t in fetches if t > first_file) >= 2


def test_progress_of_fetching_and_export_interleave_and_come_one_at_a_time(
    peloton_env: FakePeloton, tmp_path: Path
) -> None:
    peloton_env.fault("latency", delay=0.1, path=WORKOUT_PATH, times=None)
    events: list[tuple[str, ProgressEvent]] = []
    report = _export(tmp_path, events=events)
    assert report.ok
    phases = [event.phase for _, event in events]
    first_export = phases.index("export")
    last_fetch = len(phases) - 1 - phases[::-1].index("fetching")
    assert first_export < last_fetch  # an export event came before the sync was done
    assert "fetching" in phases[first_export:] and "export" in phases[:last_fetch]
    exports = [event for _, event in events if event.phase == "export"]
    assert [e.completed for e in exports] == list(range(1, 26))
    assert exports[-1].total == 25 and all(e.total is not None and e.completed <= e.total for e in exports)
    # fetching and listing are reported from the sync thread, the export from the caller's
    threads = {phase: {name for name, e in events if e.phase == phase} for phase in set(phases)}
    assert threads["export"] == {threading.current_thread().name}
    assert threads["fetching"] == threads["listing"] == {"peloton-export-sync"}


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _ledger(root: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(root / "state" / "ledger.sqlite3") as db:
        exports = [
            (w, f, Path(p).name, h, s, r, summary)
            for w, f, p, h, s, r, summary in db.execute(
                "SELECT workout_id, format, path, content_hash, status, reason, summary FROM exports"
            )
        ]
        return {
            "exports": sorted(exports),
            "uploads": sorted(
                db.execute("SELECT workout_id, sink, state, remote_id, error, attempts FROM uploads")
            ),
            "workouts": sorted(
                db.execute("SELECT workout_id, created_at, start_time, status, origin FROM workouts")
            ),
        }


def _results(report: ExportReport) -> list[tuple[Any, ...]]:
    return [
        (
            r.workout_id,
            r.status,
            r.reason,
            r.title,
            r.start,
            [(f.format, f.status, f.path.name if f.path else None, f.reason) for f in r.files],
            [(s.sink, s.status, s.remote_id, s.reason) for s in r.sinks],
        )
        for r in report.results
    ]


def test_a_streamed_run_gives_the_same_report_files_and_ledger_as_fetch_then_export(
    peloton_env: FakePeloton, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    peloton_env.fault("latency", delay=0.02, path=WORKOUT_PATH, times=None)
    # the oldest 5 workouts are archived before either run: they are exported first
    archived = list(synth_workouts(25))[-5:]
    outcomes = {}
    for mode, stream in (("streamed", True), ("sequential", False)):
        root = tmp_path / mode
        _dirs(monkeypatch, root)
        for raw in archived:
            Archive(root / "archive").put_raw(raw)
        recorder = Recorder(fail_id=archived[0].workout_id)
        events: list[tuple[str, ProgressEvent]] = []
        report = _export(
            root,
            recorder,
            formats=("json", "tcx", "csv", "flaky"),
            sinks=("void",),
            stream=stream,
            events=events,
        )
        exported_first = [e.result.workout_id for _, e in events if e.result is not None][:5]
        outcomes[mode] = (report, root, recorder, exported_first)
    streamed, sequential = outcomes["streamed"], outcomes["sequential"]
    assert _results(streamed[0]) == _results(sequential[0])
    starts = [r.start for r in streamed[0].results]
    assert None not in starts and starts == sorted(starts, reverse=True)  # newest first
    assert len(streamed[0].results) == 25 and streamed[0].count("failed") == 1
    assert _digests(streamed[1] / "out") == _digests(sequential[1] / "out")
    assert len(list((streamed[1] / "out").glob("*.flaky"))) == 24
    assert _ledger(streamed[1]) == _ledger(sequential[1])
    assert sorted(streamed[2].delivered) == sorted(sequential[2].delivered)
    assert len(streamed[2].delivered) == 25  # the failing format does not stop the delivery
    assert streamed[0].sync is not None and sequential[0].sync is not None
    assert streamed[0].sync.new == sequential[0].sync.new and len(streamed[0].sync.new) == 20
    # what was archived before the run went first; the fetch-then-export run goes newest first
    assert set(streamed[3]) == {raw.workout_id for raw in archived}
    assert set(sequential[3]).isdisjoint(streamed[3])


def test_a_failing_workout_in_the_middle_does_not_stop_the_others(
    peloton_env: FakePeloton, tmp_path: Path
) -> None:
    ids = [raw.workout_id for raw in synth_workouts(25)]
    unfetchable, unexportable = ids[7], ids[12]
    # two tries instead of five: the unfetchable workout fails after one backoff, not four
    ini = tmp_path / "peloton.ini"
    ini.write_text(ini.read_text(encoding="utf-8") + "max_attempts = 2\n", encoding="utf-8")
    # the first matching fault fires: the 5xx rule goes before the latency on every fetch
    peloton_env.fault("5xx", status=500, path=f"^/api/workout/{unfetchable}$", times=None)
    peloton_env.fault("latency", delay=0.02, path=WORKOUT_PATH, times=None)
    recorder = Recorder(fail_id=unexportable)
    report = _export(tmp_path, recorder, formats=("json", "flaky"))
    assert report.sync is not None and list(report.sync.failed) == [unfetchable]
    assert [r.workout_id for r in report.failed] == [unexportable]
    assert "flaky: this workout is broken on purpose" in report.failed[0].reason
    assert report.count("exported") == 23 and len(report.results) == 24
    assert len(list((tmp_path / "out").glob("*.json"))) == 24
    assert len(list((tmp_path / "out").glob("*.flaky"))) == 23


def test_lifecycle_hooks_are_called_once_each_in_order_in_the_calling_thread(
    peloton_env: FakePeloton, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    peloton_env.fault("latency", delay=0.05, path=WORKOUT_PATH, times=None)
    _dirs(monkeypatch, tmp_path)
    already = list(synth_workouts(25))[-3:]
    for raw in already:
        Archive(tmp_path / "archive").put_raw(raw)
    recorder = Recorder()
    report = _export(tmp_path, recorder)
    assert report.ok and len(report.results) == 25
    hooks = [name for name, _ in recorder.calls]
    assert hooks[0] == "export_started" and hooks[-1] == "export_finished"
    assert hooks.count("export_started") == hooks.count("export_finished") == 1
    assert hooks.count("transform_workout") == 25
    assert {thread for _, thread in recorder.calls} == {threading.current_thread().name}
    # the plan held what was archived at the start; fetched workouts were added to it
    assert sorted(recorder.planned_at_start) == sorted(raw.workout_id for raw in already)
    assert recorder.planned_at_finish == [r.workout_id for r in report.results]


def test_a_sync_that_stops_half_way_still_exports_everything_archived(
    peloton_env: FakePeloton, tmp_path: Path
) -> None:
    ini = tmp_path / "peloton.ini"
    ini.write_text(ini.read_text(encoding="utf-8") + "max_attempts = 1\n", encoding="utf-8")
    peloton_env.fault("latency", delay=0.02, path=WORKOUT_PATH, times=None)
    # the second list page is unavailable: the sync ends after the first page's 10 workouts
    peloton_env.fault("5xx", status=503, path=r"^/api/user/[^/]+/workouts$", after=1, times=None)
    report = _export(tmp_path)
    assert report.sync is None and report.sync_error
    archive = Archive(tmp_path / "archive")
    assert len(archive.ids()) == 10
    assert report.count("exported") == 10 and report.ok
    assert sorted(p.stem.rsplit("_", 1)[1] for p in (tmp_path / "out").glob("*.json")) == archive.ids()


def test_dry_run_limit_and_workout_keep_fetch_then_export(peloton_env: FakePeloton, tmp_path: Path) -> None:
    from peloton_export.export.run import streams
    from peloton_export.results import Selection

    assert streams(ExportRequest(), Selection())
    assert not streams(ExportRequest(dry_run=True), Selection())
    assert not streams(ExportRequest(offline=True), Selection())
    assert not streams(ExportRequest(demo=True), Selection())
    assert not streams(ExportRequest(export_while_fetching=False), Selection())
    assert not streams(ExportRequest(), Selection(limit=3))
    assert not streams(ExportRequest(), Selection(workout_ids=frozenset({"a" * 32})))
    events: list[tuple[str, ProgressEvent]] = []
    report = run_export(
        ExportRequest(
            formats=("json",),
            output_dir=tmp_path / "out",
            dry_run=True,
            progress=lambda event: events.append(("", event)),
        ),
        create_host(entry_points=False),
    )
    assert report.sync is not None and len(report.sync.would_fetch) == 25 and not report.sync.fetched
    assert peloton_env.count(WORKOUT_PATH) == 0 and not (tmp_path / "out").exists()


def test_ctrl_c_while_fetching_and_exporting_stops_cleanly(peloton_env: FakePeloton, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    peloton_env.fault("latency", delay=0.15, path=WORKOUT_PATH, times=None)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "peloton_export", "-q", "-f", "json", "-f", "tcx", "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (out.is_dir() and any(out.glob("*.tcx"))):
        time.sleep(0.01)
    fetched_before = peloton_env.count(WORKOUT_PATH)
    assert fetched_before < 50, "the sync was over before the first file: nothing to interrupt"
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stdout + stderr
    assert time.monotonic() - sent < 5
    assert "Traceback" not in stderr and "Interrupted" in stderr
    time.sleep(0.3)  # requests in flight when the process ended are recorded at the fake
    assert peloton_env.count(WORKOUT_PATH) < 50  # the sync stopped too
    names = [p.name for p in out.iterdir()]
    assert names and not [n for n in names if n.startswith(".")]  # no temporary (half) file
    for path in out.glob("*.json"):
        json.loads(path.read_bytes())  # every file is whole
    for path in out.glob("*.tcx"):
        ElementTree.parse(path)
    archive = Archive(tmp_path / "data" / "archive")
    for workout_id in archive.ids():
        assert archive.is_complete(workout_id)
    assert os.path.isdir(tmp_path / "state")


def test_sigterm_while_the_sync_waits_on_a_dripping_server_stops_in_seconds(
    peloton_env: FakePeloton, tmp_path: Path
) -> None:
    """A request in flight (a server sending one byte a second, retried up to
    ``max_attempts`` times of ``deadline`` seconds each) must not hold a stopped run."""
    import signal
    import subprocess
    import sys
    import time

    ids = [str(item["id"]) for item in peloton_env.store.page(0, 25)]
    # the drip first: the first live rule fires
    peloton_env.fault("drip", delay=1.0, path=rf"^/api/workout/{ids[5]}/performance_graph$", times=None)
    peloton_env.fault("latency", delay=0.1, path=WORKOUT_PATH, times=None)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "peloton_export", "-q", "-f", "json", "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not peloton_env.count(
        rf"^/api/workout/{ids[5]}/performance_graph$"
    ):
        time.sleep(0.01)
    time.sleep(1.0)  # the drip is in flight
    proc.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    try:
        stdout, stderr = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("the run was still going 20 s after SIGTERM (the sync waited on the drip)")
    assert proc.returncode == 130, stdout + stderr
    assert time.monotonic() - sent < 5
    assert "Traceback" not in stderr and "Interrupted" in stderr
    assert not [p for p in out.iterdir() if p.name.startswith(".")] if out.is_dir() else True
