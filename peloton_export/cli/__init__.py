"""The ``peloton-export`` command line (thin: parsing and printing; logic lives elsewhere)."""

from __future__ import annotations

import logging
import os
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.shell_completion import CompletionItem
from click_default_group import DefaultGroup

from peloton_export import __version__
from peloton_export.cli.completion import (
    complete_disciplines,
    complete_workout_ids,
    completion_command,
    format_completer,
    sink_completer,
)
from peloton_export.cli.configcmd import config_group
from peloton_export.cli.install import install_command, uninstall_command
from peloton_export.cli.sync import (
    ledger_group,
    login_command,
    logout_command,
    status_command,
    workouts_text,
)
from peloton_export.config import CONFIG_ENV, Config, config_path, load_config, locate_setting, split_names
from peloton_export.errors import (
    INTERRUPTED,
    ConfigError,
    LocalFileError,
    PelotonExportError,
    RegistrationConflict,
    SettingError,
)
from peloton_export.insights.cli import bike_group
from peloton_export.plugins import create_host
from peloton_export.profiles import DEFAULT_OUTPUT, PROFILE_ENV, profile_names, resolve_profile

# What a command runs is imported when it runs (the export engine, the archive, the
# results): ``--help`` and ``--version`` build every command and should import little
# more than click (benchmarks/bench_startup.py, tests/e2e/test_startup.py).
if TYPE_CHECKING:
    import sqlite3

    from peloton_export.export.run import ProgressEvent
    from peloton_export.plugins import PluginHost
    from peloton_export.results import ExportReport, Status, WorkoutResult

EXIT_OK, EXIT_FAILURES, EXIT_USAGE = 0, 1, 2
#: The sync could not run at all (login needed, Peloton unreachable, archive disk full);
#: the archive was still exported.
EXIT_NO_SYNC = 3
#: A local file or folder the run needs is unusable (the ledger, the state folder, the
#: archive folder, a file the disk refused); nothing was exported. The line names it.
EXIT_LOCAL = 4
#: Standard output was closed by its reader (``peloton-export ... | head -1``): the shell's
#: code for a process ended by SIGPIPE (128 + 13), with nothing printed.
EXIT_PIPE = 141


def _parse_date(value: str | None, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"expected a date like 2026-01-31 or 2026-01-31T07:00, got {value!r}", param_hint=what
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_options(pairs: Sequence[str]) -> dict[str, str]:
    """``--option KEY=VALUE`` pairs as a dict; a pair without ``=`` is a usage error."""
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--option")
        options[key.strip()] = value.strip()
    return options


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    from peloton_export.net.redaction import install_redaction

    install_redaction()  # secrets registered by plugins or the client never reach a log line


class _Progress:
    """A rich progress bar per phase on a terminal; one log line per step with ``-v``;
    nothing when standard error is not a terminal (piped) or with ``-q``."""

    def __init__(self, enabled: bool, *, log_steps: bool = False) -> None:
        self.bar: Any = None
        self.tasks: dict[str, Any] = {}
        self.log_steps = log_steps
        if enabled and not log_steps:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    def __enter__(self) -> _Progress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def update(self, event: ProgressEvent) -> None:
        label = event.description if event.phase != "export" else f"exporting {event.description[:40]}"
        if self.log_steps:
            of = f" of {event.total}" if event.total else ""
            logging.getLogger("peloton_export.progress").info(
                "%s %d%s: %s", event.phase, event.completed, of, label
            )
            return
        if self.bar is None:
            return
        task = self.tasks.get(event.phase)
        if task is None:
            task = self.tasks[event.phase] = self.bar.add_task(label, total=event.total)
        self.bar.update(task, completed=event.completed, total=event.total, description=label)
        self.bar.refresh()


def _print_report(report: ExportReport, *, dry_run: bool) -> None:
    statuses: tuple[Status, ...] = ("exported", "unchanged", "planned", "skipped", "failed")
    counts = {status: report.count(status) for status in statuses}
    files = sum(1 for r in report.results for f in r.files if f.status == "exported")
    parts = [f"{n} {status}" for status, n in counts.items() if n or status in ("exported", "failed")]
    verb = "Dry run" if dry_run else "Done"
    head = f"{verb}: {workouts_text(len(report.results))}"
    click.echo(f"{head}: " + ", ".join(parts) + f" ({files} file{'' if files == 1 else 's'} written)")
    for note in report.notes:
        click.echo(f"  {note}")
    format_skips: Counter[tuple[str, str]] = Counter()
    for result in report.results:
        for line in _result_lines(result, dry_run=dry_run):
            click.echo(line)
        if result.status != "skipped":
            format_skips.update((f.format, f.reason) for f in result.files if f.status == "skipped")
    for problem in report.problems:
        click.echo(f"  failed {problem}")
    for line in _sink_state_lines(report):
        click.echo(line)
    for (name, reason), n in sorted(format_skips.items()):
        click.echo(f"  {name} not written for {workouts_text(n)}: {reason}")


def _sink_state_lines(report: ExportReport) -> Iterator[str]:
    """One line per paused sink and per sink whose service was failing (the breaker)."""
    for sink, message in report.paused.items():
        yield f"  {sink} paused (its workouts stay pending): {message}"
    for sink, message in report.failing.items():
        held = sum(s.sink == sink and s.held == "service-failing" for r in report.results for s in r.sinks)
        pending = f" ({workouts_text(held)} not tried stay pending)" if held else ""
        yield f"  {message}{pending}"


def _result_lines(result: WorkoutResult, *, dry_run: bool) -> Iterator[str]:
    """The lines of one workout in the report: planned files, a failure or skip, sinks."""
    if dry_run:
        yield from (f"  would write {f.path}" for f in result.files if f.status == "planned" and f.path)
    yield from (f"  warning {result.workout_id}: {line}" for line in result.warnings)
    if result.status in ("skipped", "failed"):
        reason = result.reason.removeprefix(f"workout {result.workout_id}: ")
        reason = reason.removeprefix(f"workout {result.workout_id}, ")  # a NormalizeError's field
        yield f"  {result.status} {result.workout_id}: {reason}"
    for s in result.sinks:
        if s.status == "planned":
            yield f"  {s.sink}: {s.reason}"
        elif s.status not in ("failed", "paused") and s.held != "service-failing":
            # a paused sink, or one whose service is failing, has one line of its own
            yield f"  {s.sink}: {s.status} {result.workout_id} {s.remote_id or ''} {s.reason}".rstrip()


def _check_profile_chosen(config: Config) -> None:
    """A household whose accounts are all profiles needs ``--profile`` to sync: the default
    profile has no login to try.

    :raises ConfigError: no profile chosen, and the default profile is not a member.
    """
    from peloton_export.profiles import load_profiles

    ctx = click.get_current_context(silent=True)
    chosen = ctx.find_root().meta.get(PROFILE_META) if ctx is not None else None
    if chosen is not None or not config.profiles or config.profile != "default":
        return
    members = load_profiles(config)
    if any(profile.is_default for profile in members):
        return
    names = ", ".join(profile.name for profile in members)
    raise ConfigError(
        f"this config's Peloton accounts are profiles ({names}) and it has no login of its own: "
        f"choose one with --profile NAME or {PROFILE_ENV} (`peloton-export watch` runs them all)"
    )


def export_command(host: PluginHost) -> click.Command:
    """The default ``export`` command, bound to ``host``."""

    @click.command("export")
    @click.option(
        "-f",
        "--format",
        "formats",
        multiple=True,
        metavar="NAME",
        shell_complete=format_completer(host),
        help="Format to write (repeatable, or comma-separated; 'all' for every format). "
        "Default: the config's formats, else all.",
    )
    @click.option(
        "-o",
        "--output",
        type=click.Path(file_okay=False, path_type=Path),
        help=f"Folder for the files (default: the config's output_dir, else ./{DEFAULT_OUTPUT}).",
    )
    @click.option(
        "--sink",
        "sinks",
        multiple=True,
        metavar="NAME",
        shell_complete=sink_completer(host),
        help="Send files to this sink (repeatable).",
    )
    @click.option("--since", help="Only workouts that started on or after this date (UTC).")
    @click.option("--until", help="Only workouts that started before this date (UTC).")
    @click.option(
        "--discipline",
        "disciplines",
        multiple=True,
        metavar="NAME",
        shell_complete=complete_disciplines,
        help="Only these disciplines (repeatable): cycling, running, walking, rowing, strength, yoga,"
        " ...; aliases row/rowing (the Row; Peloton's caesar works too), bike, tread, bootcamp.",
    )
    @click.option("--limit", type=click.IntRange(min=1), help="At most this many workouts, newest first.")
    @click.option(
        "--workout",
        "workout_ids",
        multiple=True,
        metavar="ID",
        shell_complete=complete_workout_ids,
        help="Only this workout (repeatable).",
    )
    @click.option("--demo", is_flag=True, help="Export the bundled demo workouts (no account, no network).")
    @click.option("--offline", is_flag=True, help="Export from the raw archive only; make no requests.")
    @click.option(
        "--archive",
        "archive_path",
        type=click.Path(file_okay=False, path_type=Path),
        help="Raw archive folder (default: PELOTON_EXPORT_ARCHIVE or the platform data dir).",
    )
    @click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
    @click.option("--force", is_flag=True, help="Rewrite files even when their content is unchanged.")
    @click.option(
        "--merge",
        "merge_path",
        type=click.Path(exists=True, path_type=Path),
        help="Watch recordings (FIT or GPX file or folder) to merge heart rate and GPS from.",
    )
    @click.option(
        "--option",
        "option_pairs",
        multiple=True,
        metavar="KEY=VALUE",
        help="A format or sink option, e.g. fit.virtual=true (repeatable).",
    )
    @click.option(
        "-j",
        "--jobs",
        type=click.IntRange(min=1),
        default=os.cpu_count() or 1,
        show_default="the number of cores",
        help="Worker processes for exporting (used when there are many workouts to write).",
    )
    @click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
    @click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
    @click.option(
        "--json",
        "json_output",
        is_flag=True,
        help="Print the run report as one JSON document (schema data/schemas/run-report.schema.json) "
        "and nothing else on standard output.",
    )
    @click.pass_obj
    def export(
        config: Config,
        formats: tuple[str, ...],
        output: Path | None,
        sinks: tuple[str, ...],
        since: str | None,
        until: str | None,
        disciplines: tuple[str, ...],
        limit: int | None,
        workout_ids: tuple[str, ...],
        demo: bool,
        offline: bool,
        archive_path: Path | None,
        dry_run: bool,
        force: bool,
        merge_path: Path | None,
        option_pairs: tuple[str, ...],
        jobs: int,
        quiet: bool,
        verbose: int,
        json_output: bool,
    ) -> None:
        """Export workouts to files (and sinks). This is the default command."""
        _setup_logging(verbose)
        if not (demo or offline):
            _check_profile_chosen(config)
        since_at, until_at = _parse_date(since, "--since"), _parse_date(until, "--until")
        if since_at is not None and until_at is not None and until_at <= since_at:
            raise click.BadParameter(
                f"{until} is not after --since {since}: no workout could match (--until is exclusive)",
                param_hint="--until",
            )
        from peloton_export.export.run import ExportRequest, run_export
        from peloton_export.results import Selection

        request = ExportRequest(
            formats=tuple(formats),
            sinks=tuple(split_names(sinks)),
            selection=Selection(
                since=since_at,
                until=until_at,
                disciplines=frozenset(d.lower() for d in split_names(disciplines)) or None,
                workout_ids=frozenset(workout_ids) or None,
                limit=limit,
            ),
            output_dir=output,
            archive_dir=archive_path,
            offline=offline,
            demo=demo,
            dry_run=dry_run,
            force=force,
            options=parse_options(option_pairs),
            merge=merge_path,
            jobs=jobs,
            config=config,
        )
        if json_output:
            from peloton_export.cli.documents import emit, report_document, stdout_to_stderr

            show = not quiet and sys.stderr.isatty()
            with stdout_to_stderr() as stdout, _Progress(show, log_steps=verbose > 0 and not quiet) as bar:
                report = run_export(replace(request, progress=bar.update), host)
            code = _exit_code(report)
            emit(report_document(report, dry_run=dry_run, exit_code=code), stdout)
            if code:
                raise SystemExit(code)
            return
        with _Progress(not quiet and sys.stderr.isatty(), log_steps=verbose > 0 and not quiet) as progress:
            report = run_export(replace(request, progress=progress.update), host)
        _print_sync(report)
        _print_report(report, dry_run=dry_run)
        code = _exit_code(report)
        if code:
            raise SystemExit(code)

    return export


def _print_sync(report: ExportReport) -> None:
    """The sync's lines of the text report: its summary, why paging stopped, each workout
    that failed to fetch or has no performance graph, or why the sync could not run."""
    if report.sync is not None:
        click.echo(report.sync.summary())
        if report.sync.stopped:
            click.echo(f"  workout list: {report.sync.stopped}")
        for workout_id, reason in report.sync.failed.items():
            click.echo(f"  failed to fetch {workout_id}: {reason}")
        for workout_id, reason in report.sync.graph_missing.items():
            click.echo(f"  no performance graph for {workout_id}, exported without it: {reason}")
    if report.sync_error:
        from peloton_export.paths import active_profile
        from peloton_export.profiles import for_profile

        problem = for_profile(report.sync_error, active_profile())
        click.echo(f"Sync failed: {problem} (exported the archive as it is)")


def _exit_code(report: ExportReport) -> int:
    """The export's exit code: :data:`EXIT_NO_SYNC` when the sync could not run,
    :data:`EXIT_FAILURES` when a workout failed (or could not be fetched), else 0."""
    if report.sync_error:
        return EXIT_NO_SYNC
    if not report.ok or (report.sync is not None and report.sync.failed):
        return EXIT_FAILURES
    return EXIT_OK


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--archive",
    "archive_path",
    type=click.Path(file_okay=False, path_type=Path),
    help="Raw archive folder (default: PELOTON_EXPORT_ARCHIVE or the platform data dir).",
)
def import_command(paths: tuple[Path, ...], archive_path: Path | None) -> None:
    """Add workouts from raw API JSON or peloton-to-garmin JSON files to the archive."""
    from peloton_export.paths import archive_dir
    from peloton_export.source.importers import import_paths
    from peloton_export.store.archive import Archive

    report = import_paths(list(paths), Archive(archive_path or archive_dir()))
    for item in report.results:
        if item.status != "imported":
            click.echo(f"  {item.status}: {item.line()}")
    click.echo(f"Import: {report.summary()}")
    if report.failed:
        raise SystemExit(EXIT_FAILURES)


def plugins_command(host: PluginHost) -> click.Command:
    """``plugins``: list plugins, their hooks, formats and sinks as JSON."""

    @click.command("plugins")
    @click.option("--all", "show_all", is_flag=True, help="Include the built-in plugins.")
    def plugins(show_all: bool) -> None:
        """List installed plugins with their formats and sinks (JSON)."""
        data: dict[str, Any] = {"plugins": host.describe(include_builtin=show_all)}
        if host.failures:
            data["failed"] = [
                {"name": f.name, "distribution": f.distribution, "reason": f.reason} for f in host.failures
            ]
        import json

        click.echo(json.dumps(data, indent=2))

    return plugins


def table_lines(rows: Sequence[Sequence[str]]) -> list[str]:
    """``rows`` as lines whose columns line up: every column but the last padded to its
    widest cell plus two spaces (a long name or suffix widens its column, never shifts the
    ones after it)."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "".join(cell.ljust(width + 2) for cell, width in zip(row, widths, strict=False)) + row[-1]
        for row in rows
    ]


def formats_command(host: PluginHost) -> click.Command:
    """``formats``: one line per format: name, file suffix, description and plugin."""

    @click.command("formats")
    @click.option(
        "--json", "json_output", is_flag=True, help="One JSON document (schema formats.schema.json)."
    )
    def formats(json_output: bool) -> None:
        """List the formats you can pass to --format."""
        if json_output:
            from peloton_export.cli.documents import emit, formats_document

            emit(formats_document(host))
            return
        rows = [
            (name, spec.suffix, f"{spec.description} [{host.owner('format', name)}]")
            for name, spec in host.formats().items()
        ]
        for line in table_lines(rows):
            click.echo(line)

    return formats


def sinks_command(host: PluginHost) -> click.Command:
    """``sinks``: one line per sink: name, the formats it accepts, description and plugin."""

    @click.command("sinks")
    @click.option("--json", "json_output", is_flag=True, help="One JSON document (sinks.schema.json).")
    def sinks(json_output: bool) -> None:
        """List the sinks you can pass to --sink."""
        if json_output:
            from peloton_export.cli.documents import emit, sinks_document

            emit(sinks_document(host))
            return
        rows = [
            (name, "accepts " + ",".join(spec.accepts), f"{spec.description} [{host.owner('sink', name)}]")
            for name, spec in host.sinks().items()
        ]
        for line in table_lines(rows):
            click.echo(line)

    return sinks


class _PipeClosed(Exception):
    """Standard output's reader went away: the run ends with :data:`EXIT_PIPE`, silently."""


def _config_of(ctx: click.Context) -> Config | None:
    """The config the command line loaded, else the file :func:`config_path` names (the
    error came from reading it)."""
    if isinstance(ctx.obj, Config):
        return ctx.obj
    path = config_path()
    return Config(path=path) if path.is_file() else None


class _Group(DefaultGroup):  # type: ignore[misc]
    """The top-level group; its ``--help`` also lists the default ``export`` command's options."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        """The group's context; ``--help`` into a closed pipe is :class:`_PipeClosed`."""
        try:
            return super().make_context(info_name, args, parent, **extra)  # type: ignore[no-any-return]
        except BrokenPipeError:
            raise _PipeClosed from None

    def invoke(self, ctx: click.Context) -> object:
        """The command, with a closed standard output (``| head -1``) made
        :class:`_PipeClosed` (click itself would swallow it and exit 1)."""
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise _PipeClosed from None
        except SettingError as exc:  # one line naming the file and line (or the variable)
            raise ConfigError(locate_setting(exc, _config_of(ctx))) from None

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """The group's arguments; while the shell completes the first word (no argument
        yet) the default command is not chosen, so that the commands are offered."""
        if ctx.resilient_parsing and not args:
            return click.Group.parse_args(self, ctx, args)
        return super().parse_args(ctx, args)  # type: ignore[no-any-return]

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """The first word's candidates: the commands, and for an option the group's own
        and those of the default command (``peloton-export --for`` is ``--format``)."""
        items: list[CompletionItem] = super().shell_complete(ctx, incomplete)
        command = self.commands.get(self.default_cmd_name or "")
        if command is not None and incomplete.startswith("-"):
            sub = click.Context(command, info_name=command.name, parent=ctx, resilient_parsing=True)
            known = {item.value for item in items}
            items += [item for item in command.shell_complete(sub, incomplete) if item.value not in known]
        return items

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """A first word that is neither an option nor a command is a mistyped command (the
        default ``export`` takes no arguments): say which command was meant."""
        if cmd_name not in self.commands and not cmd_name.startswith("-"):
            import difflib

            near = difflib.get_close_matches(cmd_name, sorted(self.commands), n=1, cutoff=0.6)
            hint = (
                f" Did you mean {near[0]!r}?" if near else f" Commands: {', '.join(sorted(self.commands))}."
            )
            raise click.UsageError(f"No such command {cmd_name!r}.{hint}", ctx)
        command: click.Command | None = super().get_command(ctx, cmd_name)
        return command

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_options(ctx, formatter)
        command = self.commands.get(self.default_cmd_name or "")
        if command is None:
            return
        sub = click.Context(command, info_name=command.name, parent=ctx)
        rows = [row for param in command.get_params(sub) if (row := param.get_help_record(sub)) is not None]
        rows = [row for row in rows if not row[0].startswith(("-h", "--help"))]
        if rows:
            with formatter.section(
                f"Export options (the default command: peloton-export [{command.name}] ...)"
            ):
                formatter.write_dl(rows)


#: ``ctx.meta`` key of the profile chosen with ``--profile``/``$PELOTON_EXPORT_PROFILE``
#: (``None`` when none was: ``watch`` and ``status`` then cover the whole household).
PROFILE_META = "peloton_export.profile"


def _complete_profiles(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """The profile names of the config that start with ``incomplete`` (shell completion)."""
    try:
        names = profile_names(load_config())
    except PelotonExportError:
        return []
    return [name for name in names if name.startswith(incomplete.lower())]


def _choose_profile(ctx: click.Context, profile_name: str | None) -> None:
    """Make ``--profile``'s (or ``$PELOTON_EXPORT_PROFILE``'s) profile the command's."""
    from_env = ctx.get_parameter_source("profile_name") == click.core.ParameterSource.ENVIRONMENT
    if from_env:  # its messages name the variable
        profile = resolve_profile(None, config=ctx.obj, environ={PROFILE_ENV: profile_name or ""})
    else:
        profile = resolve_profile(profile_name or None, config=ctx.obj, environ={})
    ctx.meta[PROFILE_META] = profile if profile_name else None
    if not profile.is_default:  # the default profile keeps today's folders, read as before
        ctx.obj = profile.config
        ctx.with_resource(profile.activate())


def build_cli(host: PluginHost) -> click.Group:
    """A fresh command group bound to ``host``, with the plugins' commands attached."""

    @click.group(
        cls=_Group,
        default="export",
        default_if_no_args=True,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    @click.version_option(__version__, prog_name="peloton-export")
    @click.option(
        "--config",
        "config_file",
        metavar="PATH",
        type=click.Path(dir_okay=False, path_type=Path),
        help="The config file to read (default: $PELOTON_EXPORT_CONFIG, else $PELOTON_CONFIG, else "
        "~/.config/peloton when it exists, else ~/.config/peloton-export/config.ini; "
        "`peloton-export config path` says which).",
    )
    @click.option(
        "--profile",
        "profile_name",
        metavar="NAME",
        envvar=PROFILE_ENV,
        shell_complete=_complete_profiles,
        help="The household member to work as: a [profile:NAME] of the config, or default "
        f"(default: ${PROFILE_ENV}, else default; `watch` and `status` without it cover every profile).",
    )
    @click.pass_context
    def cli(ctx: click.Context, config_file: Path | None, profile_name: str | None) -> None:
        """Export Peloton workouts to TCX, GPX, FIT, CSV and JSON, and send them on."""
        if config_file is not None:  # for this process and the ones it starts (watch, workers)
            chosen = config_file.expanduser().absolute()
            if ctx.invoked_subcommand != "config" and str(chosen) != os.devnull and not chosen.is_file():
                raise ConfigError(f"--config names {chosen}, which does not exist")
            _set_env(ctx, CONFIG_ENV, str(chosen))
            ctx.obj = None
        try:
            if ctx.obj is None:
                ctx.obj = load_config()
            _choose_profile(ctx, profile_name)
        except ConfigError:
            if ctx.invoked_subcommand != "config" or profile_name:  # `config` can fix a broken file
                raise
            ctx.obj = None

    for command in (
        export_command(host),
        import_command,
        plugins_command(host),
        formats_command(host),
        sinks_command(host),
        login_command,
        logout_command,
        status_command(host),
        ledger_group,
        bike_group,
        install_command,
        uninstall_command,
        completion_command,
        config_group(host),
    ):
        cli.add_command(command)
    host.add_commands(cli)
    return cli


def _set_env(ctx: click.Context, name: str, value: str) -> None:
    """``os.environ[name] = value`` until the command ends (in-process callers get theirs back)."""
    before = os.environ.get(name)
    os.environ[name] = value

    def restore() -> None:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before

    ctx.call_on_close(restore)


def run(
    args: Sequence[str] | None = None, *, host: PluginHost | None = None, config: Config | None = None
) -> int:
    """Run the command line and return its exit code (what tests call)."""
    try:
        host = host or create_host()
        cli = build_cli(host)
        cli.main(
            args=list(args) if args is not None else None,
            prog_name="peloton-export",
            obj=config,
            standalone_mode=False,
        )
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except click.exceptions.Abort as exc:
        # click turns Ctrl-C into Abort; say what a person needs to know about it.
        if isinstance(exc.__context__ or exc.__cause__, KeyboardInterrupt):
            click.echo(INTERRUPTED, err=True)
        else:
            click.echo("Aborted.", err=True)
        return 130
    except (ConfigError, RegistrationConflict) as exc:
        click.echo(f"Error: {exc}", err=True)
        return EXIT_USAGE
    except LocalFileError as exc:
        click.echo(f"Error: {exc}", err=True)
        return EXIT_LOCAL
    except PelotonExportError as exc:
        click.echo(f"Error: {exc}", err=True)
        return EXIT_FAILURES
    except KeyboardInterrupt:
        click.echo(INTERRUPTED, err=True)
        return 130
    except BrokenPipeError:
        return EXIT_PIPE
    except _local_errors() as exc:
        click.echo(f"Error: {local_problem(exc)}", err=True)
        return EXIT_LOCAL
    except _PipeClosed:
        return EXIT_PIPE
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_FAILURES
    return EXIT_OK


def _local_errors() -> tuple[type[OSError], type[sqlite3.Error]] | tuple[type[OSError]]:
    """``OSError``, and ``sqlite3.Error`` once the ledger's sqlite3 is loaded (none can be
    raised before): ``--help`` does not import sqlite3 for an ``except`` clause."""
    sqlite3 = sys.modules.get("sqlite3")
    return (OSError, sqlite3.Error) if sqlite3 is not None else (OSError,)


def local_problem(exc: OSError | sqlite3.Error) -> str:
    """One line for a disk or database failure no step handled: what failed, and on which file."""
    if isinstance(exc, OSError):
        names = " -> ".join(str(n) for n in (exc.filename, exc.filename2) if n is not None)
        reason = exc.strerror or str(exc) or type(exc).__name__
        return f"{names}: {reason}" if names else reason
    return f"database error ({exc})"


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM stops a run the way Ctrl-C does (workers stopped, lock released, exit 130)."""
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point; SIGTERM is handled like Ctrl-C (exit 130)."""
    import signal

    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = run()
        # the run is over: a stop arriving from now on changes nothing (the exit code
        # stays the run's), and raises nowhere (not in the interpreter's exit handlers)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        sys.stdout.flush()  # a reader gone before the last line is a broken pipe here
    except BrokenPipeError:
        code = EXIT_PIPE
    except KeyboardInterrupt:  # between run()'s own handling and the lines above
        click.echo(INTERRUPTED, err=True)
        code = 130
    if code == EXIT_PIPE:
        _silence_stdout()
    sys.exit(code)


def _silence_stdout() -> None:
    """Point standard output at ``/dev/null``, so that the interpreter's last flush of what
    a closed pipe did not take prints no ``Exception ignored`` lines."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor behind sys.stdout
        pass
    finally:
        os.close(devnull)
