"""ExportRequest takes folders as plain strings, the way a Python caller writes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from peloton_export import ExportRequest, run_export
from peloton_export.store.archive import Archive
from peloton_export.testing.synth.tiny import put_tiny, tiny_id


def test_run_export_takes_string_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = Archive(tmp_path / "archive")
    put_tiny(archive, tiny_id(0), title="Ride 0")
    monkeypatch.chdir(tmp_path)
    request = ExportRequest(
        formats=("tcx",),
        offline=True,
        output_dir=str(tmp_path / "out"),  # type: ignore[arg-type]
        archive_dir=str(archive.root),  # type: ignore[arg-type]
    )
    assert isinstance(request.output_dir, Path) and isinstance(request.archive_dir, Path)
    report = run_export(request)  # was: TypeError: unsupported operand type(s) for /: 'str' and 'str'
    assert report.ok and len(report.results) == 1
    assert list((tmp_path / "out").rglob("*.tcx"))
