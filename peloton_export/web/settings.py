"""The Settings page of ``peloton-export serve``: a profile's formats, output folder and
sinks, and the household's watch interval, edited in the config file.

==============================================  ============================================
``GET /p/NAME/settings``                        the form: the file's values and what a run
                                                uses now (the environment may win)
``POST /p/NAME/settings``                       check every field, then write them all
==============================================  ============================================

The checks are a run's own: format and sink names through the plugin host
(:meth:`~peloton_export.plugins.PluginHost.resolve`, the same "unknown format 'x' (did
you mean ...)" line), the watch interval with :func:`peloton_export.unattended.watch.
parse_duration` and its one-hour floor, the output folder must be a folder path (``/``
or ``~`` first; not a file), and a field the form does not have is an unknown setting.
A bad value is shown beside its field and nothing is saved; the changed file must load
(:func:`peloton_export.config.load_config` and the household's profiles) before it
replaces the old one atomically (:mod:`peloton_export.web.configedit`: comments kept).
A named profile's keys go to its ``[profile:NAME]`` section, the default profile's and
the watch interval to ``[peloton-export]``. The server then serves the new settings.
"""

from __future__ import annotations

import configparser
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from peloton_export.config import split_names
from peloton_export.errors import ConfigError, PelotonExportError
from peloton_export.web.forms import read_form
from peloton_export.web.pagekit import AppState, profile_of, render, state_of, threaded, writable

if TYPE_CHECKING:
    from peloton_export.plugins import PluginHost
    from peloton_export.profiles import Profile

#: The profile's fields, in the form's order: key -> label.
PROFILE_FIELDS = {
    "formats": "Formats",
    "output_dir": "Output folder",
    "sinks": "Sinks",
}
#: The household's fields (the watcher's: ``[peloton-export]`` only).
HOUSEHOLD_FIELDS = {"watch_interval": "Watch interval"}
FIELDS = {**PROFILE_FIELDS, **HOUSEHOLD_FIELDS}
MAX_VALUE = 500


def config_file(profile: Profile) -> Path:
    """The config file the profile was read from (else where it would be)."""
    from peloton_export.config import config_path

    return profile.config.path or config_path()


def _section(profile: Profile) -> str:
    return "peloton-export" if profile.is_default else f"profile:{profile.name}"


def _matcher(section: str) -> Callable[[str], bool]:
    return lambda name: name.strip().lower() == section


def file_values(profile: Profile) -> dict[str, str]:
    """The fields as the file writes them (``""``: not set there)."""
    from peloton_export.config import read_config_text

    parser = configparser.ConfigParser(interpolation=None)
    try:
        text = read_config_text(config_file(profile))
        if text:
            parser.read_string(text)
    except (ConfigError, configparser.Error):
        return dict.fromkeys(FIELDS, "")
    own = next((s for s in parser.sections() if s.strip().lower() == _section(profile)), None)
    shared = "peloton-export" if parser.has_section("peloton-export") else None
    values = {k: parser.get(own, k, fallback="") if own else "" for k in PROFILE_FIELDS}
    values.update({k: parser.get(shared, k, fallback="") if shared else "" for k in HOUSEHOLD_FIELDS})
    return {k: " ".join(v.split()) for k, v in values.items()}


def effective(profile: Profile) -> dict[str, str]:
    """What a run of ``profile`` uses now (``""``: the default)."""
    return {k: str(profile.config.get(k) or "") for k in FIELDS}


def check(host: PluginHost, fields: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The fields' values (trimmed) and one error line per bad field (see the module
    documentation); a field the form does not have is an error under its own name."""
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    for key in fields:
        if key not in FIELDS and key != "csrf":
            errors[key[:40]] = f"unknown setting {key[:40]!r}"
    for key in FIELDS:
        value = " ".join(fields.get(key, "").split())
        values[key] = value
        try:
            if len(value) > MAX_VALUE or not value.isprintable():
                raise ConfigError("too long, or not printable")
            if value:
                check_value(host, key, value)
        except PelotonExportError as exc:
            errors[key] = " ".join(str(exc).split())[:300]
    return values, errors


def check_value(host: PluginHost, key: str, value: str) -> None:
    """Check one non-empty field.

    :raises PelotonExportError: the line to show beside it.
    """
    from peloton_export.unattended.watch import interval_floor, parse_duration

    if key == "formats" and split_names(value) != ["all"]:
        host.resolve("format", split_names(value))
    elif key == "sinks":
        host.resolve("sink", split_names(value))
    elif key == "output_dir":
        if not value.startswith(("/", "~")):
            raise ConfigError("give the whole path of a folder (starting with / or ~)")
        path = Path(value).expanduser()
        if path.exists() and not path.is_dir():
            raise ConfigError(f"{value} is a file, not a folder")
    elif key == "watch_interval":
        floor = interval_floor()
        if parse_duration(value) < floor:
            raise ConfigError(f"at least {floor / 3600:g}h (a shorter interval is refused)")


def _new_text(profile: Profile, values: dict[str, str]) -> tuple[Path, str]:
    from peloton_export.config import read_config_text
    from peloton_export.web.configedit import set_keys

    path = config_file(profile)
    text = read_config_text(path) or ""
    section = _section(profile)
    own = {k: (values[k] or None) for k in PROFILE_FIELDS}
    household = {k: (values[k] or None) for k in HOUSEHOLD_FIELDS}
    if profile.is_default:
        text = set_keys(text, section, {**own, **household})
    else:
        text = set_keys(text, section, own, matches=_matcher(section))
        text = set_keys(text, "peloton-export", household)
    return path, text


def _loaded(path: Path, text: str, names: list[str]) -> dict[str, Profile]:
    """The household read from ``text`` as if it were ``path``'s (nothing written)."""
    from peloton_export.config import load_config
    from peloton_export.profiles import load_profiles

    with tempfile.TemporaryDirectory(prefix="peloton-settings-") as folder:
        trial = Path(folder) / path.name
        trial.write_text(text, encoding="utf-8")
        config = load_config(trial)
        profiles = {p.name: p for p in load_profiles(config)}
    missing = [n for n in names if n not in profiles]
    if missing:
        raise ConfigError(f"the changed config has no profile {missing[0]!r} any more")
    return profiles


def save(state: AppState, profile: Profile, values: dict[str, str]) -> str:
    """Write ``values`` for ``profile`` and serve the new settings; returns where.

    :raises ConfigError: the changed file would not load (nothing is written).
    """
    from peloton_export.config import load_config
    from peloton_export.profiles import load_profiles
    from peloton_export.web.configedit import write_config

    path, text = _new_text(profile, values)
    _loaded(path, text, list(state.profiles))
    write_config(path, text)
    fresh = {p.name: p for p in load_profiles(load_config(path))}
    state.profiles = {name: fresh.get(name, old) for name, old in state.profiles.items()}
    return str(path)


def _page(
    request: Request,
    profile: Profile,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str = "",
    status: int = 200,
) -> Response:
    state = state_of(request)
    formats, sinks = list(state.host.formats()), list(state.host.sinks())
    return render(
        request,
        "settings.html",
        status=status,
        title=f"Settings of {profile.name}",
        profile=profile.name,
        profile_fields=PROFILE_FIELDS,
        household_fields=HOUSEHOLD_FIELDS,
        values=values if values is not None else file_values(profile),
        now=effective(profile),
        errors=errors or {},
        unknown={k: v for k, v in (errors or {}).items() if k not in FIELDS},
        message=message,
        path=str(config_file(profile)),
        formats=formats,
        sinks=sinks,
        named=not profile.is_default,
    )


async def settings_page(request: Request) -> Response:
    """``GET /p/NAME/settings``."""
    writable(request)
    profile = profile_of(request)
    return await threaded(lambda: _page(request, profile))


async def settings_save(request: Request) -> Response:
    """``POST /p/NAME/settings``."""
    writable(request)
    state = state_of(request)
    profile = profile_of(request)
    fields = await read_form(request)
    values, errors = await threaded(check, state.host, fields)
    if not errors:
        try:
            where = await threaded(save, state, profile, values)
        except PelotonExportError as exc:
            errors = {"": " ".join(str(exc).split())[:300]}
        else:
            fresh = state.profiles[profile.name]
            return await threaded(lambda: _page(request, fresh, message=f"Saved to {where}."))
    return await threaded(lambda: _page(request, profile, values=values, errors=errors, status=400))


__all__ = ["check", "check_value", "effective", "file_values", "save", "settings_page", "settings_save"]
