"""The plugin host: loads plugins one by one and is the only code that calls hooks.

Built-in formats and the directory sink are ordinary plugins in
``peloton_export.default_plugins`` and arrive through the same ``peloton_export``
entry-point group as third-party plugins. A plugin that fails to import, register or
validate is reported by name and left out; the others keep working.

The host calls every hook implementation itself, one plugin at a time, so that an error
names its plugin, ``transform_workout`` results chain, a single ``filter_workout`` veto
excludes a workout and every format and sink has a known owner. pluggy's hook wrappers
(``wrapper=True``, ``hookwrapper=True``) and ordering markers (``tryfirst``, ``trylast``)
only have a meaning inside pluggy's own call loop, so a plugin that uses them is refused
at load with a message naming it, instead of being called in a way it did not expect.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, overload

import pluggy

from peloton_export import entry_points as installed
from peloton_export import hookspecs
from peloton_export.config import parse_bool, split_names
from peloton_export.errors import (
    ConfigError,
    PelotonExportError,
    PluginError,
    PluginLoadError,
    RegistrationConflict,
)

if TYPE_CHECKING:
    import click

    from peloton_export.export.plan import ExportPlan
    from peloton_export.model import Workout
    from peloton_export.results import ExportReport, RunContext
    from peloton_export.specs import ExportContext, FormatSpec, LoginAnswer, LoginRequest, LoginSpec, SinkSpec

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
    "html": "peloton_export.default_plugins.html",
    "parquet": "peloton_export.default_plugins.parquet",
    "unattended": "peloton_export.default_plugins.unattended",
    "notify": "peloton_export.default_plugins.notify",
    "insights": "peloton_export.default_plugins.insights",
    "serve": "peloton_export.default_plugins.serve",
}

#: Hook-implementation options the host cannot honour (see the module docstring).
UNSUPPORTED_MARKERS = ("wrapper", "hookwrapper", "tryfirst", "trylast")

#: What a failing registration hook leaves out, for the message.
_LOST = {
    "register_formats": "formats",
    "register_sinks": "sinks",
    "register_commands": "commands",
    "register_logins": "logins",
}
#: The record classes (of :mod:`peloton_export.specs`, imported when a hook is first
#: collected: ``--help`` needs none of them) by name.
_KINDS: dict[str, str] = {"FormatSpec": "format", "SinkSpec": "sink", "LoginSpec": "login"}
#: The steps of a :class:`LoginSpec` the host calls (:meth:`PluginHost.login_step`).
LoginStep = Literal["state", "submit", "start", "callback", "logout"]

T = TypeVar("T", "FormatSpec", "SinkSpec", "LoginSpec")


#: Sinks of the first-party plugins that install separately (``plugins/<name>`` in the repository).
FIRST_PARTY_SINKS = {
    "strava": "peloton-export-strava",
    "intervals": "peloton-export-intervals",
    "garmin": "peloton-export-garmin",
}


class PluginInfo:
    """What the host knows about one registered plugin.

    ``distribution`` and ``version`` of an installed plugin are read from its
    distribution's metadata (``dist``) the first time they are asked for: parsing every
    plugin's ``METADATA`` took a third of ``--help``'s start-up, and only ``plugins``,
    ``status`` and the messages about a failing plugin show them.
    """

    __slots__ = ("_dist", "_distribution", "_version", "builtin", "module", "name")

    def __init__(
        self,
        name: str,
        module: str,
        distribution: str | None = None,
        version: str | None = None,
        builtin: bool = False,
        *,
        dist: _Distribution | None = None,
    ) -> None:
        self.name = name
        self.module = module
        self.builtin = builtin
        self._distribution = distribution
        self._version = version
        self._dist = dist

    def _resolve(self) -> None:
        dist, self._dist = self._dist, None
        if dist is not None:
            self._distribution, self._version = dist.name, dist.version

    @property
    def distribution(self) -> str | None:
        """The installed distribution's name (``None``: not installed as one)."""
        self._resolve()
        return self._distribution

    @property
    def version(self) -> str | None:
        """The installed distribution's version (``None`` when unknown)."""
        self._resolve()
        return self._version

    def __repr__(self) -> str:
        return f"PluginInfo({self.name!r}, {self.module!r}, builtin={self.builtin})"


class _Distribution(Protocol):
    """An installed distribution (``importlib.metadata.Distribution`` or ours)."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...


@dataclass(slots=True)
class LoadFailure:
    """A plugin that was left out (or a registration hook of it that failed), and why."""

    name: str
    distribution: str | None
    reason: str


@dataclass(slots=True)
class PluginHost:
    """A plugin manager plus the typed methods through which the core calls hooks.

    Build one per run with :func:`create_host`. Nothing else calls ``pm.hook``.
    A plugin whose registration hook (``register_formats``, ``register_sinks``,
    ``register_commands``) raises is reported once through ``warn`` (by plugin name) and
    listed in ``failures``; the other plugins keep working. With ``strict`` it raises
    :class:`~peloton_export.errors.PluginLoadError` instead.
    """

    pm: pluggy.PluginManager
    plugins: dict[str, PluginInfo] = field(default_factory=dict)
    failures: list[LoadFailure] = field(default_factory=list)
    _formats: dict[str, FormatSpec] | None = None
    _sinks: dict[str, SinkSpec] | None = None
    _logins: dict[str, LoginSpec] | None = None
    _owners: dict[str, str] = field(default_factory=dict)
    trace: Callable[[str], None] | None = None
    from_entry_points: bool = True
    rebuildable: bool = True
    strict: bool = False
    warn: Callable[[str], None] | None = None
    _reported: set[tuple[str, str]] = field(default_factory=set)

    # -- registration hooks -------------------------------------------------------------

    def formats(self) -> dict[str, FormatSpec]:
        """Every registered format by name. Raises ``RegistrationConflict`` on a clash."""
        if self._formats is None:
            from peloton_export.specs import FormatSpec

            self._formats = self._collect("register_formats", FormatSpec)
        return self._formats

    def sinks(self) -> dict[str, SinkSpec]:
        """Every registered sink by name. Raises ``RegistrationConflict`` on a clash."""
        if self._sinks is None:
            from peloton_export.specs import SinkSpec

            self._sinks = self._collect("register_sinks", SinkSpec)
        return self._sinks

    def logins(self) -> dict[str, LoginSpec]:
        """Every login a plugin offers (``register_logins``) by sink name. A plugin whose
        hook raises is reported by name (:meth:`login_failures`) and left out; a clash
        raises ``RegistrationConflict``."""
        if self._logins is None:
            from peloton_export.specs import LoginSpec

            self._logins = self._collect("register_logins", LoginSpec)
        return self._logins

    def login_failures(self) -> list[str]:
        """One line per plugin whose ``register_logins`` failed (for the Logins page)."""
        self.logins()
        prefix = "register_logins: "
        return [
            f"plugin {f.name!r} could not offer its login ({f.reason.removeprefix(prefix)})"
            for f in self.failures
            if f.reason.startswith(prefix)
        ]

    def login_step(self, name: str, step: LoginStep, request: LoginRequest) -> LoginAnswer:
        """Call step ``step`` of login ``name`` (the state line is the answer's ``message``).

        Never raises: a :class:`~peloton_export.errors.PelotonExportError` is a refused
        answer with its one-line reason; any other exception is reported through ``warn``
        by plugin name and type only (its text may hold what was typed) and answered as
        ``plugin 'NAME' failed in its login STEP``. An unknown login or a step the spec
        lacks is a refused answer.
        """
        from peloton_export.specs import LoginAnswer

        spec = self.logins().get(name)
        function = getattr(spec, step, None) if spec is not None else None
        if spec is None or function is None:
            return LoginAnswer(message=f"{name} has no login step {step!r}", ok=False)
        plugin = self.owner("login", name)
        if self.trace:
            self.trace(f"login {name} {step} -> plugin {plugin}")
        try:
            result = function(request)
        except PelotonExportError as exc:
            return LoginAnswer(message=" ".join(str(exc).split())[:400], ok=False)
        except Exception as exc:
            self._report(f"Plugin {plugin!r} failed in its login {step} ({type(exc).__name__})")
            return LoginAnswer(message=f"plugin {plugin!r} failed in its login {step}", ok=False)
        if step == "state":
            return LoginAnswer(message=" ".join(str(result).split())[:400])
        if not isinstance(result, LoginAnswer):
            self._report(f"Plugin {plugin!r}: its login {step} returned {type(result).__name__}")
            return LoginAnswer(message=f"plugin {plugin!r} failed in its login {step}", ok=False)
        return LoginAnswer(
            message=" ".join(result.message.split())[:400], ok=result.ok, redirect=result.redirect
        )

    @overload
    def resolve(self, kind: Literal["format"], names: Iterable[str]) -> tuple[FormatSpec, ...]: ...

    @overload
    def resolve(self, kind: Literal["sink"], names: Iterable[str]) -> tuple[SinkSpec, ...]: ...

    def resolve(
        self, kind: Literal["format", "sink"], names: Iterable[str]
    ) -> tuple[FormatSpec, ...] | tuple[SinkSpec, ...]:
        """The registered formats or sinks named ``names`` (``--format``/``--sink``), in
        order, each once.

        :raises ConfigError: an unknown name (:meth:`unknown_message` lists the choices).
        :raises RegistrationConflict: two plugins register one name.
        """
        available: Mapping[str, FormatSpec | SinkSpec] = self.formats() if kind == "format" else self.sinks()
        chosen: dict[str, FormatSpec | SinkSpec] = {}
        for name in names:
            if name not in available:
                raise ConfigError(self.unknown_message(kind, name))
            chosen.setdefault(name, available[name])
        return tuple(chosen.values())  # type: ignore[return-value]

    def owner(self, kind: str, name: str) -> str:
        """The plugin that registered format or sink ``name`` (``kind`` is format/sink)."""
        return self._owners.get(f"{kind}:{name}", "?")

    def add_commands(self, cli: click.Group) -> None:
        """Let every plugin attach subcommands; a failing plugin is reported and skipped."""
        for impl in self._impls("register_commands"):
            try:
                self._call(impl, "register_commands", {"cli": cli})
            except PluginError as exc:
                self.hook_failed(impl.plugin_name, "register_commands", exc)

    def unknown_message(self, kind: str, name: str) -> str:
        """What to tell a user whose ``--format`` or ``--sink`` ``name`` no plugin registered.

        ``kind`` is ``"format"`` or ``"sink"``. The message lists the choices and names
        every plugin whose ``register_formats`` / ``register_sinks`` failed, since ``name``
        may have been one of its.
        """
        import difflib

        hook = f"register_{kind}s"
        available = self.formats() if kind == "format" else self.sinks()
        message = f"unknown {kind} {name!r}"
        near = difflib.get_close_matches(name, list(available), n=1, cutoff=0.6)
        if near:
            message += f" (did you mean {near[0]!r}?)"
        message += f"; choose one of: {', '.join(available) or 'none installed'}"
        plugin = FIRST_PARTY_SINKS.get(name.lower()) if kind == "sink" else None
        if plugin is not None:
            message += (
                f". The {name.lower()} sink is the separate plugin {plugin}:"
                f" peloton-export install {name.lower()}"
            )
        broken = [f for f in self.failures if f.reason.startswith(f"{hook}: ")]
        for failure in broken:
            reason = failure.reason.removeprefix(f"{hook}: ")
            message += f". Plugin {failure.name!r} failed to register its {kind}s ({reason})"
        if broken:
            message += f"; {name!r} may be one of them"
        return message

    # -- per-workout hooks --------------------------------------------------------------

    def keep(self, workout: Workout, context: ExportContext) -> tuple[bool, str | None]:
        """Ask every ``filter_workout``; returns (keep, name of the vetoing plugin)."""
        for impl in self._impls("filter_workout"):
            if self._call(impl, "filter_workout", {"workout": workout, "context": context}) is False:
                return False, impl.plugin_name
        return True, None

    def transform(self, workout: Workout, context: ExportContext) -> Workout:
        """Run every ``transform_workout`` in order (built-ins first, then by name)."""
        impls = sorted(
            self._impls("transform_workout"),
            key=lambda i: (not self._is_builtin(i.plugin_name), i.plugin_name),
        )
        for impl in impls:
            result = self._call(impl, "transform_workout", {"workout": workout, "context": context})
            if result is not None:
                workout = result
        return workout

    def export_started(self, context: RunContext, plan: ExportPlan) -> list[str]:
        """Call every ``export_started``; returns one line per plugin that failed."""
        return self._lifecycle("export_started", {"context": context, "plan": plan})

    def export_finished(self, context: RunContext, report: ExportReport) -> list[str]:
        """Call every ``export_finished``; returns one line per plugin that failed."""
        return self._lifecycle("export_finished", {"context": context, "report": report})

    def _lifecycle(self, hook: str, kwargs: Mapping[str, Any]) -> list[str]:
        problems = []
        for impl in self._impls(hook):
            try:
                self._call(impl, hook, kwargs)
            except PelotonExportError as exc:
                named = isinstance(exc, PluginError)
                problems.append(str(exc) if named else f"plugin {impl.plugin_name!r} in {hook}: {exc}")
        return problems

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

    # -- failures -----------------------------------------------------------------------

    def load_failed(self, name: str, dist: str | None, reason: str, exc: BaseException | None = None) -> None:
        """Record that plugin ``name`` is left out and report it by name.

        :raises PluginLoadError: instead, in strict mode.
        """
        self.failures.append(LoadFailure(name, dist, reason))
        if self.strict:
            raise PluginLoadError(reason, plugin=name, hook="load") from exc
        self._report(f"Skipping plugin {name!r}: {reason} ({_remedy(name, dist)})")

    def hook_failed(self, name: str, hook: str, exc: Exception) -> None:
        """Record that plugin ``name``'s registration ``hook`` raised, and report it once.

        The plugin stays registered; only what ``hook`` would have added is missing.

        :raises PluginLoadError: instead, in strict mode.
        """
        if (name, hook) in self._reported:
            return
        self._reported.add((name, hook))
        cause = exc.__cause__ if isinstance(exc, PluginError) and exc.__cause__ else exc
        reason = f"{type(cause).__name__}: {cause}"
        info = self.plugins.get(name)
        dist = info.distribution if info else None
        self.failures.append(LoadFailure(name, dist, f"{hook}: {reason}"))
        if self.strict:
            raise PluginLoadError(reason, plugin=name, hook=hook) from exc
        lost = _LOST.get(hook, "hooks")
        self._report(
            f"Plugin {name!r} failed in {hook} ({reason}); its {lost} are left out ({_remedy(name, dist)})"
        )

    def _report(self, message: str) -> None:
        (self.warn or _stderr)(message)

    # -- internals ----------------------------------------------------------------------

    def _is_builtin(self, plugin_name: str) -> bool:
        info = self.plugins.get(plugin_name)
        return bool(info and info.builtin)

    def _impls(self, hook_name: str) -> list[pluggy.HookImpl]:
        caller = getattr(self.pm.hook, hook_name)
        # pluggy calls the last registered first; keep that order for everything but
        # transforms, which sort themselves.
        return list(reversed(caller.get_hookimpls()))

    def _call(self, impl: pluggy.HookImpl, hook: str, kwargs: Mapping[str, Any]) -> Any:
        if self.trace:
            self.trace(f"hook {hook} -> plugin {impl.plugin_name}")
        try:
            return impl.function(*[kwargs[arg] for arg in impl.argnames])
        except PelotonExportError:
            raise
        except Exception as exc:
            raise PluginError(f"{type(exc).__name__}: {exc}", plugin=impl.plugin_name, hook=hook) from exc

    def _collect(self, hook_name: str, record_type: type[T]) -> dict[str, T]:
        kind = _KINDS[record_type.__name__]
        found: dict[str, T] = {}
        for impl in self._impls(hook_name):
            try:
                records = list(self._call(impl, hook_name, {}) or ())
                for record in records:
                    if not isinstance(record, record_type):
                        raise TypeError(f"returned {type(record).__name__}, expected {record_type.__name__}")
            except (PluginError, TypeError) as exc:
                self.hook_failed(impl.plugin_name, hook_name, exc)
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


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def _remedy(name: str, dist: str | None) -> str:
    hint = f"pip uninstall {dist}" if dist and dist != "peloton-export" else "fix or remove it"
    return f"disable it with PELOTON_EXPORT_DISABLE_PLUGINS={name}, or {hint}"


# -- loading ---------------------------------------------------------------------------------

#: (plugin name, how to import it, what is known about it before importing)
Source = tuple[str, Callable[[], object], PluginInfo]


class LoadPolicy:
    """Which plugins to import and whether a failure is fatal (arguments, else environment).

    A plain class: a dataclass costs a few milliseconds to build at every start-up.
    """

    __slots__ = ("allowed", "blocked", "strict")

    def __init__(self, allowed: frozenset[str] | None, blocked: frozenset[str], strict: bool) -> None:
        self.allowed = allowed
        self.blocked = blocked
        self.strict = strict

    @classmethod
    def resolve(
        cls,
        allow: Iterable[str] | None,
        block: Iterable[str],
        strict: bool | None,
        env: Mapping[str, str],
    ) -> LoadPolicy:
        """Fill in what the caller left open from the ``PELOTON_EXPORT_*_PLUGINS`` variables."""
        if allow is None:
            allow = _name_set(env.get("PELOTON_EXPORT_LOAD_PLUGINS"))
        blocked = set(block) | (_name_set(env.get("PELOTON_EXPORT_DISABLE_PLUGINS")) or set())
        if strict is None:
            strict = _flag(env, "PELOTON_EXPORT_STRICT_PLUGINS")
        return cls(frozenset(allow) if allow is not None else None, frozenset(blocked), strict)

    def wants(self, name: str, info: PluginInfo) -> bool:
        """Whether to import plugin ``name`` at all (built-ins unless blocked)."""
        if name in self.blocked:
            return False
        return self.allowed is None or info.builtin or name in self.allowed


def _name_set(value: str | None) -> set[str] | None:
    """The names of a ``PELOTON_EXPORT_*_PLUGINS`` variable (``None``: not set)."""
    return None if value is None else set(split_names(value))


def _flag(env: Mapping[str, str], name: str) -> bool:
    """The yes/no variable ``name`` (unset or empty: no); another word is a ``ConfigError``."""
    return parse_bool(env.get(name, "").strip() or None, what=name)


def _entry_points() -> list[Any]:
    """The installed ``peloton_export`` entry points by name (:mod:`peloton_export.entry_points`)."""
    return sorted(installed.entry_points(ENTRY_POINT_GROUP), key=lambda e: e.name)


def _sources(entry_points: bool) -> list[Source]:
    """Installed plugins (when ``entry_points``), then every built-in not installed as one."""
    sources: list[Source] = []
    if entry_points:
        for ep in _entry_points():
            info = PluginInfo(ep.name, ep.value, builtin=ep.value.startswith(BUILTIN_PREFIX), dist=ep.dist)
            sources.append((ep.name, ep.load, info))
    seen = {name for name, _, _ in sources}
    for name, module in DEFAULT_PLUGINS.items():
        if name not in seen:
            info = PluginInfo(name, module, "peloton-export", None, True)
            sources.append((name, lambda m=module: importlib.import_module(m), info))  # type: ignore[misc]
    return sources


def unsupported_markers(pm: pluggy.PluginManager, plugin: object) -> list[str]:
    """``"HOOK (MARKER=True)"`` for each of ``plugin``'s implementations the host cannot honour."""
    found: list[str] = []
    for caller in pm.get_hookcallers(plugin) or []:
        for impl in caller.get_hookimpls():
            marks = [m for m in UNSUPPORTED_MARKERS if impl.plugin is plugin and getattr(impl, m)]
            if marks:
                found.append(f"{caller.name} ({', '.join(f'{m}=True' for m in marks)})")
    return found


def _register(host: PluginHost, name: str, plugin: object, info: PluginInfo) -> None:
    pm = host.pm
    try:
        pm.register(plugin, name=name)
    except Exception as exc:
        if pm.get_plugin(name) is not None or name in dict(pm.list_name_plugin()):
            pm.unregister(name=name)
        host.load_failed(name, info.distribution, f"{type(exc).__name__}: {exc}", exc)
        return
    refused = unsupported_markers(pm, plugin)
    if refused:
        pm.unregister(name=name)
        host.load_failed(
            name,
            info.distribution,
            f"{'; '.join(refused)}: hook wrappers and tryfirst/trylast are not supported, because "
            "peloton-export calls each plugin's hooks itself in a documented order; remove the option",
        )
        return
    host.plugins[name] = info


def _load(host: PluginHost, source: Source) -> None:
    name, load, info = source
    try:
        plugin = load()
    except Exception as exc:
        host.load_failed(name, info.distribution, f"{type(exc).__name__}: {exc}", exc)
        return
    _register(host, name, plugin, info)


def _drop_unspecced(host: PluginHost) -> None:
    """Leave out each plugin that implements a hook with no spec (a typo: ``register_format``)."""
    while True:
        try:
            host.pm.check_pending()
            return
        except pluggy.PluginValidationError as exc:
            bad = host.pm.get_name(exc.plugin) or "?"
            host.pm.unregister(plugin=exc.plugin)
            info = host.plugins.pop(bad, None)
            host.load_failed(bad, info.distribution if info else None, f"{type(exc).__name__}: {exc}", exc)


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
    :param warn: where to report a skipped or failing plugin (default: standard error).
    :raises PluginLoadError: in strict mode, for the first plugin that fails to load.
    """
    policy = LoadPolicy.resolve(allow, block, strict, os.environ)
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    # A worker process can rebuild this host from the environment unless objects were
    # handed in directly (``extra``), which only exist in this process.
    host = PluginHost(
        pm, from_entry_points=entry_points, rebuildable=not extra, strict=policy.strict, warn=warn
    )
    for source in _sources(entry_points):
        if policy.wants(source[0], source[2]):
            _load(host, source)
    for name, plugin in (extra or {}).items():
        _register(host, name, plugin, PluginInfo(name, getattr(plugin, "__name__", type(plugin).__name__)))
    _drop_unspecced(host)
    if _flag(os.environ, "PELOTON_EXPORT_TRACE_PLUGINS"):
        host.trace = host._report
    return host
