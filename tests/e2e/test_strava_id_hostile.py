"""Peloton's ``strava_id`` as a hostile server may send it: every workout still exports, in
every format, and none reads as shared (issue 22's review: 5,000 digits and '²' made the
whole workout fail with "unexpected data (ValueError ...)")."""

# ruff: noqa: F811  (fixtures imported by name)
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from peloton_export.testing import tiny_workout
from peloton_export.testing.pytest_plugin import (  # noqa: F401 (fixtures)
    fake_peloton_factory,
    peloton_env,
)
from tests.conftest import cli

HOSTILE = ["9" * 5000, "²", {"id": 1}, -5, "99999999999999999999999999", [1, 2]]


@pytest.fixture
def fake_peloton(fake_peloton_factory: Any) -> Any:
    return fake_peloton_factory(
        [tiny_workout(i, extra={"strava_id": value}) for i, value in enumerate(HOSTILE)]
    )


def test_hostile_strava_ids_export_every_workout(
    peloton_env: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert cli("--format", "json,fit", "-o", str(out)) == 0
    captured = capsys.readouterr()
    assert "unexpected data" not in captured.out + captured.err
    assert f"{len(HOSTILE)} exported" in captured.out
    assert len(list(out.glob("*.fit"))) == len(HOSTILE)
    documents = [p for p in out.glob("*.json") if not p.name.startswith(".")]
    assert len(documents) == len(HOSTILE)
    for path in documents:
        assert json.loads(path.read_text(encoding="utf-8")).get("strava_id") is None
