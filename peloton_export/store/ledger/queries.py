"""The ledger's status summaries for ``peloton-export status``: row counts, upload states
per sink, recent history. Read-only functions of a :class:`~.ledger.Ledger` (one query or
a few each); the per-record reads and writes are the class's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from peloton_export.store.ledger.records import WRITTEN, HistoryEntry

if TYPE_CHECKING:
    from peloton_export.store.ledger.ledger import Ledger


def history(ledger: Ledger, limit: int = 20) -> list[HistoryEntry]:
    """The most recent exports and uploads, newest first (at most ``limit``).

    :raises LedgerError: the ledger cannot be read.
    """
    rows = ledger._query(
        "SELECT exported_at, workout_id, 'export', format,"
        " CASE WHEN status = 'written' THEN path ELSE 'not applicable: ' || COALESCE(reason, '') END"
        " FROM exports UNION ALL SELECT updated_at, workout_id, 'upload', sink,"
        " state || COALESCE(' ' || remote_id, '') || COALESCE(': ' || error, '') FROM uploads"
        " ORDER BY 1 DESC, 2 LIMIT ?",
        (limit,),
    )
    return [HistoryEntry(*(str(v) for v in r)) for r in rows]


def counts(ledger: Ledger) -> dict[str, int]:
    """Row counts for the status summary: ``workouts``, ``exports`` (files written, not
    formats recorded as not applying), ``uploads``, ``tombstones``.

    :raises LedgerError: the ledger cannot be read.
    """
    found = {
        t: int(ledger._query(f"SELECT COUNT(*) FROM {t}")[0][0])  # type: ignore[call-overload]
        for t in ("workouts", "uploads", "tombstones")
    }
    written = ledger._query("SELECT COUNT(*) FROM exports WHERE status = ?", (WRITTEN,))
    found["exports"] = int(written[0][0])  # type: ignore[call-overload]
    return found


def sink_states(ledger: Ledger) -> dict[str, dict[str, int]]:
    """Per sink (sorted), how many workouts are in each upload state (and ``tombstoned``).

    :raises LedgerError: the ledger cannot be read.
    """
    states: dict[str, dict[str, int]] = {}
    for sink, state, count in ledger._query("SELECT sink, state, COUNT(*) FROM uploads GROUP BY sink, state"):
        states.setdefault(str(sink), {})[str(state)] = int(count)  # type: ignore[call-overload]
    for sink, count in ledger._query("SELECT sink, COUNT(*) FROM tombstones GROUP BY sink"):
        states.setdefault(str(sink), {})["tombstoned"] = int(count)  # type: ignore[call-overload]
    return dict(sorted(states.items()))


__all__ = ["counts", "history", "sink_states"]
