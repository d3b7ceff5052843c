"""Notifications through apprise to a loopback endpoint, once per problem."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from peloton_export.config import Config
from peloton_export.default_plugins import notify as notify_plugin
from peloton_export.default_plugins.notify import report_problems, unmapped_problems
from peloton_export.raw import RawWorkout
from peloton_export.results import ExportReport, FileResult, SinkResult, WorkoutResult
from peloton_export.store.archive import Archive
from peloton_export.testing import FakeInbox
from peloton_export.unattended.notify import STATE_FILE, Notifier, notify_urls

pytest.importorskip("apprise")


@pytest.fixture
def inbox() -> Any:
    with FakeInbox() as service:
        yield service


def json_url(service: FakeInbox) -> str:
    return service.apprise_url


def test_each_problem_is_sent_once_and_again_after_it_cleared(inbox: FakeInbox, tmp_path: Path) -> None:
    notifier = Notifier([json_url(inbox)], tmp_path / STATE_FILE)
    login = {"peloton-login": "Peloton needs you to log in again: run `peloton-export login`"}
    assert notifier.update("run", login) == ["peloton-login"]
    assert notifier.update("run", login) == []  # the next run: still there, not sent again
    assert len(inbox.messages()) == 1
    message = inbox.messages()[0]
    assert message["title"] == "peloton-export needs you"
    assert "run `peloton-export login`" in message["message"]

    assert notifier.update("run", {}) == []  # cleared
    assert notifier.update("run", login) == ["peloton-login"]  # and back: told again
    assert len(inbox.messages()) == 2


def test_only_new_problems_are_in_a_message_and_scopes_are_separate(inbox: FakeInbox, tmp_path: Path) -> None:
    notifier = Notifier([json_url(inbox)], tmp_path / STATE_FILE)
    notifier.update("export", {"workout-failed:a": "workout a failed: disk full"})
    notifier.update("run", {})  # another scope clears nothing of this one
    notifier.update(
        "export",
        {"workout-failed:a": "workout a failed: disk full", "workout-failed:b": "workout b failed: x"},
    )
    bodies = [m["message"] for m in inbox.messages()]
    assert bodies == ["- workout a failed: disk full", "- workout b failed: x"]
    state = json.loads((tmp_path / STATE_FILE).read_text())
    assert sorted(state["sent"]["export"]) == ["workout-failed:a", "workout-failed:b"]


def test_a_failed_send_is_tried_again_next_time(inbox: FakeInbox, tmp_path: Path) -> None:
    notifier = Notifier([json_url(inbox)], tmp_path / STATE_FILE)
    inbox.fault("POST", ".*", 500)
    assert notifier.update("run", {"config": "fix the config"}) == []
    assert notifier.update("run", {"config": "fix the config"}) == ["config"]
    assert len(inbox.messages()) == 2  # the failed attempt and the one that worked


def test_sticky_scope_keeps_what_was_sent(inbox: FakeInbox, tmp_path: Path) -> None:
    notifier = Notifier([json_url(inbox)], tmp_path / STATE_FILE)
    notifier.update("unmapped", {"unmapped:Zorb": "new movement Zorb"}, sticky=True)
    notifier.update("unmapped", {}, sticky=True)
    notifier.update("unmapped", {"unmapped:Zorb": "new movement Zorb"}, sticky=True)
    assert len(inbox.messages()) == 1


def test_without_urls_nothing_is_sent_or_written(tmp_path: Path) -> None:
    notifier = Notifier([], tmp_path / STATE_FILE)
    assert notifier.update("run", {"config": "x"}) == []
    assert not (tmp_path / STATE_FILE).exists()


def test_urls_from_either_setting() -> None:
    assert notify_urls(Config(settings={"notify_urls": "json://a/, ntfy://b\nmailto://c"})) == [
        "json://a/",
        "ntfy://b",
        "mailto://c",
    ]
    assert notify_urls(Config(plugins={"notify": {"urls": "json://d/"}})) == ["json://d/"]
    assert notify_urls(Config()) == []


def _report() -> ExportReport:
    start = datetime(2026, 1, 31, 7, 0, tzinfo=UTC)
    return ExportReport(
        results=[
            WorkoutResult("w1", "exported", title="Ride", start=start),
            WorkoutResult(
                "w2",
                "failed",
                "workout w2: strava: Strava needs a login: run `peloton-export strava login`",
                title="Run",
                start=start,
                sinks=[
                    SinkResult(
                        "strava", "failed", None, "Strava needs a login: run `peloton-export strava login`"
                    )
                ],
            ),
            WorkoutResult(
                "w3",
                "failed",
                "workout w3: fit: boom",
                title="Row",
                start=start,
                files=[FileResult("fit", "failed", None, "boom")],
                sinks=[
                    SinkResult("strava", "skipped", None, "not attempted: Strava needs a login", held="login")
                ],
            ),
        ]
    )


def test_problems_read_from_a_report() -> None:
    problems = report_problems(_report())
    assert sorted(problems) == ["sink-login:strava", "workout-failed:w3"]
    assert problems["sink-login:strava"].startswith("strava needs you to log in again: Strava needs a login")
    assert problems["workout-failed:w3"] == "workout w3 (Row, 2026-01-31) failed: fit: boom"


def test_the_plugin_notifies_after_an_export(
    inbox: FakeInbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PELOTON_EXPORT_STATE_DIR", str(tmp_path / "state"))
    config = Config(plugins={"notify": {"urls": json_url(inbox)}})
    context = SimpleNamespace(config=config, export=SimpleNamespace(dry_run=False), archive=None)
    notify_plugin.export_finished(context, _report())
    notify_plugin.export_finished(context, _report())  # the same problems: nothing new
    assert len(inbox.messages()) == 1
    body = inbox.messages()[0]["message"]
    assert "strava needs you to log in again" in body and "workout w3" in body
    dry = SimpleNamespace(config=config, export=SimpleNamespace(dry_run=True), archive=None)
    monkeypatch.setenv("PELOTON_EXPORT_STATE_DIR", str(tmp_path / "other"))
    notify_plugin.export_finished(dry, _report())
    assert len(inbox.messages()) == 1  # dry runs notify nothing


def _strength_with_unknown_movement() -> RawWorkout:
    from peloton_export.source.demo import demo_workouts

    raw = next(r for r in demo_workouts() if "movement_tracker_data" in json.dumps(r.workout))

    def rename(value: Any) -> Any:
        if isinstance(value, dict):
            out = {k: rename(v) for k, v in value.items()}
            if "movement_name" in out:
                out["movement_name"] = "Zorbing Lunge"
                out["movement_id"] = "f" * 32
            return out
        if isinstance(value, list):
            return [rename(v) for v in value]
        return value

    return dataclasses.replace(raw, workout=rename(raw.workout))


def test_new_unmapped_movements_in_fit_exports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PELOTON_EXPORT_CONFIG_DIR", str(tmp_path / "config"))
    archive = Archive(tmp_path / "archive")
    raw = _strength_with_unknown_movement()
    archive.put_raw(raw)
    exported = WorkoutResult(
        raw.workout_id, "exported", files=[FileResult("fit", "exported", tmp_path / "x.fit")]
    )
    problems = unmapped_problems(ExportReport(results=[exported]), archive)
    assert list(problems) == ["unmapped:Zorbing Lunge"]
    assert raw.workout_id in problems["unmapped:Zorbing Lunge"]
    tcx_only = WorkoutResult(
        raw.workout_id, "exported", files=[FileResult("tcx", "exported", tmp_path / "x")]
    )
    assert unmapped_problems(ExportReport(results=[tcx_only]), archive) == {}
