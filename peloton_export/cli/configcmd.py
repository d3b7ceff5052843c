"""``peloton-export config path|show|edit|set|unset``: the config file, from the command line.

* ``path`` prints the file the config is read from (:func:`peloton_export.config.config_source`)
  and, on standard error, why that one and whether it exists.
* ``show`` prints it with every secret's value masked (:func:`is_secret`: passwords,
  tokens, API keys, client secrets, notification URLs): a secret is never printed.
* ``edit`` opens it in ``$VISUAL``, else ``$EDITOR`` (a new file is made first, mode
  0600), then checks it as a run would and names each problem's line.
* ``set KEY VALUE`` and ``unset KEY`` change one key, keeping comments and every other
  line (:mod:`peloton_export.store.configedit`). The key must be known and the value is
  checked by the checkers a run uses (:func:`config_problems`): a change that adds a
  problem is refused and nothing is written.

KEY is ``key`` (``[peloton-export]``), ``peloton.key`` (``[peloton]``), ``PLUGIN.key``
(``[plugin:PLUGIN]``) or ``profile:NAME.key`` (``[profile:NAME]``, where a plugin's key is
``profile:NAME.PLUGIN.key``); with ``--profile NAME`` before ``config`` a plain key goes to
that profile's section.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shlex
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from peloton_export.config import (
    KNOWN_KEYS,
    Config,
    config_source,
    home_config_path,
    load_config,
    locate_setting,
    read_config_text,
    setting_lines,
    split_names,
)
from peloton_export.errors import ConfigError, SettingError

if TYPE_CHECKING:
    from peloton_export.plugins import PluginHost

#: What a masked value is shown as.
MASK = "********"
_SECRET = re.compile(r"(password|secret|token|api_?key|(^|[._])key$|urls?$)")
_KEY_LINE = re.compile(r"^(?P<key>[^\s=:#;\[][^=:]*?)(?P<sep>\s*[=:]\s*)(?P<value>.*)$")
_SECTION_LINE = re.compile(r"^\s*\[(?P<name>[^\]]+)\]")
#: The loggers whose warnings a trial load would repeat (they name the trial file).
_QUIET = ("peloton_export.config", "peloton_export.profiles")
NEW_FILE = (
    "# peloton-export configuration (docs/configuration.md)\n"
    "# [peloton]: username, password; [peloton-export]: formats, output_dir, sinks, ...\n"
)


def is_secret(key: str) -> bool:
    """True for a key whose value is a secret (``password``, ``client_secret``,
    ``api_key``, ``token``, ``notify_urls``...), never for a path (``token_file``)."""
    last = key.strip().lower()
    if last.endswith(("_file", "_dir", "_path")) or last == "keyring":
        return False
    return bool(_SECRET.search(last))


def masked(text: str) -> str:
    """``text`` (an INI file) with each secret's value, continuation lines included,
    replaced by :data:`MASK`; comments and every other line as they are."""
    out: list[str] = []
    hiding = False  # inside a secret's value: its indented continuation lines are hidden
    shown = False  # the mask was printed for the value being hidden
    for line in text.splitlines():
        if hiding and (not line.strip() or line[:1].isspace()):
            # configparser keeps blank lines inside a value (empty_lines_in_values), and a
            # value whose first line is empty (``token =`` then an indented line) is all
            # continuation: neither may show a byte of the secret
            if line.strip() and not shown:
                out.append(f"{line[: len(line) - len(line.lstrip())]}{MASK}")
                shown = True
            elif not line.strip():
                out.append(line)
            continue
        hiding = False
        found = _KEY_LINE.match(line)
        if found and not _SECTION_LINE.match(line) and is_secret(found["key"]):
            shown = bool(found["value"].strip())
            out.append(f"{found['key']}{found['sep']}{MASK}" if shown else line)
            hiding = True
        else:
            out.append(line)
    return "\n".join(out) + ("\n" if out else "")


def parse_key(given: str, profile: str | None = None) -> tuple[str, str]:
    """``(section, key)`` of a KEY (module documentation); ``profile`` (a named, not the
    default, profile) moves ``[peloton-export]`` and plugin keys into its section.

    :raises ConfigError: an empty key or section name.
    """
    text = given.strip()
    if text.lower().startswith("profile:"):
        name, dot, key = text[len("profile:") :].partition(".")
        if not name.strip() or not dot or not key.strip():
            raise ConfigError(f"{given!r}: write profile:NAME.key")
        return f"profile:{name.strip().lower()}", key.strip().lower()
    head, dot, rest = text.partition(".")
    if not dot:
        section, key = "peloton-export", head
    elif head.lower() in ("peloton", "peloton-export"):
        section, key = head.lower(), rest
    else:
        section, key = f"plugin:{head.lower().removeprefix('plugin:')}", rest
    key = key.strip().lower()
    if not key or section.endswith(":"):
        raise ConfigError(f"{given!r} names no key")
    if profile and section != "peloton":
        plugin = section.split(":", 1)[1] if section.startswith("plugin:") else ""
        return f"profile:{profile}", f"{plugin}.{key}" if plugin else key
    return section, key


def check_key(section: str, key: str, host: PluginHost) -> None:
    """A key a run reads, else :class:`ConfigError` naming the nearest known one. A
    plugin's keys are checked against the keys its format or sink declares (when it does)."""
    import difflib

    from peloton_export.profiles import WATCHER_KEYS

    if section in KNOWN_KEYS:
        known = set(KNOWN_KEYS[section])
        where = f"[{section}]"
    elif section.startswith("profile:"):
        plugin, dot, sub = key.partition(".")
        if dot:
            return check_key(f"plugin:{plugin}", sub, host)
        if key in WATCHER_KEYS:
            raise ConfigError(f"{key} is the watcher's setting: set it in [peloton-export] (no profile)")
        known = (set(KNOWN_KEYS["peloton"]) | set(KNOWN_KEYS["peloton-export"])) - WATCHER_KEYS
        where = f"[{section}]"
    else:
        from peloton_export.export.run import SHARED_OPTIONS

        name = section.split(":", 1)[1]
        spec = host.formats().get(name) or host.sinks().get(name)
        options = spec.options if spec is not None else None
        if not options:
            return  # a plugin that declares no keys reads what it reads
        known = set(options) | set(SHARED_OPTIONS)
        where = f"[{section}] ({name})"
    if key not in known:
        near = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.5)
        hint = f"; did you mean {near[0]}?" if near else ""
        raise ConfigError(f"unknown key {key!r} in {where}{hint}")


def complete_key(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """KEY's candidates (shell completion): the ``[peloton-export]`` keys as they are and
    the ``[peloton]`` ones as ``peloton.KEY``; for ``unset``, the keys the file has."""
    try:
        names = [
            *sorted(KNOWN_KEYS["peloton-export"]),
            *(f"peloton.{k}" for k in sorted(KNOWN_KEYS["peloton"])),
        ]
        if ctx.command.name == "unset":
            text = read_config_text(config_source().path) or ""
            names = [_key_name(section, key) for _, section, key, _ in setting_lines(text)]
        return [name for name in dict.fromkeys(names) if name.startswith(incomplete.lower())]
    except Exception:  # a completer offers nothing rather than fail
        return []


def _key_name(section: str, key: str) -> str:
    """The KEY that names ``[section] key`` (the inverse of :func:`parse_key`)."""
    if section == "peloton-export":
        return key
    if section.startswith("plugin:"):
        return f"{section.split(':', 1)[1]}.{key}"
    return f"{section.replace(' ', '').lower()}.{key}"


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in _QUIET]
    before = [logger.disabled for logger in loggers]
    for logger in loggers:
        logger.disabled = True
    try:
        yield
    finally:
        for logger, was in zip(loggers, before, strict=True):
            logger.disabled = was


def _names_check(key: str, kind: str, host: PluginHost) -> Callable[[Config], None]:
    def check(config: Config) -> None:
        names = [n.lower() for n in split_names(config.get(key))]
        if not names or (kind == "format" and "all" in names):
            return
        try:
            host.resolve("format" if kind == "format" else "sink", names)
        except ConfigError as exc:
            raise SettingError("peloton-export", key, config.get(key) or "", str(exc)) from None

    return check


def _log_format(config: Config) -> None:
    raw = config.get("log_format")
    if raw and raw.strip().lower() not in ("text", "json"):
        raise SettingError("peloton-export", "log_format", raw, f"expected text or json, got {raw.strip()!r}")


def _watch(config: Config) -> None:
    from peloton_export.unattended.watch import (
        DEFAULT_INTERVAL,
        DEFAULT_JITTER,
        Schedule,
        interval_floor,
        parse_duration,
    )

    seconds = {}
    for key, default in (("watch_interval", DEFAULT_INTERVAL), ("watch_jitter", DEFAULT_JITTER)):
        text = config.get(key)
        try:
            seconds[key] = parse_duration(text) if text and text.strip() else default
        except ConfigError as exc:
            raise SettingError("peloton-export", key, text or "", str(exc)) from None
    try:
        Schedule(interval=seconds["watch_interval"], jitter=seconds["watch_jitter"], floor=interval_floor())
    except ConfigError as exc:
        key = "watch_jitter" if "jitter" in str(exc) else "watch_interval"
        raise SettingError("peloton-export", key, config.get(key) or "", str(exc)) from None


def _client(config: Config) -> None:
    from peloton_export.source.client.settings import client_settings

    client_settings(config, environ={})


def _stack(config: Config) -> None:
    from peloton_export.workout.stacking import StackSettings

    StackSettings.from_options(config.settings)


def config_problems(path: Path, host: PluginHost, text: str | None = None) -> list[str]:
    """Every problem a run would find in the config file ``path`` (or in ``text`` as if it
    were that file's), one line each, naming the file and line where it can: the file read
    as INI with the ``[peloton]`` booleans (:func:`load_config`), the household's profiles
    (:func:`peloton_export.profiles.load_profiles`), and for each profile's settings the
    client's (numbers, URLs, yes/no words, ``auth``), the format and sink names, the log
    format, the watch interval and jitter, and the stacking settings. The environment is
    left out: the file's own values are checked."""
    if text is None:
        return _problems(path, host)
    with tempfile.TemporaryDirectory(prefix="peloton-config-") as folder:
        trial = Path(folder) / (path.name or "config.ini")
        trial.write_text(text, encoding="utf-8")
        return [line.replace(str(trial), str(path)) for line in _problems(trial, host)]


def _problems(trial: Path, host: PluginHost) -> list[str]:
    from peloton_export.profiles import load_profiles

    checks: list[Callable[[Config], None]] = [
        _client,
        _names_check("formats", "format", host),
        _names_check("sinks", "sink", host),
        _log_format,
        _watch,
        _stack,
    ]
    found: list[str] = []
    with _quiet():
        try:
            config = load_config(trial, environ={})
        except SettingError as exc:
            return [locate_setting(exc, Config(path=trial), environ={})]
        except ConfigError as exc:
            return [str(exc)]
        configs = [config]
        try:
            configs += [p.config for p in load_profiles(config, environ={}) if not p.is_default]
        except SettingError as exc:
            found.append(locate_setting(exc, config, environ={}))
        except ConfigError as exc:
            found.append(str(exc))
        for each in configs:
            for check in checks:
                try:
                    check(each)
                except SettingError as exc:
                    found.append(locate_setting(exc, Config(path=trial, profile=each.profile), environ={}))
                except ConfigError as exc:
                    found.append(str(exc))
    return list(dict.fromkeys(found))


def _target() -> Path:
    """The file ``set``, ``unset`` and ``edit`` change: the one the config is read from.

    :raises ConfigError: the config is :data:`os.devnull` or a folder.
    """
    source = config_source()
    if str(source.path) == os.devnull:
        raise ConfigError(f"the config is {os.devnull} (${source.variable}): there is no file to change")
    if source.path.is_dir():
        raise ConfigError(f"{source.path} is a folder, not a config file")
    return source.path


def _profile_of(ctx: click.Context) -> str | None:
    from peloton_export.cli import PROFILE_META

    profile = ctx.find_root().meta.get(PROFILE_META)
    if profile is None or getattr(profile, "is_default", True):
        return None
    return str(profile.name)


def _matches(section: str) -> Callable[[str], bool]:
    wanted = section.lower()
    if wanted.startswith("profile:"):  # profile names ignore case and spaces
        return lambda name: name.replace(" ", "").lower() == wanted
    return lambda name: name.strip() == section


def _change(host: PluginHost, path: Path, section: str, key: str, value: str | None) -> bool:
    """Set (``value``) or remove (``None``) one key; False when there was nothing to remove.

    :raises ConfigError: the change adds a problem (nothing written).
    """
    from peloton_export.store.configedit import set_keys, write_config

    old = read_config_text(path) or ""
    fold = _matches(section)
    if value is None and not any(s and fold(s) and k == key for _, s, k, _ in setting_lines(old)):
        return False
    new = set_keys(old, section, {key: value}, matches=fold)
    before = set(config_problems(path, host, old))
    added = [line for line in config_problems(path, host, new) if line not in before]
    if added:
        raise ConfigError(f"not changed: {added[0]}")
    write_config(path, new)
    return True


def config_group(host: PluginHost) -> click.Group:
    """The ``config`` command group bound to ``host`` (format and sink names are its)."""

    @click.group("config")
    def config() -> None:
        """Where the config file is, and show, edit, set or unset its keys."""

    @config.command("path")
    def path_command() -> None:
        """Print the path of the config file (stderr: why that one, and if it exists)."""
        source = config_source()
        click.echo(str(source.path))
        why = {
            "PELOTON_EXPORT_CONFIG": "--config or $PELOTON_EXPORT_CONFIG",
            "PELOTON_CONFIG": "$PELOTON_CONFIG",
            "legacy": f"peloton-client-library's place (the home, {home_config_path()}, is used without it)",
            "home": "peloton-export's home",
        }[source.origin]
        state = "exists" if source.path.exists() else "does not exist yet: no settings"
        click.echo(f"({why}; {state})", err=True)

    @config.command("show")
    def show_command() -> None:
        """Print the config file with every secret masked (passwords, tokens, keys)."""
        path = config_source().path
        text = read_config_text(path)
        if text is None:
            click.echo(f"no config file at {path}: no settings", err=True)
            return
        click.echo(f"# {path}")
        click.echo(masked(text), nl=False)

    @config.command("edit")
    def edit_command() -> None:
        """Open the config file in $VISUAL or $EDITOR, then check it as a run would."""
        from peloton_export.store.configedit import write_config

        path = _target()
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not editor or not editor.strip():
            raise ConfigError(f"set $VISUAL or $EDITOR to the editor to open {path} with")
        if not path.exists():
            write_config(path, NEW_FILE)
        try:
            done = subprocess.run([*shlex.split(editor), str(path)], check=False)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot start the editor {editor!r}: {exc}") from None
        if done.returncode != 0:
            raise ConfigError(f"the editor {editor!r} exited {done.returncode}; {path} is as it left it")
        problems = config_problems(path, host)
        for line in problems:
            click.echo(f"Error: {line}", err=True)
        if problems:
            raise SystemExit(2)
        click.echo(f"{path}: checked, no problem found", err=True)

    @config.command("set", context_settings={"ignore_unknown_options": True})  # a VALUE of -3
    @click.argument("key", shell_complete=complete_key)
    @click.argument("value", required=False)
    @click.pass_context
    def set_command(ctx: click.Context, key: str, value: str | None) -> None:
        """Set KEY to VALUE, keeping comments and every other key (a secret's VALUE left
        out is asked for, unechoed). KEY: key, peloton.key, PLUGIN.key, profile:NAME.key."""
        section, name = parse_key(key, _profile_of(ctx))
        check_key(section, name, host)
        if value is None:
            if not is_secret(name):
                raise click.UsageError(f"give the value of {key}")
            value = click.prompt(f"[{section}] {name}", hide_input=True)
        value = value.strip()
        path = _target()
        _change(host, path, section, name, value)
        shown = MASK if is_secret(name) else value
        click.echo(f"[{section}] {name} = {shown}  ({path})")

    @config.command("unset")
    @click.argument("key", shell_complete=complete_key)
    @click.pass_context
    def unset_command(ctx: click.Context, key: str) -> None:
        """Remove KEY, keeping comments and every other key."""
        section, name = parse_key(key, _profile_of(ctx))
        path = _target()
        if not _change(host, path, section, name, None):
            click.echo(f"[{section}] {name} is not set in {path}", err=True)
            return
        click.echo(f"[{section}] {name} removed  ({path})")

    return config


__all__ = ["MASK", "check_key", "config_group", "config_problems", "is_secret", "masked", "parse_key"]
