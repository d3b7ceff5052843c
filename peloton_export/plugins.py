"""The plugin host: loads plugins one by one and is the only code that calls hooks.

Built-in formats and the directory sink are ordinary plugins in
``peloton_export.default_plugins`` and arrive through the same ``peloton_export``
entry-point group as third-party plugins. A plugin that fails to import, register or
validate is reported by name and left out; the others keep working.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

from peloton_export import hookspecs
from peloton_export.errors import (
    PelotonExportError,
    PluginError,
    PluginLoadError,
    RegistrationConflict,
)
from peloton_export.specs import FormatSpec, SinkSpec

if TYPE_CHECKING:
    import click

    from peloton_export.model import Workout
    from peloton_export.specs import ExportContext

ENTRY_POINT_GROUP = hookspecs.PROJECT_NAME
BUILTIN_PREFIX = "peloton_export.default_plugins."

#: Built-in plugins by entry-point name. Used when the package's own entry points are not
#: installed (running from a source tree) and by tests that build a host without entry points.
DEFAULT_PLUGINS: dict[str, str] = {
    "tcx": "peloton_export.default_plugins.tcx",
    "gpx": "peloton_export.default_plugins.gpx",
    "csv": "peloton_export.default_plugins.csv_format",
    "json": "peloton_export.default_plugins.json_format",
    "directory": "peloton_export.default_plugins.directory",
    "fit": "peloton_export.default_plugins.fit",
    "merge": "peloton_export.default_plugins.merge",
    "unattended": "peloton_export.default_plugins.unattended",
    "notify": "peloton_export.default_plugins.notify",
}

T = TypeVar("T", FormatSpec, SinkSpec)


@dataclass(slots=True)
class PluginInfo:
    """What the host knows about one registered plugin."""

    name: str
    module: str
    distribution: str | None = None
    version: str | None = None
    builtin: bool = False


@dataclass(slots=True)
class LoadFailure:
    """A plugin that was left out, and why."""

    name: str
    distribution: str | None
    reason: str


@dataclass(slots=True)
class PluginHost:
    """A plugin manager plus the typed methods through which the core calls hooks.

    Build one per run with :func:`create_host`. Nothing else calls ``pm.hook``.
    """

    pm: pluggy.PluginManager
    plugins: dict[str, PluginInfo] = field(default_factory=dict)
    failures: list[LoadFailure] = field(default_factory=list)
    _formats: dict[str, FormatSpec] | None = None
    _sinks: dict[str, SinkSpec] | None = None
    _owners: dict[str, str] = field(default_factory=dict)
    trace: Callable[[str], None] | None = None
    from_entry_points: bool = True
    rebuildable: bool = True

    # -- registration hooks -------------------------------------------------------------

    def formats(self) -> dict[str, FormatSpec]:
        """Every registered format by name. Raises ``RegistrationConflict`` on a clash."""
        if self._formats is None:
            self._formats = self._collect("register_formats", FormatSpec)
        return self._formats

    def sinks(self) -> dict[str, SinkSpec]:
        """Every registered sink by name. Raises ``RegistrationConflict`` on a clash."""
        if self._sinks is None:
            self._sinks = self._collect("register_sinks", SinkSpec)
        return self._sinks

    def owner(self, kind: str, name: str) -> str:
        """The plugin that registered format or sink ``name`` (``kind`` is format/sink)."""
        return self._owners.get(f"{kind}:{name}", "?")

    def add_commands(self, cli: click.Group) -> None:
        """Let every plugin attach subcommands; a failing plugin is reported and skipped."""
        for impl in self._impls("register_commands"):
            try:
                self._call(impl, {"cli": cli})
            except PluginError as exc:
                self.failures.append(LoadFailure(impl.plugin_name, None, str(exc)))

    # -- per-workout hooks --------------------------------------------------------------

    def keep(self, workout: Workout, context: ExportContext) -> tuple[bool, str | None]:
        """Ask every ``filter_workout``; returns (keep, name of the vetoing plugin)."""
        for impl in self._impls("filter_workout"):
            if self._call(impl, {"workout": workout, "context": context}) is False:
                return False, impl.plugin_name
        return True, None

    def transform(self, workout: Workout, context: ExportContext) -> Workout:
        """Run every ``transform_workout`` in order (built-ins first, then by name)."""
        impls = sorted(
            self._impls("transform_workout"),
            key=lambda i: (not self._is_builtin(i.plugin_name), i.plugin_name),
        )
        for impl in impls:
            result = self._call(impl, {"workout": workout, "context": context})
            if result is not None:
                workout = result
        return workout

    # -- introspection ------------------------------------------------------------------

    def describe(self, *, include_builtin: bool = True) -> list[dict[str, Any]]:
        """One entry per plugin: name, distribution, version, hooks, formats and sinks."""
        formats = self._safe(self.formats)
        sinks = self._safe(self.sinks)
        out: list[dict[str, Any]] = []
        for name in sorted(self.plugins):
            info = self.plugins[name]
            if info.builtin and not include_builtin:
                continue
            plugin = self.pm.get_plugin(name)
            hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])
            out.append(
                {
                    "name": name,
                    "module": info.module,
                    "distribution": info.distribution,
                    "version": info.version,
                    "builtin": info.builtin,
                    "hooks": hooks,
                    "formats": sorted(f for f in formats if self.owner("format", f) == name),
                    "sinks": sorted(s for s in sinks if self.owner("sink", s) == name),
                }
            )
        return out

    # -- internals ----------------------------------------------------------------------

    def _is_builtin(self, plugin_name: str) -> bool:
        info = self.plugins.get(plugin_name)
        return bool(info and info.builtin)

    def _impls(self, hook_name: str) -> list[pluggy.HookImpl]:
        caller = getattr(self.pm.hook, hook_name)
        # pluggy calls the last registered first; keep that order for everything but
        # transforms, which sort themselves.
        return list(reversed(caller.get_hookimpls()))

    def _call(self, impl: pluggy.HookImpl, kwargs: Mapping[str, Any]) -> Any:
        if self.trace:
            self.trace(f"hook {impl.function.__name__} -> plugin {impl.plugin_name}")
        try:
            return impl.function(*[kwargs[arg] for arg in impl.argnames])
        except PelotonExportError:
            raise
        except Exception as exc:
            hook = impl.function.__name__
            raise PluginError(f"{type(exc).__name__}: {exc}", plugin=impl.plugin_name, hook=hook) from exc

    def _collect(self, hook_name: str, record_type: type[T]) -> dict[str, T]:
        kind = "format" if record_type is FormatSpec else "sink"
        found: dict[str, T] = {}
        for impl in self._impls(hook_name):
            try:
                records = list(self._call(impl, {}) or ())
                for record in records:
                    if not isinstance(record, record_type):
                        raise TypeError(f"returned {type(record).__name__}, expected {record_type.__name__}")
            except (PluginError, TypeError) as exc:
                self.failures.append(LoadFailure(impl.plugin_name, None, f"{hook_name}: {exc}"))
                continue
            for record in records:
                key = f"{kind}:{record.name}"
                if record.name in found:
                    first = self._owners[key]
                    raise RegistrationConflict(
                        f"{kind} {record.name!r} is registered by both plugin {first!r} and "
                        f"plugin {impl.plugin_name!r}; disable one with "
                        f"PELOTON_EXPORT_DISABLE_PLUGINS={impl.plugin_name}"
                    )
                found[record.name] = record
                self._owners[key] = impl.plugin_name
        return dict(sorted(found.items()))

    @staticmethod
    def _safe(getter: Callable[[], dict[str, T]]) -> dict[str, T]:
        try:
            return getter()
        except RegistrationConflict:
            return {}


def _split_names(value: str | None) -> set[str] | None:
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


def _entry_points() -> list[importlib.metadata.EntryPoint]:
    return sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)


def create_host(
    *,
    entry_points: bool = True,
    allow: Iterable[str] | None = None,
    block: Iterable[str] = (),
    strict: bool | None = None,
    extra: Mapping[str, object] | None = None,
    warn: Callable[[str], None] | None = None,
) -> PluginHost:
    """Build a host with the built-in plugins and (by default) every installed plugin.

    :param entry_points: load plugins from the ``peloton_export`` entry-point group. When
        false, only the built-ins (and ``extra``) are registered: what tests use.
    :param allow: load only these plugin names (``PELOTON_EXPORT_LOAD_PLUGINS``); built-ins
        are always loaded unless blocked.
    :param block: never import these (``PELOTON_EXPORT_DISABLE_PLUGINS``).
    :param strict: any load failure raises ``PluginLoadError``
        (``PELOTON_EXPORT_STRICT_PLUGINS=1``).
    :param extra: more plugin objects to register, by name (tests, embedding).
    :param warn: where to report a skipped plugin (default: standard error).
    """
    env = os.environ
    if allow is None:
        allow = _split_names(env.get("PELOTON_EXPORT_LOAD_PLUGINS"))
    allowed = set(allow) if allow is not None else None
    blocked = set(block) | (_split_names(env.get("PELOTON_EXPORT_DISABLE_PLUGINS")) or set())
    if strict is None:
        strict = env.get("PELOTON_EXPORT_STRICT_PLUGINS", "") not in ("", "0")
    report = warn or (lambda message: print(message, file=sys.stderr))

    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    # A worker process can rebuild this host from the environment unless objects were
    # handed in directly (``extra``), which only exist in this process.
    host = PluginHost(pm, from_entry_points=entry_points, rebuildable=not extra)

    def fail(name: str, dist: str | None, exc: BaseException) -> None:
        reason = f"{type(exc).__name__}: {exc}"
        failure = LoadFailure(name, dist, reason)
        host.failures.append(failure)
        if strict:
            raise PluginLoadError(reason, plugin=name, hook="load") from exc
        hint = f"pip uninstall {dist}" if dist and dist != "peloton-export" else "fix or remove it"
        report(
            f"Skipping plugin {name!r}: {reason} (disable it with "
            f"PELOTON_EXPORT_DISABLE_PLUGINS={name}, or {hint})"
        )

    def register(name: str, plugin: object, info: PluginInfo) -> None:
        try:
            pm.register(plugin, name=name)
        except Exception as exc:
            if pm.get_plugin(name) is not None or name in dict(pm.list_name_plugin()):
                pm.unregister(name=name)
            fail(name, info.distribution, exc)
            return
        host.plugins[name] = info

    sources: list[tuple[str, Callable[[], object], PluginInfo]] = []
    seen: set[str] = set()
    if entry_points:
        for ep in _entry_points():
            dist = ep.dist.name if ep.dist else None
            version = ep.dist.version if ep.dist else None
            builtin = ep.value.startswith(BUILTIN_PREFIX)
            seen.add(ep.name)
            info = PluginInfo(ep.name, ep.value, dist, version, builtin)
            sources.append((ep.name, ep.load, info))
    for name, module in DEFAULT_PLUGINS.items():
        if name not in seen:
            info = PluginInfo(name, module, "peloton-export", None, True)
            sources.append((name, lambda m=module: importlib.import_module(m), info))  # type: ignore[misc]

    for name, load, info in sources:
        if name in blocked:
            continue
        if allowed is not None and not info.builtin and name not in allowed:
            continue
        try:
            plugin = load()
        except Exception as exc:
            fail(name, info.distribution, exc)
            continue
        register(name, plugin, info)
    for name, plugin in (extra or {}).items():
        register(name, plugin, PluginInfo(name, getattr(plugin, "__name__", type(plugin).__name__)))

    # A hook implementation without a spec (a typo like ``register_format``) is an error.
    while True:
        try:
            pm.check_pending()
            break
        except pluggy.PluginValidationError as exc:
            bad = pm.get_name(exc.plugin) or "?"
            pm.unregister(plugin=exc.plugin)
            host.plugins.pop(bad, None)
            fail(bad, None, exc)
    if env.get("PELOTON_EXPORT_TRACE_PLUGINS", "") not in ("", "0"):
        host.trace = report
    return host
