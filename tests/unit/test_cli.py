"""The command line: exit codes, messages, and the commands around export."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from peloton_export.store.archive import Archive
from peloton_export.testing.synth.tiny import put_tiny
from tests.conftest import cli


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PELOTON_CONFIG", os.devnull)  # no config file
    monkeypatch.setenv("PELOTON_EXPORT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PELOTON_EXPORT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PELOTON_EXPORT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("PELOTON_EXPORT_ARCHIVE", raising=False)
    monkeypatch.delenv("PELOTON_USERNAME", raising=False)
    monkeypatch.delenv("PELOTON_PASSWORD", raising=False)


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    archive = Archive(tmp_path / "archive")
    put_tiny(archive, "1" * 32, title="Morning Ride")
    put_tiny(archive, "2" * 32, start=1_767_337_200, title="Evening Ride")
    return archive


def test_offline_export_exit_0(archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli(
        "--offline", "--archive", str(archive.root), "-o", str(tmp_path / "out"), "-f", "tcx", "-f", "csv"
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "2 workouts: 2 exported, 0 failed (4 files written)" in out
    assert len(list((tmp_path / "out").glob("*.tcx"))) == 2


def test_some_workout_failed_exit_1(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive.body_path("2" * 32, "workout").write_text("{not json")
    code = cli("--offline", "--archive", str(archive.root), "-o", str(tmp_path / "out"), "-f", "tcx")
    out = capsys.readouterr().out
    assert code == 1
    assert "1 exported" in out and "1 failed" in out
    assert f"failed {'2' * 32}: " in out and "workout.json is not valid JSON" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-f", "tcxx"],
            "unknown format 'tcxx' (did you mean 'tcx'?); "
            "choose one of: csv, csv-sets, fit, gpx, html, json, parquet, tcx",
        ),
        (["--since", "last tuesday"], "expected a date like 2026-01-31"),
        (["--option", "novalue"], "expected KEY=VALUE"),
        (["--limit", "0"], "0 is not in the range"),
        (["--sink", "nowhere"], "unknown sink 'nowhere'"),
        (["--no-such-flag"], "No such option"),
    ],
)
def test_usage_errors_exit_2(
    args: list[str], message: str, archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli("--offline", "--archive", str(archive.root), "-o", str(tmp_path / "out"), *args)
    captured = capsys.readouterr()
    assert code == 2
    assert message in captured.err + captured.out
    assert "Traceback" not in captured.err


def test_bad_config_file_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "peloton.ini"
    config.write_text("[peloton]\nusername = someone\nssl_verify = perhaps\n")
    monkeypatch.setenv("PELOTON_CONFIG", str(config))
    assert cli("--offline", "-o", str(tmp_path / "out")) == 2
    err = capsys.readouterr().err
    assert f"{config}, line 3: [peloton] ssl_verify: expected true or false, got 'perhaps'" in err


def test_dry_run_lists_files(archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        cli(
            "--offline", "--archive", str(archive.root), "-o", str(tmp_path / "out"), "--dry-run", "-f", "tcx"
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.count("would write") == 2 and not (tmp_path / "out").exists()


def test_gpx_skip_is_summarised_not_a_failure(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("--offline", "--archive", str(archive.root), "-o", str(tmp_path / "out"), "-f", "gpx") == 0
    out = capsys.readouterr().out
    assert "2 skipped" in out and "no GPS track" in out


def test_import_command_reports_each_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "in" / "good.json"
    good.parent.mkdir()
    from peloton_export.testing.synth.tiny import tiny_bodies

    good.write_text(json.dumps(tiny_bodies("3" * 32)))
    (tmp_path / "in" / "broken.json").write_text('{"id": "x", "fitness_')
    code = cli("import", str(tmp_path / "in"), "--archive", str(tmp_path / "arch"))
    out = capsys.readouterr().out
    assert code == 1
    assert "1 imported" in out and "1 failed" in out and "broken.json" in out
    assert Archive(tmp_path / "arch").ids() == ["3" * 32]


def test_formats_and_sinks_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("formats") == 0 and cli("sinks") == 0
    out = capsys.readouterr().out
    for name in ("tcx", "gpx", "csv", "json", "directory"):
        assert name in out
