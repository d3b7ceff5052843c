"""Golden files: every built-in text format for short synthetic workouts, byte for byte.

The inputs are checked in beside the expected outputs, ``tests/golden/<kind>/input/`` (raw
bodies, archive layout); this test reads them and never runs the generator, so a diff here
is a writer (or normalizer) change. ``tests/unit/test_synth_files.py`` checks, separately, that
the generator still reproduces the inputs.

Run ``pytest tests/unit/test_golden.py --update-golden`` to rewrite the expected outputs after an
intended change, and review the diff.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from peloton_export.normalize import normalize
from peloton_export.plugins import create_host
from peloton_export.source.demo import read_workout_folder
from peloton_export.specs import ExportContext
from tests.xsd import validate

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
TEXT_FORMATS = ("tcx", "gpx", "csv", "json")
KINDS = sorted(p.parent.name for p in GOLDEN.glob("*/input"))


def render(kind: str, fmt: str, tmp_path: Path) -> bytes | None:
    host = create_host(entry_points=False)
    spec = host.formats()[fmt]
    workout = normalize(read_workout_folder(GOLDEN / kind / "input"))
    if spec.skip_reason(workout):
        return None
    buffer = io.BytesIO()
    spec.write(workout, buffer, ExportContext(output_dir=tmp_path))
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_golden(kind: str, fmt: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    data = render(kind, fmt, tmp_path)
    path = GOLDEN / kind / f"expected.{fmt}"
    if request.config.getoption("--update-golden"):
        path.parent.mkdir(parents=True, exist_ok=True)
        if data is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(data)
        return
    if data is None:
        assert not path.exists(), f"{fmt} is now skipped for {kind}; remove {path} with --update-golden"
        return
    assert path.exists(), f"no golden file {path}; create it with --update-golden"
    assert data == path.read_bytes(), f"{path} differs; if intended, rerun with --update-golden"


@pytest.mark.parametrize("fmt", ["tcx", "gpx"])
def test_golden_xml_is_valid(fmt: str, schemas_dir: Path) -> None:
    files = sorted(GOLDEN.glob(f"*/expected.{fmt}"))
    assert files
    for path in files:
        assert validate(fmt, path.read_bytes()) == [], path


def test_every_golden_folder_has_an_input() -> None:
    folders = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())
    assert len(KINDS) == 10
    assert folders == KINDS
