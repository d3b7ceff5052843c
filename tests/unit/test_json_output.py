"""The ``--json`` documents of ``formats``, ``sinks`` and a demo ``export``, validated against
the schemas shipped in the package (``peloton_export/data/schemas``) with jsonschema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from peloton_export.cli.documents import KINDS, SCHEMA_VERSION, schema
from tests.conftest import cli


def _validate(doc: dict[str, Any], kind: str) -> None:
    validator = jsonschema.Draft202012Validator(schema(kind), format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def _json_run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    """Run the command line; its exit code, its standard output read as one JSON document
    (nothing else may be there), its standard error."""
    code = cli(*args)
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def test_every_shipped_schema_is_a_valid_versioned_draft_2020_12_schema() -> None:
    for kind in KINDS:
        loaded = schema(kind)
        jsonschema.Draft202012Validator.check_schema(loaded)
        assert loaded["properties"]["schema_version"] == {
            "const": SCHEMA_VERSION,
            "description": "Raised when a field is removed or changes meaning.",
        }
        assert loaded["properties"]["kind"] == {"const": kind}
    with pytest.raises(KeyError):
        schema("nope")


def test_formats_json_lists_every_format_and_validates(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, err = _json_run(capsys, "formats", "--json")
    assert code == 0 and err == ""
    _validate(doc, "formats")
    by_name = {f["name"]: f for f in doc["formats"]}
    assert {"tcx", "gpx", "fit", "csv", "json"} <= set(by_name)
    assert by_name["tcx"]["suffix"] == ".tcx" and by_name["fit"]["suffix"] == ".fit"
    assert "virtual" in by_name["fit"]["options"]  # --option fit.virtual=true
    # the text listing names the same formats
    assert cli("formats") == 0
    text = capsys.readouterr().out
    assert [line.split()[0] for line in text.splitlines()] == list(by_name)


def test_sinks_json_validates(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, _ = _json_run(capsys, "sinks", "--json")
    assert code == 0
    _validate(doc, "sinks")
    directory = next(s for s in doc["sinks"] if s["name"] == "directory")
    assert directory["accepts"] and all(isinstance(name, str) for name in directory["accepts"])


def test_a_schema_catches_a_document_that_drifted(capsys: pytest.CaptureFixture[str]) -> None:
    """The schemas are strict: a renamed field or a wrong type fails validation."""
    _, doc, _ = _json_run(capsys, "formats", "--json")
    doc["formats"][0]["sufix"] = doc["formats"][0].pop("suffix")
    with pytest.raises(AssertionError):
        _validate(doc, "formats")
    _, doc, _ = _json_run(capsys, "formats", "--json")
    doc["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(AssertionError):
        _validate(doc, "formats")


def test_demo_export_json_is_the_run_report_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code, doc, _ = _json_run(capsys, "--demo", "-f", "tcx,gpx", "-o", str(out), "-j", "1", "--json")
    assert code == 0
    _validate(doc, "run-report")
    written = sorted(str(p) for p in out.iterdir() if p.suffix in (".tcx", ".gpx"))
    assert sorted(doc["files"]) == written and doc["files_written"] == len(written) > 0
    assert doc["counts"]["exported"] == 10 == doc["workouts_total"] == len(doc["workouts"])
    assert doc["counts"]["failed"] == 0 and doc["failures"] == [] and doc["ok"] is True
    assert doc["sync"] is None and doc["requests"] == 0 and doc["exit_code"] == 0
    first = doc["workouts"][0]
    assert first["start"].endswith("+00:00") and {f["format"] for f in first["files"]} <= {"tcx", "gpx"}

    # again: nothing written, every workout unchanged, and the files list is empty
    code, doc, _ = _json_run(capsys, "--demo", "-f", "tcx,gpx", "-o", str(out), "-j", "1", "--json")
    assert code == 0 and doc["counts"]["unchanged"] == 10 and doc["files"] == [] == doc["failures"]
    _validate(doc, "run-report")

    # a dry run lists the planned paths and writes none
    other = tmp_path / "dry"
    code, doc, _ = _json_run(
        capsys, "--demo", "-f", "csv", "-o", str(other), "-j", "1", "--dry-run", "--json"
    )
    assert code == 0 and doc["dry_run"] is True and doc["counts"]["planned"] == 10
    assert doc["files"] and doc["files_written"] == 0 and not other.exists()
    _validate(doc, "run-report")


def test_a_bad_option_in_json_mode_is_one_line_on_stderr_and_nothing_on_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli("--demo", "-f", "nope", "-o", str(tmp_path / "o"), "-j", "1", "--json")
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert "nope" in captured.err and "Traceback" not in captured.err
