"""One helper each (issue 21): yes/no words, name lists, format and sink resolution.

Every place that reads a yes/no word goes through :func:`peloton_export.config.parse_bool`,
so each accepts the same words and refuses any other with a ``ConfigError`` naming the
setting; every list of names is split by :func:`peloton_export.config.split_names`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from peloton_export.config import FALSE_WORDS, TRUE_WORDS, load_config, parse_bool, split_names
from peloton_export.errors import ConfigError
from peloton_export.formats.fit.encode import FitOptions
from peloton_export.plugins import LoadPolicy, create_host
from peloton_export.sinkkit.settings import PluginSettings
from peloton_export.specs import ExportContext
from peloton_export.workout.stacking import StackSettings

WORDS = [(w, True) for w in sorted(TRUE_WORDS)] + [(w, False) for w in sorted(FALSE_WORDS)]


def _readers(value: str) -> dict[str, bool]:
    """What each reader of a yes/no word makes of ``value``."""
    context = ExportContext(output_dir=Path("."), options={"x": value, "fit.virtual": value})
    return {
        "parse_bool": parse_bool(value, what="x"),
        "ExportContext.flag": context.flag("x"),
        "fit option": FitOptions.from_context(context).virtual,
        "stack_parts": StackSettings.from_options({"stack_parts": value}).parts,
        "sinkkit flag": PluginSettings("toy", {"x": value}, environ={}).flag("x"),
        "plugin variable": LoadPolicy.resolve(
            None, (), None, {"PELOTON_EXPORT_STRICT_PLUGINS": value}
        ).strict,
    }


@pytest.mark.parametrize(
    ("word", "meaning"), [(w.upper() if i % 2 else w, m) for i, (w, m) in enumerate(WORDS)]
)
def test_every_reader_accepts_the_same_words(word: str, meaning: bool) -> None:
    assert set(_readers(f" {word} ").values()) == {meaning}


@pytest.mark.parametrize("word", ["perhaps", "2", "y", "nope"])
def test_a_bad_word_is_an_error_everywhere(word: str) -> None:
    context = ExportContext(output_dir=Path("."), options={"x": word, "fit.virtual": word})
    readers = {
        "parse_bool": lambda: parse_bool(word, what="x"),
        "ExportContext.flag": lambda: context.flag("x"),  # was silently False
        "fit option": lambda: FitOptions.from_context(context),
        "stack_parts": lambda: StackSettings.from_options({"stack_parts": word}),
        "sinkkit flag": lambda: PluginSettings("toy", {"x": word}, environ={}).flag("x"),
        "plugin variable": lambda: LoadPolicy.resolve(
            None, (), None, {"PELOTON_EXPORT_STRICT_PLUGINS": word}
        ),
    }
    for name, read in readers.items():
        with pytest.raises(ConfigError, match=rf": expected true or false, got '{word}'") as caught:
            read()
        assert "\n" not in str(caught.value), name


def test_unset_means_the_default() -> None:
    context = ExportContext(output_dir=Path("."))
    assert context.flag("x") is False and context.flag("x", True) is True
    assert parse_bool(None, what="x") is False and parse_bool(None, what="x", default=True) is True
    assert StackSettings.from_options({"stack_parts": "  "}).parts is False  # blank: not given
    assert LoadPolicy.resolve(None, (), None, {"PELOTON_EXPORT_STRICT_PLUGINS": ""}).strict is False


def test_config_optional_variable_is_a_yes_no_word(tmp_path: Path) -> None:
    missing = str(tmp_path / "nothing.ini")
    env = {"PELOTON_CONFIG": missing, "PELOTON_EXPORT_CONFIG_OPTIONAL": "yes"}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PELOTON_CONFIG", missing)
        load_config(environ=env)  # a missing optional file is no config
        with pytest.raises(ConfigError, match="PELOTON_EXPORT_CONFIG_OPTIONAL: expected true or false"):
            load_config(environ={**env, "PELOTON_EXPORT_CONFIG_OPTIONAL": "sure"})
        with pytest.raises(ConfigError, match="which does not exist"):
            load_config(environ={**env, "PELOTON_EXPORT_CONFIG_OPTIONAL": "off"})


def test_names_are_split_one_way() -> None:
    assert split_names(["tcx, gpx", "csv", " ", ",json,"]) == ["tcx", "gpx", "csv", "json"]
    assert split_names(" tcx ,, gpx ") == ["tcx", "gpx"]
    assert split_names(None) == [] and split_names("") == []
    # the plugin variables: not set is "no list", set and empty is an empty one
    assert LoadPolicy.resolve(None, (), None, {}).allowed is None
    assert LoadPolicy.resolve(None, (), None, {"PELOTON_EXPORT_LOAD_PLUGINS": " "}).allowed == frozenset()
    assert LoadPolicy.resolve(None, (), None, {"PELOTON_EXPORT_DISABLE_PLUGINS": "a, b"}).blocked == {
        "a",
        "b",
    }


def test_the_host_resolves_formats_and_sinks_one_way() -> None:
    host = create_host(entry_points=False)
    formats = host.resolve("format", ["tcx", "gpx", "tcx"])
    assert [spec.name for spec in formats] == ["tcx", "gpx"]
    sinks = host.resolve("sink", ["directory", "directory"])
    assert [spec.name for spec in sinks] == ["directory"]  # a sink named twice is delivered to once
    for kind in ("format", "sink"):
        with pytest.raises(ConfigError, match=f"unknown {kind}") as caught:
            host.resolve(kind, ["nosuch"])  # type: ignore[call-overload]
        assert "\n" not in str(caught.value)
