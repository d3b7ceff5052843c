"""The whole daily job against the fake Peloton API: sync, export, and nothing twice."""
# ruff: noqa: F811  (fixtures imported by name)

from __future__ import annotations

import math
from pathlib import Path

import pytest

from peloton_export.testing import FakePeloton
from peloton_export.testing.pytest_plugin import (  # noqa: F401 (fixtures)
    fake_peloton,
    fake_peloton_factory,
    peloton_env,
)
from tests.conftest import cli


def test_daily_run_backfills_then_does_nothing(
    peloton_env: FakePeloton, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    n = 25
    assert cli("--format", "tcx", "--format", "csv", "-o", str(out)) == 0
    first = capsys.readouterr().out
    assert "Peloton sync: 25 new" in first and "Sync: Peloton sync" not in first
    tcx = sorted(out.glob("*.tcx"))
    exported = len(tcx)
    assert exported > 0 and f"{exported} exported" in first
    first_requests = peloton_env.count()
    assert first_requests <= 2 * n + math.ceil(n / 10) + 3
    mtimes = {p: p.stat().st_mtime_ns for p in out.iterdir()}

    assert cli("--format", "tcx", "--format", "csv", "-o", str(out)) == 0
    second = capsys.readouterr().out
    assert peloton_env.count() - first_requests <= 3
    assert "0 exported" in second and f"{exported} unchanged" in second
    assert {p: p.stat().st_mtime_ns for p in out.iterdir()} == mtimes

    before = peloton_env.count()
    assert cli("--offline", "--format", "tcx", "-o", str(out)) == 0
    assert peloton_env.count() == before
    capsys.readouterr()

    assert cli("--force", "--offline", "--format", "tcx", "-o", str(out)) == 0
    assert f"{exported} exported" in capsys.readouterr().out


def test_ledger_forget_redoes_one_workout(
    peloton_env: FakePeloton, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert cli("--format", "json", "-o", str(out), "--limit", "3") == 0
    one = sorted(out.glob("*.json"))[0]
    workout_id = one.stem.rsplit("_", 1)[1]
    one.unlink()
    capsys.readouterr()
    assert cli("ledger", "forget", workout_id) == 0
    assert cli("--offline", "--format", "json", "-o", str(out), "--limit", "3") == 0
    assert "1 exported" in capsys.readouterr().out and one.exists()


def test_service_down_is_one_line_exit_3(
    peloton_env: FakePeloton, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ini = tmp_path / "peloton.ini"
    ini.write_text(ini.read_text(encoding="utf-8") + "max_attempts = 1\n", encoding="utf-8")
    peloton_env.faults.add("5xx", times=None)  # every request fails
    code = cli("--format", "tcx", "-o", str(tmp_path / "out"))
    captured = capsys.readouterr()
    assert code == 3  # the sync could not run; the (empty) archive was still exported
    lines = [line for line in captured.out.splitlines() if line.startswith("Sync failed: ")]
    assert len(lines) == 1 and "Peloton is not answering" in lines[0]
    assert "Traceback" not in captured.out + captured.err
