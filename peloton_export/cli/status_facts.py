"""The facts ``status`` shows, read without a request: the command's config, the
household's profiles, the saved login and the ledger, the formats and sinks to check and
what the next run would do. Both the text of ``status`` (:mod:`peloton_export.cli.sync`)
and its ``--json`` document (:mod:`peloton_export.cli.status_document`) read them here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from peloton_export.config import Config, load_config
from peloton_export.plugins import PluginHost
from peloton_export.store.ledger import Ledger

if TYPE_CHECKING:
    from peloton_export.export.plan import ExportPlan
    from peloton_export.net.cooldown import CooldownState
    from peloton_export.profiles import Profile
    from peloton_export.source.client.tokens import Token
    from peloton_export.store.archive import EntryMeta
    from peloton_export.store.ledger.records import PendingItem


def command_config() -> Config:
    """The config the command line loaded (the ``--profile``'s), else the config file's."""
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx else None
    return obj if isinstance(obj, Config) else load_config()


def status_household() -> list[Profile]:
    """The profiles ``status`` lists one by one: every one of the config when no profile was
    chosen and it has named ones, else none (one account, shown as before)."""
    from peloton_export.profiles import load_profiles

    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.find_root().meta.get("peloton_export.profile") is not None:
        return []
    profiles = load_profiles(command_config())
    return profiles if any(not profile.is_default for profile in profiles) else []


def login_and_ledger(config: Config) -> tuple[Token | None, CooldownState | None, Ledger]:
    """The saved login, an active login cooldown and the ledger (read, no request)."""
    from peloton_export.source.client.factory import login_cooldown, token_store
    from peloton_export.source.client.settings import client_settings

    settings = client_settings(config)
    token = token_store(settings).load()
    cooldown = login_cooldown().active()
    return token, cooldown, Ledger.for_reading()  # status reads a read-only ledger too


def status_targets(
    config: Config, host: PluginHost, formats: tuple[str, ...], sinks: tuple[str, ...]
) -> tuple[list[str], list[str]]:
    """The format and sink names to check: the options, else the config's (formats: else all)."""
    from peloton_export.config import split_names

    format_names = split_names(formats) or split_names(config.get("formats")) or ["all"]
    if "all" in format_names:
        format_names = list(host.formats())
    sink_names = split_names(sinks) or split_names(config.get("sinks"))
    return format_names, sink_names


def pending_work(
    ledger: Ledger,
    entries: list[tuple[str, EntryMeta | None]],
    format_names: list[str],
    sink_names: list[str],
    out_dir: Path,
) -> tuple[ExportPlan, list[PendingItem]]:
    """What the next run would do: the plan of the archived workouts (recorded stacks
    folded into one activity) and the work seen at Peloton but not archived yet (or still
    in progress there), without the workouts settled as unavailable.

    :raises LedgerError: the ledger cannot be read.
    """
    from peloton_export.export.plan import ledger_pending, make_plan
    from peloton_export.export.stacks import fold_stacks, plan_stacks
    from peloton_export.source.fetch_policy import settled

    plan = make_plan(ledger, entries, formats=format_names, sinks=sink_names, output_dir=out_dir)
    # recorded stacks count as one activity (new stacks form at export time: stack = auto)
    plan = fold_stacks(plan, plan_stacks(plan, enabled=False, gap_s=0, times=lambda item: None))
    archived = {workout_id for workout_id, _ in entries}
    # settled as unavailable at Peloton: never fetched again, listed once, on their own
    given_up = {w for w, record in ledger.fetch_failures().items() if settled(record)}
    # seen by the sync but not (yet) in the archive, or still in progress at Peloton
    unarchived = [
        p
        for p in ledger_pending(ledger, format_names, sink_names)
        if (p.kind == "in_progress" or p.workout_id not in archived) and p.workout_id not in given_up
    ]
    return plan, unarchived
