"""``peloton-export bike ...`` without numpy (the ``insights`` extra not installed): one
line naming the extra and exit 2, no traceback.

numpy is made unimportable in a subprocess (``sys.modules['numpy'] = None`` before the
command line starts), the way a machine without the extra sees it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from peloton_export.store.archive import Archive
from peloton_export.testing.synth import synth_workout

WITHOUT_NUMPY = (
    "import sys; sys.modules['numpy'] = None; sys.argv[0] = 'peloton-export';"
    " from peloton_export.cli import main; main()"
)


@pytest.mark.parametrize(
    "argv",
    [
        ["model"],
        ["output", "--cadence", "80", "--resistance", "40"],
        ["resistance", "--output", "150", "--cadence", "80"],
        ["resistance"],
    ],
    ids=lambda argv: argv[0],
)
def test_bike_without_numpy_is_one_line_naming_the_insights_extra(argv: list[str], tmp_path: Path) -> None:
    archive = Archive(tmp_path / "archive")
    archive.put_raw(synth_workout("cycling_class", seed=3, duration_s=600))
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_NUMPY, "bike", *argv, "--archive", str(archive.root)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PELOTON_CONFIG": os.devnull},
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "Error: fitting a bike model needs numpy: pip install 'peloton-export[insights]'"
    ], done.stderr
