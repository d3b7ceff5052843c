"""``install`` / ``uninstall`` in-process: names, the Python check, the installer chosen.

The installs themselves run in ``tests/e2e/test_install.py`` (fresh venvs, a local wheelhouse).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from peloton_export.cli import build_cli, install
from peloton_export.config import Config
from peloton_export.errors import ConfigError
from peloton_export.plugins import FIRST_PARTY_SINKS, create_host

ROOT = Path(__file__).resolve().parents[2]


def test_every_first_party_sink_is_installable_by_its_short_name() -> None:
    for sink, distribution in FIRST_PARTY_SINKS.items():
        assert install.FIRST_PARTY[sink][0] == distribution
    folders = {p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").is_file()}
    assert {d for d, _, _ in install.FIRST_PARTY.values()} == folders


def test_short_and_distribution_names_resolve_to_the_clone_folder_here() -> None:
    for name in ("strava", "STRAVA", "peloton-export-strava", "peloton_export_strava"):
        requirement = install.resolve(name, (3, 11))
        assert requirement.distribution == "peloton-export-strava"
        assert requirement.spec == str(ROOT / "plugins" / "peloton-export-strava")


def test_without_a_clone_the_distribution_name_goes_to_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(install, "_clone_folder", lambda distribution: None)
    assert install.resolve("intervals", (3, 11)) == install.Requirement(
        "peloton-export-intervals", "peloton-export-intervals"
    )


@pytest.mark.parametrize("name", ["strava-tools>=2", "./some/folder", "https://example.invalid/p.whl"])
def test_other_requirements_pass_through_unchanged(name: str) -> None:
    assert install.resolve(name, (3, 11)) == install.Requirement(name, None)


def test_garmin_below_python_312_is_refused_with_the_reason() -> None:
    with pytest.raises(ConfigError) as caught:
        install.resolve("garmin", (3, 11))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("peloton-export-garmin needs Python 3.12+ (garminconnect >= 0.3.3")
    assert "runs on Python 3.11" in message and "pipx install --python python3.12" in message
    assert install.resolve("garmin", (3, 12)).distribution == "peloton-export-garmin"


def test_pip_is_used_where_it_imports_else_uv(monkeypatch: pytest.MonkeyPatch) -> None:
    assert install.installer("install") == [sys.executable, "-m", "pip", "install"]
    assert install.installer("uninstall") == [sys.executable, "-m", "pip", "uninstall", "-y"]
    monkeypatch.setattr(install.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr("shutil.which", lambda name: "/opt/uv/bin/uv" if name == "uv" else None)
    assert install.installer("install") == ["/opt/uv/bin/uv", "pip", "install", "--python", sys.executable]
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(install.InstallError, match="has no pip and no uv is on PATH"):
        install.installer("install")


def test_install_gives_pip_the_resolved_requirements_and_options(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ran: list[list[str]] = []
    monkeypatch.setattr(install, "_run", ran.append)
    install.install_command.callback(("strava", "pkg>=1"), True, False, "/wheels", True)  # type: ignore[misc]
    folder = str(ROOT / "plugins" / "peloton-export-strava")
    pip = [sys.executable, "-m", "pip", "install"]
    assert ran == [[*pip, "--upgrade", "--find-links", "/wheels", "--no-index", folder, "pkg>=1"]]
    assert capsys.readouterr().out == f"installed peloton-export-strava into {sys.prefix}\n"
    install.install_command.callback(("example",), False, True, None, False)  # type: ignore[misc]
    assert ran[-1] == [*pip, "-e", str(ROOT / "plugins" / "peloton-export-example")]


def test_uninstall_refuses_the_core_and_what_is_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[list[str]] = []
    monkeypatch.setattr(install, "_run", ran.append)
    with pytest.raises(ConfigError, match="does not uninstall itself: use the tool that installed it"):
        install.uninstall_command.callback(("peloton_export",))  # type: ignore[misc]
    with pytest.raises(ConfigError, match=r"^nonexistent-dist-xyz is not installed in this environment"):
        install.uninstall_command.callback(("strava", "nonexistent-dist-xyz"))  # type: ignore[misc]
    assert ran == []  # nothing removed when one name is wrong
    install.uninstall_command.callback(("strava",))  # type: ignore[misc]
    assert ran == [[sys.executable, "-m", "pip", "uninstall", "-y", "peloton-export-strava"]]


def test_both_commands_are_on_the_command_line() -> None:
    result = CliRunner().invoke(build_cli(create_host(entry_points=False)), ["--help"], obj=Config())
    assert "install" in result.output and "uninstall" in result.output
    result = CliRunner().invoke(
        build_cli(create_host(entry_points=False)), ["install", "--help"], obj=Config()
    )
    assert "first-party plugin (strava, intervals, garmin, example)" in result.output
