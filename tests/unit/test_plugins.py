"""The plugin host: loading, isolation, clashes, ordering and the hook wrapper."""

from __future__ import annotations

import dataclasses
import inspect
import os
import types
from pathlib import Path
from typing import Any

import pytest

from peloton_export import hookspecs
from peloton_export import plugins as plugins_module
from peloton_export.errors import PluginError, PluginLoadError, RegistrationConflict
from peloton_export.hookspecs import hookimpl
from peloton_export.plugins import DEFAULT_PLUGINS, create_host
from peloton_export.specs import ExportContext, FormatSpec, SinkSpec, UploadResult
from tests.workout_factory import cycling as cycling_workout

HOOK_NAMES = sorted(
    name
    for name, value in inspect.getmembers(hookspecs, inspect.isfunction)
    if hasattr(value, "peloton_export_spec")
)


def _writer(workout: Any, stream: Any, context: Any) -> None:
    stream.write(b"x")


def _format_plugin(name: str) -> object:
    class Plugin:
        @hookimpl
        def register_formats(self) -> list[FormatSpec]:
            return [FormatSpec(name=name, suffix=f".{name}", write=_writer)]

    return Plugin()


@pytest.fixture
def context(tmp_path: Path) -> ExportContext:
    return ExportContext(output_dir=tmp_path)


# -- meta-tests --------------------------------------------------------------------------


def test_every_hookspec_is_documented_and_typed() -> None:
    assert HOOK_NAMES == [
        "export_finished",
        "export_started",
        "filter_workout",
        "register_commands",
        "register_formats",
        "register_logins",
        "register_sinks",
        "transform_workout",
    ]
    for name in HOOK_NAMES:
        spec = getattr(hookspecs, name)
        assert spec.__doc__ and len(spec.__doc__.strip()) > 40, name
        assert "return" in spec.__annotations__, name


@pytest.mark.parametrize("name", HOOK_NAMES)
def test_every_hook_has_a_test(name: str) -> None:
    tests = [n for n in globals() if n.startswith(f"test_hook_{name}")]
    assert tests, f"no test_hook_{name}_* test"


@pytest.mark.parametrize("name", HOOK_NAMES)
def test_every_hook_is_in_the_plugin_guide(name: str) -> None:
    """docs/plugins.md says what each hook is for (the reference is generated from hookspecs)."""
    guide = (Path(__file__).resolve().parents[2] / "docs" / "plugins.md").read_text(encoding="utf-8")
    spec = getattr(hookspecs, name)
    signature = f"{name}({', '.join(inspect.signature(spec).parameters)})"
    assert signature in guide


def test_builtins_pass_strict_validation() -> None:
    host = create_host(entry_points=False, strict=True)
    assert set(host.formats()) >= {"tcx", "gpx", "csv", "json"}
    assert "directory" in host.sinks()
    assert set(DEFAULT_PLUGINS) <= set(host.plugins)


# -- registration hooks --------------------------------------------------------------------


def test_hook_register_formats_adds_a_format() -> None:
    host = create_host(entry_points=False, extra={"extra": _format_plugin("xyz")})
    assert host.formats()["xyz"].suffix == ".xyz"
    assert host.owner("format", "xyz") == "extra"


def test_hook_register_formats_clash_names_both_plugins() -> None:
    host = create_host(entry_points=False, extra={"impostor": _format_plugin("tcx")})
    with pytest.raises(RegistrationConflict, match=r"'tcx'.*'impostor'|'impostor'.*'tcx'") as info:
        host.formats()
    assert "tcx" in str(info.value) and "PELOTON_EXPORT_DISABLE_PLUGINS" in str(info.value)


def test_hook_register_formats_bad_record_is_reported_not_fatal() -> None:
    class Bad:
        @hookimpl
        def register_formats(self) -> list[str]:
            return ["not a spec"]

    host = create_host(entry_points=False, extra={"bad": Bad()})
    assert "tcx" in host.formats()
    assert any(f.name == "bad" and "FormatSpec" in f.reason for f in host.failures)


def test_hook_register_sinks_adds_a_sink() -> None:
    def upload(path: Path, workout: Any, context: Any) -> UploadResult:
        return UploadResult(state="uploaded")

    class Sinky:
        @hookimpl
        def register_sinks(self) -> list[SinkSpec]:
            return [SinkSpec(name="void", accepts=("tcx",), upload=upload)]

    host = create_host(entry_points=False, extra={"sinky": Sinky()})
    assert host.sinks()["void"].accepts == ("tcx",)
    assert host.describe()[-1]["name"] in host.plugins


def test_hook_register_commands_adds_a_command() -> None:
    import click

    class Commands:
        @hookimpl
        def register_commands(self, cli: click.Group) -> None:
            @cli.command()
            def hello() -> None:
                click.echo("hello from a plugin")

    from peloton_export.cli import run

    host = create_host(entry_points=False, extra={"cmds": Commands()})
    from click.testing import CliRunner

    from peloton_export.cli import build_cli

    result = CliRunner().invoke(build_cli(host), ["hello"])
    assert result.output.strip() == "hello from a plugin"
    assert run(["formats"], host=host) == 0


def test_hook_register_commands_failure_does_not_break_the_cli() -> None:
    import click

    class Broken:
        @hookimpl
        def register_commands(self, cli: click.Group) -> None:
            raise RuntimeError("boom")

    host = create_host(entry_points=False, extra={"broken": Broken()})
    from peloton_export.cli import build_cli

    group = build_cli(host)
    assert "export" in group.commands
    assert any("boom" in f.reason for f in host.failures)


def _raising_formats_plugin() -> object:
    class Raising:
        @hookimpl
        def register_formats(self) -> list[FormatSpec]:
            raise RuntimeError("no spec for you")

        @hookimpl
        def register_sinks(self) -> list[SinkSpec]:
            return []

    return Raising()


def test_hook_register_formats_raising_is_reported_once_on_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    host = create_host(
        entry_points=False, extra={"raising": _raising_formats_plugin(), "fine": _format_plugin("xyz")}
    )
    assert capsys.readouterr().err == ""  # registration hooks run on first use
    assert {"xyz", "tcx", "csv"} <= set(host.formats())
    host._formats = None  # a second collection (as after a clash) must not report again
    host.formats()
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("Plugin 'raising' failed in register_formats (RuntimeError: no spec for you)")
    assert "its formats are left out" in err and "PELOTON_EXPORT_DISABLE_PLUGINS=raising" in err
    assert "raising" in host.plugins  # its other hooks keep working
    assert [f.reason for f in host.failures if f.name == "raising"] == [
        "register_formats: RuntimeError: no spec for you"
    ]


def test_hook_register_formats_raising_is_fatal_in_strict_mode() -> None:
    host = create_host(entry_points=False, strict=True, extra={"raising": _raising_formats_plugin()})
    with pytest.raises(PluginLoadError, match="plugin 'raising' failed in register_formats: RuntimeError"):
        host.formats()


def test_hook_register_logins_offers_a_login_through_the_host() -> None:
    from peloton_export.specs import LoginAnswer, LoginRequest, LoginSpec

    class Logging:
        @hookimpl
        def register_logins(self) -> list[LoginSpec]:
            return [
                LoginSpec(
                    name="void",
                    title="Void",
                    state=lambda request: f"logged in   for\n{request.profile}",
                    submit=lambda request: LoginAnswer(message="saved"),
                )
            ]

    class Raising:
        @hookimpl
        def register_logins(self) -> list[LoginSpec]:
            raise ValueError("no login today")

    messages: list[str] = []
    host = create_host(
        entry_points=False, extra={"logging": Logging(), "raising": Raising()}, warn=messages.append
    )
    assert list(host.logins()) == ["void"] and host.owner("login", "void") == "logging"
    request = LoginRequest(profile="anna")
    assert host.login_step("void", "state", request).message == "logged in for anna"  # one line
    assert host.login_step("void", "submit", request) == LoginAnswer(message="saved")
    assert not host.login_step("void", "start", request).ok  # a step it lacks
    assert host.login_failures() == [
        "plugin 'raising' could not offer its login (ValueError: no login today)"
    ]
    assert (
        "Plugin 'raising' failed in register_logins" in messages[0] and "logins are left out" in messages[0]
    )


def test_hook_register_sinks_raising_is_reported_and_others_stay() -> None:
    class Raising:
        @hookimpl
        def register_sinks(self) -> list[SinkSpec]:
            raise ValueError("bad token file")

    messages: list[str] = []
    host = create_host(entry_points=False, extra={"raising": Raising()}, warn=messages.append)
    assert "directory" in host.sinks()
    assert messages == [
        "Plugin 'raising' failed in register_sinks (ValueError: bad token file); its sinks are left out "
        "(disable it with PELOTON_EXPORT_DISABLE_PLUGINS=raising, or fix or remove it)"
    ]
    assert "failed to register its sinks (ValueError: bad token file)" in host.unknown_message("sink", "x")


def test_unknown_format_of_a_broken_plugin_says_the_plugin_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from peloton_export.cli import run

    monkeypatch.setenv("PELOTON_CONFIG", os.devnull)  # no config file
    for var, sub in (
        ("PELOTON_EXPORT_DATA_DIR", "data"),
        ("PELOTON_EXPORT_STATE_DIR", "state"),
        ("PELOTON_EXPORT_CONFIG_DIR", "config"),
    ):
        monkeypatch.setenv(var, str(tmp_path / sub))
    host = create_host(entry_points=False, extra={"fancy": _raising_formats_plugin()})
    archive = tmp_path / "archive"
    code = run(
        ["--offline", "--archive", str(archive), "-o", str(tmp_path / "out"), "-f", "fancy"], host=host
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("Plugin 'fancy' failed in register_formats") == 1  # the warning, once
    assert (
        "Error: unknown format 'fancy'; choose one of: csv, csv-sets, fit, gpx, html, json, parquet, tcx. "
        in err
    )
    assert (
        "Plugin 'fancy' failed to register its formats (RuntimeError: no spec for you); 'fancy' may be" in err
    )
    assert "Traceback" not in err


def test_hook_register_commands_failure_is_reported_once_across_builds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import click

    class Broken:
        @hookimpl
        def register_commands(self, cli: click.Group) -> None:
            raise RuntimeError("boom")

    from peloton_export.cli import build_cli

    host = create_host(entry_points=False, extra={"broken": Broken()})
    build_cli(host)
    build_cli(host)
    err = capsys.readouterr().err
    assert err.count("Plugin 'broken' failed in register_commands (RuntimeError: boom)") == 1
    assert len([f for f in host.failures if f.name == "broken"]) == 1


# -- hook wrappers and ordering markers: refused at load -------------------------------------


def _marked_transform(**marker: bool) -> object:
    class Marked:
        @hookimpl(**marker)
        def transform_workout(self, workout: Any) -> Any:
            result = yield
            return result

    return Marked()


@pytest.mark.parametrize("marker", ["wrapper", "hookwrapper"])
def test_wrapper_transform_is_refused_by_name_and_never_reaches_writers(
    marker: str, context: ExportContext
) -> None:
    messages: list[str] = []
    host = create_host(
        entry_points=False, extra={"wrapped": _marked_transform(**{marker: True})}, warn=messages.append
    )
    assert "wrapped" not in host.plugins
    assert messages == [
        f"Skipping plugin 'wrapped': transform_workout ({marker}=True): hook wrappers and tryfirst/trylast "
        "are not supported, because peloton-export calls each plugin's hooks itself in a documented order; "
        "remove the option (disable it with PELOTON_EXPORT_DISABLE_PLUGINS=wrapped, or fix or remove it)"
    ]
    workout = cycling_workout()
    assert host.transform(workout, context) is workout  # not a generator object


def test_tryfirst_plugin_is_refused_and_the_others_still_run(context: ExportContext) -> None:
    class Early:
        @hookimpl(tryfirst=True)
        def transform_workout(self, workout: Any) -> Any:
            return dataclasses.replace(workout, title="early")

        @hookimpl
        def register_formats(self) -> list[FormatSpec]:
            return [FormatSpec(name="early", suffix=".e", write=_writer)]

    class Late:
        @hookimpl
        def transform_workout(self, workout: Any) -> Any:
            return dataclasses.replace(workout, title=workout.title + "+late")

    messages: list[str] = []
    host = create_host(entry_points=False, extra={"early": Early(), "late": Late()}, warn=messages.append)
    assert len(messages) == 1 and "Skipping plugin 'early': transform_workout (tryfirst=True)" in messages[0]
    workout = cycling_workout()
    assert host.transform(workout, context).title == workout.title + "+late"
    assert "early" not in host.formats()  # refused whole, not half-registered
    assert [f.name for f in host.failures] == ["early"]


def test_trylast_on_a_module_plugin_is_fatal_in_strict_mode() -> None:
    module = types.ModuleType("peloton_export_trylast")
    module.filter_workout = hookimpl(trylast=True)(lambda workout: True)  # type: ignore[attr-defined]
    with pytest.raises(
        PluginLoadError, match=r"plugin 'late' failed in load: filter_workout \(trylast=True\)"
    ):
        create_host(entry_points=False, strict=True, extra={"late": module})


# -- per-workout hooks ---------------------------------------------------------------------


def test_hook_filter_workout_single_veto_excludes(context: ExportContext) -> None:
    class Yes:
        @hookimpl
        def filter_workout(self, workout: Any) -> bool:
            return True

    class No:
        @hookimpl
        def filter_workout(self, workout: Any, context: ExportContext) -> bool:
            return workout.discipline != "cycling"

    host = create_host(entry_points=False, extra={"yes": Yes(), "no": No()})
    assert host.keep(cycling_workout(), context) == (False, "no")


def test_hook_filter_workout_none_means_keep(context: ExportContext) -> None:
    class Abstain:
        @hookimpl
        def filter_workout(self, workout: Any) -> None:
            return None

    host = create_host(entry_points=False, extra={"abstain": Abstain()})
    assert host.keep(cycling_workout(), context) == (True, None)


def test_hook_transform_workout_chains_in_name_order(context: ExportContext) -> None:
    def plugin(tag: str) -> object:
        class Tagger:
            @hookimpl
            def transform_workout(self, workout: Any) -> Any:
                return dataclasses.replace(workout, title=workout.title + tag)

        return Tagger()

    # Registered in reverse order; the result must not depend on registration order.
    host = create_host(entry_points=False, extra={"b": plugin("B"), "a": plugin("A")})
    workout = cycling_workout()
    assert host.transform(workout, context).title == workout.title + "AB"


def test_hook_transform_workout_error_names_the_plugin(context: ExportContext) -> None:
    class Crashy:
        @hookimpl
        def transform_workout(self, workout: Any) -> Any:
            raise KeyError("id")

    host = create_host(entry_points=False, extra={"crashy": Crashy()})
    with pytest.raises(PluginError, match="plugin 'crashy' failed in transform_workout: KeyError"):
        host.transform(cycling_workout(), context)


# -- loading from entry points -------------------------------------------------------------


class _FakeEntryPoint:
    def __init__(self, name: str, value: str, loader: Any, dist: str = "peloton-export-fake") -> None:
        self.name = name
        self.value = value
        self._loader = loader
        self.dist = types.SimpleNamespace(name=dist, version="9.9")
        self.loads = 0

    def load(self) -> Any:
        self.loads += 1
        return self._loader()


@pytest.fixture
def fake_entry_points(monkeypatch: pytest.MonkeyPatch) -> dict[str, _FakeEntryPoint]:
    def good() -> object:
        module = types.ModuleType("peloton_export_good")
        module.register_formats = hookimpl(lambda: [FormatSpec(name="good", suffix=".g", write=_writer)])  # type: ignore[attr-defined]
        return module

    def broken() -> object:
        raise ImportError("No module named 'missing_dependency'")

    def typo() -> object:
        module = types.ModuleType("peloton_export_typo")
        module.register_format = hookimpl(lambda: [])  # type: ignore[attr-defined]
        return module

    def wrapping() -> object:
        module = types.ModuleType("peloton_export_wrapping")

        def transform_workout(workout: Any) -> Any:
            return (yield)

        module.transform_workout = hookimpl(wrapper=True)(transform_workout)  # type: ignore[attr-defined]
        return module

    eps = {
        "good": _FakeEntryPoint("good", "peloton_export_good", good),
        "broken": _FakeEntryPoint("broken", "peloton_export_broken", broken, "peloton-export-broken"),
        "typo": _FakeEntryPoint("typo", "peloton_export_typo", typo),
        "wrapping": _FakeEntryPoint("wrapping", "peloton_export_wrapping", wrapping),
    }

    def entry_points(group: str) -> list[_FakeEntryPoint]:
        assert group == "peloton_export"
        return list(eps.values())

    monkeypatch.setattr(plugins_module.installed, "entry_points", entry_points)
    for var in (
        "PELOTON_EXPORT_LOAD_PLUGINS",
        "PELOTON_EXPORT_DISABLE_PLUGINS",
        "PELOTON_EXPORT_STRICT_PLUGINS",
    ):
        monkeypatch.delenv(var, raising=False)
    return eps


def test_broken_plugin_is_reported_by_name_and_others_load(fake_entry_points: dict[str, Any]) -> None:
    messages: list[str] = []
    host = create_host(warn=messages.append)
    assert "good" in host.formats() and "tcx" in host.formats()
    assert "broken" not in host.plugins and "typo" not in host.plugins
    text = "\n".join(messages)
    assert "Skipping plugin 'broken': ImportError" in text
    assert "pip uninstall peloton-export-broken" in text
    assert "Skipping plugin 'typo'" in text and "register_format" in text


def test_strict_mode_makes_a_broken_plugin_fatal(fake_entry_points: dict[str, Any]) -> None:
    with pytest.raises(PluginLoadError, match="broken"):
        create_host(strict=True, warn=lambda m: None)


def test_blocked_plugin_is_never_imported(
    fake_entry_points: dict[str, _FakeEntryPoint], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PELOTON_EXPORT_DISABLE_PLUGINS", "broken,typo,wrapping")
    messages: list[str] = []
    host = create_host(warn=messages.append)
    assert fake_entry_points["broken"].loads == 0
    assert messages == [] and "good" in host.plugins


def test_allow_list_loads_only_named_plugins_and_builtins(
    fake_entry_points: dict[str, _FakeEntryPoint], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PELOTON_EXPORT_LOAD_PLUGINS", "")
    host = create_host(warn=lambda m: None)
    assert all(ep.loads == 0 for ep in fake_entry_points.values())
    assert "tcx" in host.formats() and "good" not in host.formats()


def test_builtins_load_even_without_installed_entry_points(fake_entry_points: dict[str, Any]) -> None:
    host = create_host(warn=lambda m: None)
    assert all(host.plugins[name].builtin for name in DEFAULT_PLUGINS)


def test_plugins_command_lists_failures(
    fake_entry_points: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from peloton_export.cli import run

    assert run(["plugins"], host=create_host(warn=lambda m: None)) == 0
    data = json.loads(capsys.readouterr().out)
    names = [p["name"] for p in data["plugins"]]
    assert names == ["good"]
    assert data["plugins"][0]["formats"] == ["good"]
    assert {f["name"] for f in data["failed"]} == {"broken", "typo", "wrapping"}
    wrapping = next(f for f in data["failed"] if f["name"] == "wrapping")
    assert wrapping["distribution"] == "peloton-export-fake"
    assert wrapping["reason"].startswith("transform_workout (wrapper=True): hook wrappers")


def test_every_first_party_plugin_is_installed_by_the_test_requirements() -> None:
    """Plugins that run on the core's oldest Python are in requirements-dev.txt; the others
    (peloton-export-garmin needs 3.12+) in their own requirements-<name>.txt, which .ci/run
    installs into a venv of a newer Python."""
    import tomllib

    root = Path(__file__).resolve().parents[2]
    listed = (root / "requirements-dev.txt").read_text(encoding="utf-8")
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    core = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    for folder in sorted((root / "plugins").iterdir()):
        if not (folder / "pyproject.toml").is_file():
            continue
        project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        line = f"-e plugins/{folder.name}\n"
        if project.get("requires-python", core) == core:
            assert line in listed, folder.name
            continue
        assert line not in listed, f"{folder.name} needs {project['requires-python']}: not in the 3.11 venv"
        own = root / f"requirements-{folder.name.removeprefix('peloton-export-')}.txt"
        assert line in own.read_text(encoding="utf-8"), folder.name
        assert own.name in ci, f".ci/run does not install {own.name}"


# -- lifecycle hooks -----------------------------------------------------------------------


class _Lifecycle:
    """Records the lifecycle calls and passes run-scoped state to its transform."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    @hookimpl
    def export_started(self, context: Any, plan: Any) -> None:
        self.calls.append(f"started {len(plan.workouts)}")
        context.state("life")["marker"] = "prepared"
        plan.run_in_one_process("the test wants one process")

    @hookimpl
    def transform_workout(self, workout: Any, context: ExportContext) -> None:
        self.calls.append(f"transform {context.state['life']['marker']}")

    @hookimpl
    def export_finished(self, context: Any, report: Any) -> None:
        self.calls.append(f"finished {len(report.results)}")


def _two_workout_archive(tmp_path: Path) -> Any:
    from peloton_export.store.archive import Archive
    from peloton_export.testing.synth.tiny import BASE_START
    from peloton_export.testing.synth.tiny import put_tiny as put

    archive = Archive(tmp_path / "archive")
    for day in range(2):
        put(archive, f"{day:032x}", start=BASE_START + day * 86400, title=f"Ride {day}")
    return archive


def test_hook_export_started_prepares_run_state_for_transforms(tmp_path: Path) -> None:
    from peloton_export.export.exporter import Exporter
    from peloton_export.results import Selection

    plugin = _Lifecycle()
    host = create_host(entry_points=False, extra={"life": plugin})
    ctx = ExportContext(output_dir=tmp_path / "out")
    archive = _two_workout_archive(tmp_path)
    exporter = Exporter(host=host, archive=archive, context=ctx, formats=host.resolve("format", ["json"]))
    report = exporter.run(Selection(), jobs=2, rebuild=lambda: exporter)
    assert report.ok and report.count("exported") == 2
    assert plugin.calls == ["started 2", "transform prepared", "transform prepared", "finished 2"]


def test_hook_export_finished_failure_is_named_and_fails_the_run(tmp_path: Path) -> None:
    from peloton_export.export.exporter import Exporter
    from peloton_export.results import Selection

    class Broken:
        @hookimpl
        def export_finished(self, context: Any, report: Any) -> None:
            raise RuntimeError("index page exploded")

    host = create_host(entry_points=False, extra={"broken-index": Broken()})
    ctx = ExportContext(output_dir=tmp_path / "out")
    exporter = Exporter(
        host=host,
        archive=_two_workout_archive(tmp_path),
        context=ctx,
        formats=host.resolve("format", ["csv"]),
    )
    report = exporter.run(Selection())
    assert report.count("exported") == 2 and not report.ok
    assert report.problems == [
        "plugin 'broken-index' failed in export_finished: RuntimeError: index page exploded"
    ]
    assert (tmp_path / "out" / "summary.csv").is_file()  # the other plugins' hooks still ran


def test_hook_export_finished_builds_the_html_index(tmp_path: Path) -> None:
    from peloton_export.export.exporter import Exporter
    from peloton_export.results import Selection

    host = create_host(entry_points=False)
    out = tmp_path / "out"
    exporter = Exporter(
        host=host,
        archive=_two_workout_archive(tmp_path),
        context=ExportContext(output_dir=out),
        formats=host.resolve("format", ["html"]),
    )
    report = exporter.run(Selection())
    assert report.ok, report.problems
    index = (out / "index.html").read_text(encoding="utf-8")
    pages = sorted(p.name for p in out.glob("*.html") if p.name != "index.html")
    assert len(pages) == 2 and all(f'href="{name}"' in index for name in pages)


def test_the_formats_and_sinks_tables_line_up_whatever_the_name_lengths() -> None:
    """A long name or suffix (a plugin's, Parquet's ``.parquet-receipt``) widens its column:
    every line's description starts at the same place (it was pushed right on those lines)."""
    from click.testing import CliRunner

    from peloton_export.cli import build_cli

    class Wide:
        @hookimpl
        def register_formats(self) -> list[FormatSpec]:
            return [
                FormatSpec(
                    name="a-very-long-format-name", suffix=".x", write=_writer, description="long name"
                ),
                FormatSpec(name="z", suffix=".a-very-long-suffix", write=_writer, description="long suffix"),
            ]

        @hookimpl
        def register_sinks(self) -> list[SinkSpec]:
            many = ("fit", "tcx", "gpx", "json", "csv", "a-very-long-format-name")
            return [
                SinkSpec(name="s", accepts=many, upload=lambda *a: None, description="many formats"),  # type: ignore[arg-type,return-value]
                SinkSpec(
                    name="a-long-sink-name", accepts=("fit",), upload=lambda *a: None, description="one"
                ),  # type: ignore[arg-type,return-value]
            ]

    host = create_host(entry_points=False, extra={"wide": Wide()})
    for command, specs in (("formats", host.formats()), ("sinks", host.sinks())):
        lines = CliRunner().invoke(build_cli(host), [command]).output.splitlines()
        assert len(lines) == len(specs) >= 2
        starts = set()
        for line, (name, spec) in zip(lines, specs.items(), strict=True):
            assert line.startswith(name + "  ")
            starts.add(line.index(f"{spec.description} [{host.owner(command[:-1], name)}]"))
        assert len(starts) == 1, lines
        if command == "formats":  # the suffix column lines up too
            assert (
                len({line.index(spec.suffix + " ") for line, spec in zip(lines, specs.values(), strict=True)})
                == 1
            )
