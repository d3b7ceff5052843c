"""The generator still writes the checked-in demo and golden inputs, byte for byte.

A failure here is a *generator* change (``peloton_export/testing/synth``). If it is intended,
rewrite the files with ``python -m peloton_export.testing.synth write-demo
peloton_export/data/demo --replace`` and ``write-golden tests/golden --replace``, then run
``tests/unit/test_golden.py`` (a writer change shows up there, separately).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from peloton_export.testing.synth.__main__ import main
from peloton_export.testing.synth.files import body_bytes, write_demo, write_golden

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "peloton_export" / "data" / "demo"
GOLDEN = ROOT / "tests" / "golden"


def _files(root: Path, pattern: str) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.glob(pattern)) if p.is_file()}


def _assert_same(made: dict[str, bytes], checked_in: dict[str, bytes]) -> None:
    assert sorted(made) == sorted(checked_in)
    changed = [name for name in made if made[name] != checked_in[name]]
    assert not changed, f"the generator no longer reproduces {changed}"


def test_demo_files_are_reproduced(tmp_path: Path) -> None:
    written = write_demo(tmp_path)
    assert len(written) == 22
    _assert_same(_files(tmp_path, "*/*"), _files(DEMO, "*/*"))


def test_golden_inputs_are_reproduced(tmp_path: Path) -> None:
    written = write_golden(tmp_path)
    assert len(written) == 22
    _assert_same(_files(tmp_path, "*/input/*"), _files(GOLDEN, "*/input/*"))


def test_command_refuses_to_overwrite_without_replace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["write-golden", str(tmp_path)]) == 0
    expected = tmp_path / "row" / "expected.tcx"
    expected.write_text("kept")
    stale = tmp_path / "row" / "input" / "stale.json"
    stale.write_text("{}")
    assert main(["write-golden", str(tmp_path)]) == 2
    assert "pass --replace" in capsys.readouterr().err
    assert main(["write-golden", str(tmp_path), "--replace"]) == 0
    assert not stale.exists() and expected.read_text() == "kept"
    assert main(["write-demo", str(tmp_path / "demo")]) == 0
    assert "wrote 22 files" in capsys.readouterr().out


def test_body_bytes_keep_order_and_are_ascii() -> None:
    data = body_bytes({"z": 1.0, "a": "Caf\u00e9", "n": None})
    assert data == b'{\n "z": 1.0,\n "a": "Caf\\u00e9",\n "n": null\n}\n'
