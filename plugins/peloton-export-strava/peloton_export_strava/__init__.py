"""peloton-export-strava: the ``strava`` sink and the ``peloton-export strava`` commands.

Configure the plugin in the ``[plugin:strava]`` section of the config file (see README.md),
log in once with ``peloton-export strava login``, then ``peloton-export --sink strava``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click

from peloton_export import ExportContext, LoginSpec, SinkSpec, UploadResult, Workout, hookimpl
from peloton_export.errors import PelotonExportError
from peloton_export.sinkkit import Clock, PluginSettings
from peloton_export_strava.api import StravaApi, StravaSettings
from peloton_export_strava.login import login
from peloton_export_strava.ratelimit import RateLimits
from peloton_export_strava.upload import StravaUploader

__all__ = [
    "StravaApi",
    "StravaSettings",
    "StravaUploader",
    "exists",
    "register_commands",
    "register_logins",
    "register_sinks",
    "upload",
]


#: Time and sleeping for the sink (tests replace it).
CLOCK = Clock()
_LIMITS: dict[str, RateLimits] = {}


def upload(path: Path, workout: Workout, context: ExportContext) -> UploadResult:
    """The sink's ``upload``: one file of one workout to Strava (see :mod:`.upload`)."""
    settings = StravaSettings.from_context(context)
    # what Strava said about the rate limits outlives one upload (it is per app, per window)
    limits = _LIMITS.setdefault(f"{settings.api} {settings.client_id}", RateLimits())
    api = StravaApi(settings, clock=CLOCK, limits=limits)
    try:
        return StravaUploader(api)(path, workout, context)
    finally:
        api.close()


def exists(remote_id: str, context: ExportContext) -> bool:
    """Whether Strava still has activity ``remote_id`` (False: the user deleted it).

    Not called by the core yet: meant for a ``SinkSpec.exists`` check (see the README).
    """
    settings = StravaSettings.from_context(context)
    limits = _LIMITS.setdefault(f"{settings.api} {settings.client_id}", RateLimits())
    api = StravaApi(settings, clock=CLOCK, limits=limits)
    try:
        return api.activity_exists(remote_id)
    finally:
        api.close()


@hookimpl
def register_sinks() -> Iterator[SinkSpec]:
    """The ``strava`` sink; FIT preferred (gzipped on the way), then TCX, then GPX."""
    yield SinkSpec(
        name="strava",
        accepts=("fit", "tcx", "gpx"),
        upload=upload,
        exists=exists,
        description="upload to Strava (log in first: peloton-export strava login)",
    )


@hookimpl
def register_logins() -> Iterator[LoginSpec]:
    """The Strava login of the ``serve`` Logins page (:mod:`.weblogin`)."""
    from peloton_export_strava.weblogin import login_spec

    yield login_spec()


def _settings() -> StravaSettings:
    """The settings for ``peloton-export strava`` commands (the config the CLI loaded)."""
    return StravaSettings.from_settings(PluginSettings.from_cli("strava"))


@hookimpl
def register_commands(cli: click.Group) -> None:
    """``peloton-export strava login``, ``logout`` and ``gear``."""

    @cli.group("strava")
    def strava() -> None:
        """Log in to Strava for the strava sink."""

    @strava.command("login")
    @click.option(
        "--code",
        help="The code (or the whole address) from Strava's redirect, if the browser "
        "cannot reach this machine.",
    )
    @click.option(
        "--port", type=int, default=0, show_default=True, help="Local port for the redirect (0: any)."
    )
    @click.option("--no-browser", is_flag=True, help="Only print the address to open.")
    @click.option(
        "--timeout", type=float, default=300.0, show_default=True, help="Seconds to wait for Strava."
    )
    def login_command(code: str | None, port: int, no_browser: bool, timeout: float) -> None:
        """Authorize peloton-export to upload to your Strava account."""
        api = StravaApi(_settings())
        try:
            record = login(
                api,
                code=code,
                port=port,
                timeout=timeout,
                open_browser=(lambda url: None) if no_browser else __import__("webbrowser").open,
                echo=click.echo,
            )
        except PelotonExportError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            api.close()
        who = f" as athlete {record['athlete_id']}" if record.get("athlete_id") else ""
        click.echo(f"Logged in to Strava{who}; tokens saved to {api.tokens.path} (readable only by you).")

    @strava.command("logout")
    def logout_command() -> None:
        """Revoke peloton-export's access at Strava and forget the saved tokens."""
        settings = _settings()
        api = StravaApi(settings, clock=CLOCK)
        try:
            revoked = api.tokens.load() is not None and api.revoke()
        except PelotonExportError as exc:
            click.echo(f"Could not reach Strava to revoke the access ({exc}).", err=True)
            revoked = False
        finally:
            api.close()
        api.tokens.clear()
        if revoked:
            click.echo("Strava revoked peloton-export's access.")
        click.echo(f"Removed {settings.token_file}.")

    @strava.command("gear")
    def gear_command() -> None:
        """List your Strava bikes and shoes (names and ids) for the gear setting."""
        api = StravaApi(_settings(), clock=CLOCK)
        try:
            gear = api.gear()
        except PelotonExportError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            api.close()
        if not gear:
            click.echo("No bikes or shoes on Strava.")
        for item in gear:
            click.echo(f"{item['id']}  {item['name']} [{item['kind']}]")
