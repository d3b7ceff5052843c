"""Release artefacts: every project's wheel and sdist built, listed, checked and installed.

The core and each plugin under ``plugins/`` are built with ``python -m build`` from a clean
copy of the tracked files (``--no-isolation``: this venv's setuptools, no index), then:
``twine check --strict`` passes; the metadata is complete (summary, readme, licence file,
classifiers, project URLs, ``Requires-Python``, one version); no wheel or sdist holds a
``tests`` package, a compiled file or any file of ``../shared`` (compared by content when
the folder is there); the core wheel holds every module of the package and the demo data;
and installed into a fresh venv it runs the demo.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest
from packaging_helpers import (
    PROJECT_ROOT,
    PROJECTS,
    Artefacts,
    build_all,
    clean_env,
    dependency_view,
    fresh_venv,
    pip_install,
    project_version,
    tracked_files,
)

from tests.conftest import SHARED

pytestmark = pytest.mark.xdist_group("packaging")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Artefacts]:
    """Every project's artefacts, built once for the module."""
    try:
        tracked_files()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    return build_all(tmp_path_factory.mktemp("packaging"))


def wheel_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def sdist_names(sdist: Path) -> list[str]:
    """The sdist's member files, without the ``name-version/`` folder in front."""
    with tarfile.open(sdist) as archive:
        return [m.name.split("/", 1)[1] for m in archive.getmembers() if m.isfile() and "/" in m.name]


def wheel_metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return Parser().parsestr(archive.read(name).decode("utf-8"))


def test_every_project_builds_a_wheel_and_an_sdist_of_its_one_version(built: dict[str, Artefacts]) -> None:
    assert set(built) == set(PROJECTS.values())
    from peloton_export import __version__

    assert project_version(PROJECT_ROOT) == __version__
    for name, art in built.items():
        version = project_version(art.source)
        stem = name.replace("-", "_")
        assert art.wheel.name == f"{stem}-{version}-py3-none-any.whl"
        assert art.sdist.name == f"{stem}-{version}.tar.gz"
        assert wheel_metadata(art.wheel)["Version"] == version


def test_twine_check_strict_passes(built: dict[str, Artefacts]) -> None:
    files = [str(p) for art in built.values() for p in (art.wheel, art.sdist)]
    done = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == len(files), done.stdout


@pytest.mark.parametrize("name", sorted(PROJECTS.values()))
def test_metadata_is_complete(built: dict[str, Artefacts], name: str) -> None:
    meta = wheel_metadata(built[name].wheel)
    assert meta["Name"] == name
    assert meta["Summary"] and len(meta["Summary"]) > 20
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert meta["Requires-Python"] in (">=3.11", ">=3.12")
    assert meta["Description-Content-Type"] == "text/markdown"
    readme = (built[name].source / "README.md").read_text(encoding="utf-8")
    assert meta.get_payload().strip() == readme.strip()
    classifiers = meta.get_all("Classifier") or []
    assert "Environment :: Console" in classifiers
    minor = meta["Requires-Python"].removeprefix(">=")
    assert f"Programming Language :: Python :: {minor}" in classifiers
    assert not [c for c in classifiers if c.startswith("License ::")]  # the SPDX expression says it
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    assert set(urls) >= {"Homepage", "Source", "Issues", "Changelog", "Documentation"}
    assert all(u.startswith("https://github.com/peloton-export/peloton-export") for u in urls.values())
    if name != "peloton-export":
        assert any(r.startswith("peloton-export>=") for r in meta.get_all("Requires-Dist") or [])


@pytest.mark.parametrize("name", sorted(PROJECTS.values()))
def test_no_tests_shared_file_or_build_litter_in_any_artefact(built: dict[str, Artefacts], name: str) -> None:
    art = built[name]
    for names in (wheel_names(art.wheel), sdist_names(art.sdist)):
        forbidden = {"tests", "test", "fixtures", "shared"}
        assert not [n for n in names if set(n.split("/")) & forbidden]
        assert not [n for n in names if n.endswith((".pyc", ".pyo")) or "__pycache__" in n]
        assert not [n for n in names if n.split("/")[-1].startswith("conftest")]
        assert not [n for n in names if n.split("/")[0] in {"docs", "benchmarks", "plugins", ".ci", "action"}]
    sdist = sdist_names(art.sdist)
    assert {"LICENSE", "README.md", "pyproject.toml", "PKG-INFO"} <= set(sdist)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in wheel_names(art.wheel))


def test_no_file_of_shared_is_inside_any_artefact(built: dict[str, Artefacts]) -> None:
    """Compared by content: a recorded response renamed would still be found."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (the recorded fixtures and schemas)")
    shared = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in SHARED.rglob("*") if p.is_file()}
    assert shared
    found = []
    for art in built.values():
        with zipfile.ZipFile(art.wheel) as archive:
            for info in archive.infolist():
                if hashlib.sha256(archive.read(info)).hexdigest() in shared:
                    found.append(f"{art.wheel.name}:{info.filename}")
        with tarfile.open(art.sdist) as tar:
            for member in tar.getmembers():
                handle = tar.extractfile(member) if member.isfile() else None
                if handle is not None and hashlib.sha256(handle.read()).hexdigest() in shared:
                    found.append(f"{art.sdist.name}:{member.name}")
    assert found == []


def test_the_core_wheel_holds_every_module_and_the_demo_data(built: dict[str, Artefacts]) -> None:
    names = set(wheel_names(built["peloton-export"].wheel))
    tracked = {n for n in tracked_files() if n.startswith("peloton_export/")}
    modules = {n for n in tracked if n.endswith(".py")}
    assert modules and modules <= names, sorted(modules - names)[:5]
    data = {n for n in tracked if n.startswith("peloton_export/data/")}
    assert len(data) >= 10 and data <= names
    assert "peloton_export/py.typed" in names
    # the sdist carries the same package files plus the project's own
    sdist = set(sdist_names(built["peloton-export"].sdist))
    assert tracked <= sdist, sorted(tracked - sdist)[:5]
    assert "CHANGELOG.md" in sdist


def test_the_core_wheel_installed_in_a_fresh_venv_runs_the_demo(
    built: dict[str, Artefacts], tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    python = fresh_venv(venv, dependency_view(tmp_path / "deps"))
    pip_install(python, built["peloton-export"].wheel)
    env = clean_env(tmp_path / "home")
    where = subprocess.run(
        [str(python), "-c", "import peloton_export; print(peloton_export.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=tmp_path,  # not the checkout: its peloton_export/ would be imported
    ).stdout.strip()
    assert Path(where).is_relative_to(venv), where
    command = venv / "bin" / "peloton-export"
    version = subprocess.run(
        [str(command), "--version"], capture_output=True, text=True, env=env, check=True, cwd=tmp_path
    )
    assert project_version(PROJECT_ROOT) in version.stdout
    out = tmp_path / "out"
    done = subprocess.run(
        [str(command), "--demo", "-o", str(out), "-f", "tcx,fit"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "10 workouts: 10 exported, 0 failed" in done.stdout
    assert len(list(out.glob("*.fit"))) == 10 and len(list(out.glob("*.tcx"))) == 10
