"""Start-up stays light: commands that never write a file or go online import no heavy library.

Each check runs in a fresh interpreter (a subprocess), since this test process has long
imported everything. ``requests``, ``lxml``, ``gpxpy``, the FIT SDK, ``fitparse`` and
``rich`` may only be imported by the code that uses them: a writer while it writes, a
sink or the Peloton client when it goes online.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HEAVY = ("requests", "lxml", "gpxpy", "garmin_fit_sdk", "fitparse", "rich")

#: Prints which of HEAVY the code before it imported, as a JSON list.
REPORT = f"""
import json as _json, sys as _sys
print(_json.dumps(sorted(m for m in {HEAVY!r} if m in _sys.modules)))
"""

CLI = """
import sys
from peloton_export.cli import main
sys.argv = ["peloton-export", *{args!r}]
try:
    main()
except SystemExit:
    pass
"""


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PELOTON_", "PYTEST_"))}
    env.update(
        PELOTON_CONFIG=os.devnull,
        PELOTON_EXPORT_CONFIG_DIR=str(tmp_path / "config"),
        PELOTON_EXPORT_STATE_DIR=str(tmp_path / "state"),
        PELOTON_EXPORT_DATA_DIR=str(tmp_path / "data"),
        PELOTON_EXPORT_ARCHIVE=str(tmp_path / "archive"),
    )
    env.update(extra)
    return env


def heavy_imports(code: str, env: dict[str, str]) -> list[str]:
    """Run ``code`` in a fresh interpreter; the heavy modules it left in ``sys.modules``."""
    out = subprocess.run(
        [sys.executable, "-c", code + REPORT], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    result: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# -- the plugin host: passes now ---------------------------------------------------------------


@pytest.mark.parametrize("entry_points", [True, False], ids=["installed-builtins", "builtins-only"])
def test_host_formats_and_sinks_import_no_heavy_module(tmp_path: Path, entry_points: bool) -> None:
    code = f"""
from peloton_export.plugins import create_host
host = create_host(entry_points={entry_points})
formats, sinks = host.formats(), host.sinks()
assert {{"tcx", "gpx", "fit", "csv", "json"}} <= set(formats), formats
assert "directory" in sinks, sinks
assert not host.failures, host.failures
"""
    # Built-in plugins only: the installed first-party plugins are checked below.
    assert heavy_imports(code, _env(tmp_path, PELOTON_EXPORT_LOAD_PLUGINS="")) == []


def test_the_check_sees_a_heavy_import(tmp_path: Path) -> None:
    code = "from peloton_export.plugins import create_host\ncreate_host(entry_points=False)\nimport gpxpy\n"
    assert heavy_imports(code, _env(tmp_path)) == ["gpxpy"]


def test_writing_imports_the_writer_library_only_then(tmp_path: Path) -> None:
    factory = Path(__file__).resolve().parents[1] / "workout_factory.py"
    code = textwrap.dedent(
        f"""
        import io, runpy
        from pathlib import Path
        from peloton_export.plugins import create_host
        from peloton_export.specs import ExportContext
        spec = create_host(entry_points=False).formats()["gpx"]
        assert "gpxpy" not in __import__("sys").modules
        workout = runpy.run_path({str(factory)!r})["outdoor_run"]()
        spec.write(workout, io.BytesIO(), ExportContext(output_dir=Path(".")))
        """
    )
    assert heavy_imports(code, _env(tmp_path)) == ["gpxpy"]


def test_installed_first_party_plugins_import_no_heavy_module_at_load(tmp_path: Path) -> None:
    code = """
from peloton_export.plugins import create_host
host = create_host()
host.formats(), host.sinks()
assert {"strava", "intervals"} <= set(host.plugins), sorted(host.plugins)
"""
    assert heavy_imports(code, _env(tmp_path)) == []


# -- the command line ----------------------------------------------------------------------------

COMMANDS = [
    ["--help"],
    ["--version"],
    ["formats"],
    ["sinks"],
    ["plugins", "--all"],
    ["--offline", "-f", "json", "-f", "csv"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_commands_import_no_heavy_module_at_start_up(tmp_path: Path, args: list[str]) -> None:
    if "--offline" in args:
        (tmp_path / "archive").mkdir()
        args = [*args, "-o", str(tmp_path / "out")]
    # Built-in plugins only, as above.
    assert heavy_imports(CLI.format(args=args), _env(tmp_path, PELOTON_EXPORT_LOAD_PLUGINS="")) == []


# -- the pytest plugin is opt-in -----------------------------------------------------------------


def test_pytest_loads_the_fake_peloton_fixtures_only_when_asked(tmp_path: Path) -> None:
    (tmp_path / "test_uses_fake.py").write_text(
        textwrap.dedent(
            """
            import sys

            def test_plugin_not_loaded():
                assert "peloton_export.testing.pytest_plugin" not in sys.modules

            def test_fake(fake_peloton):
                assert fake_peloton.api_url.startswith("http://127.0.0.1:")
            """
        ),
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    env = _env(tmp_path)
    plain = subprocess.run([*command, str(tmp_path)], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert "fixture 'fake_peloton' not found" in plain.stdout, (
        "the fixtures loaded without being asked for; a stale `pytest11` entry point? "
        "run `pip install -e .`\n" + plain.stdout
    )
    assert "1 passed, 1 error" in plain.stdout, plain.stdout
    opted = subprocess.run(
        [*command, "-p", "peloton_export.testing.pytest_plugin", "-k", "test_fake", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert "1 passed" in opted.stdout and opted.returncode == 0, opted.stdout


# -- --help and --version: not even the engine (issue 24, benchmarks/bench_startup.py) ----------

#: What ``--help`` and ``--version`` need none of: the export engine, the writers' shared
#: model, the ledger's sqlite3, importlib.metadata (the entry points are read by
#: peloton_export.entry_points), platformdirs (no folder is asked for) and every heavy library.
NOT_FOR_HELP = (
    *HEAVY,
    "pyarrow",
    "numpy",
    "importlib.metadata",
    "sqlite3",
    "platformdirs",
    "peloton_export.export.run",
    "peloton_export.formats.report",
    "peloton_export.model",
    "peloton_export.specs",
    "peloton_export.store.ledger",
)
REPORT_HELP = f"""
import json as _json, sys as _sys
print(_json.dumps(sorted(m for m in {NOT_FOR_HELP!r} if m in _sys.modules)))
"""


@pytest.mark.parametrize("args", [["--help"], ["--version"]], ids=" ".join)
def test_help_imports_neither_the_engine_nor_the_metadata_reader(tmp_path: Path, args: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, "-c", CLI.format(args=args) + REPORT_HELP],
        capture_output=True,
        text=True,
        env=_env(tmp_path, PELOTON_EXPORT_LOAD_PLUGINS=""),
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "peloton-export" in out.stdout
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_the_help_check_sees_an_engine_import(tmp_path: Path) -> None:
    code = CLI.format(args=["--help"]) + "import peloton_export.export.run\n" + REPORT_HELP
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(tmp_path), timeout=120
    )
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert "peloton_export.export.run" in found and "peloton_export.model" in found
