"""peloton-export-garmin: the ``garmin`` sink and ``peloton-export garmin login|logout|gear``.

Log in once with ``peloton-export garmin login`` (email, password, and the MFA code if your
account asks for one), then ``peloton-export --format fit --sink garmin``. See README.md.
Needs Python 3.12 or later (garminconnect 0.3.10+).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from peloton_export import ExportContext, LoginSpec, SinkSpec, UploadResult, Workout, hookimpl
from peloton_export.errors import PelotonExportError
from peloton_export.formats.fit.devices import PRESETS
from peloton_export.profiles import active_account_env
from peloton_export.readback import MAX_STATE_BYTES, StateFileError, read_state_bytes
from peloton_export.sinkkit import Clock, PluginSettings, UploadJournal
from peloton_export.store.atomic import write_bytes_atomic
from peloton_export_garmin.sink import (
    DEVICE_TRADE_OFF,
    ClientFactory,
    GarminLoginNeeded,
    GarminSession,
    GarminSettings,
    GarminUploader,
    activity_exists,
    default_factory,
    list_gear,
    read_token_import,
)

__all__ = [
    "GarminLoginNeeded",
    "GarminSession",
    "GarminSettings",
    "GarminUploader",
    "exists",
    "register_commands",
    "register_logins",
    "register_sinks",
    "reset_sessions",
    "upload",
]

#: Time and sleeping, and the client factory, for the sink (tests replace them).
CLOCK = Clock()
#: The largest token store ``garmin login --import`` reads (garminconnect's is about 3 kB).
MAX_IMPORT_BYTES = MAX_STATE_BYTES
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


@hookimpl
def register_logins() -> Iterator[LoginSpec]:
    """The token import of the ``serve`` Logins page (:mod:`.weblogin`)."""
    from peloton_export_garmin.weblogin import login_spec

    yield login_spec()


DEVICE_CHOICES = ["honest", *[name for name in PRESETS if name != "honest"], "garmin"]


@hookimpl
def register_commands(cli: click.Group) -> None:
    """``peloton-export garmin login``, ``logout`` and ``gear``."""

    @cli.group("garmin")
    def garmin() -> None:
        """Log in to Garmin Connect for the garmin sink."""

    @garmin.command("login")
    @click.option("--email", help="Garmin account email (default: [plugin:garmin] email or GARMIN_EMAIL).")
    @click.option("--ignore-cooldown", is_flag=True, help="Try even while a failed login's cooldown runs.")
    @click.option(
        "--device",
        type=click.Choice(DEVICE_CHOICES),
        help="FIT device preset for files sent to Garmin (asked for when not given).",
    )
    @click.option(
        "--import",
        "import_from",
        metavar="PATH",
        help="Take the tokens garminconnect saved elsewhere instead of signing in here: its "
        "garmin_tokens.json, the folder holding it, or - to read the token string "
        "(Garmin.client.dumps()) from standard input.",
    )
    def login_command(
        email: str | None, ignore_cooldown: bool, device: str | None, import_from: str | None
    ) -> None:
        """Sign in to Garmin Connect and save the tokens (asks for an MFA code if needed)."""
        get = PluginSettings.from_cli("garmin")
        settings = GarminSettings.from_settings(get)
        if import_from is not None:
            _import(settings, import_from, device)
            return
        email = email or settings.email or click.prompt("Garmin email")
        # a named household profile never takes the default member's GARMIN_PASSWORD
        given = os.environ.get("GARMIN_PASSWORD") if active_account_env("GARMIN_PASSWORD") else None
        password = given or click.prompt("Garmin password", hide_input=True)
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
        configured = get.get("device", "GARMIN_DEVICE")
        if device is None and configured:
            click.echo(f"FIT device preset for Garmin: {configured} (from your settings).")
            return
        if device is None:
            click.echo("\n" + DEVICE_TRADE_OFF + "\n")
            device = click.prompt(
                "FIT device preset for files sent to Garmin",
                type=click.Choice(DEVICE_CHOICES),
                default=settings.device or "honest",
            )
        write_bytes_atomic(settings.device_file, f"{device}\n".encode(), mode=0o600)
        click.echo(f"Files sent to Garmin will use the FIT device preset {device!r}.")

    def _import(settings: GarminSettings, source: str, device: str | None) -> None:
        if source == "-":
            where, data = "standard input", sys.stdin.buffer.read(MAX_IMPORT_BYTES + 1)
            if len(data) > MAX_IMPORT_BYTES:
                raise click.ClickException(f"standard input: longer than {MAX_IMPORT_BYTES} bytes")
        else:
            path = Path(source).expanduser()
            if path.is_dir():
                path = path / "garmin_tokens.json"
            where = str(path)
            try:  # a regular file of at most 1 MB (not a FIFO, a device, /dev/zero)
                found = read_state_bytes(path, limit=MAX_IMPORT_BYTES)
            except StateFileError as exc:
                raise click.ClickException(f"cannot read {path}: it {exc.problem}") from None
            if found is None:
                raise click.ClickException(f"cannot read {path}: no such file")
            data = found
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise click.ClickException(f"{where}: not a garminconnect token store (not UTF-8)") from None
        session = GarminSession(settings, factory=FACTORY, clock=CLOCK)
        try:
            session.import_tokens(read_token_import(text, where))
        except PelotonExportError as exc:
            raise click.ClickException(str(exc)) from None
        reset_sessions()
        click.echo(
            f"Imported the Garmin session from {where}; Garmin accepted it. Tokens saved to "
            f"{settings.token_file} (readable only by you)."
        )
        if device is not None:
            write_bytes_atomic(settings.device_file, f"{device}\n".encode(), mode=0o600)
            click.echo(f"Files sent to Garmin will use the FIT device preset {device!r}.")

    @garmin.command("logout")
    def logout_command() -> None:
        """Forget the saved Garmin tokens."""
        settings = GarminSettings.from_settings(PluginSettings.from_cli("garmin"))
        settings.token_file.unlink(missing_ok=True)
        reset_sessions()
        click.echo(f"Removed {settings.token_file}.")

    @garmin.command("gear")
    def gear_command() -> None:
        """List your Garmin gear (names and ids) for the gear setting."""
        settings = GarminSettings.from_settings(PluginSettings.from_cli("garmin"))
        try:
            gear = list_gear(_session(settings).client())
        except PelotonExportError as exc:
            raise click.ClickException(str(exc)) from None
        if not gear:
            click.echo("No gear on Garmin Connect.")
        for item in gear:
            kind = f" [{item['kind']}]" if item["kind"] else ""
            click.echo(f"{item['id']}  {item['name']}{kind}")
