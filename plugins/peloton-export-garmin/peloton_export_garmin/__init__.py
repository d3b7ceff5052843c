"""peloton-export-garmin: the ``garmin`` sink and ``peloton-export garmin login``.

Log in once with ``peloton-export garmin login`` (email, password, and the MFA code if your
account asks for one), then ``peloton-export --format fit --sink garmin``. See README.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import click

from peloton_export import ExportContext, SinkSpec, UploadResult, Workout, hookimpl
from peloton_export.config import plugin_section
from peloton_export.errors import PelotonExportError
from peloton_export.uploads import Clock, UploadJournal
from peloton_export_garmin.cooldown import LoginCooldown
from peloton_export_garmin.sink import (
    ClientFactory,
    GarminSession,
    GarminSettings,
    GarminUploader,
    activity_exists,
    default_factory,
)

__all__ = [
    "GarminSession",
    "GarminSettings",
    "GarminUploader",
    "LoginCooldown",
    "exists",
    "register_commands",
    "register_sinks",
    "reset_sessions",
    "upload",
]

#: Time and sleeping, and the client factory, for the sink (tests replace them).
CLOCK = Clock()
FACTORY: ClientFactory = default_factory
_SESSIONS: dict[Path, GarminSession] = {}


def reset_sessions() -> None:
    """Forget signed-in clients (tests; a new run in the same process)."""
    _SESSIONS.clear()


def _session(settings: GarminSettings) -> GarminSession:
    session = _SESSIONS.get(settings.token_file)
    if session is None or session.settings != settings:
        session = _SESSIONS[settings.token_file] = GarminSession(settings, factory=FACTORY, clock=CLOCK)
    return session


def upload(path: Path, workout: Workout, context: ExportContext) -> UploadResult:
    """The sink's ``upload``: one file of one workout to Garmin Connect."""
    settings = GarminSettings.from_context(context)
    journal = UploadJournal(settings.journal_file, clock=CLOCK)
    return GarminUploader(_session(settings), journal)(path, workout, context)


def exists(remote_id: str, context: ExportContext) -> bool:
    """Whether Garmin Connect still has activity ``remote_id`` (False: the user deleted it)."""
    return activity_exists(_session(GarminSettings.from_context(context)), remote_id)


@hookimpl
def register_sinks() -> Iterator[SinkSpec]:
    """The ``garmin`` sink; FIT preferred, then TCX, then GPX."""
    yield SinkSpec(
        name="garmin",
        accepts=("fit", "tcx", "gpx"),
        upload=upload,
        exists=exists,
        description="upload to Garmin Connect (log in first: peloton-export garmin login)",
    )


def _section() -> Mapping[str, str]:
    """The ``[plugin:garmin]`` section of the config the CLI loaded."""
    return plugin_section("garmin")


def _settings() -> GarminSettings:
    section = _section()
    return GarminSettings.from_lookup(
        lambda key, env: section.get(key) or (os.environ.get(env) if env else None)
    )


@hookimpl
def register_commands(cli: click.Group) -> None:
    """``peloton-export garmin login`` and ``peloton-export garmin logout``."""

    @cli.group("garmin")
    def garmin() -> None:
        """Log in to Garmin Connect for the garmin sink."""

    @garmin.command("login")
    @click.option("--email", help="Garmin account email (default: [plugin:garmin] email or GARMIN_EMAIL).")
    @click.option("--ignore-cooldown", is_flag=True, help="Try even while a failed login's cooldown runs.")
    def login_command(email: str | None, ignore_cooldown: bool) -> None:
        """Sign in to Garmin Connect and save the tokens (asks for an MFA code if needed)."""
        settings = _settings()
        email = email or settings.email or click.prompt("Garmin email")
        password = os.environ.get("GARMIN_PASSWORD") or click.prompt("Garmin password", hide_input=True)
        session = GarminSession(settings, factory=FACTORY, clock=CLOCK)
        try:
            session.login(
                str(email),
                password,
                lambda: str(click.prompt("Garmin MFA code (from your email or authenticator app)")),
                ignore_cooldown=ignore_cooldown,
            )
        except PelotonExportError as exc:
            raise click.ClickException(str(exc)) from None
        reset_sessions()
        click.echo(
            f"Logged in to Garmin Connect; tokens saved to {settings.token_file} (readable only by you)."
        )

    @garmin.command("logout")
    def logout_command() -> None:
        """Forget the saved Garmin tokens."""
        settings = _settings()
        settings.token_file.unlink(missing_ok=True)
        reset_sessions()
        click.echo(f"Removed {settings.token_file}.")
