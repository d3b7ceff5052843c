"""Exactly once: repeated runs and crashes between upload and ledger write upload one activity.

The runs go through the registered sink (``SinkSpec.upload``) the way the core calls it,
with the core's SQLite ledger deciding what to offer (``plan.should_upload`` /
``record_upload``), and a crash simulated at each point where one could lose track.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import peloton_export_strava
import pytest

from peloton_export import ExportContext, Workout
from peloton_export.export.plan import should_upload
from peloton_export.specs import SinkSpec

ledger_module = pytest.importorskip("peloton_export.store.ledger")


class Crash(BaseException):
    """The process dying (not an Exception: nothing may catch it)."""


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch, clock: Any) -> SinkSpec:
    monkeypatch.setattr(peloton_export_strava, "CLOCK", clock)
    (spec,) = list(peloton_export_strava.register_sinks())
    return spec


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Any]:
    yield ledger_module.Ledger(tmp_path / "ledger.sqlite3")
    ledger_module.close_all()


@pytest.fixture
def run_context(logged_in: Any, tmp_path: Path) -> ExportContext:
    section = {
        "base_url": logged_in.base_url,
        "client_id": logged_in.client_id,
        "client_secret": logged_in.client_secret,
        "token_file": str(logged_in.token_file),
        "journal_file": str(logged_in.journal_file),
    }
    return ExportContext(output_dir=tmp_path / "exports", plugin_config={"strava": section})


def run(sink: SinkSpec, ledger: Any, path: Path, workout: Workout, context: ExportContext) -> str | None:
    """What the core does for one workout and one sink."""
    if not should_upload(ledger, workout.id, sink.name, force=context.force):
        return None
    result = sink.upload(path, workout, context)
    ledger.record_upload(workout.id, sink.name, result.state, result.remote_id, result.message or None)
    return result.state


def test_twice_then_crash_before_ledger_write_uploads_once(
    fake_strava, sink, run_context, workout, fit_file, tmp_path, monkeypatch, ledger
) -> None:
    assert run(sink, ledger, fit_file, workout, run_context) == "uploaded"
    assert run(sink, ledger, fit_file, workout, run_context) is None  # the ledger says done

    # a second workout: the process dies after Strava answered, before the ledger write
    other = peloton_export_strava_workout(workout, "second0002")
    other_file = tmp_path / "second.fit"
    other_file.write_bytes(b"another ride")
    monkeypatch.setattr(ledger, "record_upload", _crash)
    with pytest.raises(Crash):
        run(sink, ledger, other_file, other, run_context)
    monkeypatch.undo()
    monkeypatch.setattr(peloton_export_strava, "CLOCK", fake_strava.clock)

    # third run: the ledger knows nothing of the second workout; the sink's journal does
    assert run(sink, ledger, other_file, other, run_context) == "uploaded"
    assert run(sink, ledger, fit_file, workout, run_context) is None

    assert len(fake_strava.posts()) == 2  # one per workout, ever
    assert fake_strava.created == 2
    record = ledger.upload_state(other.id, "strava")
    assert record.state == "uploaded" and record.remote_id == "12000000002"


def test_crash_after_post_before_upload_id_is_saved(
    fake_strava, sink, run_context, workout, fit_file, tmp_path, monkeypatch, ledger
) -> None:
    from peloton_export.sinkkit import UploadJournal

    monkeypatch.setattr(UploadJournal, "note", _crash)  # dies right after Strava's 201
    with pytest.raises(Crash):
        run(sink, ledger, fit_file, workout, run_context)
    monkeypatch.undo()
    monkeypatch.setattr(peloton_export_strava, "CLOCK", fake_strava.clock)
    fake_strava.process_all()  # Strava finishes processing on its own

    assert run(sink, ledger, fit_file, workout, run_context) == "uploaded"  # found by external_id
    assert run(sink, ledger, fit_file, workout, run_context) is None
    assert len(fake_strava.posts()) == 1
    assert fake_strava.created == 1


def test_crash_while_polling_resumes_the_same_upload(
    fake_strava, sink, run_context, workout, fit_file, tmp_path, monkeypatch, ledger
) -> None:
    from peloton_export_strava.upload import StravaUploader

    monkeypatch.setattr(StravaUploader, "poll", _crash)
    with pytest.raises(Crash):
        run(sink, ledger, fit_file, workout, run_context)
    monkeypatch.undo()
    monkeypatch.setattr(peloton_export_strava, "CLOCK", fake_strava.clock)

    assert run(sink, ledger, fit_file, workout, run_context) == "uploaded"
    assert len(fake_strava.posts()) == 1
    # the first run's one look-up before sending; the second resumed by upload id, no look-up
    assert fake_strava.count("GET", "^/api/v3/athlete/activities$") == 1
    assert fake_strava.created == 1


def test_lost_journal_still_gives_one_activity(
    fake_strava, sink, run_context, workout, fit_file, tmp_path, logged_in
) -> None:
    """Belt and braces: even with the journal gone, Strava's duplicate answer is a success."""
    first = sink.upload(fit_file, workout, run_context)
    logged_in.journal_file.unlink()
    again = sink.upload(fit_file, workout, run_context)
    assert again.state == "duplicate" and again.remote_id == first.remote_id
    assert fake_strava.created == 1


def _crash(*args: object, **kwargs: object) -> None:
    raise Crash


def peloton_export_strava_workout(base: Workout, workout_id: str) -> Workout:
    import dataclasses

    return dataclasses.replace(base, id=workout_id)


def test_the_command_line_run_twice_uploads_each_workout_once(
    fake_strava, sink, run_context, tmp_path, monkeypatch, capsys
) -> None:
    from peloton_export.cli import run as cli_run
    from peloton_export.config import Config
    from peloton_export.plugins import create_host

    monkeypatch.setenv("PELOTON_EXPORT_STATE_DIR", str(tmp_path / "state"))
    host = create_host(entry_points=False, extra={"strava": peloton_export_strava})
    config = Config(plugins={"strava": dict(run_context.config_for("strava"))})
    args = ["--demo", "-f", "tcx", "--sink", "strava", "-q", "-o", str(tmp_path / "out")]
    assert cli_run(args, host=host, config=config) in (0, 1)
    first = len(fake_strava.posts())
    assert first >= 2
    assert cli_run(args, host=host, config=config) in (0, 1)
    assert len(fake_strava.posts()) == first
    assert fake_strava.created == first
    capsys.readouterr()


def test_exists_tells_a_deleted_activity(fake_strava, sink, run_context, workout, fit_file) -> None:
    remote = sink.upload(fit_file, workout, run_context).remote_id
    assert remote is not None
    assert peloton_export_strava.exists(remote, run_context) is True
    fake_strava.activities.clear()  # the user deleted it on Strava
    assert peloton_export_strava.exists(remote, run_context) is False
