"""The private HOME of every test, and the session check that the real HOME stays untouched."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
import pytest

from peloton_export import paths
from peloton_export.config import config_path
from tests.home_guard import XDG_FOLDERS, appeared, cwd_skip, listing


def test_every_location_the_tool_writes_to_is_inside_the_private_home(private_home: Path) -> None:
    assert Path.home() == private_home
    assert Path("~").expanduser() == private_home
    for variable, folder in XDG_FOLDERS.items():
        assert os.environ[variable] == str(private_home / folder)
    assert not [name for name in os.environ if name.startswith("PELOTON_")]
    for where in (
        paths.data_dir(),
        paths.archive_dir(),
        paths.state_dir(),
        paths.config_dir(),
        config_path(),
        Path(platformdirs.user_cache_dir("peloton-export")),
        Path(platformdirs.user_log_dir("peloton-export")),
    ):
        assert where.is_relative_to(private_home), where


@pytest.mark.parametrize("run", [1, 2])
def test_each_test_starts_with_an_empty_home(private_home: Path, run: int) -> None:
    """The first run leaves a config behind; the second still finds an empty HOME."""
    assert sorted(p.name for p in private_home.iterdir()) == [".runtime"]
    (private_home / ".config").mkdir()
    (private_home / ".config" / "peloton").write_text("[peloton-export]\nformats = tcx\n", encoding="utf-8")


def test_the_listing_finds_a_new_file_a_few_levels_down(tmp_path: Path) -> None:
    home = tmp_path / "real-home"
    (home / ".config").mkdir(parents=True)
    before = listing(home)
    (home / "Sync" / "workouts").mkdir(parents=True)
    (home / "Sync" / "workouts" / "ride.json").write_text("{}", encoding="utf-8")
    assert appeared(before, listing(home)) == ["Sync", "Sync/workouts", "Sync/workouts/ride.json"]
    assert appeared(listing(home), listing(home)) == []


def test_the_working_directory_listing_leaves_out_venvs_caches_and_pytest_temp(tmp_path: Path) -> None:
    cwd = tmp_path / "checkout"
    for folder in (
        ".venv-test/lib",
        "src/x.egg-info",
        "__pycache__",
        ".mypy_cache",
        "tmp-pytest/t0",
        "src/pkg",
    ):
        (cwd / folder).mkdir(parents=True)
    skip = cwd_skip(cwd, cwd / "tmp-pytest")
    before = listing(cwd, skip=skip)
    assert before == {"src", "src/pkg"}
    (cwd / "exports").mkdir()
    (cwd / "exports" / "ride.fit").write_bytes(b"FIT")
    (cwd / "tmp-pytest" / "t0" / "ride.fit").write_bytes(b"FIT")
    (cwd / ".venv-test" / "lib" / "x.py").write_text("", encoding="utf-8")
    assert appeared(before, listing(cwd, skip=skip)) == ["exports", "exports/ride.fit"]


def test_a_test_that_writes_into_the_working_directory_fails_the_run(pytester: pytest.Pytester) -> None:
    """pytester runs the inner session in its own folder: the folder the guard lists."""
    pytester.makepyfile(
        test_litter="""
from pathlib import Path

def test_writes_here():
    Path("exports").mkdir()
    Path("exports", "ride.fit").write_bytes(b"FIT")
"""
    )
    result = pytester.runpytest_inprocess("-p", "tests.home_guard", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*home guard: the tests wrote into the working directory*2 new paths*"])
    result.stdout.fnmatch_lines(["*exports/ride.fit"])
