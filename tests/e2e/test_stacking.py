"""Stacked classes: back-to-back classes of one discipline become one activity, delivered once.

Runs go through :func:`peloton_export.export.run.run_export` against the fake Peloton API (real
loopback HTTP, real SQLite ledger) and deliver to a journaled sink
(:class:`~peloton_export.sinkkit.journal.JournaledUploader`) that posts to a loopback
"activity service" which, like Strava, keeps one activity per external id.
"""

# ruff: noqa: F811  (fixtures imported by name)

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from click.testing import CliRunner

from peloton_export.cli.sync import status_command
from peloton_export.errors import ConfigError
from peloton_export.export.run import ExportRequest, run_export
from peloton_export.hookspecs import hookimpl
from peloton_export.model import Workout
from peloton_export.net.retry import Clock
from peloton_export.normalize import normalize
from peloton_export.plugins import PluginHost, create_host
from peloton_export.raw import RawWorkout
from peloton_export.results import ExportReport, Selection
from peloton_export.sinkkit.journal import JournaledUploader, Sent, UploadJournal
from peloton_export.sinkkit.templates import activity_title
from peloton_export.specs import ExportContext, SinkSpec, UploadResult
from peloton_export.store import ledger as ledger_module
from peloton_export.store.ledger import Ledger
from peloton_export.testing import FakePeloton
from peloton_export.testing.pytest_plugin import (  # noqa: F401 (fixtures)
    fake_peloton_factory,
    peloton_env,
)
from peloton_export.testing.synth import synth_workout
from peloton_export.workout.stacking import (
    MAX_MEMBERS,
    Candidate,
    StackSettings,
    group,
    near_neighbours,
    stack_id,
    stack_workouts,
    stacked_title,
)
from tests.fit_decode import decode

T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
GAP = timedelta(seconds=30)


class Killed(BaseException):
    """The process dying at this point (not an Exception: nothing in the run catches it)."""


def classes(*plan: tuple[str, int, timedelta], start: datetime = T0) -> list[RawWorkout]:
    """Synthetic classes back to back: (kind, seconds, gap before it); newest first."""
    out: list[RawWorkout] = []
    when = start
    for seed, (kind, seconds, gap) in enumerate(plan):
        when += gap
        raw = synth_workout(kind, seed=seed, start=when, duration_s=seconds)
        out.append(raw)
        when = datetime.fromtimestamp(int(raw.workout["end_time"]), UTC)
    return list(reversed(out))


THREE = (("cycling_class", 600, timedelta(0)), ("cycling_class", 1800, GAP), ("cycling_class", 300, GAP))


# -- the loopback activity service and the journaled sink ----------------------------------


class Service:
    """A loopback service keeping one activity per external id (like Strava), counting posts."""

    def __init__(self) -> None:
        self.activities: dict[str, str] = {}  # external id -> activity id
        self.posts: list[str] = []  # external ids, one per POST received
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                external = self.headers["X-External-Id"]
                self.rfile.read(int(self.headers["Content-Length"]))
                service.posts.append(external)
                state = "duplicate" if external in service.activities else "uploaded"
                activity = service.activities.setdefault(external, f"a{len(service.activities) + 1}")
                self._answer(200, {"state": state, "id": activity})

            def do_GET(self) -> None:
                external = parse_qs(urlparse(self.path).query)["external_id"][0]
                found = service.activities.get(external)
                self._answer(200 if found else 404, {"id": found})

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Uploader(JournaledUploader):
    """Posts the file with the workout id as external id; can die at a chosen point."""

    def __init__(self, service: Service, journal: UploadJournal) -> None:
        super().__init__(journal, Clock())
        self.service = service
        self.die_while_sending = False

    def send(self, path: Path, workout: Workout, context: ExportContext) -> Sent:
        request = urllib.request.Request(
            f"{self.service.url}/uploads",
            data=path.read_bytes(),
            headers={"X-External-Id": workout.id},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.loads(response.read())
        if self.die_while_sending:
            raise Killed("after the service took the file, before the answer was read")
        return Sent(result=UploadResult(state=body["state"], remote_id=body["id"]))

    def find(self, workout: Workout) -> str | None:
        try:
            with urllib.request.urlopen(
                f"{self.service.url}/activities?external_id={workout.id}", timeout=10
            ) as response:
                return str(json.loads(response.read())["id"])
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise


class ServiceSink:
    """The ``activities`` sink plugin: FIT files through :class:`Uploader`."""

    def __init__(self, service: Service, journal: Path) -> None:
        self.uploader = Uploader(service, UploadJournal(journal))
        self.die_before_ledger = False
        self.seen: list[tuple[str, tuple[str, ...]]] = []  # (workout id, parts) offered

    def upload(self, path: Path, workout: Workout, context: ExportContext) -> UploadResult:
        self.seen.append((workout.id, workout.parts))
        result = self.uploader(path, workout, context)
        if self.die_before_ledger:
            raise Killed("after the upload, before the ledger write")
        return result

    @hookimpl
    def register_sinks(self) -> list[SinkSpec]:
        return [SinkSpec(name="activities", accepts=("fit",), upload=self.upload)]


@pytest.fixture
def service() -> Iterator[Service]:
    svc = Service()
    yield svc
    svc.stop()


def export(
    host: PluginHost, out: Path, *, sinks: tuple[str, ...] = (), force: bool = False, **options: str
) -> ExportReport:
    request = ExportRequest(
        formats=("fit", "tcx", "json"), sinks=sinks, output_dir=out, force=force, options=options
    )
    report = run_export(request, host)
    assert not report.failed, [r.reason for r in report.failed]
    return report


def members_of(raws: list[RawWorkout]) -> list[Workout]:
    return sorted((normalize(raw) for raw in raws), key=lambda w: w.start)


# -- one activity in every format --------------------------------------------------------


@pytest.fixture
def fake_peloton(fake_peloton_factory: Any, request: Any) -> FakePeloton:
    """The fake API with :data:`THREE` classes, or the plan given by indirect parametrization."""
    return fake_peloton_factory(workouts=classes(*getattr(request, "param", THREE)))


def test_three_back_to_back_classes_are_one_fit_with_a_lap_per_class_and_summed_totals(
    peloton_env: FakePeloton, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    members = members_of(classes(*THREE))
    report = export(create_host(entry_points=False), out, stack="auto")
    sid = stack_id(w.id for w in members)
    assert [(r.workout_id, r.status) for r in report.results] == [(sid, "exported")]
    fits = list(out.glob("*.fit"))
    assert [p.name for p in fits] == [p.name for p in out.glob(f"*{sid}.fit")], "only the stack's FIT"
    assert fits[0].name.startswith("2026-03-02_")
    fit = decode(fits[0].read_bytes())
    session, laps = fit.one("session"), fit.all("lap")
    assert len(laps) == 3 and session["num_laps"] == 3
    assert session["total_calories"] == round(sum(w.calories_kcal or 0 for w in members))
    assert session["total_work"] == round(sum(w.total_work_j or 0 for w in members))
    assert session["total_distance"] == pytest.approx(sum(w.distance_m or 0 for w in members), abs=0.01)
    assert session["total_timer_time"] == pytest.approx(sum(w.timer_s for w in members))
    assert session["total_elapsed_time"] == pytest.approx(
        (members[-1].end - members[0].start).total_seconds()
    )
    assert session["max_power"] == max(round(s.power_w or 0) for w in members for s in w.samples)
    for lap, member in zip(laps, members, strict=True):
        assert abs((lap["start_time"] - member.start).total_seconds()) <= 1
        assert lap["total_distance"] == pytest.approx(member.distance_m, abs=0.01)
    records = [r["timestamp"] for r in fit.all("record")]
    assert records == sorted(records) and len(records) == sum(len(w.samples) for w in members)
    stops = [e for e in fit.all("event") if e["event_type"] == "stop"]
    assert len(stops) == 2, "each gap between two classes is a pause"
    # the title names the classes, through the title template
    stacked = stack_workouts(members)
    title = fit.one("workout")["wkt_name"]
    assert (
        title == activity_title(stacked)
        and title == " + ".join(t.rsplit(" ", 1)[0] for t in (w.title for w in members)) + " Ride"
    )
    assert all(w.title.rsplit(" ", 1)[0] in title for w in members) and len(title) <= 64
    # TCX: one Activity with one Lap per class; JSON: one file naming its classes
    tcx = next(out.glob("*.tcx")).read_text(encoding="utf-8")
    assert tcx.count("<Activity ") == 1 and len(re.findall(r"<Lap StartTime=", tcx)) == 3
    (js,) = list(out.glob("*.json"))
    assert json.loads(js.read_text(encoding="utf-8"))["parts"] == [w.id for w in members]
    # a rerun has nothing to do, and status agrees (the stack is one workout, done)
    again = export(create_host(entry_points=False), out, stack="auto")
    assert [(r.workout_id, r.status) for r in again.results] == [(sid, "unchanged")]
    status = CliRunner().invoke(
        status_command(create_host(entry_points=False)),
        ["-f", "fit", "-f", "tcx", "-f", "json", "-o", str(out)],
    )
    assert status.exit_code == 0 and f"Pending in {out}: nothing" in status.output, status.output


def test_the_config_file_turns_stacking_on(peloton_env: FakePeloton, tmp_path: Path) -> None:
    config = tmp_path / "peloton.ini"
    config.write_text(
        config.read_text(encoding="utf-8") + "stack = auto\nstack_gap_s = 45\n", encoding="utf-8"
    )
    members = members_of(classes(*THREE))
    report = export(create_host(entry_points=False), tmp_path / "out")
    assert [r.workout_id for r in report.results] == [stack_id(w.id for w in members)]
    config.write_text(config.read_text(encoding="utf-8") + "stack_parts = sometimes\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="stack_parts"):
        run_export(
            ExportRequest(formats=("fit",), output_dir=tmp_path / "out"), create_host(entry_points=False)
        )


def test_stacking_is_off_by_default_and_parts_are_exported_only_when_asked(
    peloton_env: FakePeloton, tmp_path: Path
) -> None:
    members = members_of(classes(*THREE))
    alone = export(create_host(entry_points=False), tmp_path / "alone")
    assert sorted(r.workout_id for r in alone.results) == sorted(w.id for w in members)
    assert len(list((tmp_path / "alone").glob("*.fit"))) == 3
    parts = export(create_host(entry_points=False), tmp_path / "parts", stack="auto", stack_parts="true")
    sid = stack_id(w.id for w in members)
    assert sorted(r.workout_id for r in parts.results) == sorted([sid, *(w.id for w in members)])
    assert len(list((tmp_path / "parts").glob("*.fit"))) == 4


# -- what does not stack -----------------------------------------------------------------


GAPS = (
    ("cycling_class", 600, timedelta(0)),
    ("cycling_class", 600, timedelta(seconds=60)),  # exactly the limit: stacks
    ("cycling_class", 600, timedelta(seconds=61)),  # over the limit: alone
    ("tread_run", 600, timedelta(seconds=5)),  # another discipline: alone
)


@pytest.mark.parametrize("fake_peloton", [GAPS], indirect=True)
def test_a_gap_above_the_limit_or_another_discipline_keeps_activities_apart(
    peloton_env: FakePeloton, tmp_path: Path
) -> None:
    members = members_of(classes(*GAPS))
    report = export(create_host(entry_points=False), tmp_path / "out", stack="auto")
    expected = {stack_id([members[0].id, members[1].id]), members[2].id, members[3].id}
    assert {r.workout_id for r in report.results} == expected
    assert len(list((tmp_path / "out").glob("*.fit"))) == 3
    # a wider gap later never reopens the recorded stack: the third class stays alone
    wider = export(create_host(entry_points=False), tmp_path / "wider", stack="auto", stack_gap_s="61")
    assert {r.workout_id for r in wider.results} == expected
    assert group([_candidate(w) for w in members], 61) == [tuple(w.id for w in members[:3])]


def _candidate(workout: Workout) -> Candidate:
    return Candidate(workout.id, workout.discipline, workout.start.timestamp(), workout.end.timestamp())


# -- exactly once --------------------------------------------------------------------------


def _sink_host(service: Service, tmp_path: Path) -> tuple[PluginHost, ServiceSink]:
    sink = ServiceSink(service, tmp_path / "journal.json")
    return create_host(entry_points=False, extra={"activities": sink}), sink


def test_rerun_force_and_toggling_never_upload_a_stack_twice(
    peloton_env: FakePeloton, service: Service, tmp_path: Path
) -> None:
    out, members = tmp_path / "out", members_of(classes(*THREE))
    sid = stack_id(w.id for w in members)
    host, sink = _sink_host(service, tmp_path)
    export(host, out, sinks=("activities",), stack="auto")
    assert service.activities.keys() == {sid} and sink.seen == [(sid, tuple(w.id for w in members))]
    export(host, out, sinks=("activities",), stack="auto")  # rerun: nothing offered
    assert len(sink.seen) == 1
    export(host, out, sinks=("activities",), stack="off")  # stacking off: the stack stays the activity
    export(host, out, sinks=("activities",))
    assert len(sink.seen) == 1 and service.activities.keys() == {sid}
    forced = export(host, out, sinks=("activities",), force=True)  # --force: offered again, not duplicated
    assert [s.status for r in forced.results for s in r.sinks] == ["duplicate"]
    assert service.activities.keys() == {sid} and len(service.posts) == 2
    ledger = Ledger(tmp_path / "state" / "ledger.sqlite3")
    assert ledger.stacks() == {sid: tuple(w.id for w in members)}
    assert {ledger.upload_state(w.id, "activities") for w in members} == {None}


def test_classes_uploaded_alone_are_never_stacked_later(
    peloton_env: FakePeloton, service: Service, tmp_path: Path
) -> None:
    members = members_of(classes(*THREE))
    host, sink = _sink_host(service, tmp_path)
    export(host, tmp_path / "out", sinks=("activities",))  # stacking off: three activities
    report = export(host, tmp_path / "out", sinks=("activities",), stack="auto")
    assert {r.status for r in report.results} == {"unchanged"}
    report = export(host, tmp_path / "out", sinks=("activities",), stack="auto", force=True)
    assert sorted(r.workout_id for r in report.results) == sorted(w.id for w in members)
    assert service.activities.keys() == {w.id for w in members} and len(sink.seen) == 6
    assert Ledger(tmp_path / "state" / "ledger.sqlite3").stacks() == {}


@pytest.mark.parametrize("where", ["before_ledger", "while_sending"])
def test_a_crash_between_upload_and_ledger_write_never_uploads_the_stack_twice(
    peloton_env: FakePeloton, service: Service, tmp_path: Path, where: str
) -> None:
    sid = stack_id(w.id for w in members_of(classes(*THREE)))
    host, sink = _sink_host(service, tmp_path)
    if where == "before_ledger":
        sink.die_before_ledger = True
    else:
        sink.uploader.die_while_sending = True
    with pytest.raises(Killed):
        run_export(
            ExportRequest(
                formats=("fit",),
                sinks=("activities",),
                output_dir=tmp_path / "out",
                options={"stack": "auto"},
            ),
            host,
        )
    ledger_module.close_all()
    assert Ledger(tmp_path / "state" / "ledger.sqlite3").upload_state(sid, "activities") is None
    host, sink = _sink_host(service, tmp_path)  # a new process: same journal and ledger
    report = export(host, tmp_path / "out", sinks=("activities",), stack="auto")
    assert [(r.workout_id, [s.status for s in r.sinks]) for r in report.results] == [(sid, ["uploaded"])]
    assert service.posts == [sid], "the service got the stack once"
    record = Ledger(tmp_path / "state" / "ledger.sqlite3").upload_state(sid, "activities")
    assert record is not None and record.remote_id == service.activities[sid]


def test_a_late_class_forms_a_new_activity_and_the_uploaded_stack_stays_closed(
    peloton_env: FakePeloton, service: Service, tmp_path: Path
) -> None:
    first = members_of(classes(*THREE))
    host, _ = _sink_host(service, tmp_path)
    export(host, tmp_path / "out", sinks=("activities",), stack="auto")
    late_start = first[-1].end + GAP
    late = classes(("cycling_class", 300, timedelta(0)), ("cycling_class", 300, GAP), start=late_start)
    for raw in reversed(late):
        peloton_env.add_workout(raw)
    report = export(host, tmp_path / "out", sinks=("activities",), stack="auto")
    old, new = stack_id(w.id for w in first), stack_id(w.id for w in members_of(late))
    assert [(r.workout_id, r.status) for r in report.results] == [(new, "exported"), (old, "unchanged")]
    assert service.activities.keys() == {old, new} and len(service.posts) == 2


# -- the pure parts ------------------------------------------------------------------------


def test_group_needs_same_discipline_order_and_gap_and_caps_the_length() -> None:
    def c(i: str, start: float, end: float, d: str = "cycling") -> Candidate:
        return Candidate(i, d, start, end)

    assert group([c("b", 100, 200), c("a", 0, 90), c("c", 250, 300)], 60) == [("a", "b", "c")]
    assert group([c("a", 0, 100), c("b", 90, 200)], 60) == []  # overlapping
    assert group([c("a", 0, 100), c("b", 161, 200)], 60) == []  # 61 s apart
    assert group([c("a", 0, 100), c("b", 100, 200, "running")], 60) == []
    assert group([c("a", 0, 100), c("b", 100, float("nan"))], 60) == []
    many = [c(f"{i:02d}", i * 100, i * 100 + 100) for i in range(MAX_MEMBERS + 3)]
    assert [len(s) for s in group(many, 0)] == [MAX_MEMBERS, 3]
    assert stack_id(["b", "a"]) == stack_id(["a", "b"]) != stack_id(["a", "c"])


def test_stacked_title_stays_within_the_limit() -> None:
    titles = ["10 min Warm Up Ride", "30 min Power Zone Ride", "5 min Cool Down Ride"]
    assert stacked_title(titles) == "10 min Warm Up + 30 min Power Zone + 5 min Cool Down Ride"
    assert stacked_title(titles[:2]) == "10 min Warm Up Ride + 30 min Power Zone Ride"
    long = stacked_title([f"A very long class title number {i} of the day" for i in range(5)])
    assert len(long) <= 64 and long.count(" + ") == 4
    ten = stacked_title([f"5 min Demo {kind} Ride" for kind in "ABCDEFGHIJ"])
    assert ten == "5 min Demo A Ride + 9 more", "ten classes: not ten unreadable stubs"
    huge = stacked_title(["x" * 100] * 10)
    assert len(huge) == 64 and huge.endswith("… + 9 more")


def test_settings_are_checked_before_any_work() -> None:
    assert StackSettings.from_options({}) == StackSettings(enabled=False, gap_s=60, parts=False)
    assert StackSettings.from_options({"stack": "AUTO", "stack_gap_s": "120", "stack_parts": "yes"}) == (
        StackSettings(enabled=True, gap_s=120, parts=True)
    )
    for bad in ({"stack": "always"}, {"stack_gap_s": "-1"}, {"stack_gap_s": "1.5"}, {"stack_parts": "maybe"}):
        with pytest.raises(ConfigError):
            StackSettings.from_options(bad)


def test_stack_workouts_refuses_what_is_not_a_stack() -> None:
    ride, run = (
        normalize(synth_workout("cycling_class", duration_s=600)),
        normalize(synth_workout("tread_run")),
    )
    with pytest.raises(ValueError, match="at least two"):
        stack_workouts([ride])
    with pytest.raises(ValueError, match="discipline"):
        stack_workouts([ride, run])
    with pytest.raises(ValueError, match="overlap"):
        stack_workouts([ride, normalize(synth_workout("cycling_class", seed=1, duration_s=600))])


def test_stacked_parts_are_written_but_never_delivered(
    peloton_env: FakePeloton, service: Service, tmp_path: Path
) -> None:
    members = members_of(classes(*THREE))
    host, sink = _sink_host(service, tmp_path)
    report = export(host, tmp_path / "out", sinks=("activities",), stack="auto", stack_parts="true")
    sid = stack_id(w.id for w in members)
    assert service.activities.keys() == {sid} and [w for w, _ in sink.seen] == [sid]
    parts = [r for r in report.results if r.workout_id != sid]
    assert sorted(r.workout_id for r in parts) == sorted(w.id for w in members)
    assert all(r.status == "exported" and not r.sinks for r in parts)
    assert len(list((tmp_path / "out").glob("*.fit"))) == 4


OUTDOOR = (("outdoor_run", 900, timedelta(0)), ("outdoor_run", 600, timedelta(seconds=20)))


@pytest.mark.parametrize("fake_peloton", [OUTDOOR], indirect=True)
def test_outdoor_classes_stack_into_one_gpx_track_with_continuous_distance(
    peloton_env: FakePeloton, tmp_path: Path
) -> None:
    import gpxpy

    members = members_of(classes(*OUTDOOR))
    assert all(w.track for w in members)
    out = tmp_path / "out"
    run_export(ExportRequest(formats=("gpx", "fit"), output_dir=out, options={"stack": "auto"}))
    (gpx_path,) = list(out.glob("*.gpx"))
    gpx = gpxpy.parse(gpx_path.read_text(encoding="utf-8"))
    assert len(gpx.tracks) == 1
    segments = gpx.tracks[0].segments
    first_points = sum(1 for p in members[0].track if p.segment == 0)
    assert len(segments) >= 2 and len(segments[0].points) <= first_points
    fit = decode(next(out.glob("*.fit")).read_bytes())
    distances = [r["distance"] for r in fit.all("record") if r.get("distance") is not None]
    assert distances == sorted(distances)
    total = sum(w.distance_m or 0 for w in members)
    assert distances[-1] == pytest.approx(total, abs=1.0)
    assert fit.one("session")["total_distance"] == pytest.approx(total, abs=0.01)


def test_forgetting_a_stack_dissolves_it(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    assert ledger.record_stack("stack-1", ["a", "b"]) and ledger.record_stack("stack-1", ["a", "b"])
    assert not ledger.record_stack("stack-2", ["b", "c"])  # b is in a closed stack already
    assert ledger.stacks() == {"stack-1": ("a", "b")}
    ledger.record_upload("stack-1", "activities", "uploaded", "r1")
    assert ledger.uploaded_workouts() == {"stack-1"}
    assert ledger.forget("stack-1") >= 4
    assert ledger.stacks() == {} and ledger.uploaded_workouts() == set()
    assert ledger.record_stack("stack-2", ["b", "c"])  # dissolved: its classes may stack again


def test_only_workouts_with_a_near_neighbour_have_their_end_read() -> None:
    day = 86400.0
    starts = [("a", "cycling", 0.0), ("b", "cycling", 1800.0), ("c", "running", 2000.0), ("d", None, 5 * day)]
    assert near_neighbours(starts, 60) == {"a", "b"}
    assert near_neighbours([*starts, ("e", None, 5 * day + 600)], 60) == {"a", "b", "d", "e"}


def test_a_dry_run_plans_the_stack_and_records_nothing(
    peloton_env: FakePeloton, service: Service, tmp_path: Path
) -> None:
    members = members_of(classes(*THREE))
    host, sink = _sink_host(service, tmp_path)
    out = tmp_path / "out"
    run_export(ExportRequest(formats=("json",), output_dir=tmp_path / "json"), host)  # archives them
    request = ExportRequest(
        formats=("fit",), sinks=("activities",), output_dir=out, dry_run=True, options={"stack": "auto"}
    )
    report = run_export(request, host)
    sid = stack_id(w.id for w in members)
    assert [(r.workout_id, r.status) for r in report.results] == [(sid, "planned")]
    assert not list(out.glob("*.fit")) and not sink.seen and not service.posts
    assert Ledger(tmp_path / "state" / "ledger.sqlite3").stacks() == {}


def test_selecting_one_class_of_a_recorded_stack_selects_the_stack(
    peloton_env: FakePeloton, service: Service, tmp_path: Path
) -> None:
    members = members_of(classes(*THREE))
    sid = stack_id(w.id for w in members)
    host, sink = _sink_host(service, tmp_path)
    export(host, tmp_path / "out", sinks=("activities",), stack="auto")
    one = Selection(workout_ids=frozenset({members[-1].id}))
    for stack in ("auto", "off"):
        request = ExportRequest(
            formats=("fit", "tcx", "json"),
            sinks=("activities",),
            output_dir=tmp_path / "out",
            selection=one,
            options={"stack": stack},
        )
        report = run_export(request, host)
        # planned as done (no class body read), not rewritten to find nothing changed
        assert [(r.workout_id, r.status, r.reason) for r in report.results] == [
            (sid, "unchanged", "already exported and delivered")
        ]
    assert len(sink.seen) == 1 and service.posts == [sid]


@pytest.mark.parametrize(("broken", "parts"), [(1, "false"), (2, "false"), (1, "true")])
def test_an_unreadable_class_fails_alone_and_the_others_are_still_exported(
    peloton_env: FakePeloton, service: Service, tmp_path: Path, broken: int, parts: str
) -> None:
    """A new stack with a class whose archived body is corrupt: that class fails alone (one
    line naming it); the others are grouped again without it and exported and delivered."""
    members = members_of(classes(*THREE))
    host, _ = _sink_host(service, tmp_path)
    run_export(ExportRequest(formats=("json",), output_dir=tmp_path / "json"), host)  # archives them
    bad = members[broken].id
    graph = tmp_path / "data" / "archive" / "workouts" / bad / "performance_graph.json"
    graph.write_text('{"metrics": [{"values": "x"', encoding="utf-8")
    request = ExportRequest(
        formats=("fit",),
        sinks=("activities",),
        output_dir=tmp_path / "out",
        options={"stack": "auto", "stack_parts": parts},
    )
    report = run_export(request, host)
    assert len({r.workout_id for r in report.results}) == len(report.results), "each listed once"
    failed = [(r.workout_id, r.reason) for r in report.failed]
    assert len(failed) == 1 and failed[0][0] == bad and bad in failed[0][1]
    good = [w.id for w in members if w.id != bad]
    expected = {stack_id(good)} if broken == 2 else set(good)  # still back to back, or not
    assert {r.workout_id for r in report.results if r.status == "exported"} == expected
    assert service.activities.keys() == expected and len(list((tmp_path / "out").glob("*.fit"))) == len(
        expected
    )
    stacks = Ledger(tmp_path / "state" / "ledger.sqlite3").stacks()
    assert stacks == ({stack_id(good): tuple(good)} if broken == 2 else {})
    again = run_export(request, host)  # the bad class fails again, nothing is sent twice
    assert [r.workout_id for r in again.failed] == [bad] and len(service.posts) == len(expected)


# -- one notion of a class's end; a stack that cannot be built --------------------------


def overrunning_classes(overrun_s: int = 40, apart_s: int = 20) -> list[RawWorkout]:
    """Three classes ``apart_s`` after each one's ``end_time``; the first one's samples run
    ``overrun_s`` past its ``end_time`` (Peloton's graphs do, by up to about a minute)."""
    raws = classes(
        ("cycling_class", 600, timedelta(0)),
        ("cycling_class", 1800, timedelta(seconds=apart_s - overrun_s)),
        ("cycling_class", 300, timedelta(seconds=apart_s)),
    )
    first = raws[-1]  # newest first
    first.workout["end_time"] = int(first.workout["end_time"]) - overrun_s
    return raws


@pytest.mark.parametrize("fake_peloton", [()], indirect=True)
def test_classes_whose_samples_overrun_end_time_stack_into_one_activity(
    fake_peloton: FakePeloton, peloton_env: FakePeloton, service: Service, tmp_path: Path
) -> None:
    raws = overrunning_classes()
    for raw in reversed(raws):
        peloton_env.add_workout(raw)
    members = members_of(raws)
    first_raw_end = datetime.fromtimestamp(int(raws[-1].workout["end_time"]), UTC)
    assert members[0].end - first_raw_end == timedelta(seconds=40), "the normalizer moved the end"
    assert members[1].start < members[0].end, "by the moved end the classes overlap"
    sid = stack_id(w.id for w in members)
    host, sink = _sink_host(service, tmp_path)
    report = export(host, tmp_path / "out", sinks=("activities",), stack="auto")
    assert [(r.workout_id, r.status) for r in report.results] == [(sid, "exported")]
    assert service.activities.keys() == {sid} and sink.seen == [(sid, tuple(w.id for w in members))]
    fit = decode(next((tmp_path / "out").glob("*.fit")).read_bytes())
    laps = fit.all("lap")
    assert len(laps) == 3 and fit.one("session")["num_laps"] == 3
    times = [r["timestamp"] for r in fit.all("record")]
    assert times == sorted(times), "records run forward through the overrun"
    assert len(times) == sum(len(w.samples) for w in members), "no sample lost"
    assert laps[0]["start_time"] < laps[1]["start_time"] < laps[2]["start_time"]
    tcx = next((tmp_path / "out").glob("*.tcx")).read_text(encoding="utf-8")
    assert tcx.count("<Lap ") == 3
    again = export(host, tmp_path / "out", sinks=("activities",), stack="auto")
    assert [r.status for r in again.results] == ["unchanged"] and len(service.posts) == 1


@pytest.mark.parametrize("fake_peloton", [()], indirect=True)
def test_an_overrun_past_the_allowance_keeps_the_classes_apart(
    fake_peloton: FakePeloton, peloton_env: FakePeloton, service: Service, tmp_path: Path
) -> None:
    """A class whose samples reach 120 s into the next one (more than 90 s) is not stacked
    with it: each is its own activity, none held back."""
    raws = overrunning_classes(overrun_s=140)
    for raw in reversed(raws):
        peloton_env.add_workout(raw)
    members = members_of(raws)
    host, _ = _sink_host(service, tmp_path)
    report = export(host, tmp_path / "out", sinks=("activities",), stack="auto")
    tail = stack_id(w.id for w in members[1:])
    assert sorted(r.workout_id for r in report.results) == sorted([members[0].id, tail])
    assert service.activities.keys() == {members[0].id, tail}


def test_a_stack_that_cannot_be_built_exports_its_classes_alone_once(
    peloton_env: FakePeloton, service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    """The builder fails (here on purpose): one line says why, each class is exported and
    delivered alone, and no later run (stacking on, off, on again) delivers any twice."""
    import peloton_export.export.stacks as pipeline  # where the stack is built

    members = members_of(classes(*THREE))
    ids = [w.id for w in members]

    def broken(*args: Any, **kwargs: Any) -> Workout:
        raise RuntimeError("the builder broke")

    working = pipeline.stack_workouts
    monkeypatch.setattr(pipeline, "stack_workouts", broken)
    host, sink = _sink_host(service, tmp_path)
    with caplog.at_level("WARNING", logger="peloton_export.pipeline"):
        report = export(host, tmp_path / "out", sinks=("activities",), stack="auto")
    lines = [r.getMessage() for r in caplog.records if "cannot be built" in r.getMessage()]
    assert len(lines) == 1 and "RuntimeError: the builder broke" in lines[0] and "alone" in lines[0]
    assert sorted((r.workout_id, r.status) for r in report.results) == sorted((i, "exported") for i in ids)
    assert service.activities.keys() == set(ids) and len(service.posts) == 3
    assert len(list((tmp_path / "out").glob("*.fit"))) == 3
    ledger = Ledger(tmp_path / "state" / "ledger.sqlite3")
    assert set(ledger.solo_workouts()) == set(ids) and ledger.stacks() == {}
    monkeypatch.setattr(pipeline, "stack_workouts", working)  # it works again: they stay alone
    for stack in ("auto", "off", "auto"):
        again = export(host, tmp_path / "out", sinks=("activities",), stack=stack)
        assert {r.status for r in again.results} == {"unchanged"}
    assert len(service.posts) == 3 and {w for w, _ in sink.seen} == set(ids)
    assert ledger.stacks() == {}


def test_an_undelivered_recorded_stack_that_cannot_be_built_is_split(
    peloton_env: FakePeloton, service: Service, tmp_path: Path
) -> None:
    """A stack recorded by a run that delivered nothing of it (every format failed) is not
    closed: when a class turns unreadable it is dissolved, the others go out, none twice."""
    members = members_of(classes(*THREE))
    sid = stack_id(w.id for w in members)
    host, _ = _sink_host(service, tmp_path)
    run_export(ExportRequest(formats=("json",), output_dir=tmp_path / "json"), host)  # archives them
    Ledger(tmp_path / "state" / "ledger.sqlite3").record_stack(sid, [w.id for w in members])
    bad = members[1].id
    graph = tmp_path / "data" / "archive" / "workouts" / bad / "performance_graph.json"
    graph.write_text('{"metrics": [', encoding="utf-8")
    request = ExportRequest(
        formats=("fit",), sinks=("activities",), output_dir=tmp_path / "out", options={"stack": "auto"}
    )
    report = run_export(request, host)
    assert [r.workout_id for r in report.failed] == [bad]
    good = {members[0].id, members[2].id}
    assert {r.workout_id for r in report.results if r.status == "exported"} == good
    assert service.activities.keys() == good
    assert Ledger(tmp_path / "state" / "ledger.sqlite3").stacks() == {}
    run_export(request, host)
    assert len(service.posts) == 2
