"""The session check of the real HOME, in an inner pytest run in a subprocess (pytester).

The in-process tests are in ``tests/unit/test_home_guard.py``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests import home_guard

#: The inner session's conftest is the guard itself (loaded by path: a dependency's own
#: ``tests`` package in site-packages shadows this folder for a plain import).
_INNER_CONFTEST = Path(home_guard.__file__).read_text(encoding="utf-8")


_INNER_TEST = """
import os
from pathlib import Path

def test_writes_where_it_is_told(private_home):
    Path(os.environ["GUARD_TARGET"]).joinpath("Sync").mkdir()
    Path(os.environ["GUARD_TARGET"], "Sync", "ride.json").write_text("{}")
"""


@pytest.mark.parametrize("into_real_home", [True, False])
def test_the_session_check_fails_a_run_that_wrote_into_the_real_home(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, into_real_home: bool
) -> None:
    """An inner pytest session whose test writes into the HOME it started with fails (exit 1,
    the path named); the same test writing elsewhere passes."""
    real_home = tmp_path / "real-home"
    real_home.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("HOME", str(real_home))  # the inner session's real HOME
    monkeypatch.setenv("GUARD_TARGET", str(real_home if into_real_home else elsewhere))
    pytester.makeconftest(_INNER_CONFTEST)
    pytester.makepyfile(test_inner=textwrap.dedent(_INNER_TEST))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "default")
    if into_real_home:
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        result.stdout.fnmatch_lines(
            ["*home guard: the tests wrote into the real HOME*2 new paths*", "*Sync/ride.json*"]
        )
        result.stdout.fnmatch_lines(["*1 passed*"])
    else:
        assert result.ret == pytest.ExitCode.OK
        assert "home guard" not in result.stdout.str()
    assert (real_home / "Sync").exists() is into_real_home


_INNER_SCREENSHOT = """
from pathlib import Path

def test_keeps_a_screenshot(private_home):
    folder = Path.cwd() / "test-artifacts" / "report"
    folder.mkdir(parents=True)
    (folder / "page.png").write_bytes(b"png")
"""


@pytest.mark.parametrize("asked", [True, False])
def test_the_folder_the_caller_names_for_screenshots_is_not_a_stray_write(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, asked: bool
) -> None:
    """``.ci/run`` sets ``PELOTON_EXPORT_ARTIFACTS`` to ``test-artifacts/`` of the checkout
    (the working directory): files there pass the check; the same files written with the
    variable unset fail the run as strays in the working directory."""
    if asked:
        monkeypatch.setenv("PELOTON_EXPORT_ARTIFACTS", str(pytester.path / "test-artifacts"))
    else:
        monkeypatch.delenv("PELOTON_EXPORT_ARTIFACTS", raising=False)
    monkeypatch.setenv("HOME", str(pytester.path / "home"))
    (pytester.path / "home").mkdir()
    pytester.makeconftest(_INNER_CONFTEST)
    pytester.makepyfile(test_inner=textwrap.dedent(_INNER_SCREENSHOT))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "default")
    assert (pytester.path / "test-artifacts" / "report" / "page.png").exists()
    if asked:
        assert result.ret == pytest.ExitCode.OK, result.stdout.str()
        assert "home guard" not in result.stdout.str()
    else:
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        result.stdout.fnmatch_lines(
            ["*home guard: the tests wrote into the working directory*", "*page.png*"]
        )
