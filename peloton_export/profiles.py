"""Household profiles: several Peloton members on one machine, in one config and one watch.

A config file may hold ``[profile:NAME]`` sections, one per member::

    [peloton-export]
    formats = fit, tcx
    sinks = strava

    [plugin:strava]
    client_id = 12345
    client_secret = ...

    [profile:anna]
    username = anna@example.com
    password = ...
    output_dir = ~/Peloton/anna

    [profile:ben]
    username = ben@example.com
    formats = fit
    sinks = intervals
    intervals.api_key = ...

Each profile (:class:`Profile`) has its own Peloton login, formats, output folder, sinks
and sink accounts, and its own folders (:class:`peloton_export.paths.ProfileDirs`): token
files, archive, ledger, run lock, login cooldown, journals and status files. Its
:class:`~peloton_export.config.Config` is the file's (``[peloton]``, ``[peloton-export]``,
``[plugin:*]`` and the environment) with the profile's keys over it, except:

* the Peloton login (``username``, ``password``) is the profile's own, never the
  ``[peloton]`` one nor ``PELOTON_USERNAME``/``PELOTON_PASSWORD``/``PELOTON_EXPORT_TOKEN``;
* ``output_dir`` not given in the profile is ``<the config's output_dir, else ./exports>/NAME``;
* a plugin's account keys (:data:`ACCOUNT_KEYS`: ``api_key``, ``athlete_id``, ``email``,
  ``password``, ``username``, ``token``, ...) are never taken from ``[plugin:*]``: each
  profile gives its own (``intervals.api_key = ...`` in its section). The app keys
  (Strava's ``client_id``/``client_secret``) are shared. Token files live in the profile's
  config folder, so each member logs in to Strava or Garmin with their own account.

The profile's keys are the ``[peloton]`` keys, the ``[peloton-export]`` keys, and
``PLUGIN.KEY`` for a plugin's (``strava.client_id``); the environment gives them as
``PELOTON_EXPORT_PROFILE_<NAME>_<KEY>`` (see :mod:`peloton_export.config`).

A config without ``[profile:NAME]`` sections is one profile, :data:`DEFAULT_PROFILE`
(``"default"``), with today's folders: existing set-ups are unchanged. With profiles, the
default one is part of the household (:func:`load_profiles`) when it has a login of its own
(``[peloton] username``, ``PELOTON_USERNAME``, ``PELOTON_EXPORT_TOKEN`` or a saved login
file) or ``[peloton-export] default_profile = yes``; ``default_profile = no`` leaves it out.

Run one profile's export with ``run_export(ExportRequest(profile=profile, ...))``: the run
takes the profile's config and works in its folders (:meth:`Profile.activate`).
"""

from __future__ import annotations

import difflib
import logging
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from peloton_export.config import KNOWN_KEYS, Config, load_config, parse_bool
from peloton_export.errors import ConfigError, SettingError
from peloton_export.paths import DEFAULT_PROFILE, ProfileDirs, default_dirs, named_dirs, use_dirs

log = logging.getLogger("peloton_export.profiles")

#: The variable that chooses the profile (``--profile`` wins over it).
PROFILE_ENV = "PELOTON_EXPORT_PROFILE"
#: What a profile name may be: a lower-case letter or digit, then up to 31 letters, digits,
#: ``-`` or ``_`` (it names folders and environment variables).
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
#: Where files go when neither the profile nor the config names a folder (the same as
#: :data:`peloton_export.export.choices.DEFAULT_OUTPUT`).
DEFAULT_OUTPUT = "exports"
#: ``[plugin:*]`` keys that name an account or hold its secret: a named profile never takes
#: them from the shared plugin section (nor from the variables that plugins read for them).
ACCOUNT_KEYS = frozenset(
    {
        "username",
        "password",
        "email",
        "api_key",
        "athlete_id",
        "token",
        "access_token",
        "refresh_token",
        "token_file",
        "token_dir",
        "journal_file",
        "cooldown_file",
        "pause_file",
        "path",  # the directory sink's folder: a member's own
    }
)
#: Variables that plugins and the client read for an account: not read in a named profile.
ACCOUNT_ENV = frozenset(
    {
        "PELOTON_USERNAME",
        "PELOTON_PASSWORD",
        "PELOTON_EXPORT_TOKEN",
        "INTERVALS_API_KEY",
        "INTERVALS_ATHLETE_ID",
        "GARMIN_EMAIL",
        "GARMIN_PASSWORD",
    }
)
_LOGIN_KEYS = frozenset({"username", "password", "ssl_cert"})
#: ``[peloton-export]`` keys of the watcher itself: one value for the household.
WATCHER_KEYS = frozenset({"watch_interval", "watch_jitter", "log_format", "default_profile"})
_TOKEN_FILE = "token.json"  # peloton_export.source.client.factory.TOKEN_FILE


@dataclass(frozen=True, slots=True)
class Profile:
    """One household member: ``name`` (``"default"`` or a ``[profile:NAME]`` name),
    ``config`` (the resolved settings: login, formats, output folder, sinks, plugins) and
    ``dirs`` (its folders: ``dirs.state``, ``dirs.archive``, ``dirs.config``, ``dirs.data``)."""

    name: str
    config: Config = field(repr=False)
    dirs: ProfileDirs

    @property
    def is_default(self) -> bool:
        """True for the default profile (today's single-account set-up)."""
        return self.name == DEFAULT_PROFILE

    @property
    def state_dir(self) -> Path:
        """Its state folder: ledger, run lock, cooldown, journals, status files."""
        return self.dirs.state

    @property
    def archive_dir(self) -> Path:
        """Its raw archive."""
        return self.dirs.archive

    @property
    def config_dir(self) -> Path:
        """Its token caches."""
        return self.dirs.config

    @property
    def output_dir(self) -> Path:
        """Where its files go (``output_dir``, else ``./exports``; ``~`` expanded)."""
        return Path(self.config.get("output_dir") or DEFAULT_OUTPUT).expanduser()

    @contextmanager
    def activate(self) -> Iterator[Profile]:
        """Work in this profile's folders until the block ends (this thread or task; see
        :func:`peloton_export.paths.use_dirs`)."""
        with use_dirs(self.dirs):
            yield self


def check_name(name: str, where: str = "profile") -> str:
    """``name`` in lower case, checked against :data:`NAME_PATTERN`.

    :raises ConfigError: a name that is not one.
    """
    lowered = name.strip().lower()
    if not NAME_PATTERN.fullmatch(lowered):
        raise ConfigError(
            f"{where}: {name!r} is not a profile name (a letter or digit, then up to 31 letters, "
            "digits, - or _)"
        )
    return lowered


def _warn_unknown(name: str, keys: Mapping[str, str], plugin_names: set[str]) -> None:
    known = set(KNOWN_KEYS["peloton"]) | set(KNOWN_KEYS["peloton-export"])
    for key in keys:
        if "." in key:
            continue  # PLUGIN.KEY: the plugin's to check
        if key in WATCHER_KEYS:
            log.warning("[profile:%s] %s is the watcher's setting: set it in [peloton-export]", name, key)
        elif key not in known:
            near = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.5)
            hint = f"; did you mean {near[0]}?" if near else ""
            log.warning("[profile:%s]: unknown key %r is ignored%s", name, key, hint)


def profile_config(base: Config, name: str, keys: Mapping[str, str], *, warn: bool = True) -> Config:
    """The :class:`Config` of the named profile ``name`` with section ``keys`` over ``base``
    (the rules in the module documentation); ``warn=False`` logs no unknown-key warning.

    :raises ConfigError: a bad ``ignore_warnings``/``ssl_verify`` value.
    """
    if warn:
        _warn_unknown(name, keys, set(base.plugins))
    settings = {k: v for k, v in base.settings.items() if k != "output_dir"}
    plugins = {
        plugin: {k: v for k, v in values.items() if k not in ACCOUNT_KEYS}
        for plugin, values in base.plugins.items()
    }
    for key, value in keys.items():
        plugin, dot, sub = key.partition(".")
        if dot:
            plugins.setdefault(plugin, {})[sub] = value
        elif key not in _LOGIN_KEYS and key not in ("ignore_warnings", "ssl_verify"):
            settings[key] = value
    if not keys.get("output_dir"):
        settings["output_dir"] = str(Path(base.get("output_dir") or DEFAULT_OUTPUT) / name)
    where = f"[profile:{name}]"
    ignore = base.ignore_warnings
    if "ignore_warnings" in keys:
        ignore = parse_bool(
            keys["ignore_warnings"],
            what=f"{where} ignore_warnings",
            setting=(f"profile:{name}", "ignore_warnings"),
        )
    verify = base.ssl_verify
    if "ssl_verify" in keys:
        verify = parse_bool(
            keys["ssl_verify"], what=f"{where} ssl_verify", setting=(f"profile:{name}", "ssl_verify")
        )
    return replace(
        base,
        username=keys.get("username") or None,
        password=keys.get("password") or None,
        ignore_warnings=ignore,
        ssl_verify=verify,
        ssl_cert=keys.get("ssl_cert") or base.ssl_cert,
        settings=settings,
        plugins=plugins,
        profile=name,
    )


def _named(config: Config) -> dict[str, Mapping[str, str]]:
    named: dict[str, Mapping[str, str]] = {}
    for given, keys in config.profiles.items():
        where = config.profile_origins.get(given) or f"[profile:{given}]"  # a variable's, by its name
        name = check_name(given, where)
        if name == DEFAULT_PROFILE:
            raise ConfigError(
                f"{where}: {DEFAULT_PROFILE!r} is the profile of the [peloton] and "
                "[peloton-export] sections; name yours otherwise"
            )
        named[name] = keys
    return named


def default_profile(config: Config | None = None) -> Profile:
    """The default profile: ``config`` (default :func:`load_config`) as it is, today's folders."""
    return Profile(DEFAULT_PROFILE, config or load_config(), default_dirs())


#: ``[plugin:*]`` keys that name a file or folder of one member's own (a login, a journal, the
#: directory sink's folder): two profiles naming one place would share it.
OWN_PATH_KEYS = frozenset({"token_file", "token_dir", "journal_file", "cooldown_file", "pause_file", "path"})
#: Subfolders an export writes inside its output folder (the Parquet dataset,
#: :data:`peloton_export.formats.parquet.ROOT`): no other profile's folder may be one.
OUTPUT_SUBFOLDERS = ("parquet",)


def _real(path: Path) -> Path:
    """``path`` as the disk sees it: ``~`` expanded, absolute, symlinks followed (so two
    spellings of one folder, or a symlinked profile folder, are one place)."""
    try:
        return Path(os.path.realpath(path.expanduser()))
    except (OSError, RuntimeError):  # an unknown ~user, a symlink loop: compare as written
        return Path(os.path.abspath(path))


def profile_places(profile: Profile) -> list[tuple[str, Path]]:
    """The places that are ``profile``'s alone, as ``(what, path)``: its output folder, its
    state, login and archive folders, and its plugins' own files and folders
    (:data:`OWN_PATH_KEYS`, ``strava.token_file``, ``directory.path``)."""
    places = [
        ("output folder", profile.output_dir),
        ("state folder", profile.dirs.state),
        ("login folder", profile.dirs.config),
        ("archive", profile.dirs.archive),
    ]
    for plugin, values in sorted(profile.config.plugins.items()):
        for key, value in sorted(values.items()):
            if key in OWN_PATH_KEYS and value.strip():
                places.append((f"{plugin}.{key}", Path(value.strip())))
    return places


def check_apart(profiles: Sequence[Profile], chosen: Profile | None = None) -> None:
    """Refuse a household where two profiles share a place (:func:`profile_places`): one
    output folder, state folder, login folder, archive, token file or sink folder, or one's
    output folder being the Parquet dataset inside another's. Their files would be mixed,
    or one member's login read as the other's. With ``chosen``, only the places it shares
    with another profile count (the run of that one profile).

    :raises ConfigError: one line naming both profiles and the shared place.
    """
    owners: dict[Path, tuple[str, str, Path]] = {}
    for profile in profiles:
        places = [(what, path, _real(path)) for what, path in profile_places(profile)]
        output = _real(profile.output_dir)
        places += [(f"output folder's {sub}/", output / sub, output / sub) for sub in OUTPUT_SUBFOLDERS]
        for what, path, real in places:
            other = owners.get(real)
            if other is None:
                owners[real] = (profile.name, what, path)
                continue
            name, other_what, _ = other
            if name == profile.name or (chosen is not None and chosen.name not in (name, profile.name)):
                continue
            raise ConfigError(
                f"profiles {name} and {profile.name} share one place, {real} ({name}'s {other_what}, "
                f"{profile.name}'s {what}): each member's files and logins must be their own; "
                f"give one of them its own (output_dir or PLUGIN.KEY in its [profile:NAME] section)"
            )


def _default_is_member(config: Config, environ: Mapping[str, str]) -> bool:
    choice = (config.get("default_profile") or "auto").strip().lower()
    if choice != "auto":
        try:
            return parse_bool(choice, what="[peloton-export] default_profile")
        except ConfigError:
            raw = config.get("default_profile") or ""
            raise SettingError(
                "peloton-export", "default_profile", raw, f"expected yes, no or auto, got {raw.strip()!r}"
            ) from None
    if config.username or environ.get("PELOTON_EXPORT_TOKEN"):
        return True
    return (default_dirs().config / _TOKEN_FILE).is_file()


def load_profiles(config: Config | None = None, environ: Mapping[str, str] | None = None) -> list[Profile]:
    """Every profile of the household: the default one (when it is a member, see the module
    documentation), then the ``[profile:NAME]`` ones in the config's order.

    A config without profiles gives ``[the default profile]``. ``config`` defaults to
    :func:`load_config`; ``environ`` to the process environment.

    :raises ConfigError: a bad profile name, a profile named ``default``, a bad value, two
        profiles sharing a folder or token file (:func:`check_apart`).
    """
    config = config or load_config()
    env = os.environ if environ is None else environ
    named = _named(config)
    profiles: list[Profile] = []
    if not named or _default_is_member(config, env):
        profiles.append(default_profile(config))
    for name, keys in named.items():
        profiles.append(Profile(name, profile_config(config, name, keys), named_dirs(name)))
    # the default profile's folders count even when it is not a member: a plain command runs it
    check_apart(profiles if profiles[0].is_default else [default_profile(config), *profiles])
    return profiles


def profile_names(config: Config | None = None) -> list[str]:
    """Every profile name that :func:`resolve_profile` accepts: ``default`` first, then the
    named ones (for completion and messages)."""
    config = config or load_config()
    return [DEFAULT_PROFILE, *_named(config)]


def resolve_profile(
    name: str | None = None, *, config: Config | None = None, environ: Mapping[str, str] | None = None
) -> Profile:
    """The profile called ``name``, else ``$PELOTON_EXPORT_PROFILE``, else the default one.

    ``default`` is always accepted (even when it is not a household member).

    :raises ConfigError: an unknown name, with the nearest known one and the list; the
        profile sharing a folder or token file with another (:func:`check_apart`).
    """
    env = os.environ if environ is None else environ
    config = config or load_config()
    wanted = name if name is not None else (env.get(PROFILE_ENV) or "").strip() or DEFAULT_PROFILE
    where = "--profile" if name is not None else PROFILE_ENV
    chosen = wanted.strip().lower()
    named = _named(config)
    if chosen == DEFAULT_PROFILE:
        profile = default_profile(config)
        _check_chosen(profile, config, named)
        return profile
    if chosen not in named:
        known = [DEFAULT_PROFILE, *named]
        near = difflib.get_close_matches(chosen, known, n=1)
        hint = f"did you mean {near[0]}? " if near else ""
        raise ConfigError(
            f"{where}: no profile {wanted!r}; {hint}the config has: {', '.join(known)} "
            "(add a [profile:NAME] section)"
        )
    profile = Profile(chosen, profile_config(config, chosen, named[chosen]), named_dirs(chosen))
    _check_chosen(profile, config, named)
    return profile


def _check_chosen(profile: Profile, config: Config, named: Mapping[str, Mapping[str, str]]) -> None:
    """:func:`check_apart` for one profile's run, against every other profile of the config
    (in the config's order, so messages name the two as the household lists them)."""
    if not named:
        return
    household = [
        profile
        if name == profile.name
        else default_profile(config)
        if name == DEFAULT_PROFILE
        else Profile(name, profile_config(config, name, named[name], warn=False), named_dirs(name))
        for name in (DEFAULT_PROFILE, *named)
    ]
    check_apart(household, chosen=profile)


#: A command a message tells the user to run (in backticks or parentheses), not yet naming
#: a profile: ``peloton-export login``, ``peloton-export strava login``, ``... garmin login
#: --import PATH``, ``... ledger forget ID``.
_COMMAND = re.compile(r"([`(])peloton-export (?!--profile )")


def for_profile(text: str, name: str) -> str:
    """A message as profile ``name``'s member must act on it: every command it names
    (`` `peloton-export login` ``, `` `peloton-export strava login` ``, ``(peloton-export
    garmin login --import PATH)``) gets ``--profile NAME`` (run without it, it would act
    on the default member's login), and the ``[peloton]`` keys and variables become the
    profile's. The default profile's is ``text``."""
    if name == DEFAULT_PROFILE:
        return text
    variable = f"PELOTON_EXPORT_PROFILE_{name.upper().replace('-', '_')}"
    variable += "__" if ("_" in name or "-" in name) else "_"
    text = _COMMAND.sub(lambda match: f"{match.group(1)}peloton-export --profile {name} ", text)
    return text.replace("[peloton] username", f"[profile:{name}] username").replace(
        "PELOTON_USERNAME/PELOTON_PASSWORD", f"{variable}USERNAME/{variable}PASSWORD"
    )


def active_account_env(variable: str) -> bool:
    """Whether ``variable`` may be read now: not an :data:`ACCOUNT_ENV` variable while a
    named profile is active (it is the default member's)."""
    from peloton_export.paths import active_profile

    return variable not in ACCOUNT_ENV or active_profile() == DEFAULT_PROFILE


__all__ = [
    "ACCOUNT_ENV",
    "ACCOUNT_KEYS",
    "DEFAULT_PROFILE",
    "OWN_PATH_KEYS",
    "PROFILE_ENV",
    "Profile",
    "check_apart",
    "check_name",
    "default_profile",
    "for_profile",
    "load_profiles",
    "profile_config",
    "profile_names",
    "profile_places",
    "resolve_profile",
]
