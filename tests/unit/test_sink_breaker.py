"""The circuit breaker of a sink in a run (issue 22): a failing service is left alone for the
rest of the run after :data:`BREAKER_AFTER` failures in a row, its other workouts stay
pending, and the next run delivers them. (Against a loopback service: the Strava plugin's
``test_strava_breaker.py``.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from peloton_export.default_plugins.notify import report_problems
from peloton_export.errors import ServiceFailing, UploadError
from peloton_export.export.breaker import BREAKER_AFTER
from peloton_export.export.exporter import Exporter
from peloton_export.hookspecs import hookimpl
from peloton_export.plugins import create_host
from peloton_export.results import ExportReport, Selection
from peloton_export.specs import ExportContext, SinkSpec, UploadResult
from peloton_export.store import ledger as ledger_module
from peloton_export.store.archive import Archive
from peloton_export.store.ledger import Ledger
from peloton_export.testing.synth.tiny import BASE_START, put_tiny

N = 8


class ScriptedSink:
    """A sink whose answers are a script: an exception to raise, or ``None`` to take the file."""

    name = "svc"

    def __init__(self) -> None:
        self.script: list[Exception | None] = []
        self.calls = 0

    def upload(self, path: Path, workout: Any, context: ExportContext) -> UploadResult:
        self.calls += 1
        answer = self.script.pop(0) if self.script else None
        if answer is not None:
            raise answer
        return UploadResult(state="uploaded", remote_id=f"r-{workout.id[-4:]}")

    @hookimpl
    def register_sinks(self) -> list[SinkSpec]:
        return [SinkSpec(name=self.name, accepts=("tcx",), upload=self.upload)]


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    archive = Archive(tmp_path / "archive")
    for day in range(N):
        put_tiny(archive, f"{day:032x}", start=BASE_START + day * 86400, title=f"Ride {day}")
    return archive


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    yield Ledger(tmp_path / "ledger.sqlite3")
    ledger_module.close_all()


def run(sink: ScriptedSink, archive: Archive, ledger: Ledger, out: Path) -> ExportReport:
    host = create_host(entry_points=False, extra={"scripted": sink})
    return Exporter(
        host=host,
        archive=archive,
        context=ExportContext(output_dir=out),
        formats=host.resolve("format", ("tcx",)),
        sinks=host.resolve("sink", (sink.name,)),
        ledger=ledger,
    ).run(Selection())


def states(ledger: Ledger, report: ExportReport) -> list[str | None]:
    """The ledger's upload state of each workout, in the order the run handled them."""
    return [
        (record.state if (record := ledger.upload_state(r.workout_id, "svc")) else None)
        for r in report.results
    ]


def test_a_down_service_is_tried_three_times_then_left_alone_and_the_next_run_delivers(
    archive: Archive, ledger: Ledger, tmp_path: Path
) -> None:
    sink = ScriptedSink()
    sink.script = [ServiceFailing("svc upload: HTTP 503 after 3 tries")] * N
    report = run(sink, archive, ledger, tmp_path / "out")
    assert sink.calls == BREAKER_AFTER == 3  # not N: the rest of the run leaves it alone
    sinks = [r.sinks[0] for r in report.results]
    assert [s.status for s in sinks] == ["failed"] * 3 + ["skipped"] * (N - 3)
    assert {s.held for s in sinks[3:]} == {"service-failing"}
    assert report.failing == {"svc": sinks[3].reason.removeprefix("not attempted: ")}
    line = report.failing["svc"]
    assert line.startswith("svc is failing (3 failures in a row; last: svc upload: HTTP 503 after 3 tries)")
    assert "\n" not in line
    # the tried ones are failed (tried again), the others have nothing recorded: both pending
    assert states(ledger, report) == ["failed"] * 3 + [None] * (N - 3)
    assert not report.ok and report.paused == {}  # not a pause for the user to act on
    problems = report_problems(report)
    assert problems["sink-failing:svc"] == line
    assert not any(key.startswith("sink-login:") for key in problems)  # not read as a login

    sink.script, sink.calls = [], 0  # the service is back
    again = run(sink, archive, ledger, tmp_path / "out")
    assert sink.calls == N and again.failing == {} and again.ok
    assert states(ledger, again) == ["uploaded"] * N


def test_a_named_wait_opens_the_breaker_at_once(archive: Archive, ledger: Ledger, tmp_path: Path) -> None:
    sink = ScriptedSink()
    sink.script = [ServiceFailing("svc upload: rate limited (HTTP 429) for another 60 min", retry_after=3600)]
    report = run(sink, archive, ledger, tmp_path / "out")
    assert sink.calls == 1
    assert "the service asked to wait 60 min" in report.failing["svc"]
    assert states(ledger, report) == ["failed"] + [None] * (N - 1)


def test_failures_not_in_a_row_or_about_the_file_never_open_it(
    archive: Archive, ledger: Ledger, tmp_path: Path
) -> None:
    sink = ScriptedSink()
    down = ServiceFailing("svc upload: ConnectionError (127.0.0.1:9)")
    sink.script = [down, down, None, down, down, UploadError("svc rejected the file"), down, down]
    report = run(sink, archive, ledger, tmp_path / "out")
    assert sink.calls == N and report.failing == {}
    assert [s.held for r in report.results for s in r.sinks] == [""] * N


def test_processes_sharing_a_folder_share_the_count_and_the_hold(tmp_path: Path) -> None:
    from peloton_export.export.breaker import SinkBreakers

    one, two = SinkBreakers(tmp_path), SinkBreakers(tmp_path)  # two workers of one run
    assert one.failed("svc", "HTTP 503", None) is None
    assert two.failed("svc", "HTTP 503", None) is None
    opened = one.failed("svc", "HTTP 502", None)
    assert opened is not None and opened.cause == "service-failing"
    assert two.hold("svc") == opened and "last: HTTP 502" in opened.message
    assert SinkBreakers(tmp_path).holds() == {"svc": opened}
    two.put_hold("other", "login", "log in first")
    assert one.hold("other") is not None and one.hold("other").cause == "login"  # type: ignore[union-attr]
    three = SinkBreakers(tmp_path / "x")
    (tmp_path / "x").mkdir()
    three.failed("a", "down", None)
    three.answered("a")  # an answer starts the count again
    assert three.failed("a", "down", None) is None and three.failed("a", "down", None) is None
