"""The Row is ``rowing`` wherever a user reads it: the demo export with worker processes.

The in-process tests are in ``tests/unit/test_rowing_name.py``.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from peloton_export.cli import run
from peloton_export.plugins import create_host
from peloton_export.store import ledger as ledger_module

ROW_ID = "55b87ce7318a329594ed353245e003ef"  # the demo's Row


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PELOTON_EXPORT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PELOTON_EXPORT_ARCHIVE", str(tmp_path / "archive"))
    monkeypatch.setenv("PELOTON_CONFIG", os.devnull)  # no config
    yield tmp_path
    ledger_module.close_all()


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = run(list(args), host=create_host(entry_points=False))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_the_demo_row_is_rowing_in_names_pages_index_and_summary(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = isolated / "out"
    code, text = _cli(capsys, "--demo", "-q", "-f", "tcx,csv,json,html", "-o", str(out))
    assert code == 0, text
    names = sorted(p.name for p in out.iterdir())
    row_files = [n for n in names if ROW_ID in n]
    assert len(row_files) == 4 and all("_rowing_" in n for n in row_files), row_files
    assert not [n for n in names if "caesar" in n]
    page = next(out.glob(f"*{ROW_ID}.html")).read_text("utf-8")
    assert "Avery Demo · rowing</p>" in page
    index = (out / "index.html").read_text("utf-8")
    assert 'data-discipline="rowing"' in index and ">rowing<" in index
    assert 'data-discipline="caesar"' not in index and ">caesar<" not in index
    with (out / "summary.csv").open(encoding="utf-8") as handle:
        rows = {r["workout_id"]: r for r in csv.DictReader(handle)}
    assert rows[ROW_ID]["discipline"] == "rowing"
    # the JSON keeps Peloton's own name, as documented (a data field, not a label)
    data = json.loads(next(out.glob(f"*{ROW_ID}.json")).read_text("utf-8"))
    assert data["discipline"] == "caesar"
