"""One way for a plugin to read its settings: ``--option`` -> config section -> environment.

Inside an export run the options and the ``[plugin:NAME]`` section come from the
:class:`~peloton_export.specs.ExportContext`; in a plugin's own subcommands (``peloton-export
strava login``) from the config the command line loaded (:func:`peloton_export.config.
plugin_section`), with no options.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from peloton_export.config import parse_bool, plugin_section
from peloton_export.errors import SettingError
from peloton_export.specs import ExportContext
from peloton_export.workout.disciplines import display_discipline

__all__ = ["PluginSettings", "plugin_setting"]


class PluginSettings:
    """The settings of plugin ``plugin``.

    :param section: its ``[plugin:NAME]`` config section.
    :param options: the run's ``--option`` values, keyed ``"NAME.KEY"``.
    :param environ: the environment (default ``os.environ``).
    """

    def __init__(
        self,
        plugin: str,
        section: Mapping[str, str] | None = None,
        options: Mapping[str, str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.plugin = plugin
        self.section = dict(section or {})
        self.options = dict(options or {})
        self.environ = os.environ if environ is None else environ

    @classmethod
    def from_context(cls, context: ExportContext, plugin: str) -> PluginSettings:
        """The settings of an export run."""
        return cls(plugin, context.config_for(plugin), context.options)

    @classmethod
    def from_cli(cls, plugin: str) -> PluginSettings:
        """The settings for a plugin's own subcommands (the config the CLI loaded)."""
        return cls(plugin, plugin_section(plugin))

    def where(self, key: str) -> str:
        """How a message names the setting: ``[plugin:NAME] KEY``."""
        return f"[plugin:{self.plugin}] {key}"

    def get(self, key: str, env: str | None = None, default: str | None = None) -> str | None:
        """``--option NAME.KEY``, else the section's ``KEY``, else ``$env``, else ``default``.

        Empty values count as unset. While a named household profile is active an account
        variable (:data:`peloton_export.profiles.ACCOUNT_ENV`, such as ``INTERVALS_API_KEY``)
        is not read: it is the default member's.
        """
        from peloton_export.profiles import active_account_env

        value = self.options.get(f"{self.plugin}.{key}")
        if not value:
            value = self.section.get(key)
        if not value and env and active_account_env(env):
            value = self.environ.get(env)
        return value or default

    def number(self, key: str, default: float, env: str | None = None) -> float:
        """A setting read as a number.

        :raises ConfigError: the value is not a number.
        """
        value = self.get(key, env)
        if value is None:
            return default
        try:
            return float(value)
        except ValueError:
            raise SettingError(
                f"plugin:{self.plugin}",
                key,
                value,
                f"expected a number, got {value!r}",
                label=self.where(key),
            ) from None

    def flag(self, key: str, default: bool = False, env: str | None = None) -> bool:
        """A setting read as a boolean (1/true/yes/on, 0/false/no/off).

        :raises ConfigError: the value is neither.
        """
        return parse_bool(
            self.get(key, env), what=self.where(key), default=default, setting=(f"plugin:{self.plugin}", key)
        )

    def path(self, key: str, default: Path, env: str | None = None) -> Path:
        """A setting read as a path (``~`` expanded)."""
        value = self.get(key, env)
        return Path(value).expanduser() if value else default

    def per_discipline(self, key: str, discipline: str) -> str | None:
        """``KEY.<discipline>`` if set, else ``KEY`` (e.g. ``gear.cycling``, then ``gear``).

        The display name is looked up first, then Peloton's own (``gear.rowing``, then
        ``gear.caesar``, for the Row), so settings written either way keep working.
        """
        for name in dict.fromkeys((display_discipline(discipline), discipline)):
            value = self.get(f"{key}.{name}")
            if value:
                return value
        return self.get(key)


def plugin_setting(
    context: ExportContext, plugin: str, key: str, *, env: str | None = None, default: str | None = None
) -> str | None:
    """``--option PLUGIN.KEY=...``, else ``[plugin:PLUGIN] KEY``, else ``$ENV``, else ``default``."""
    return PluginSettings.from_context(context, plugin).get(key, env, default)
