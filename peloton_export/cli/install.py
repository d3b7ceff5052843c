"""``peloton-export install`` / ``uninstall``: plugins into the running tool's own environment.

The way ``llm install`` does it: the installer runs with the interpreter of this very
process (``sys.executable``), so a plugin lands beside the core wherever it lives (a venv,
pipx's venv, ``uv tool``'s environment). pip is used when this environment can import it
(venvs, pipx); else ``uv pip --python <this interpreter>`` when ``uv`` is on ``PATH``
(``uv tool`` environments have no pip).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import click

from peloton_export.errors import ConfigError, PelotonExportError

#: First-party plugins by short name -> (distribution, minimum Python, why that minimum).
FIRST_PARTY: dict[str, tuple[str, tuple[int, int], str]] = {
    "strava": ("peloton-export-strava", (3, 11), ""),
    "intervals": ("peloton-export-intervals", (3, 11), ""),
    "garmin": ("peloton-export-garmin", (3, 12), "garminconnect >= 0.3.3 needs Python 3.12+"),
    "example": ("peloton-export-example", (3, 11), ""),
}

#: The core's distribution name: never uninstalled by itself.
CORE = "peloton-export"


class InstallError(PelotonExportError):
    """The installer could not run, or failed (exit code 1)."""


@dataclass(frozen=True, slots=True)
class Requirement:
    """One thing to install: what pip is given and the distribution it names, if known."""

    spec: str
    distribution: str | None


def resolve(name: str, python: tuple[int, int] | None = None) -> Requirement:
    """Map a short first-party name (``strava``) or its distribution to a pip requirement.

    Anything else (a requirement like ``pkg>=1``, a path, a URL) is passed to pip unchanged.
    Without a published package, a first-party plugin resolves to its folder under
    ``plugins/`` when this peloton-export runs from a clone that has it.

    :param python: the (major, minor) to check the plugin against (default: this one).
    :raises ConfigError: a first-party plugin that needs a newer Python than ``python``.
    """
    key = name.strip().lower()
    key = key.removeprefix("peloton-export-").removeprefix("peloton_export_")
    if key not in FIRST_PARTY or os.sep in name or name.startswith("."):
        return Requirement(name, None)
    distribution, minimum, why = FIRST_PARTY[key]
    running = python or (sys.version_info.major, sys.version_info.minor)
    if running < minimum:
        raise ConfigError(
            f"{distribution} needs Python {minimum[0]}.{minimum[1]}+ ({why}); this peloton-export runs on "
            f"Python {running[0]}.{running[1]}: reinstall it with a newer Python "
            f"(pipx install --python python{minimum[0]}.{minimum[1]} peloton-export)"
        )
    return Requirement(_clone_folder(distribution) or distribution, distribution)


def _clone_folder(distribution: str) -> str | None:
    """``<clone>/plugins/<distribution>`` when this package is imported from a clone."""
    import peloton_export

    root = os.path.dirname(os.path.dirname(os.path.abspath(peloton_export.__file__)))
    folder = os.path.join(root, "plugins", distribution)
    return folder if os.path.isfile(os.path.join(folder, "pyproject.toml")) else None


def installer(action: str) -> list[str]:
    """The command that installs into (or uninstalls from) this interpreter's environment.

    :param action: ``"install"`` or ``"uninstall"``.
    :raises InstallError: this environment has no pip and no ``uv`` is on ``PATH``.
    """
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip", action] + (["-y"] if action == "uninstall" else [])
    import shutil

    uv = shutil.which("uv")
    if uv is not None:
        return [uv, "pip", action, "--python", sys.executable]
    raise InstallError(
        f"cannot {action}: this environment ({sys.prefix}) has no pip and no uv is on PATH"
        " (install uv, or add pip: python -m ensurepip)"
    )


def _run(command: Sequence[str]) -> None:
    """Run the installer with its output shown. :raises InstallError: it failed."""
    import subprocess

    try:
        code = subprocess.run(list(command), check=False).returncode
    except OSError as exc:
        raise InstallError(f"could not start {command[0]}: {exc.strerror or exc}") from None
    if code != 0:
        raise InstallError(
            f"{os.path.basename(command[0])} {command[1]} failed (exit code {code}); see above"
        )


def _installed(distribution: str) -> str | None:
    import importlib.metadata  # not at start-up: it imports email, zipfile, csv and more

    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


@click.command("install")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@click.option("-U", "--upgrade", is_flag=True, help="Upgrade to the newest version.")
@click.option("-e", "--editable", is_flag=True, help="Install a local folder in editable mode.")
@click.option("--find-links", metavar="DIR", help="Look for packages in this folder or page too.")
@click.option("--no-index", is_flag=True, help="Do not use an index (only --find-links).")
def install_command(
    names: tuple[str, ...], upgrade: bool, editable: bool, find_links: str | None, no_index: bool
) -> None:
    """Install plugins into peloton-export's own environment.

    NAME is a first-party plugin (strava, intervals, garmin, example) or any pip
    requirement, folder or URL. The plugin is then listed by `peloton-export sinks`.
    """
    wanted = [resolve(name) for name in names]
    command = installer("install")
    if upgrade:
        command.append("--upgrade")
    if find_links:
        command += ["--find-links", find_links]
    if no_index:
        command.append("--no-index")
    for requirement in wanted:
        command += ["-e", requirement.spec] if editable else [requirement.spec]
    _run(command)
    for requirement in wanted:
        if requirement.distribution is not None:
            click.echo(f"installed {requirement.distribution} into {sys.prefix}")


@click.command("uninstall")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
def uninstall_command(names: tuple[str, ...]) -> None:
    """Remove plugins from peloton-export's own environment.

    NAME is a first-party plugin (strava, intervals, garmin, example) or a distribution name.
    """
    distributions = []
    for name in names:
        key = name.strip().lower().removeprefix("peloton-export-")
        distribution = FIRST_PARTY[key][0] if key in FIRST_PARTY else name.strip()
        if distribution.lower().replace("_", "-") == CORE:
            raise ConfigError(
                "peloton-export does not uninstall itself: use the tool that installed it "
                "(pipx uninstall peloton-export, uv tool uninstall peloton-export, pip uninstall)"
            )
        if _installed(distribution) is None:
            raise ConfigError(f"{distribution} is not installed in this environment ({sys.prefix})")
        distributions.append(distribution)
    _run([*installer("uninstall"), *distributions])
    for distribution in distributions:
        click.echo(f"uninstalled {distribution} from {sys.prefix}")
