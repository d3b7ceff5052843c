"""Commands for the Peloton login, the sync status and the ledger.

The main CLI attaches :data:`login_command`, :data:`logout_command`, :data:`status_command`
and :data:`ledger_group`. (:func:`sync_archive` now lives in :mod:`peloton_export.export.run`; it is
imported here for older callers.)
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from peloton_export.cli.completion import complete_workout_ids, format_completer, sink_completer
from peloton_export.errors import LocalFileError, PelotonExportError, SettingError

# What the commands run is imported when they run: ``--help`` builds these commands and
# should import little more than click (benchmarks/bench_startup.py).
if TYPE_CHECKING:
    from peloton_export.config import Config
    from peloton_export.net.cooldown import CooldownState
    from peloton_export.plugins import PluginHost
    from peloton_export.source.client.auth import Authenticator
    from peloton_export.source.client.tokens import Token
    from peloton_export.store.archive import EntryMeta
    from peloton_export.store.ledger import Ledger


def _interactive() -> bool:
    """True when a person at a terminal answers the prompts."""
    return sys.stdin.isatty()


def _fail(exc: PelotonExportError) -> None:
    if isinstance(exc, LocalFileError | SettingError):
        raise exc  # a broken ledger or state folder: its own exit code (4); a setting: its line
    from peloton_export.paths import active_profile
    from peloton_export.profiles import for_profile

    raise click.ClickException(for_profile(str(exc), active_profile()))  # the member's own commands


@click.command("login")
@click.option(
    "--token",
    "use_token",
    is_flag=True,
    help="Paste an access token (from the browser) or a refresh token instead of a password.",
)
@click.option("--username", help="Peloton email or username (default: [peloton] username).")
@click.option(
    "--ignore-cooldown",
    is_flag=True,
    help="Try the login even though a recent one failed (the cooldown protects the account).",
)
def login_command(use_token: bool, username: str | None, ignore_cooldown: bool) -> None:
    """Log in to Peloton once and save the login (file with mode 0600, or the keyring).

    At a terminal a mistyped password may be typed again at once (up to 3 failures);
    unattended runs wait for the cooldown after one failure.
    """
    from peloton_export.cli.status_facts import command_config
    from peloton_export.source.client.factory import make_client

    config = command_config()
    try:
        api = make_client(config)
        auth = api.auth
        auth.ignore_cooldown = ignore_cooldown
        if use_token:
            text = (
                sys.stdin.readline()
                if not sys.stdin.isatty()
                else click.prompt("Access or refresh token", hide_input=True)
            )
            token = auth.token_from_text(text)
        else:
            password = config.password if (config.password and not username) else None
            auth.interactive = password is None and _interactive()
            auth.check_cooldown()  # before the prompts: a password that would not be tried is not asked
            user = username or config.username or click.prompt("Peloton email or username")
            auth.set_credentials(user, password or click.prompt("Password", hide_input=True))
            token = _typed_login(auth, typed=password is None)
        where = auth.store.save(token)
        auth.token = token
        me = api.me()
    except PelotonExportError as exc:
        _fail(exc)
        return
    click.echo(f"Logged in to Peloton as {me.get('username') or me.get('id')}; login saved in {where}.")


def _typed_login(auth: Authenticator, typed: bool) -> Token:
    """The password login; a password typed at the prompt is rejected with a prompt's wording."""
    from peloton_export.source.client.auth import INTERACTIVE_FAILURES, WrongPassword

    try:
        return auth.login_password()
    except WrongPassword as exc:
        if not typed:
            raise
        state = auth.cooldown.active()
        # at a terminal a few retries are allowed at once; otherwise the cooldown holds now
        left = INTERACTIVE_FAILURES - (state.failures if state is not None else 0) if auth.interactive else 0
        if state is not None and left <= 0:
            until = datetime.fromtimestamp(state.until, UTC).strftime("%H:%M UTC")
            raise WrongPassword(
                "Peloton rejected the email or password you typed, and that was the last retry"
                f" allowed at once: the login cooldown holds until {until} (to protect your"
                " account); `peloton-export login --ignore-cooldown` tries anyway"
            ) from exc
        tries = "1 more try" if left == 1 else f"{left} more tries"
        raise WrongPassword(
            "Peloton rejected the email or password you typed; run `peloton-export login` again "
            f"to retype them ({tries} before the login cooldown holds)"
        ) from exc


@click.command("logout")
def logout_command() -> None:
    """Forget the saved Peloton login."""
    from peloton_export.cli.status_facts import command_config
    from peloton_export.source.client.factory import token_store
    from peloton_export.source.client.settings import client_settings

    config = command_config()
    store = token_store(client_settings(config))
    click.echo("Saved Peloton login removed." if store.delete() else "No saved Peloton login.")


def _fmt_time(epoch: float | None) -> str:
    if epoch is None:
        return "unknown"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def status_command(host: PluginHost) -> click.Command:
    """``status``, bound to ``host`` (for the installed formats)."""

    @click.command("status")
    @click.option(
        "-f",
        "--format",
        "formats",
        multiple=True,
        shell_complete=format_completer(host),
        help="Formats to check (default: the config's formats, else the last run's, else all).",
    )
    @click.option(
        "--sink",
        "sinks",
        multiple=True,
        shell_complete=sink_completer(host),
        help="Sinks to check (default: the config's sinks, else the last run's).",
    )
    @click.option(
        "-o",
        "--output",
        type=click.Path(file_okay=False, path_type=Path),
        help="The export folder to check (default: the config's output_dir, else the last run's,"
        " else ./exports).",
    )
    @click.option("--limit", default=10, show_default=True, help="How many recent events and pending items.")
    @click.option(
        "-v", "--verbose", is_flag=True, help="Also show the settings in use (Peloton's Auth0 values)."
    )
    @click.option(
        "--json",
        "json_output",
        is_flag=True,
        help="Print one JSON document (schema data/schemas/status.schema.json) and nothing else.",
    )
    def status(
        formats: tuple[str, ...],
        sinks: tuple[str, ...],
        output: Path | None,
        limit: int,
        verbose: bool,
        json_output: bool,
    ) -> None:
        """Show the login, the last sync, and what the next run would do. Makes no request.

        With [profile:NAME] sections (and no --profile) each profile is shown in turn."""
        from peloton_export.cli.status_facts import command_config, status_household

        if json_output:
            from peloton_export.cli.documents import emit, stdout_to_stderr
            from peloton_export.cli.status_document import status_document

            with stdout_to_stderr() as stdout:
                try:
                    doc = status_document(command_config(), host, formats, sinks, output, limit)
                except PelotonExportError as exc:
                    _fail(exc)
                    return
            emit(doc, stdout)
            return
        household = status_household()
        if not household:
            _status_of(command_config(), host, formats, sinks, output, limit, verbose)
            return
        from peloton_export.paths import state_dir
        from peloton_export.unattended.status import watch_status_lines

        names = ", ".join(profile.name for profile in household)
        click.echo(f"Household: {len(household)} profile{'' if len(household) == 1 else 's'} ({names})")
        for line in watch_status_lines(state_dir()):  # the watcher's own, of the whole household
            click.echo(line)
        for profile in household:
            click.echo("")
            click.echo(f"Profile {profile.name}: state {profile.state_dir}")
            with profile.activate():
                _status_of(profile.config, host, formats, sinks, output, limit, verbose, household=True)

    return status


def _status_of(
    config: Config,
    host: PluginHost,
    formats: tuple[str, ...],
    sinks: tuple[str, ...],
    output: Path | None,
    limit: int,
    verbose: bool,
    *,
    household: bool = False,
) -> None:
    """The status of one profile (the active folders, ``config``)."""
    from peloton_export.cli.status_facts import login_and_ledger, status_targets
    from peloton_export.config import split_names
    from peloton_export.export.choices import Choices, fill_from_last_run, last_run, output_folder

    try:
        token, cooldown, ledger = login_and_ledger(config)
        last = last_run(ledger)
        given = Choices(tuple(split_names(formats)), output, tuple(split_names(sinks)))
        filled, _ = fill_from_last_run(given, config, last)
        format_names, sink_names = status_targets(config, host, filled.formats, filled.sinks)
    except PelotonExportError as exc:
        _fail(exc)
        return
    _echo_login(token, cooldown)
    if verbose:
        _echo_auth_settings(config)
    entries = _echo_sync_state(ledger, limit, household=household)
    if last is not None:
        click.echo(f"Last run: {last.text() or '(no -f, -o or --sink)'}")
    out_dir = output_folder(filled.output_dir, config)
    _echo_pending(ledger, entries, format_names, sink_names, out_dir, limit)
    _echo_fetch_failures(ledger, limit)


def _echo_fetch_failures(ledger: Ledger, limit: int) -> None:
    """Workouts failing to fetch (attempts, last reason, next retry), then those settled as
    unavailable at Peloton (retried only on request)."""
    from peloton_export.source.fetch_policy import describe, settled

    records = list(ledger.fetch_failures().values())
    for title, group in (
        ("Failing to fetch", [r for r in records if not settled(r)]),
        ("Unavailable at Peloton (settled, not fetched again)", [r for r in records if settled(r)]),
    ):
        if not group:
            continue
        click.echo(f"{title}: {workouts_text(len(group))}")
        for record in group[:limit]:
            kept = "archived without its performance graph; " if record.archived else ""
            click.echo(
                f"  {record.workout_id}: {kept}{describe(record)}; last failed "
                f"{_fmt_time(record.last_failed)}: {record.reason}"
            )
        if len(group) > limit:
            click.echo(f"  ... and {len(group) - limit} more (--limit N shows more)")


def _echo_auth_settings(config: Config) -> None:
    """The Auth0 values the login uses, each with where it came from (none is secret)."""
    import os

    from peloton_export.source.client.settings import AUTH_SETTINGS, client_settings

    settings = client_settings(config)
    click.echo("Peloton login (Auth0) settings:")
    for key, value in settings.auth_values().items():
        env = AUTH_SETTINGS[key]
        where = env if os.environ.get(env) else f"[peloton-export] {key}" if config.get(key) else "default"
        if key == "auth_domain" and (os.environ.get("PELOTON_EXPORT_AUTH_URL") or config.get("auth_url")):
            where = "auth_url"
        click.echo(f"  {key} = {value} ({where})")


def _echo_login(token: Token | None, cooldown: CooldownState | None) -> None:
    """The login lines: the saved token (if any) and an active cooldown."""
    if token is None:
        from peloton_export.paths import active_profile
        from peloton_export.profiles import for_profile

        click.echo(for_profile("Login: none saved (run `peloton-export login`)", active_profile()))
    else:
        refresh = ", renewable" if token.refresh_token else ""
        expires = _fmt_time(token.expires_at)
        click.echo(f"Login: saved ({token.source}), access expires {expires}{refresh}")
    if cooldown is not None:
        click.echo(f"Login cooldown until {_fmt_time(cooldown.until)} ({cooldown.reason})")


def _echo_sync_state(
    ledger: Ledger, limit: int, *, household: bool = False
) -> list[tuple[str, EntryMeta | None]]:
    """The watcher (in a household: this profile's last watch run), the last sync, the
    archive and ledger counts, each sink and recent events.

    :returns: the archive's entries (``select_entries`` with no selection).
    """
    from peloton_export.paths import archive_dir, state_dir
    from peloton_export.results import Selection
    from peloton_export.store.archive import Archive
    from peloton_export.store.ledger import queries as ledger_queries
    from peloton_export.store.selection import select_entries
    from peloton_export.unattended.status import profile_status_lines, watch_status_lines

    for line in profile_status_lines(state_dir()) if household else watch_status_lines(state_dir()):
        click.echo(line)
    last_sync = ledger.get_meta("last_sync")
    detail = f" ({ledger.get_meta('last_sync_summary')})" if last_sync else ""
    click.echo(f"Last sync: {last_sync or 'never'}{detail}")
    archive = Archive(archive_dir())
    entries = select_entries(archive, Selection())
    counts = ledger_queries.counts(ledger)
    click.echo(
        f"Archive {archive.root}: {len(entries)} workouts. Ledger {ledger.path}: {counts['workouts']} "
        f"workouts seen, {counts['exports']} files exported, {counts['uploads']} uploads, "
        f"{counts['tombstones']} tombstones"
    )
    for sink, states in ledger_queries.sink_states(ledger).items():
        parts = ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
        click.echo(f"Sink {sink}: {parts}")
    for sink, pause in ledger.sink_pauses().items():
        click.echo(f"Sink {sink} paused since {pause.since} (its workouts stay pending): {pause.message}")
    history = ledger_queries.history(ledger, limit)
    if history:
        click.echo("Recent:")
        for entry in history:
            click.echo(
                f"  {entry.time}  {entry.kind:<6} {entry.target:<10} {entry.workout_id}  {entry.detail}"
            )
    return entries


def _echo_pending(
    ledger: Ledger,
    entries: list[tuple[str, EntryMeta | None]],
    format_names: list[str],
    sink_names: list[str],
    out_dir: Path,
    limit: int,
) -> None:
    """What the next run would do: archived workouts to write or send, then ones not archived yet."""
    from peloton_export.cli.status_facts import pending_work
    from peloton_export.export.plan import pending_summary

    plan, unarchived = pending_work(ledger, entries, format_names, sink_names, out_dir)
    todo = plan.todo
    if not todo and not unarchived:
        click.echo(f"Pending in {out_dir}: nothing")
        return
    click.echo(f"Pending in {out_dir}: {len(todo)} archived workouts")
    for line in pending_summary(plan):
        click.echo(f"  {line}")
    for item in todo[:limit]:
        actions = [f"{n} {a}" for n, a in {**item.formats, **item.sinks}.items() if a.pending]
        click.echo(f"  {item.workout_id}: " + ", ".join(actions))
    if len(todo) > limit:
        click.echo(f"  ... and {len(todo) - limit} more (--limit N shows more)")
    if unarchived:
        seen = workouts_text(len({p.workout_id for p in unarchived}))
        click.echo(f"Seen at Peloton, not archived yet: {seen}")
    for pending in unarchived[:limit]:
        target = f" {pending.target}" if pending.target else ""
        click.echo(f"  {pending.kind}{target} {pending.workout_id}: {pending.reason}")


@click.group("ledger")
def ledger_group() -> None:
    """Inspect or edit the sync ledger."""


@ledger_group.command("forget")
@click.argument("workout_id", shell_complete=complete_workout_ids)
def forget_command(workout_id: str) -> None:
    """Forget one workout's exports and uploads, so the next run redoes it."""
    from peloton_export.store.ledger import Ledger

    removed = Ledger.default().forget(workout_id)
    if removed:
        click.echo(
            f"Forgot workout {workout_id} ({removed} records); the next run exports and uploads it again."
        )
    else:
        click.echo(f"The ledger has nothing about workout {workout_id}.")


@ledger_group.command("retry")
@click.argument("workout_ids", nargs=-1, shell_complete=complete_workout_ids)
@click.option("--all", "retry_all", is_flag=True, help="Retry every workout that failed to fetch.")
def retry_command(workout_ids: tuple[str, ...], retry_all: bool) -> None:
    """Fetch workouts that failed to fetch again on the next run (settled ones too).

    Clears their failure records (``peloton-export status`` lists them); the next run
    fetches them and counts their attempts from one again.
    """
    if not workout_ids and not retry_all:
        raise click.UsageError("name one or more workout ids, or --all")
    from peloton_export.store.ledger import Ledger

    ledger = Ledger.default()
    targets = list(ledger.fetch_failures()) if retry_all else list(workout_ids)
    cleared = [workout_id for workout_id in targets if ledger.clear_fetch_failure(workout_id)]
    unknown = [workout_id for workout_id in targets if workout_id not in cleared]
    if cleared:
        click.echo(f"The next run fetches again: {', '.join(cleared)}")
    if unknown:
        click.echo(f"No fetch failure recorded for: {', '.join(unknown)}")
    if not targets:
        click.echo("No workout failed to fetch.")


def workouts_text(count: int) -> str:
    """``"1 workout"``, ``"3 workouts"``."""
    return f"{count} workout{'' if count == 1 else 's'}"
