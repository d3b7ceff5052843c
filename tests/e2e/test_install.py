"""``peloton-export install strava`` / ``uninstall strava`` in fresh venvs made from the wheels.

The core wheel goes into a new venv (its libraries come from this venv through a folder
of links, ``packaging_helpers.dependency_view``); the plugin is installed by the tool's own
``install`` command from a local wheelhouse (``--no-index --find-links``: no network).
One venv has pip (a plain venv, pipx's); one has none, as ``uv tool install`` makes them,
and ``install`` there goes through ``uv pip --python`` (the libraries are linked into its
site-packages, where uv looks for what is installed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging_helpers import (
    Artefacts,
    build_all,
    clean_env,
    dependency_view,
    fresh_venv,
    pip_install,
    tracked_files,
    wheelhouse,
)

pytestmark = pytest.mark.xdist_group("install")

NEEDED = {"peloton-export", "peloton-export-strava"}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheelhouse with the core's and the Strava plugin's wheels, built once."""
    try:
        tracked_files()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    dest = tmp_path_factory.mktemp("install")
    built: dict[str, Artefacts] = build_all(dest, only=NEEDED)
    return wheelhouse(built, dest / "wheelhouse")


def tool(venv: Path, env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / "peloton-export"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


def install_and_uninstall_strava(venv: Path, env: dict[str, str], wheels: Path, cwd: Path) -> None:
    """The whole story a user has: the hint, the install, the sink, the uninstall."""
    out = cwd / "out"
    before = tool(venv, env, "--demo", "-o", str(out), "-f", "fit", "--sink", "strava", cwd=cwd)
    assert before.returncode == 2, before.stdout + before.stderr
    assert "unknown sink 'strava'" in before.stderr
    assert before.stderr.rstrip().endswith(
        "separate plugin peloton-export-strava: peloton-export install strava"
    )

    done = tool(venv, env, "install", "strava", "--no-index", "--find-links", str(wheels), cwd=cwd)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"installed peloton-export-strava into {venv}" in done.stdout
    assert list((venv / "lib").glob("python3*/site-packages/peloton_export_strava/__init__.py"))

    sinks = tool(venv, env, "sinks", cwd=cwd)
    assert sinks.returncode == 0 and any(line.startswith("strava ") for line in sinks.stdout.splitlines())
    helped = tool(venv, env, "--sink", "strava", "--help", cwd=cwd)
    assert helped.returncode == 0 and "--sink NAME" in helped.stdout, helped.stderr
    login_help = tool(venv, env, "strava", "--help", cwd=cwd)
    assert login_help.returncode == 0 and "login" in login_help.stdout, login_help.stderr

    gone = tool(venv, env, "uninstall", "strava", cwd=cwd)
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert f"uninstalled peloton-export-strava from {venv}" in gone.stdout
    after = tool(venv, env, "sinks", cwd=cwd)
    assert after.returncode == 0 and "strava" not in after.stdout
    again = tool(venv, env, "uninstall", "strava", cwd=cwd)
    assert again.returncode == 2 and "peloton-export-strava is not installed" in again.stderr


def test_install_strava_with_pip_in_a_fresh_venv(wheels: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    python = fresh_venv(venv, dependency_view(tmp_path / "deps"))
    pip_install(python, *wheels.glob("peloton_export-*.whl"))
    install_and_uninstall_strava(venv, clean_env(tmp_path / "home"), wheels, tmp_path)


def test_install_strava_with_uv_where_the_environment_has_no_pip(wheels: Path, tmp_path: Path) -> None:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed (it is in the test extras: pip install -r requirements-dev.txt)")
    venv = tmp_path / "venv"
    python = fresh_venv(venv, None)  # the libraries linked into site-packages, where uv looks
    pip_install(python, *wheels.glob("peloton_export-*.whl"))
    env = clean_env(tmp_path / "home")
    env["PATH"] = f"{Path(uv).parent}{os.pathsep}{env.get('PATH', '')}"
    env["UV_CACHE_DIR"] = str(tmp_path / "uv-cache")
    env["UV_NO_CONFIG"] = "1"
    no_pip = subprocess.run([str(python), "-c", "import pip"], capture_output=True, env=env, cwd=tmp_path)
    assert no_pip.returncode != 0  # the environment has no pip: install must use uv
    install_and_uninstall_strava(venv, env, wheels, tmp_path)


def test_install_garmin_on_python_311_is_one_line(wheels: Path, tmp_path: Path) -> None:
    if sys.version_info >= (3, 12):
        pytest.skip("this Python can install the Garmin plugin")
    venv = tmp_path / "venv"
    python = fresh_venv(venv, dependency_view(tmp_path / "deps"))
    pip_install(python, *wheels.glob("peloton_export-*.whl"))
    done = tool(venv, clean_env(tmp_path / "home"), "install", "garmin", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: peloton-export-garmin needs Python 3.12+")
