"""Tests of the example plugin: the shape every plugin's tests can copy."""

from __future__ import annotations

import importlib.metadata
import io
import json
import os
import subprocess
import sys
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


def _logbook_context(tmp_path: Path) -> tuple[Path, Path, ExportContext]:
    file = tmp_path / "w.txt"
    file.write_text("2026-01-31 07:00 30 min Pop Ride: 30 min\n")
    logbook = tmp_path / "log.jsonl"
    return file, logbook, ExportContext(output_dir=tmp_path, options={"example.logbook": str(logbook)})


def test_logbook_drops_an_unfinished_last_line_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    file, logbook, context = _logbook_context(tmp_path)
    good = json.dumps({"workout_id": "first", "text": "x"}) + "\n"
    logbook.write_text(good + '{"workout_id": "cut", "text": "2026-01-31 07:0')  # ENOSPC mid-line
    result = peloton_export_example.append_to_logbook(file, make_workout(), context)
    assert (result.state, result.remote_id) == ("uploaded", "line 2")
    assert [json.loads(line)["workout_id"] for line in logbook.read_text().splitlines()] == [
        "first",
        "0123abcd",
    ]
    assert any(
        "unfinished last line" in r.getMessage() and str(logbook) in r.getMessage() for r in caplog.records
    )
    again = peloton_export_example.append_to_logbook(file, make_workout(), context)
    assert (again.state, again.remote_id) == ("duplicate", "line 2")


def test_logbook_keeps_a_bad_middle_line_and_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    file, logbook, context = _logbook_context(tmp_path)
    logbook.write_text('not json\n["0123abcd"]\n')
    result = peloton_export_example.append_to_logbook(file, make_workout(), context)
    assert (result.state, result.remote_id) == ("uploaded", "line 3")  # the list never matches
    assert logbook.read_text().splitlines()[:2] == ["not json", '["0123abcd"]']
    assert sum("is not a JSON object" in r.getMessage() for r in caplog.records) == 2


_FULL_DISK = """
import os, resource, signal, sys
from pathlib import Path
from datetime import UTC, datetime, timedelta
import peloton_export_example
from peloton_export import ExportContext, UploadError, Workout

logbook = Path(sys.argv[1])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
limit = logbook.stat().st_size + 10  # room for 10 bytes: the line is written in part
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
start = datetime(2026, 1, 31, 7, 0, tzinfo=UTC)
workout = Workout(id="full", discipline="cycling", start=start, end=start + timedelta(minutes=30),
                  elapsed_s=1800.0, timer_s=1800.0, title="t")
try:
    peloton_export_example.append_to_logbook(Path(sys.argv[2]), workout, ExportContext(
        output_dir=logbook.parent, options={"example.logbook": str(logbook)}))
except UploadError as exc:
    print(exc)
    sys.exit(3)
"""


@pytest.mark.skipif(not hasattr(os, "ftruncate") or sys.platform == "win32", reason="needs RLIMIT_FSIZE")
def test_logbook_write_that_fails_half_way_leaves_no_partial_line(tmp_path: Path) -> None:
    file, logbook, context = _logbook_context(tmp_path)
    peloton_export_example.append_to_logbook(file, make_workout("first"), context)
    before = logbook.read_bytes()
    failed = subprocess.run(
        [sys.executable, "-c", _FULL_DISK, str(logbook), str(file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert failed.returncode == 3, failed.stderr
    assert f"cannot update the logbook {logbook}" in failed.stdout
    assert logbook.read_bytes() == before  # the part of the line that was written is cut off
    later = peloton_export_example.append_to_logbook(file, make_workout("later"), context)
    assert later.remote_id == "line 2"
    assert [json.loads(line)["workout_id"] for line in logbook.read_text().splitlines()] == ["first", "later"]


def test_logbook_appends_from_many_processes_lose_nothing(tmp_path: Path) -> None:
    file, logbook, _ = _logbook_context(tmp_path)
    code = """
import sys
from pathlib import Path
from datetime import UTC, datetime, timedelta
import peloton_export_example
from peloton_export import ExportContext, Workout
start = datetime(2026, 1, 31, 7, 0, tzinfo=UTC)
context = ExportContext(output_dir=Path(sys.argv[1]).parent, options={"example.logbook": sys.argv[1]})
for n in range(25):
    workout = Workout(id=f"{sys.argv[3]}-{n}", discipline="cycling", start=start,
                      end=start + timedelta(minutes=30), elapsed_s=1800.0, timer_s=1800.0, title="t")
    peloton_export_example.append_to_logbook(Path(sys.argv[2]), workout, context)
"""
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(logbook), str(file), f"p{i}"]) for i in range(3)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    ids = [json.loads(line)["workout_id"] for line in logbook.read_text().splitlines()]
    assert sorted(ids) == sorted(f"p{i}-{n}" for i in range(3) for n in range(25))
