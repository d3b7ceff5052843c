"""peloton_export.entry_points reads the entry points importlib.metadata reads, the same way."""

from __future__ import annotations

import importlib.metadata
import sys
from importlib.machinery import PathFinder
from pathlib import Path

import pytest

from peloton_export import entry_points


@pytest.fixture(autouse=True)
def standard_finders(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the standard path finder looks for distributions (a test run may add others,
    which the reader leaves to importlib.metadata: the last test checks that)."""
    finders = [f for f in sys.meta_path if f is PathFinder or not hasattr(f, "find_distributions")]
    monkeypatch.setattr(sys, "meta_path", finders)


def _theirs(group: str) -> list[tuple[str, str, str]]:
    return sorted(
        (ep.name, ep.value, ep.dist.name if ep.dist else "")
        for ep in importlib.metadata.entry_points(group=group)
    )


def _ours(group: str, path: list[str]) -> list[tuple[str, str, str]]:
    found = entry_points.scan(group, path)
    assert found is not None
    return sorted((ep.name, ep.value, ep.dist.name) for ep in found)


@pytest.mark.parametrize("group", ["peloton_export", "console_scripts", "pytest11"])
def test_this_environment_gives_what_importlib_metadata_gives(group: str) -> None:
    assert _ours(group, sys.path) == _theirs(group)


def _dist(root: Path, folder: str, name: str, text: str | None) -> None:
    (root / folder).mkdir(parents=True)
    (root / folder / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.2\n", encoding="utf-8"
    )
    if text is not None:
        (root / folder / "entry_points.txt").write_text(text, encoding="utf-8")


def test_a_made_up_path_gives_what_importlib_metadata_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    _dist(
        first,
        "plug_a-1.0.dist-info",
        "plug-a",
        "[peloton_export]\n# a comment\na = plug_a\n\n[other]\nx = y\n",
    )
    _dist(first, "Plug.B-2.0.dist-info", "Plug.B", "[peloton_export]\n b = plug_b.mod:obj.attr [extra] \n")
    _dist(first, "no_eps-1.0.dist-info", "no-eps", None)
    _dist(first, "old_style.egg-info", "old-style", "[peloton_export]\nold = old_style\n")
    # the same distribution later on the path: importlib.metadata takes the first one only
    _dist(second, "plug_a-0.9.dist-info", "plug-a", "[peloton_export]\nshadowed = plug_a_old\n")
    _dist(second, "plug_c-1.0.dist-info", "plug-c", "[peloton_export]\nc = plug_c\n")
    path = [str(first), str(tmp_path / "missing"), str(second)]
    monkeypatch.setattr(sys, "path", path)
    ours = _ours("peloton_export", path)
    assert ours == _theirs("peloton_export")
    assert ("shadowed", "plug_a_old", "plug-a") not in ours and len(ours) == 4


def test_load_imports_the_module_and_follows_attributes() -> None:
    dist = entry_points.Distribution("unused")
    module = entry_points.EntryPoint("x", "peloton_export.entry_points", "g", dist).load()
    assert module is entry_points
    attr = entry_points.EntryPoint("x", "peloton_export.entry_points : EntryPoint.load", "g", dist).load()
    assert attr is entry_points.EntryPoint.load
    with pytest.raises(ValueError, match="not an entry point"):
        entry_points.EntryPoint("x", "not a value!", "g", dist).load()


def test_another_distribution_finder_is_left_to_importlib_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    class Finder:
        def find_spec(self, *args: object) -> None:
            return None

        def find_distributions(self, *args: object) -> list[object]:
            return []

    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Finder()])
    assert entry_points.scan("peloton_export", sys.path) is None
    assert [ep.name for ep in entry_points.entry_points("peloton_export")] == [
        ep.name for ep in importlib.metadata.entry_points(group="peloton_export")
    ]


def test_a_zip_on_the_path_is_left_to_importlib_metadata(tmp_path: Path) -> None:
    archive = tmp_path / "plugins.zip"
    archive.write_bytes(b"PK\x05\x06" + bytes(18))
    assert entry_points.scan("peloton_export", [str(archive)]) is None
    assert entry_points.scan("peloton_export", [str(tmp_path / "x.egg")]) is None
