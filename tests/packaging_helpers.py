"""Build this repository's artefacts and install them into fresh environments, offline.

Used by ``tests/e2e/test_packaging.py`` and the install tests. Nothing here reaches an
index: builds run ``python -m build --no-isolation`` with this venv's setuptools, and a
fresh environment gets its third-party libraries from this venv through a folder of
symlinks (every distribution here except peloton-export's own), so only the wheel under
test provides ``peloton_export``. Installs from PyPI are not tested here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Every project this repository publishes: folder (relative to the root) -> distribution name.
PROJECTS = {
    ".": "peloton-export",
    "plugins/peloton-export-example": "peloton-export-example",
    "plugins/peloton-export-strava": "peloton-export-strava",
    "plugins/peloton-export-intervals": "peloton-export-intervals",
    "plugins/peloton-export-garmin": "peloton-export-garmin",
}


@dataclass(frozen=True)
class Artefacts:
    """One project's built files: its folder in the copied tree, the wheel and the sdist."""

    name: str
    source: Path
    wheel: Path
    sdist: Path


def tracked_files() -> list[str]:
    """The repository's files as git sees them (tracked and new, ignored ones left out).

    :raises RuntimeError: not a git checkout (an unpacked sdist has no tests to run).
    """
    done = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"not a git checkout: {done.stderr.decode(errors='replace').strip()}")
    return [name for name in done.stdout.decode().split("\0") if name and (PROJECT_ROOT / name).is_file()]


def copy_tree(dest: Path) -> Path:
    """Copy the tracked files into ``dest`` (a clean tree: no egg-info, no build folders)."""
    for name in tracked_files():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((PROJECT_ROOT / name).read_bytes())
    return dest


def build_all(dest: Path, only: set[str] | None = None) -> dict[str, Artefacts]:
    """Build the wheel and sdist of every project in :data:`PROJECTS` from a copy of the tree.

    :param only: build just these distributions (default: all).
    :returns: distribution name -> its artefacts.
    :raises subprocess.CalledProcessError: a build failed (its output is in the exception).
    """
    tree = copy_tree(dest / "tree")
    built: dict[str, Artefacts] = {}
    for folder, name in PROJECTS.items():
        if only is not None and name not in only:
            continue
        source = tree / folder
        out = dest / "dist" / name
        subprocess.run(
            [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        wheels, sdists = list(out.glob("*.whl")), list(out.glob("*.tar.gz"))
        assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
        built[name] = Artefacts(name, source, wheels[0], sdists[0])
    return built


def project_version(source: Path) -> str:
    """The version a project declares (the core's ``__version__``, a plugin's pyproject)."""
    project = tomllib.loads((source / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    if "version" in project:
        return str(project["version"])
    init = (source / "peloton_export" / "__init__.py").read_text(encoding="utf-8")
    line = next(line for line in init.splitlines() if line.startswith("__version__ = "))
    return line.split("=", 1)[1].strip().strip("\"'")


def wheelhouse(built: dict[str, Artefacts], dest: Path) -> Path:
    """A folder holding just the built wheels (for ``--no-index --find-links``)."""
    dest.mkdir(parents=True, exist_ok=True)
    for art in built.values():
        (dest / art.wheel.name).write_bytes(art.wheel.read_bytes())
    return dest


def dependency_view(dest: Path, *, without: tuple[str, ...] = ()) -> Path:
    """A folder of symlinks to this venv's site-packages minus peloton-export's own parts.

    Every top-level entry is linked (``*.dist-info`` folders copied) except
    ``peloton_export*`` (the core and the plugins, their dist-info folders included),
    editable-install finders and ``.pth`` files, and
    any entry whose name starts with one of ``without`` (``("pip",)``: an environment with
    no pip, as ``uv tool`` makes them).
    """
    site = Path(sysconfig.get_paths()["purelib"])
    dest.mkdir(parents=True, exist_ok=True)
    for entry in site.iterdir():
        lowered = entry.name.lower()
        if lowered.startswith(("peloton_export", "peloton-export", "__editable__", "_peloton_export")):
            continue
        if lowered.endswith(".pth") or lowered == "__pycache__" or lowered.startswith(without):
            continue
        if lowered.endswith(".dist-info"):  # copied: uv does not read a linked dist-info
            shutil.copytree(entry, dest / entry.name)
        else:
            (dest / entry.name).symlink_to(entry)
    return dest


def fresh_venv(path: Path, view: Path | None) -> Path:
    """A new venv at ``path`` whose only extra library path is ``view``; returns its python.

    ``view=None``: the links of :func:`dependency_view` (without pip) go into the venv's own
    site-packages instead, where installers that look only there (uv) see them installed.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120)
    python = path / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if view is None:
        dependency_view(Path(purelib), without=("pip",))
    else:  # appended after the venv's own site-packages: the wheel under test wins
        (Path(purelib) / "zz_dependency_view.pth").write_text(f"{view}\n", encoding="utf-8")
    return python


def pip_install(python: Path, *requirements: str | Path, find_links: Path | None = None) -> None:
    """Install into the venv of ``python`` with this venv's pip, never touching an index.

    :raises subprocess.CalledProcessError: pip failed (its output is in the exception).
    """
    args = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-index", "--no-deps"]
    if find_links is not None:
        args += ["--find-links", str(find_links)]
    subprocess.run([*args, *map(str, requirements)], capture_output=True, text=True, check=True, timeout=300)


def clean_env(home: Path) -> dict[str, str]:
    """An environment for a command run from an install: a fresh HOME, no config, no ../shared."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PELOTON", "PYTHON", "VIRTUAL_ENV")) and key != "COVERAGE_PROCESS_START"
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_CACHE_HOME=str(home / ".cache"),
        PELOTON_EXPORT_SHARED="/nonexistent",
    )
    return env
