"""The configuration file, compatible with the original peloton-client-library.

The file is INI. Where it is read from (:func:`config_source`, first that applies):
``--config PATH`` (which sets ``$PELOTON_EXPORT_CONFIG``), ``$PELOTON_EXPORT_CONFIG``,
``$PELOTON_CONFIG`` (peloton-client-library's variable), ``~/.config/peloton`` when that
file exists (peloton-client-library's place: noted once, see :func:`note_legacy_config`),
else the tool's own home, ``config.ini`` in platformdirs' user config folder
(``~/.config/peloton-export/config.ini`` on Linux, ``~/Library/Application
Support/peloton-export/config.ini`` on macOS, ``%LOCALAPPDATA%\\peloton-export\\config.ini``
on Windows). The ``[peloton]``
section keeps the original keys (``username``, ``password``, ``ignore_warnings``,
``ssl_verify``, ``ssl_cert``); ``PELOTON_USERNAME`` and ``PELOTON_PASSWORD`` take
precedence over it. peloton-export's own settings live in ``[peloton-export]`` and each
plugin's in ``[plugin:NAME]``. Each household member's settings live in ``[profile:NAME]``
(read here as they are, made into a profile by :mod:`peloton_export.profiles`).

Every setting can also come from the environment (what containers use), which wins over
the file; the command line wins over both. The naming rule (:func:`setting_from_env_name`):

* ``PELOTON_EXPORT_<KEY>`` sets ``[peloton-export] <key>`` (``PELOTON_EXPORT_OUTPUT_DIR``
  sets ``output_dir``);
* ``PELOTON_EXPORT_PLUGIN_<NAME>_<KEY>`` sets ``[plugin:<name>] <key>``
  (``PELOTON_EXPORT_PLUGIN_STRAVA_CLIENT_ID``); a plugin name holding ``_`` or ``-`` is
  followed by a double underscore (``PELOTON_EXPORT_PLUGIN_MY_SINK__API_KEY``);
* ``PELOTON_EXPORT_PROFILE_<NAME>_<KEY>`` sets ``[profile:<name>] <key>``
  (``PELOTON_EXPORT_PROFILE_ANNA_USERNAME``); a plugin's key of the profile is
  ``PELOTON_EXPORT_PROFILE_<NAME>_PLUGIN_<PLUGIN>_<KEY>`` (``[profile:anna] strava.client_id``);
  a profile name holding ``_`` or ``-`` is followed by a double underscore, as plugin names
  are (``PELOTON_EXPORT_PROFILE_MY_KID__USERNAME``);
* names are upper case with ``-`` written as ``_``; the variables in
  :data:`RESERVED_ENV` (``PELOTON_EXPORT_ARCHIVE``, ``PELOTON_EXPORT_STATE_DIR``, ...) keep
  their own meaning and are never read as settings.

Secrets can come from files, the Docker-secrets convention: ``<VARIABLE>_FILE`` names a
file whose content (one trailing newline removed) is the value of ``<VARIABLE>``, for the
setting variables above and for each variable of :data:`SECRET_ENV` (``PELOTON_PASSWORD_FILE``,
``STRAVA_CLIENT_SECRET_FILE``, ...). Setting both ``X`` and ``X_FILE`` is an error. Settings
whose own name ends in ``_file`` (:data:`PATH_SETTINGS`, such as Strava's ``token_file``)
are paths: their variable is read as the path itself.
"""

from __future__ import annotations

import configparser
import difflib
import logging
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from peloton_export.errors import ConfigError, SettingError
from peloton_export.readback import StateFileError, read_state_bytes

#: The yes/no words every boolean setting, option and variable accepts (any case; see
#: :func:`parse_bool`, the one parser of them).
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
ENV_PREFIX = "PELOTON_EXPORT_"
PLUGIN_PREFIX = "PELOTON_EXPORT_PLUGIN_"
PROFILE_PREFIX = "PELOTON_EXPORT_PROFILE_"
FILE_SUFFIX = "_FILE"

#: ``PELOTON_EXPORT_*`` variables with a meaning of their own: never read as settings.
RESERVED_ENV = frozenset(
    {
        "PELOTON_EXPORT_ARCHIVE",
        "PELOTON_EXPORT_DATA_DIR",
        "PELOTON_EXPORT_STATE_DIR",
        "PELOTON_EXPORT_CONFIG_DIR",
        "PELOTON_EXPORT_TOKEN",
        "PELOTON_EXPORT_LOAD_PLUGINS",
        "PELOTON_EXPORT_DISABLE_PLUGINS",
        "PELOTON_EXPORT_STRICT_PLUGINS",
        "PELOTON_EXPORT_TRACE_PLUGINS",
        "PELOTON_EXPORT_STRAVA_URL",
        "PELOTON_EXPORT_INTERVALS_URL",
        "PELOTON_EXPORT_WATCH_MIN_INTERVAL",
        "PELOTON_EXPORT_CONFIG_OPTIONAL",
        "PELOTON_EXPORT_CONFIG",  # the config file (--config)
        "PELOTON_EXPORT_PROFILE",  # the profile to use (peloton_export.profiles)
        # the test suite's: where ../shared is, where CI keeps screenshots
        "PELOTON_EXPORT_SHARED",
        "PELOTON_EXPORT_ARTIFACTS",
    }
)

#: Variables read directly by the client and the first-party plugins that may instead be
#: given as ``<NAME>_FILE`` (a Docker secret); the file's content is put in the environment.
SECRET_ENV = (
    "PELOTON_USERNAME",
    "PELOTON_PASSWORD",
    "PELOTON_EXPORT_TOKEN",
    "STRAVA_CLIENT_ID",
    "STRAVA_CLIENT_SECRET",
    "INTERVALS_API_KEY",
    "INTERVALS_ATHLETE_ID",
    "GARMIN_EMAIL",
    "GARMIN_PASSWORD",
)

#: Setting names ending in ``_file`` that are paths, not ``<setting>_FILE`` secrets.
PATH_SETTINGS = frozenset({"token_file", "journal_file"})


#: The variable naming the config file (``--config`` sets it, so child processes see it).
CONFIG_ENV = "PELOTON_EXPORT_CONFIG"
#: peloton-client-library's variable and file, still read.
LEGACY_ENV = "PELOTON_CONFIG"
LEGACY_CONFIG = "~/.config/peloton"
#: The config file's name in the tool's own config folder.
CONFIG_NAME = "config.ini"


@dataclass(frozen=True, slots=True)
class ConfigSource:
    """Where the config file is read from: ``path`` and ``origin``, one of ``"PELOTON_EXPORT_CONFIG"``
    (or ``--config``), ``"PELOTON_CONFIG"``, ``"legacy"`` (``~/.config/peloton``) or ``"home"``
    (:func:`home_config_path`). ``variable`` names the variable that chose it (explicit
    choices must name a file, see :func:`_check_named_config`)."""

    path: Path
    origin: str

    @property
    def variable(self) -> str | None:
        """The environment variable that named the file, else ``None``."""
        return self.origin if self.origin in (CONFIG_ENV, LEGACY_ENV) else None


def home_config_path() -> Path:
    """peloton-export's own config file: ``config.ini`` in platformdirs' user config folder
    (``~/.config/peloton-export/config.ini`` on Linux, XDG_CONFIG_HOME honoured)."""
    import platformdirs

    from peloton_export.paths import APP_NAME

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / CONFIG_NAME


def _legacy_file() -> Path | None:
    """``~/.config/peloton`` when something other than a folder is there (a broken file is
    read, so that its error is shown, not silently skipped)."""
    path = Path(LEGACY_CONFIG).expanduser()
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        return path
    return None


def config_source(environ: Mapping[str, str] | None = None) -> ConfigSource:
    """Where the config is read from: ``$PELOTON_EXPORT_CONFIG`` (``--config``), else
    ``$PELOTON_CONFIG``, else ``~/.config/peloton`` when it exists, else :func:`home_config_path`
    (which need not exist: no file is an empty config)."""
    env = os.environ if environ is None else environ
    for variable in (CONFIG_ENV, LEGACY_ENV):
        value = env.get(variable)
        if value:
            return ConfigSource(Path(value).expanduser(), variable)
    legacy = _legacy_file()
    if legacy is not None:
        return ConfigSource(legacy, "legacy")
    return ConfigSource(home_config_path(), "home")


def config_path() -> Path:
    """The config file's path (:func:`config_source`)."""
    return config_source().path


def _named_config(env: Mapping[str, str]) -> Path:
    """:func:`config_path`, checked by :func:`_check_named_config` when a variable named it;
    ``~/.config/peloton`` read in its stead of the home is noted once (:func:`note_legacy_config`)."""
    source = config_source()
    if source.variable is not None:
        _check_named_config(source.path, {**os.environ, **env}, source.variable)
    elif source.origin == "legacy":
        note_legacy_config(source.path)
    return source.path


def _check_named_config(path: Path, env: Mapping[str, str], variable: str = LEGACY_ENV) -> None:
    """A ``$PELOTON_CONFIG`` (or ``$PELOTON_EXPORT_CONFIG``) that names no file is a
    mistake, not "no config".

    ``PELOTON_CONFIG=/dev/null`` (:data:`os.devnull`) is an empty config on purpose, and
    ``PELOTON_EXPORT_CONFIG_OPTIONAL=true`` (what the container image sets) lets the named
    file be missing.

    :raises ConfigError: one line naming the variable and the path.
    """
    if str(path) == os.devnull or path.is_file():
        return
    if not path.exists():
        optional = env.get("PELOTON_EXPORT_CONFIG_OPTIONAL", "").strip() or None
        if parse_bool(optional, what="PELOTON_EXPORT_CONFIG_OPTIONAL"):
            return
        raise ConfigError(f"{variable} names {path}, which does not exist")
    raise ConfigError(f"{variable} names {path}, which is not a file")


#: The file in the state folder that remembers the legacy-location note was given.
NOTED_FILE = "config-location-noted"
_NOTED: set[str] = set()


def note_legacy_config(path: Path) -> None:
    """Say once that the config is read from peloton-client-library's ``~/.config/peloton``
    rather than the tool's home (and that a config.ini there is not read, when there is one).

    Once per process and once per machine: the note's text is kept in the default state
    folder (:data:`NOTED_FILE`) and only a different note is given again. A state folder
    that cannot be written only means the note may come again.
    """
    from peloton_export.paths import default_dirs

    home = home_config_path()
    text = f"note: the config is read from {path} (peloton-client-library's place); "
    if home.exists():
        text += f"{home} exists too and is not read while {path} does: merge them and remove one"
    else:
        text += f"peloton-export's own is {home} (move it there to use it; `peloton-export config path`)"
    if text in _NOTED:
        return
    _NOTED.add(text)
    marker = default_dirs().state / NOTED_FILE
    try:  # a state file like any other: a FIFO, /dev/zero or a huge file there is no note
        if read_state_bytes(marker, limit=64 * 1024) == text.encode("utf-8"):
            return
    except StateFileError:
        pass
    log.warning("%s", text)
    try:  # replaced, never written through: a FIFO or a link there is not opened
        marker.parent.mkdir(parents=True, exist_ok=True)
        temporary = marker.with_name(f".{marker.name}.{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, marker)
    except OSError:
        pass


#: The largest config file read (a config is a few kB).
MAX_CONFIG_BYTES = 1024 * 1024


def read_config_text(path: Path) -> str | None:
    """The config file's text, ``None`` when there is none (or it is :data:`os.devnull`).

    :raises ConfigError: the file is a FIFO, device, socket, folder or dangling symlink, is
        larger than :data:`MAX_CONFIG_BYTES`, unreadable, or not UTF-8 (one line naming it).
    """
    if str(path) == os.devnull:
        return None
    try:
        data = read_state_bytes(Path(path), limit=MAX_CONFIG_BYTES)
    except StateFileError as exc:
        raise ConfigError(f"the config file {exc}: fix it or remove it") from None
    if data is None:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot read the config file: not UTF-8 text (byte {exc.start})") from None


def split_names(values: str | Iterable[str] | None) -> list[str]:
    """Names given comma-separated and/or repeatedly (``-f tcx,gpx -f csv``, a config's
    ``formats = tcx, gpx``, a ``PELOTON_EXPORT_*_PLUGINS`` variable), in order, spaces
    around each trimmed and empty ones dropped: the one splitter of name lists.
    ``values`` is one text, several, or ``None`` (no names)."""
    if values is None:
        return []
    texts = [values] if isinstance(values, str) else values
    return [part.strip() for text in texts for part in text.split(",") if part.strip()]


def parse_bool(
    value: str | None, *, what: str, default: bool = False, setting: tuple[str, str] | None = None
) -> bool:
    """Read a yes/no word (:data:`TRUE_WORDS`, :data:`FALSE_WORDS`, any case, spaces
    around ignored): the one parser of every boolean setting, ``--option`` and variable.
    ``None`` (not set) is ``default``. ``setting`` (``(section, key)``) names the config
    setting the value is, so that the error can name the file and line.

    :raises ConfigError: any other word (the empty one included), naming ``what``:
        ``"<what>: expected true or false, got '<value>'"`` (a :class:`SettingError` when
        ``setting`` is given).
    """
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    problem = f"expected true or false, got {value!r}"
    if setting is not None:
        raise SettingError(*setting, value, problem, label=what)
    raise ConfigError(f"{what}: {problem}")


_SECTION_LINE = re.compile(r"\s*\[(?P<name>[^\]]+)\]")
_KEY_LINE = re.compile(r"(?P<key>[^=:\s][^=:]*?)\s*[=:](?P<value>.*)")


def setting_lines(text: str) -> Iterator[tuple[int, str, str, str]]:
    """``(line number, section, key, value)`` of each ``key = value`` line of an INI text,
    read the way :mod:`configparser` reads it (keys lower case, ``#``/``;`` comments and
    indented continuation lines skipped): where a setting was written, since
    :mod:`configparser` keeps no line numbers. Line numbers start at 1."""
    section = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if line[:1].isspace() and section:  # a continuation of the value above
            continue
        if match := _SECTION_LINE.match(line):
            section = match["name"]
            continue
        if (match := _KEY_LINE.match(stripped)) and section:
            yield number, section, match["key"].strip().lower(), match["value"].strip()


def _env_variable(error: SettingError, environ: Mapping[str, str]) -> str | None:
    """The environment variable that gave ``error``'s value (see :func:`env_settings`)."""
    if error.section == "peloton-export":
        plugin: str | None = None
    elif error.section.startswith("plugin:"):
        plugin = error.section.split(":", 1)[1].lower().replace("-", "_")
    else:
        return None
    for variable in sorted(environ):
        found = setting_from_env_name(variable)
        if found == (plugin, error.key) and environ[variable].strip() == error.value.strip():
            return variable
    return None


def locate_setting(
    error: SettingError, config: Config | None, environ: Mapping[str, str] | None = None
) -> str:
    """``error``'s message with where its value came from, for one ``Error:`` line:
    ``<file>, line N: [section] key: <problem>`` for a value written in the config file,
    ``$VARIABLE ([section] key): <problem>`` for one given by an environment variable
    (which wins over the file), else the message as it is (a command-line value). A
    household profile's own ``[profile:NAME]`` key is looked up first while it is active.
    The file is read again and each candidate line's value must equal the bad one, so a
    value is never blamed on a line that did not give it."""
    env = os.environ if environ is None else environ
    variable = _env_variable(error, env)
    if variable is not None:
        return f"${variable} ({error.label}): {error.problem}"
    path = config.path if config is not None else None
    if path is None:
        return str(error)
    try:
        text = read_config_text(path)
    except ConfigError:
        return str(error)
    wanted = [(error.section, error.key)]
    if config is not None and config.profile != "default":
        if error.section == "peloton-export":
            wanted.insert(0, (f"profile:{config.profile}", error.key))
        elif error.section.startswith("plugin:"):
            wanted.insert(0, (f"profile:{config.profile}", f"{error.section.split(':', 1)[1]}.{error.key}"))

    def fold(section: str) -> str:  # profile names ignore case and spaces
        return section.replace(" ", "").lower() if section.lower().startswith("profile:") else section

    found = {
        (fold(section), key): (number, section, value)
        for number, section, key, value in setting_lines(text or "")
    }
    for section, key in wanted:
        spot = found.get((fold(section), key))
        if spot is not None and spot[2] == error.value.strip():
            return f"{path}, line {spot[0]}: [{spot[1]}] {key}: {error.problem}"
    return str(error)


@dataclass(frozen=True, slots=True)
class Config:
    """Settings read from the config file and the environment."""

    path: Path | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ignore_warnings: bool = False
    ssl_verify: bool = True
    ssl_cert: str | None = None
    settings: Mapping[str, str] = field(default_factory=dict)
    plugins: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: The ``[profile:NAME]`` sections (file and environment), by lower-case name, as
    #: written: :func:`peloton_export.profiles.load_profiles` makes them profiles.
    profiles: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: Where a profile that has no ``[profile:NAME]`` section came from: one of its
    #: ``PELOTON_EXPORT_PROFILE_<NAME>_<KEY>`` variables, by name (for messages).
    profile_origins: Mapping[str, str] = field(default_factory=dict)
    #: The profile this config is of (``"default"``: the file's own sections).
    profile: str = "default"

    def get(self, key: str, default: str | None = None) -> str | None:
        """A key of the ``[peloton-export]`` section."""
        return self.settings.get(key, default)


def _read_secret_file(variable: str, path: str) -> str:
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{variable}: cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{variable}: {path} is not UTF-8 text") from None
    return text[:-1] if text.endswith("\n") else text


def secret_file_values(environ: Mapping[str, str]) -> dict[str, str]:
    """The values that ``<NAME>_FILE`` variables of :data:`SECRET_ENV` give (by ``NAME``).

    :raises ConfigError: when a file cannot be read or both ``NAME`` and ``NAME_FILE`` are set.
    """
    values: dict[str, str] = {}
    for name in SECRET_ENV:
        path = environ.get(name + FILE_SUFFIX)
        if not path:
            continue
        value = _read_secret_file(name + FILE_SUFFIX, path)
        if environ.get(name) and environ[name] != value:  # equal: put there by an earlier call
            raise ConfigError(f"both {name} and {name}{FILE_SUFFIX} are set; set only one")
        values[name] = value
    return values


def setting_from_env_name(variable: str) -> tuple[str | None, str] | None:
    """Which setting an environment variable names: ``(plugin or None, key)``, or ``None``.

    ``PELOTON_EXPORT_OUTPUT_DIR`` is ``(None, "output_dir")``;
    ``PELOTON_EXPORT_PLUGIN_STRAVA_CLIENT_ID`` is ``("strava", "client_id")``;
    ``PELOTON_EXPORT_PLUGIN_MY_SINK__API_KEY`` is ``("my_sink", "api_key")``. Reserved
    variables (:data:`RESERVED_ENV`, with or without ``_FILE``) and names outside the
    scheme give ``None``. A trailing
    ``_FILE`` is part of the key here; :func:`load_config` decides what it means.
    """
    if not variable.startswith(ENV_PREFIX):
        return None
    base = variable.removesuffix(FILE_SUFFIX)
    if variable in RESERVED_ENV or base in RESERVED_ENV or base in SECRET_ENV:
        return None
    if variable.startswith(PROFILE_PREFIX):
        return None  # a profile's setting: see profile_env_settings
    if variable.startswith(PLUGIN_PREFIX):
        rest = variable[len(PLUGIN_PREFIX) :]
        if "__" in rest:
            name, _, key = rest.partition("__")
        else:
            name, _, key = rest.partition("_")
        if not name or not key:
            return None
        return name.lower(), key.lower()
    key = variable[len(ENV_PREFIX) :].lower()
    return (None, key) if key else None


def _section_name(plugin: str, known: Mapping[str, object]) -> str:
    """The config-file spelling of ``plugin`` (``my_sink`` may be ``my-sink`` in the file)."""
    for name in known:
        if name.lower().replace("-", "_") == plugin:
            return name
    return plugin


def env_settings(
    environ: Mapping[str, str], plugin_names: Mapping[str, object] | None = None
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Settings given through the environment: ``([peloton-export] keys, {plugin: keys})``.

    ``<VARIABLE>_FILE`` reads the value from a file, except for :data:`PATH_SETTINGS`.

    :raises ConfigError: when a ``_FILE`` cannot be read or a setting is given both ways.
    """
    core: dict[str, str] = {}
    plugins: dict[str, dict[str, str]] = {}
    given: dict[tuple[str | None, str], str] = {}
    for variable in sorted(environ):
        found = setting_from_env_name(variable)
        if found is None:
            continue
        plugin, key = found
        value = environ[variable]
        if key.endswith(FILE_SUFFIX.lower()) and key not in PATH_SETTINGS:
            key = key[: -len(FILE_SUFFIX)]
            if not key:
                continue
            value = _read_secret_file(variable, value)
        if (plugin, key) in given:
            raise ConfigError(f"both {given[plugin, key]} and {variable} are set; set only one")
        given[plugin, key] = variable
        if plugin is None:
            core[key] = value
        else:
            plugins.setdefault(_section_name(plugin, plugin_names or {}), {})[key] = value
    return core, plugins


def _split_name(rest: str, known: Iterable[str]) -> tuple[str, str] | None:
    """``NAME_KEY`` -> ``(name, KEY)`` for a profile variable: a name of ``known`` (as the
    file spells it, ``-`` written ``_``) first, else the part before ``__``, else before the
    first ``_``."""
    for name in sorted(known, key=len, reverse=True):
        spelled = name.upper().replace("-", "_")
        for separator in ("__", "_"):
            if rest.startswith(spelled + separator) and len(rest) > len(spelled) + len(separator):
                return name, rest[len(spelled) + len(separator) :]
    head, sep, tail = rest.partition("__")
    if sep and head and tail and "_PLUGIN_" not in f"_{head}_":
        return head.lower(), tail
    head, sep, tail = rest.partition("_")
    return (head.lower(), tail) if sep and head and tail else None


def _profile_key(rest: str) -> str | None:
    """A profile variable's key: ``OUTPUT_DIR`` -> ``output_dir``, ``PLUGIN_STRAVA_CLIENT_ID``
    -> ``strava.client_id``, ``PLUGIN_MY_SINK__API_KEY`` -> ``my_sink.api_key``."""
    if not rest.lower().startswith("plugin_"):
        return rest.lower() or None
    tail = rest[len("plugin_") :]
    plugin, sep, key = tail.partition("__") if "__" in tail else tail.partition("_")
    return f"{plugin.lower()}.{key.lower()}" if sep and plugin and key else None


def profile_env_settings(environ: Mapping[str, str], known: Iterable[str] = ()) -> dict[str, dict[str, str]]:
    """The ``[profile:NAME]`` keys that ``PELOTON_EXPORT_PROFILE_<NAME>_<KEY>`` variables
    give, by profile name (lower case, or as ``known``, the file's section names, spell it).

    ``..._PLUGIN_<PLUGIN>_<KEY>`` is the profile's ``<plugin>.<key>`` (a plugin name holding
    ``_`` followed by ``__``); ``<VARIABLE>_FILE`` reads the value from a file, except for
    :data:`PATH_SETTINGS`.

    :raises ConfigError: a ``_FILE`` that cannot be read, or a key given both ways.
    """
    names = list(known)
    out: dict[str, dict[str, str]] = {}
    given: dict[tuple[str, str], str] = {}
    for variable in sorted(environ):
        if not variable.startswith(PROFILE_PREFIX):
            continue
        found = _split_name(variable[len(PROFILE_PREFIX) :], names)
        if found is None:
            continue
        name, rest = found
        key = _profile_key(rest)
        if not key:
            continue
        value = environ[variable]
        last = key.rsplit(".", 1)[-1]
        if last.endswith(FILE_SUFFIX.lower()) and last not in PATH_SETTINGS:
            key = key[: -len(FILE_SUFFIX)]
            if key.endswith(".") or not key:
                continue
            value = _read_secret_file(variable, value)
        lowered = key
        if (name, lowered) in given:
            raise ConfigError(f"both {given[name, lowered]} and {variable} are set; set only one")
        given[name, lowered] = variable
        out.setdefault(name, {})[lowered] = value
    return out


def _ini_problem(exc: configparser.Error | UnicodeDecodeError) -> str:
    """What is wrong with a config file, by line: ``line 3: 'formats tcx' is not
    key = value (or a [section])``; a file that is not UTF-8 says so."""
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start})"
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f"line {exc.lineno}: {_shown_line(exc.line)} comes before any [section]"
    if isinstance(exc, configparser.ParsingError):
        where = "; ".join(
            f"line {lineno}: {_shown_line(_unrepr(line))} is not key = value (or a [section])"
            for lineno, line in exc.errors[:3]
        )
        return where or "not INI"
    if isinstance(exc, configparser.DuplicateOptionError | configparser.DuplicateSectionError):
        return f"line {exc.lineno}: {exc.message.split(': ', 1)[-1]}" if exc.lineno else exc.message
    return str(exc).splitlines()[0]


#: Words that make a bad config line's rest a secret (``password hunter2`` without ``=``).
_SECRET_WORDS = ("password", "secret", "token", "key")


def _shown_line(line: str) -> str:
    """A bad config line as an error may show it: whole (up to 60 characters) when it
    starts with ``[`` or a known setting's name, only that name when the setting is a
    secret (``'password ...'``), and not at all otherwise: the file may not be a config
    file (a ``PELOTON_CONFIG`` pointing at a password file) or the line a secret itself."""
    text = line.strip()
    word = re.split(r"[\s=:]", text, maxsplit=1)[0].lower()
    known = set().union(*KNOWN_KEYS.values())
    if text.startswith("[") or (word in known and not any(w in word for w in _SECRET_WORDS)):
        return repr(text[:60])
    if word in known:
        return repr(f"{word} ...")
    return "a line (not shown: it does not start with a known setting)"


def _unrepr(line: str) -> str:
    """configparser keeps a bad line as its ``repr`` (Python 3.11/3.12), or as it is."""
    import ast

    try:
        value = ast.literal_eval(line)
    except (ValueError, SyntaxError):
        return line
    return value if isinstance(value, str) else line


def _profile_sections(parser: configparser.ConfigParser, env: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The ``[profile:NAME]`` sections of the file, by lower-case name, with the
    ``PELOTON_EXPORT_PROFILE_<NAME>_<KEY>`` variables over them.

    :raises ConfigError: two sections naming one profile (``[profile:Anna]`` and
        ``[profile:anna ]``): merged, one member's login would silently be the other's; two
        whose variables are spelled alike (``[profile:my-kid]``, ``[profile:my_kid]``).
    """
    profiles: dict[str, dict[str, str]] = {}
    sections: dict[str, str] = {}
    spelled: dict[str, str] = {}
    for section in parser.sections():
        if section.startswith("profile:"):
            name = section.split(":", 1)[1].strip().lower()
            if name in sections:
                raise ConfigError(
                    f"[{sections[name]}] and [{section}] are one profile ({name!r}: names ignore "
                    "case and spaces); rename one or merge them"
                )
            variable = PROFILE_PREFIX + name.upper().replace("-", "_")
            if variable in spelled:
                raise ConfigError(
                    f"[{spelled[variable]}] and [{section}] have the same variables ({variable}__KEY: "
                    "- is written _): one member's settings would be the other's; rename one"
                )
            sections[name] = section
            spelled[variable] = section
            profiles[name] = dict(parser[section])
    for name, values in profile_env_settings(env, profiles).items():
        profiles.setdefault(name, {}).update(values)
    return profiles


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read the config file and apply the environment.

    ``path`` is read, else :func:`config_source`'s file. A missing default file or ``path``
    is an empty config; ``$PELOTON_CONFIG`` or ``$PELOTON_EXPORT_CONFIG`` naming a missing
    file raises (see :func:`_check_named_config`).

    Precedence: the environment over the file (the command line, applied by each command,
    over both). With ``environ`` left out the process environment is used, and the values
    of ``<NAME>_FILE`` secrets (:data:`SECRET_ENV`) are also put into it as ``NAME``, so that
    code reading ``NAME`` directly sees them.

    :raises ConfigError: an unreadable or missing ``$PELOTON_EXPORT_CONFIG``/``$PELOTON_CONFIG``
        file, a bad boolean, an unreadable secret file, or a value given both as ``X`` and ``X_FILE``.
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    secrets = secret_file_values(env)
    if secrets:
        if environ is None:
            os.environ.update(secrets)
        else:
            env = {**env, **secrets}
    path = path or _named_config(env)
    parser = configparser.ConfigParser(interpolation=None)
    text = read_config_text(path)
    if text is not None:
        try:
            parser.read_string(text, source=str(path))
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read the config file: {_ini_problem(exc)}") from None
    for warning in unknown_keys(parser, path):
        if warning not in _WARNED:
            _WARNED.add(warning)
            log.warning("%s", warning)
    peloton = parser["peloton"] if parser.has_section("peloton") else {}
    where = f"{path} [peloton]"
    ignore = parse_bool(
        peloton.get("ignore_warnings", "false"),
        what=f"{where} ignore_warnings",
        setting=("peloton", "ignore_warnings"),
    )
    verify = parse_bool(
        peloton.get("ssl_verify", "true"), what=f"{where} ssl_verify", setting=("peloton", "ssl_verify")
    )
    settings = dict(parser["peloton-export"]) if parser.has_section("peloton-export") else {}
    plugins = {
        name.split(":", 1)[1]: dict(parser[name]) for name in parser.sections() if name.startswith("plugin:")
    }
    env_core, env_plugins = env_settings(env, plugins)
    settings.update(env_core)
    for name, values in env_plugins.items():
        plugins.setdefault(name, {}).update(values)
    profiles = _profile_sections(parser, env)
    origins = _profile_origins(parser, profiles, env)
    return Config(
        path=path if text is not None else None,
        username=env.get("PELOTON_USERNAME") or peloton.get("username") or None,
        password=env.get("PELOTON_PASSWORD") or peloton.get("password") or None,
        ignore_warnings=ignore,
        ssl_verify=verify,
        ssl_cert=peloton.get("ssl_cert") or None,
        settings=settings,
        plugins=plugins,
        profiles=profiles,
        profile_origins=origins,
    )


def _profile_origins(
    parser: configparser.ConfigParser, profiles: Mapping[str, object], env: Mapping[str, str]
) -> dict[str, str]:
    """For each profile without a ``[profile:NAME]`` section, a variable that gave it."""
    sections = {n.split(":", 1)[1].strip().lower() for n in parser.sections() if n.startswith("profile:")}
    return {name: _profile_origin(name, env) for name in profiles if name not in sections}


def _profile_origin(name: str, env: Mapping[str, str]) -> str:
    """A ``PELOTON_EXPORT_PROFILE_<NAME>_...`` variable that gave profile ``name``."""
    spelled = PROFILE_PREFIX + name.upper().replace("-", "_") + "_"
    return next((v for v in sorted(env) if v.startswith(spelled)), spelled + "...")


log = logging.getLogger("peloton_export.config")

#: Keys of the file's sections (plugin sections ``[plugin:NAME]`` belong to their plugins).
KNOWN_KEYS: Mapping[str, frozenset[str]] = {
    "peloton": frozenset({"username", "password", "ignore_warnings", "ssl_verify", "ssl_cert"}),
    "peloton-export": frozenset(
        {
            "formats",
            "output_dir",
            "sinks",
            "page_size",
            "concurrency",
            "max_rate",
            "timeout",
            "deadline",
            "max_body_mb",
            "max_attempts",
            "skip_imported",
            "fetch_ride_details",
            "auth",
            "keyring",
            "api_url",
            "auth_url",
            "auth_domain",
            "auth_client_id",
            "auth_audience",
            "auth_scope",
            "auth_redirect_uri",
            "watch_interval",
            "watch_jitter",
            "log_format",
            "notify",
            "notify_urls",
            "title_template",
            "stack",
            "stack_gap_s",
            "stack_parts",
            "default_profile",
        }
    ),
}

_WARNED: set[str] = set()


def unknown_keys(parser: configparser.ConfigParser, path: Path) -> list[str]:
    """One warning per unknown section or key of the file, naming the nearest known one.

    ``[plugin:NAME]`` sections are left to their plugins.
    """
    warnings: list[str] = []
    for section in parser.sections():
        if section.startswith(("plugin:", "profile:")):
            continue  # a profile's keys are checked by peloton_export.profiles
        known = KNOWN_KEYS.get(section)
        if known is None:
            near = difflib.get_close_matches(section, [*KNOWN_KEYS, "plugin:NAME", "profile:NAME"], n=1)
            hint = f"; did you mean [{near[0]}]?" if near else ""
            warnings.append(f"{path}: unknown section [{section}] is ignored{hint}")
            continue
        for key in parser[section]:
            if key not in known:
                near = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.5)
                hint = f"; did you mean {near[0]}?" if near else ""
                warnings.append(f"{path}: unknown key {key!r} in [{section}] is ignored{hint}")
    return warnings


def plugin_section(name: str) -> Mapping[str, str]:
    """The ``[plugin:NAME]`` section of the config, for a plugin's own subcommands.

    Inside a ``peloton-export`` command it is the config the command line loaded; outside
    one it is read from the config file.
    """
    import click

    ctx = click.get_current_context(silent=True)
    config = ctx.find_root().obj if ctx else None
    if not isinstance(config, Config):
        config = load_config()
    return config.plugins.get(name, {})
