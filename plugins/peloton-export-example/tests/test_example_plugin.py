"""Tests of the example plugin: the shape every plugin's tests can copy."""

from __future__ import annotations

import importlib.metadata
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import peloton_export_example
import pytest

from peloton_export import ExportContext, UploadError, Workout
from peloton_export.cli import run
from peloton_export.config import Config
from peloton_export.plugins import create_host

START = datetime(2026, 1, 31, 7, 0, tzinfo=UTC)


def make_workout(workout_id: str = "0123abcd") -> Workout:
    return Workout(
        id=workout_id,
        discipline="cycling",
        start=START,
        end=START + timedelta(minutes=30),
        elapsed_s=1800.0,
        timer_s=1800.0,
        title="30 min Pop Ride",
    )


def test_plugin_is_installed() -> None:
    names = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="peloton_export")}
    assert names.get("example") == "peloton_export_example"


def test_hooks_called_directly() -> None:
    (fmt,) = list(peloton_export_example.register_formats())
    (sink,) = list(peloton_export_example.register_sinks())
    assert (fmt.name, fmt.suffix, sink.name, sink.accepts) == ("hello", ".txt", "logbook", ("hello",))


def test_registered_through_a_host() -> None:
    host = create_host(entry_points=False, extra={"example": peloton_export_example})
    assert "hello" in host.formats()
    assert "logbook" in host.sinks()


def test_write_hello(tmp_path: Path) -> None:
    stream = io.BytesIO()
    peloton_export_example.write_hello(make_workout(), stream, ExportContext(output_dir=tmp_path))
    assert stream.getvalue() == b"2026-01-31 07:00 30 min Pop Ride: 30 min\n"


def test_logbook_uploads_once_then_reports_a_duplicate(tmp_path: Path) -> None:
    file = tmp_path / "w.txt"
    file.write_text("2026-01-31 07:00 30 min Pop Ride: 30 min\n")
    context = ExportContext(output_dir=tmp_path, options={"example.logbook": str(tmp_path / "log.jsonl")})
    first = peloton_export_example.append_to_logbook(file, make_workout(), context)
    again = peloton_export_example.append_to_logbook(file, make_workout(), context)
    other = peloton_export_example.append_to_logbook(file, make_workout("other"), context)
    assert (first.state, first.remote_id) == ("uploaded", "line 1")
    assert (again.state, again.remote_id) == ("duplicate", "line 1")
    assert other.remote_id == "line 2"
    lines = (tmp_path / "log.jsonl").read_text().splitlines()
    assert [json.loads(line)["workout_id"] for line in lines] == ["0123abcd", "other"]


def test_logbook_needs_a_path(tmp_path: Path) -> None:
    with pytest.raises(UploadError, match=r"example\.logbook"):
        peloton_export_example.append_to_logbook(
            tmp_path / "x.txt", make_workout(), ExportContext(output_dir=tmp_path)
        )


def test_through_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    host = create_host(entry_points=False, extra={"example": peloton_export_example})
    logbook = tmp_path / "logbook.jsonl"
    config = Config(plugins={"example": {"logbook": str(logbook)}})
    args = ["--demo", "-f", "hello", "--sink", "logbook", "-q", "-o", str(tmp_path / "out")]
    assert run(args, host=host, config=config) == 0
    written = sorted((tmp_path / "out").glob("*.txt"))
    assert written and len(logbook.read_text().splitlines()) == len(written)
    capsys.readouterr()
