"""``status --json``: the ``status`` document (schema ``data/schemas/status.schema.json``).

The same facts the text of ``peloton-export status`` shows, read the same way (no request):
one object per profile (one, ``default`` or the ``--profile``'s, without a household), each
with the saved login, the login cooldown, the watcher, the last sync, the archive and
ledger counts, each sink's upload states and pause, the recent events (``--limit``), the
last run's flags, what the next run would do and the workouts failing to fetch (those
lists whole).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peloton_export.cli.documents import Document, document, iso
from peloton_export.config import Config, split_names
from peloton_export.plugins import PluginHost
from peloton_export.results import Selection

if TYPE_CHECKING:
    from peloton_export.unattended.status import WatchStatus


def _watch(status: WatchStatus | None) -> Document | None:
    if status is None:
        return None
    fields = asdict(status)
    for key in ("started_at", "finished_at", "next_run_at", "last_ok_at"):
        fields[key] = iso(fields[key])
    return fields


def profile_status(
    config: Config,
    host: PluginHost,
    formats: tuple[str, ...],
    sinks: tuple[str, ...],
    output: Path | None,
    limit: int,
    *,
    household: bool = False,
) -> Document:
    """The status of the active profile's folders (``config`` its configuration).

    :raises PelotonExportError: the ledger, a token file or a setting cannot be used (as
        the text ``status`` does).
    """
    from peloton_export.cli.status_facts import login_and_ledger, pending_work, status_targets
    from peloton_export.export.choices import Choices, fill_from_last_run, last_run, output_folder
    from peloton_export.paths import active_profile, archive_dir, state_dir
    from peloton_export.source.fetch_policy import describe, settled
    from peloton_export.store.archive import Archive
    from peloton_export.store.ledger import queries as ledger_queries
    from peloton_export.store.selection import select_entries
    from peloton_export.unattended.status import read_profile_status, read_status

    token, cooldown, ledger = login_and_ledger(config)
    last = last_run(ledger)
    given = Choices(tuple(split_names(formats)), output, tuple(split_names(sinks)))
    filled, _ = fill_from_last_run(given, config, last)
    format_names, sink_names = status_targets(config, host, filled.formats, filled.sinks)
    state = state_dir()
    archive = Archive(archive_dir())
    entries = select_entries(archive, Selection())
    counts = ledger_queries.counts(ledger)
    pauses = ledger.sink_pauses()
    states = ledger_queries.sink_states(ledger)
    out_dir = output_folder(filled.output_dir, config)
    plan, unarchived = pending_work(ledger, entries, format_names, sink_names, out_dir)
    failures = list(ledger.fetch_failures().values())
    last_sync = ledger.get_meta("last_sync")
    return {
        "profile": active_profile(),
        "state_dir": str(state),
        "login": {
            "saved": token is not None,
            "source": token.source if token is not None else None,
            "expires_at": iso(token.expires_at) if token is not None else None,
            "renewable": bool(token is not None and token.refresh_token),
        },
        "cooldown": (
            {"until": iso(cooldown.until), "failures": cooldown.failures, "reason": cooldown.reason}
            if cooldown is not None
            else None
        ),
        "watch": _watch(read_profile_status(state) if household else read_status(state)),
        "last_sync": {
            "at": last_sync,
            "summary": ledger.get_meta("last_sync_summary") if last_sync else None,
        },
        "archive": {"path": str(archive.root), "workouts": len(entries)},
        "ledger": {"path": str(ledger.path), **counts},
        "sinks": [
            {
                "name": name,
                "states": states.get(name, {}),
                "paused": (
                    {"since": pauses[name].since, "message": pauses[name].message} if name in pauses else None
                ),
            }
            for name in sorted({*states, *pauses})
        ],
        "recent": [asdict(entry) for entry in ledger_queries.history(ledger, limit)],
        "last_run": (
            {
                "formats": list(last.formats),
                "output_dir": str(last.output_dir) if last.output_dir is not None else None,
                "sinks": list(last.sinks),
            }
            if last is not None
            else None
        ),
        "pending": {
            "output_dir": str(out_dir),
            "formats": format_names,
            "sinks": sink_names,
            "workouts": [
                {
                    "id": item.workout_id,
                    "actions": {
                        name: str(action)
                        for name, action in {**item.formats, **item.sinks}.items()
                        if action.pending
                    },
                }
                for item in plan.todo
            ],
            "not_archived": [
                {"id": p.workout_id, "kind": p.kind, "target": p.target or None, "reason": p.reason}
                for p in unarchived
            ],
        },
        "fetch_failures": [
            {
                "id": record.workout_id,
                "attempts": record.attempts,
                "first_failed": iso(record.first_failed),
                "last_failed": iso(record.last_failed),
                "reason": record.reason,
                "archived": record.archived,
                "settled": settled(record),
                "next": describe(record),
            }
            for record in failures
        ],
    }


def status_document(
    config: Config,
    host: PluginHost,
    formats: tuple[str, ...],
    sinks: tuple[str, ...],
    output: Path | None,
    limit: int,
) -> Document:
    """The whole ``status`` document: the household's profiles one by one when the config
    has ``[profile:NAME]`` sections and no profile was chosen, else the one profile.

    :raises PelotonExportError: as :func:`profile_status`.
    """
    from peloton_export.cli.status_facts import status_household
    from peloton_export.paths import state_dir
    from peloton_export.unattended.status import read_status

    household = status_household()
    profiles: list[dict[str, Any]] = []
    if not household:
        profiles.append(profile_status(config, host, formats, sinks, output, limit))
    for profile in household:
        with profile.activate():
            profiles.append(
                profile_status(profile.config, host, formats, sinks, output, limit, household=True)
            )
    watch = _watch(read_status(state_dir())) if household else None
    return document("status", {"household": bool(household), "watch": watch, "profiles": profiles})
