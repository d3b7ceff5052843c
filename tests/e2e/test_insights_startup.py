"""A plain export never imports numpy (the ``insights`` extra) or the bike-fitting code.

Each check runs the real command line in a fresh interpreter. pyarrow (the Parquet
writer) imports numpy by itself when numpy is installed, so the first check leaves
Parquet out and the second runs every format with numpy made unimportable.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.e2e.test_startup import CLI, _env

FITTING = ("numpy", "peloton_export.insights.fit", "peloton_export.insights.drift")
REPORT = f"""
import json as _json, sys as _sys
print(_json.dumps(sorted(m for m in {FITTING!r} if m in _sys.modules)))
"""
BLOCK_NUMPY = """
import sys
class _NoNumpy:
    def find_spec(self, name, path=None, target=None):
        if name == "numpy" or name.startswith("numpy."):
            raise ImportError("numpy is blocked by the test")
        return None
sys.meta_path.insert(0, _NoNumpy())
"""


def _run(code: str, tmp_path: Path) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + REPORT],
        capture_output=True,
        text=True,
        env=_env(tmp_path, PELOTON_EXPORT_LOAD_PLUGINS=""),
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "Done:" in out.stdout and "0 failed" in out.stdout, out.stdout
    result: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_a_demo_export_imports_no_numpy(tmp_path: Path) -> None:
    args = ["--demo", "-f", "json,csv,tcx,gpx,fit,html", "-o", str(tmp_path / "out"), "-j", "1", "-q"]
    assert _run(CLI.format(args=args), tmp_path) == []
    assert list((tmp_path / "out").rglob("*.html"))


def test_every_format_works_without_numpy(tmp_path: Path) -> None:
    args = ["--demo", "-o", str(tmp_path / "out"), "-j", "1", "-q"]
    assert _run(BLOCK_NUMPY + CLI.format(args=args), tmp_path) == []
    assert list((tmp_path / "out").rglob("*.parquet"))
