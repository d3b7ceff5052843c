"""The configuration file, compatible with the original peloton-client-library.

The file is INI, read from ``$PELOTON_CONFIG`` or ``~/.config/peloton``. The ``[peloton]``
section keeps the original keys (``username``, ``password``, ``ignore_warnings``,
``ssl_verify``, ``ssl_cert``); ``PELOTON_USERNAME`` and ``PELOTON_PASSWORD`` take
precedence over it. peloton-export's own settings live in ``[peloton-export]`` and each
plugin's in ``[plugin:NAME]``.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from peloton_export.errors import ConfigError

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def config_path() -> Path:
    """``$PELOTON_CONFIG`` or ``~/.config/peloton``."""
    value = os.environ.get("PELOTON_CONFIG")
    return Path(value).expanduser() if value else Path("~/.config/peloton").expanduser()


def parse_bool(value: str, *, what: str) -> bool:
    """Read an INI boolean; a word that is not one raises ``ConfigError`` naming ``what``."""
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{what}: expected true or false, got {value!r}")


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

    def get(self, key: str, default: str | None = None) -> str | None:
        """A key of the ``[peloton-export]`` section."""
        return self.settings.get(key, default)


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read the config file (a missing file is an empty config) and apply the environment."""
    env = os.environ if environ is None else environ
    path = path or config_path()
    parser = configparser.ConfigParser(interpolation=None)
    if path.is_file():
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError) as exc:
            first = str(exc).splitlines()[0]
            raise ConfigError(f"{path}: cannot read the config file: {first}") from None
    peloton = parser["peloton"] if parser.has_section("peloton") else {}
    where = f"{path} [peloton]"
    ignore = parse_bool(peloton.get("ignore_warnings", "false"), what=f"{where} ignore_warnings")
    verify = parse_bool(peloton.get("ssl_verify", "true"), what=f"{where} ssl_verify")
    settings = dict(parser["peloton-export"]) if parser.has_section("peloton-export") else {}
    plugins = {
        name.split(":", 1)[1]: dict(parser[name]) for name in parser.sections() if name.startswith("plugin:")
    }
    return Config(
        path=path if path.is_file() else None,
        username=env.get("PELOTON_USERNAME") or peloton.get("username") or None,
        password=env.get("PELOTON_PASSWORD") or peloton.get("password") or None,
        ignore_warnings=ignore,
        ssl_verify=verify,
        ssl_cert=peloton.get("ssl_cert") or None,
        settings=settings,
        plugins=plugins,
    )


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
