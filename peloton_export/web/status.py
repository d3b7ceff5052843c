"""What the dashboard shows of one profile: the same facts as ``peloton-export status``.

:func:`profile_status` reads (never writes) the profile's saved Peloton login (whether one
is saved, its kind and expiry: never a token), the login cooldown, the watcher's and the
profile's status files, the ledger (counts, sink states and pauses, fetch failures, the
last sync), the archive, and the planner's pending counts per format and sink
(:func:`peloton_export.export.plan.make_plan`, as ``status`` counts them). A profile
without a ledger yet is shown as never run; the ledger is not created. Any failure to read
is the view's ``error`` (one line), never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from peloton_export.errors import PelotonExportError
from peloton_export.store.archive import Archive

if TYPE_CHECKING:
    from peloton_export.plugins import PluginHost
    from peloton_export.profiles import Profile
    from peloton_export.store.ledger import Ledger
    from peloton_export.web.rows import RowIndex


@dataclass(slots=True)
class ProfileStatus:
    """The dashboard of one profile (every text is one line; none holds a secret)."""

    name: str
    login: str = ""
    cooldown: str = ""
    watch: list[str] = field(default_factory=list)
    last_sync: str = "never"
    archive_count: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    sinks: list[str] = field(default_factory=list)
    pauses: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    sink_names: list[str] = field(default_factory=list)
    output_dir: str = ""
    pending_count: int = 0
    pending: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    archive_mb: float = 0.0
    ledger_mb: float = 0.0
    error: str = ""


def when(epoch: float | None) -> str:
    """``2026-01-31 07:00 UTC`` (``unknown`` for ``None`` or a time out of range)."""
    if epoch is None:
        return "unknown"
    try:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError):
        return "unknown"


def open_ledger(state: Path) -> Ledger | None:
    """The profile's ledger for reading, ``None`` when it has none yet (nothing is created).

    :raises LedgerError: the file is unusable (the message names it).
    """
    from peloton_export.store.ledger import LEDGER_FILE, Ledger

    path = state / LEDGER_FILE
    if not path.is_file():
        return None
    return Ledger.for_reading(path)


def _size_mb(path: Path) -> float:
    try:
        return round(path.stat().st_size / 1e6, 1)
    except OSError:
        return 0.0


def targets(profile: Profile, host: PluginHost, ledger: Ledger | None) -> tuple[list[str], list[str], Path]:
    """The formats, sinks and output folder a run of ``profile`` uses: the config's, else
    the last run's (formats: else every installed one), as ``status`` resolves them."""
    from peloton_export.config import split_names
    from peloton_export.export.choices import Choices, fill_from_last_run, last_run, output_folder

    config = profile.config
    filled, _ = fill_from_last_run(Choices(), config, last_run(ledger))
    names = split_names(filled.formats) or split_names(config.get("formats")) or ["all"]
    formats = list(host.formats()) if "all" in names else names
    sinks = split_names(filled.sinks) or split_names(config.get("sinks"))
    return formats, sinks, output_folder(filled.output_dir, config)


def peloton_login(profile: Profile) -> tuple[str, str]:
    """The saved Peloton login of the active ``profile`` in one line (its kind and expiry,
    never a token) and the login cooldown's line (``""`` when none runs).

    :raises PelotonExportError: the saved login is unreadable.
    """
    from peloton_export.source.client.factory import login_cooldown, token_store
    from peloton_export.source.client.settings import client_settings

    token = token_store(client_settings(profile.config)).load()
    if token is None:
        login = "none saved: log in on the Logins page, or with peloton-export " + (
            "login" if profile.is_default else f"--profile {profile.name} login"
        )
    else:
        renew = ", renewable" if token.refresh_token else ""
        login = f"saved ({token.source}), access expires {when(token.expires_at)}{renew}"
    cooldown = login_cooldown().active()
    line = f"until {when(cooldown.until)} ({cooldown.reason})" if cooldown is not None else ""
    return login, line


def profile_status(
    profile: Profile, host: PluginHost, *, household: bool, index: RowIndex | None = None
) -> ProfileStatus:
    """The dashboard facts of ``profile`` (see the module documentation); ``index`` is the
    archive's cached entries (:meth:`RowIndex.entries`; default: read the archive now)."""
    from peloton_export.web.rows import RowIndex

    view = ProfileStatus(profile.name)
    with profile.activate():
        try:
            _fill(
                view,
                profile,
                host,
                household=household,
                index=index or RowIndex(Archive(profile.archive_dir)),
            )
        except (PelotonExportError, OSError, ValueError) as exc:
            view.error = " ".join(str(exc).split())[:400]
    return view


def _fill(
    view: ProfileStatus, profile: Profile, host: PluginHost, *, household: bool, index: RowIndex
) -> None:
    from peloton_export.export.plan import make_plan, pending_summary
    from peloton_export.export.stacks import fold_stacks, plan_stacks
    from peloton_export.paths import state_dir
    from peloton_export.source.fetch_policy import describe
    from peloton_export.store.ledger import queries
    from peloton_export.unattended.status import profile_status_lines, watch_status_lines

    view.login, view.cooldown = peloton_login(profile)
    state = state_dir()
    view.watch = profile_status_lines(state) if household else watch_status_lines(state)
    entries, archive_bytes = index.entries()
    view.archive_count = len(entries)
    view.archive_mb = round(archive_bytes / 1e6, 1)
    ledger = open_ledger(state)
    formats, sinks, out_dir = targets(profile, host, ledger)
    view.formats, view.sink_names, view.output_dir = formats, sinks, str(out_dir)
    if ledger is None:
        view.counts = {"workouts": 0, "exports": 0, "uploads": 0, "tombstones": 0}
        view.pending_count = len(entries)
        return
    view.ledger_mb = _size_mb(ledger.path)
    last = ledger.get_meta("last_sync")
    if last:
        summary = ledger.get_meta("last_sync_summary")
        view.last_sync = f"{last} ({summary})" if summary else last
    view.counts = queries.counts(ledger)
    for sink, states in queries.sink_states(ledger).items():
        view.sinks.append(f"{sink}: " + ", ".join(f"{n} {s}" for s, n in sorted(states.items())))
    for sink, pause in ledger.sink_pauses().items():
        view.pauses.append(f"{sink} paused since {pause.since}: {pause.message}")
    plan = make_plan(ledger, entries, formats=formats, sinks=sinks, output_dir=out_dir)
    plan = fold_stacks(plan, plan_stacks(plan, enabled=False, gap_s=0, times=lambda item: None))
    view.pending_count = len(plan.todo)
    view.pending = pending_summary(plan)
    for record in list(ledger.fetch_failures().values())[:50]:
        view.failures.append((record.workout_id, f"{describe(record)}: {record.reason}"))


__all__ = ["ProfileStatus", "open_ledger", "peloton_login", "profile_status", "targets", "when"]
