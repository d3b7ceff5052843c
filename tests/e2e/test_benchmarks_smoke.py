"""``benchmarks/bench_export.py --smoke`` runs to the end (issue 24: it crashed with
``ZeroDivisionError`` on ``csv-sets``, a format no workout of its kinds is eligible for) and
writes nothing into the folder it runs from (the parquet writer adds to a dataset beside
its output folder, which was the cwd)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_export_smoke_prints_every_format_and_writes_nothing_here(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_export.py"), "--smoke"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {line.split("|")[1].strip(): line for line in done.stdout.splitlines() if line.startswith("| ")}
    assert rows["csv-sets"].replace(" ", "") == "|csv-sets|0|-|-|-|", rows["csv-sets"]
    for name in ("csv", "fit", "gpx", "html", "json", "parquet", "tcx"):
        cells = [c.strip() for c in rows[name].split("|")[2:-1]]
        assert int(cells[0]) >= 1 and float(cells[1]) > 0, rows[name]
    assert list(tmp_path.iterdir()) == []
