"""Commands for the Peloton login, the sync status and the ledger, and :func:`sync_archive`.

The main CLI attaches :data:`login_command`, :data:`logout_command`, :data:`status_command`
and :data:`ledger_group`; the export command calls :func:`sync_archive` before exporting.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from peloton_export.archive import Archive
from peloton_export.client.api import PelotonAPI
from peloton_export.client.factory import login_cooldown, make_client, token_store
from peloton_export.client.settings import client_settings
from peloton_export.client.sync import SyncReport, sync_workouts
from peloton_export.config import Config, load_config
from peloton_export.errors import PelotonExportError
from peloton_export.ledger import Ledger
from peloton_export.paths import archive_dir


def sync_archive(
    config: Config,
    *,
    offline: bool,
    archive: Archive | None = None,
    ledger: Ledger | None = None,
    api: PelotonAPI | None = None,
    refetch: bool = False,
) -> SyncReport:
    """Bring the raw archive up to date with Peloton before exporting.

    ``offline`` makes no request at all and returns an empty report. Otherwise logs in
    (saved token first), lists the workouts newest first and fetches only new or
    incomplete ones (see :mod:`peloton_export.client.sync`). ``archive`` and ``ledger``
    default to the platformdirs locations. ``refetch`` fetches everything again.

    :raises PelotonExportError: (one-line message) when login or the service fails.
    """
    if offline:
        return SyncReport(offline=True)
    archive = Archive(archive_dir()) if archive is None else archive
    ledger = Ledger.default() if ledger is None else ledger
    own = api is None
    api = api or make_client(config)
    try:
        return sync_workouts(api, archive, ledger=ledger, refetch=refetch)
    finally:
        if own:
            api.http.close()


def _fail(exc: PelotonExportError) -> None:
    raise click.ClickException(str(exc))


@click.command("login")
@click.option(
    "--token",
    "use_token",
    is_flag=True,
    help="Paste an access token (from the browser) or a refresh token instead of a password.",
)
@click.option("--username", help="Peloton email or username (default: [peloton] username).")
def login_command(use_token: bool, username: str | None) -> None:
    """Log in to Peloton once and save the login (file with mode 0600, or the keyring)."""
    config = load_config()
    try:
        api = make_client(config)
        auth = api.auth
        if use_token:
            text = (
                sys.stdin.readline()
                if not sys.stdin.isatty()
                else click.prompt("Access or refresh token", hide_input=True)
            )
            token = auth.token_from_text(text)
        else:
            user = username or config.username or click.prompt("Peloton email or username")
            password = config.password if (config.password and not username) else None
            auth.set_credentials(user, password or click.prompt("Password", hide_input=True))
            token = auth.login_password()
        where = auth.store.save(token)
        auth.token = token
        me = api.me()
    except PelotonExportError as exc:
        _fail(exc)
        return
    click.echo(f"Logged in to Peloton as {me.get('username') or me.get('id')}; login saved in {where}.")


@click.command("logout")
def logout_command() -> None:
    """Forget the saved Peloton login."""
    config = load_config()
    store = token_store(client_settings(config))
    click.echo("Saved Peloton login removed." if store.delete() else "No saved Peloton login.")


def _fmt_time(epoch: float | None) -> str:
    if epoch is None:
        return "unknown"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


@click.command("status")
@click.option("--format", "formats", multiple=True, help="Count workouts not yet exported in this format.")
@click.option("--sink", "sinks", multiple=True, help="Count workouts not yet uploaded to this sink.")
@click.option("--limit", default=10, show_default=True, help="How many recent events to show.")
def status_command(formats: tuple[str, ...], sinks: tuple[str, ...], limit: int) -> None:
    """Show the login, the sync history and the work still pending. Makes no request."""
    config = load_config()
    try:
        settings = client_settings(config)
        token = token_store(settings).load()
        cooldown = login_cooldown().active()
        ledger = Ledger.default()
    except PelotonExportError as exc:
        _fail(exc)
        return
    if token is None:
        click.echo("Login: none saved (run `peloton-export login`)")
    else:
        refresh = ", renewable" if token.refresh_token else ""
        click.echo(f"Login: saved ({token.source}), access expires {_fmt_time(token.expires_at)}{refresh}")
    if cooldown is not None:
        click.echo(f"Login cooldown until {_fmt_time(cooldown.until)} ({cooldown.reason})")
    counts = ledger.counts()
    click.echo(
        f"Ledger {ledger.path}: {counts['workouts']} workouts seen, {counts['exports']} files exported, "
        f"{counts['uploads']} uploads, {counts['tombstones']} tombstones"
    )
    for sink, states in ledger.sink_states().items():
        parts = ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
        click.echo(f"Sink {sink}: {parts}")
    history = ledger.history(limit)
    if history:
        click.echo("Recent:")
        for entry in history:
            click.echo(
                f"  {entry.time}  {entry.kind:<6} {entry.target:<10} {entry.workout_id}  {entry.detail}"
            )
    pending = ledger.pending(formats, sinks)
    if pending:
        click.echo(f"Pending: {len(pending)}")
        for item in pending[:limit]:
            target = f" {item.target}" if item.target else ""
            click.echo(f"  {item.kind}{target} {item.workout_id}: {item.reason}")
    else:
        click.echo("Pending: nothing")


@click.group("ledger")
def ledger_group() -> None:
    """Inspect or edit the sync ledger."""


@ledger_group.command("forget")
@click.argument("workout_id")
def forget_command(workout_id: str) -> None:
    """Forget one workout's exports and uploads, so the next run redoes it."""
    removed = Ledger.default().forget(workout_id)
    if removed:
        click.echo(
            f"Forgot workout {workout_id} ({removed} records); the next run exports and uploads it again."
        )
    else:
        click.echo(f"The ledger has nothing about workout {workout_id}.")


def archive_path() -> Path:
    """Where :func:`sync_archive` writes by default."""
    return archive_dir()
