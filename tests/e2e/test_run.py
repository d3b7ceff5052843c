"""One owner for the run, against the fake Peloton API: ``run_export`` from Python, and the plan
shared by export, dry run and status.

The in-process tests are in ``tests/unit/test_run.py``.
"""
# ruff: noqa: F811  (fixtures imported by name)

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from peloton_export import ExportRequest, run_export
from peloton_export.cli import run
from peloton_export.cli.sync import status_command
from peloton_export.plugins import create_host
from peloton_export.store.archive import Archive
from peloton_export.testing import FakePeloton
from peloton_export.testing.pytest_plugin import (  # noqa: F401 (fixtures)
    fake_peloton,
    fake_peloton_factory,
    peloton_env,
)
from peloton_export.testing.synth.tiny import BASE_START
from peloton_export.testing.synth.tiny import put_tiny as put


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PELOTON_EXPORT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PELOTON_EXPORT_ARCHIVE", str(tmp_path / "archive"))
    monkeypatch.setenv("PELOTON_CONFIG", os.devnull)
    return tmp_path


def test_run_export_from_python_against_the_fake_api(peloton_env: FakePeloton, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = run_export(ExportRequest(formats=("json",), output_dir=out), create_host(entry_points=False))
    assert report.ok and report.sync is not None and len(report.sync.new) > 0
    assert report.count("exported") == len(list(out.glob("*.json"))) > 0
    again = run_export(ExportRequest(formats=("json",), output_dir=out), create_host(entry_points=False))
    assert again.count("exported") == 0 and again.count("unchanged") == report.count("exported")


def _imported(isolated: Path, n: int = 5) -> Archive:
    archive = Archive(isolated / "archive")
    for day in range(n):
        put(archive, f"{day:032x}", start=BASE_START + day * 86400, title=f"Ride {day}")
    return archive


def _status(*args: str) -> str:
    result = CliRunner().invoke(status_command(create_host(entry_points=False)), list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert run(list(args), host=create_host(entry_points=False)) == 0
    return capsys.readouterr().out


def test_plan_status_dry_run_and_export_agree(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _imported(isolated)
    out = isolated / "out"
    flags = ("--offline", "-f", "tcx,gpx", "--sink", "directory", "-o", str(out))
    monkeypatch.setenv("PELOTON_CONFIG", str(isolated / "peloton.ini"))
    (isolated / "peloton.ini").write_text(f"[plugin:directory]\npath = {isolated / 'synced'}\n", "utf-8")

    # never exported, never delivered: status says so (it said "Pending: nothing" before)
    status = _status("-f", "tcx", "-f", "gpx", "--sink", "directory", "-o", str(out))
    assert "Pending in" in status and "5 archived workouts" in status
    assert "format tcx: 5 write" in status and "sink directory: 5 deliver" in status

    dry = _cli(capsys, *flags, "--dry-run")
    assert dry.count("would write") == 5 and dry.count("would send") == 5
    assert "gpx not written for 5 workouts: no GPS track" in dry  # not "5 planned" GPX
    assert not out.exists() or not any(out.iterdir())

    done = _cli(capsys, *flags)
    assert "5 exported" in done and len(list(out.glob("*.tcx"))) == 5 and not list(out.glob("*.gpx"))

    # now all three say: nothing to do; GPX is "not applicable", not pending
    status = _status("-f", "tcx", "-f", "gpx", "--sink", "directory", "-o", str(out))
    assert "nothing" in status.splitlines()[-1]
    dry = _cli(capsys, *flags, "--dry-run")
    assert "would write" not in dry and "5 unchanged" in dry
    assert "5 unchanged" in _cli(capsys, *flags)

    # one file removed by hand: the three agree on exactly that one
    victim = sorted(out.glob("*.tcx"))[0]
    victim.unlink()
    status = _status("-f", "tcx", "-f", "gpx", "--sink", "directory", "-o", str(out))
    assert "1 archived workouts" in status and "format tcx: 1 write, 4 current" in status
    assert "format gpx: 5 not applicable" in status
    dry = _cli(capsys, *flags, "--dry-run")
    assert dry.count("would write") == 1 and victim.name in dry and "would send" not in dry
    assert "1 exported" in _cli(capsys, *flags) and victim.exists()
