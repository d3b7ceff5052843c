"""Shell completion: ``peloton-export completion bash|zsh|fish`` and the value completers.

click's own mechanism (:mod:`click.shell_completion`): the printed script calls
``peloton-export`` back with ``_PELOTON_EXPORT_COMPLETE=<shell>_complete`` and the words
typed so far; click answers with commands and options, and the completers here answer for
values: format and sink names (of the installed plugins, after the last comma of a
comma-separated list too), disciplines (Peloton's names and the aliases) and archived
workout ids (of ``--archive``, the ``--profile``'s archive, else the default one). A
completer never fails: on any error it offers nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import click
from click.shell_completion import CompletionItem, get_completion_class

from peloton_export.plugins import PluginHost

#: The shells ``completion`` writes a script for (click's built-in ones).
SHELLS = ("bash", "zsh", "fish")
#: The variable the script sets when it calls the command back (click's name for it).
COMPLETE_VAR = "_PELOTON_EXPORT_COMPLETE"
PROG_NAME = "peloton-export"

Completer = Callable[[click.Context, click.Parameter, str], list[CompletionItem]]


def _matching(names: Iterable[str], incomplete: str) -> list[CompletionItem]:
    """``names`` that complete ``incomplete``; in ``tcx,g`` only the part after the last
    comma is completed, and each candidate keeps what comes before it (``tcx,gpx``)."""
    head, comma, last = incomplete.rpartition(",")
    prefix = head + comma
    chosen = set(head.split(",")) if comma else set()
    return [
        CompletionItem(prefix + name)
        for name in sorted(set(names))
        if name.startswith(last.lower()) and name not in chosen
    ]


def format_completer(host: PluginHost) -> Completer:
    """The installed formats' names and ``all``, for ``-f/--format``."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
        try:
            return _matching([*host.formats(), "all"], incomplete)
        except Exception:  # a completer offers nothing rather than fail
            return []

    return complete


def sink_completer(host: PluginHost) -> Completer:
    """The installed sinks' names, for ``--sink``."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
        try:
            return _matching(host.sinks(), incomplete)
        except Exception:  # a completer offers nothing rather than fail
            return []

    return complete


def complete_disciplines(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Discipline words ``--discipline`` accepts: Peloton's names as shown (``rowing``,
    not ``caesar``) and the aliases (``bike``, ``tread``, ...)."""
    from peloton_export.export.run import DISCIPLINE_ALIASES, DISCIPLINES
    from peloton_export.workout.disciplines import display_discipline

    words = {*DISCIPLINES, *DISCIPLINE_ALIASES}
    return _matching({w for w in words if display_discipline(w) == w}, incomplete)


def _archive_for(ctx: click.Context) -> Path:
    """The archive the command being completed would read: its ``--archive``, else the
    archive of the root's ``--profile``, else the default one."""
    from peloton_export.paths import archive_dir, named_dirs

    given = ctx.params.get("archive_path")
    if isinstance(given, Path | str) and str(given):
        return Path(given).expanduser()
    profile = ctx.find_root().params.get("profile_name")
    if isinstance(profile, str) and profile.strip():
        return named_dirs(profile.strip().lower()).archive
    return archive_dir()


def complete_workout_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """The ids of the archived workouts that start with ``incomplete``, sorted."""
    from peloton_export.store.archive import Archive

    try:
        ids = Archive(_archive_for(ctx)).ids()
    except (OSError, ValueError):
        return []
    wanted = incomplete.strip().lower()
    return [CompletionItem(workout_id) for workout_id in ids if workout_id.startswith(wanted)]


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion_command(ctx: click.Context, shell: str) -> None:
    """Print the shell completion script for SHELL (bash, zsh or fish).

    \b
    bash:  eval "$(peloton-export completion bash)"   (in ~/.bashrc)
    zsh:   eval "$(peloton-export completion zsh)"    (in ~/.zshrc)
    fish:  peloton-export completion fish > ~/.config/fish/completions/peloton-export.fish
    """
    cls = get_completion_class(shell)
    if cls is None:  # click knows every shell of SHELLS
        raise click.UsageError(f"no completion for {shell}")
    root = ctx.find_root().command
    click.echo(cls(root, {}, PROG_NAME, COMPLETE_VAR).source())
