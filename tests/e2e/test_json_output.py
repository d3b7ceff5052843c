"""``export --json`` and ``status --json`` against the fake Peloton API (loopback), each
document validated against its shipped schema, its numbers checked against what happened."""
# ruff: noqa: F811  (fixtures imported by name)

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from peloton_export.cli.documents import schema
from peloton_export.testing import FakePeloton
from peloton_export.testing.pytest_plugin import (  # noqa: F401 (fixtures)
    fake_peloton,
    fake_peloton_factory,
    peloton_env,
)
from tests.conftest import cli
from tests.e2e.conftest import HOSTILE_INI


def _validate(doc: dict[str, Any], kind: str) -> None:
    validator = jsonschema.Draft202012Validator(schema(kind), format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def _json_run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = cli(*args)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, json.loads(captured.out), captured.err


def test_export_and_status_json_against_the_fake_api(
    peloton_env: FakePeloton,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # status falls back to the last run's folder only when no output folder is set: the
    # fixture's PELOTON_EXPORT_OUTPUT_DIR (which keeps runs without -o out of the cwd) would win
    monkeypatch.delenv("PELOTON_EXPORT_OUTPUT_DIR")
    out = tmp_path / "out"
    before = peloton_env.count()
    code, doc, _ = _json_run(capsys, "-f", "tcx,json", "-o", str(out), "-j", "1", "--json")
    assert code == 0
    _validate(doc, "run-report")
    assert doc["requests"] == peloton_env.count() - before > 0
    assert doc["sync"]["requests"] == doc["requests"] and len(doc["sync"]["new"]) == 25
    written = sorted(str(p) for p in out.iterdir() if p.suffix in (".tcx", ".json"))
    assert sorted(doc["files"]) == written and doc["files_written"] == len(written)
    assert doc["counts"]["exported"] == len(list(out.glob("*.tcx"))) > 0

    code, status, _ = _json_run(capsys, "status", "--json")
    assert code == 0
    _validate(status, "status")
    assert status["household"] is False and len(status["profiles"]) == 1
    mine = status["profiles"][0]
    assert mine["profile"] == "default" and mine["login"]["saved"] and mine["login"]["renewable"]
    assert mine["archive"]["workouts"] == 25 and mine["ledger"]["workouts"] == 25
    assert mine["ledger"]["exports"] == len(written)
    assert mine["last_run"] == {"formats": ["tcx", "json"], "output_dir": str(out), "sinks": []}
    assert mine["pending"]["workouts"] == [] and mine["pending"]["output_dir"] == str(out)
    assert mine["last_sync"]["at"] is not None and mine["fetch_failures"] == []

    # a format not written yet: every archived workout is pending for it
    code, status, _ = _json_run(capsys, "status", "--json", "-f", "gpx")
    pending = status["profiles"][0]["pending"]
    assert code == 0 and pending["formats"] == ["gpx"]
    assert len(pending["workouts"]) == 25 and {a for w in pending["workouts"] for a in w["actions"]} == {
        "gpx"
    }
    _validate(status, "status")


def test_a_workout_that_fails_to_fetch_is_a_failure_with_its_id_and_reason(
    peloton_env: FakePeloton, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "peloton.ini").write_text(HOSTILE_INI, encoding="utf-8")
    bad = str(peloton_env.store.page(0, 10)[3]["id"])
    peloton_env.fault("5xx", path=rf"^/api/workout/{bad}$", times=None)
    code, doc, _ = _json_run(capsys, "-f", "json", "-o", str(tmp_path / "out"), "-j", "1", "--json")
    assert code == 1 and doc["exit_code"] == 1 and doc["ok"] is False
    _validate(doc, "run-report")
    assert [f["id"] for f in doc["failures"]] == [bad]
    assert doc["failures"][0]["stage"] == "fetch" and doc["failures"][0]["reason"]
    assert doc["sync"]["failed"] == [{"id": bad, "reason": doc["failures"][0]["reason"]}]

    code, status, _ = _json_run(capsys, "status", "--json")
    assert code == 0
    _validate(status, "status")
    failures = status["profiles"][0]["fetch_failures"]
    assert [f["id"] for f in failures] == [bad] and failures[0]["attempts"] == 1
    assert failures[0]["settled"] is False


def test_status_json_of_a_household_lists_each_profile(
    peloton_env: FakePeloton, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ini = tmp_path / "peloton.ini"
    ini.write_text(
        ini.read_text(encoding="utf-8") + "\n[profile:anna]\nusername = anna@example.com\n"
        "[profile:ben]\nusername = ben@example.com\n",
        encoding="utf-8",
    )
    code, status, _ = _json_run(capsys, "status", "--json")
    assert code == 0
    _validate(status, "status")
    assert status["household"] is True
    names = [p["profile"] for p in status["profiles"]]
    assert "anna" in names and "ben" in names
    anna = next(p for p in status["profiles"] if p["profile"] == "anna")
    assert anna["state_dir"].endswith("profiles/anna") and anna["login"]["saved"] is False


def test_json_mode_prints_nothing_else_on_stdout_in_a_real_process(
    peloton_env: FakePeloton, tmp_path: Path
) -> None:
    """The installed command: standard output is the document alone, even with -v logging."""
    done = subprocess.run(
        [sys.executable, "-m", "peloton_export", "-f", "csv", "-o", str(tmp_path / "out"), "-v", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    _validate(doc, "run-report")
    assert doc["counts"]["exported"] == 25 and "INFO" in done.stderr
