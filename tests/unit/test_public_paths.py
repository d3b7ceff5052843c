"""Every import path plugin authors, the README and the docs name keeps working.

The code moved into stage folders (docs/development.md "Code layout"); the old paths are re-exports of
the same objects, so a third-party plugin written against them needs no change.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: (module, names it must provide, module the names really live in)
DOCUMENTED = [
    ("peloton_export.model", ["Workout", "Sample", "GpsPoint", "Lap"], "peloton_export.model"),
    ("peloton_export.errors", ["PelotonExportError", "UploadError", "SkipFormat"], "peloton_export.errors"),
    (
        "peloton_export.specs",
        ["FormatSpec", "SinkSpec", "ExportContext", "UploadResult"],
        "peloton_export.specs",
    ),
    ("peloton_export.config", ["Config", "load_config"], "peloton_export.config"),
    ("peloton_export.paths", ["state_dir", "config_dir", "archive_dir"], "peloton_export.paths"),
    ("peloton_export.atomic", ["write_bytes_atomic", "atomic_writer"], "peloton_export.store.atomic"),
    ("peloton_export.sinkkit", ["TokenStore", "send", "protect", "LoginCooldown"], None),
    ("peloton_export.sinkkit.retry", ["send", "Backoff", "RateLimiter", "Clock"], "peloton_export.net.retry"),
    ("peloton_export.sinkkit.redaction", ["protect", "redact"], "peloton_export.net.redaction"),
    ("peloton_export.sinkkit.tokens", ["TokenStore"], "peloton_export.net.tokens"),
    ("peloton_export.sinkkit.cooldown", ["LoginCooldown", "CooldownState"], "peloton_export.net.cooldown"),
    (
        "peloton_export.sinkkit.journal",
        ["JournaledUploader", "UploadJournal"],
        "peloton_export.sinkkit.journal",
    ),
    ("peloton_export.sinkkit.settings", ["PluginSettings"], "peloton_export.sinkkit.settings"),
    ("peloton_export.sinkkit.templates", ["activity_title"], "peloton_export.sinkkit.templates"),
    (
        "peloton_export.fit",
        ["FitOptions", "encode_workout", "FitWriter"],
        "peloton_export.formats.fit.encode",
    ),
    ("peloton_export.fit.encode", ["FitOptions", "encode_workout"], "peloton_export.formats.fit.encode"),
    ("peloton_export.fit.devices", ["PRESETS", "device_for"], "peloton_export.formats.fit.devices"),
    ("peloton_export.plugins", ["create_host", "PluginHost"], "peloton_export.plugins"),
    ("peloton_export.cli", ["main", "run", "build_cli"], "peloton_export.cli"),
    ("peloton_export.hookspecs", ["hookimpl", "PROJECT_NAME"], None),
    ("peloton_export.results", ["ExportReport", "RunContext", "Selection", "WorkoutResult"], None),
    ("peloton_export.testing", [], None),
    ("peloton_export.testing.pytest_plugin", [], None),
]


@pytest.mark.parametrize(("module", "names", "home"), DOCUMENTED, ids=[d[0] for d in DOCUMENTED])
def test_documented_path_imports(module: str, names: list[str], home: str | None) -> None:
    loaded = importlib.import_module(module)
    for name in names:
        value = getattr(loaded, name)
        if home is not None and name not in ("FitWriter", "PRESETS") and callable(value):
            assert value.__module__ == home, f"{module}.{name} is not the object of {home}"


def test_the_package_exports() -> None:
    """Everything ``peloton_export`` lists in ``__all__``, the lazily loaded names included."""
    import peloton_export

    for name in peloton_export.__all__:
        assert getattr(peloton_export, name) is not None, name
    from peloton_export.export.plan import ExportPlan
    from peloton_export.export.run import run_export
    from peloton_export.results import ExportReport

    assert peloton_export.ExportReport is ExportReport
    assert peloton_export.ExportPlan is ExportPlan
    assert peloton_export.run_export is run_export


def test_the_old_paths_are_the_same_objects() -> None:
    from peloton_export.atomic import write_bytes_atomic
    from peloton_export.fit.encode import FitOptions
    from peloton_export.formats.fit.encode import FitOptions as moved_options
    from peloton_export.sinkkit import TokenStore
    from peloton_export.sinkkit.retry import send
    from peloton_export.store.atomic import write_bytes_atomic as moved_write

    assert write_bytes_atomic is moved_write and FitOptions is moved_options
    from peloton_export.net import retry, tokens

    assert send is retry.send and TokenStore is tokens.TokenStore


def test_uploads_is_still_the_deprecated_alias() -> None:
    import peloton_export.uploads as uploads
    from peloton_export import sinkkit

    with pytest.warns(DeprecationWarning):
        assert uploads.send is sinkkit.send


def test_every_entry_point_module_imports() -> None:
    """The built-in plugins' modules (pyproject's entry points) and the console script."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for value in project["entry-points"]["peloton_export"].values():
        module = importlib.import_module(value)
        assert getattr(module, "__file__", None), value
    module, _, func = project["scripts"]["peloton-export"].partition(":")
    assert callable(getattr(importlib.import_module(module), func))


_PATH = re.compile(r"\bpeloton_export(?:\.[a-z_]+)+")
#: Dotted names in the prose that are not modules: plugin option prefixes and a logger name
#: (``peloton_export.watch: run 1 ok ...`` in a sample log line).
_NOT_MODULES = {
    "peloton_export.strava",
    "peloton_export.intervals",
    "peloton_export.garmin",
    "peloton_export.watch",
}


def _documented_names() -> set[str]:
    texts = [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "plugins").glob("*/README.md")]
    names: set[str] = set()
    for path in texts:  # not CHANGELOG.md: its lines name the paths of their day
        names.update(_PATH.findall(path.read_text(encoding="utf-8")))
    return names - _NOT_MODULES


def test_every_path_the_docs_name_resolves() -> None:
    """Each ``peloton_export.x.y`` in the README, the docs and the plugins' READMEs is a
    module or an attribute of one."""
    missing = []
    for dotted in sorted(_documented_names()):
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                obj: object = importlib.import_module(".".join(parts[:cut]))
            except ModuleNotFoundError:
                continue
            try:
                for attr in parts[cut:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                missing.append(dotted)
            break
    assert not missing, f"named in the docs but not importable: {missing}"


def test_the_builtin_plugin_list_matches_the_entry_points() -> None:
    """A source tree without installed entry points loads the same modules (plugins.DEFAULT_PLUGINS)."""
    import tomllib

    from peloton_export.plugins import DEFAULT_PLUGINS

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"]["peloton_export"] == DEFAULT_PLUGINS
