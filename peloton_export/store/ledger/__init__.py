"""The SQLite ledger: what was exported and delivered, per workout (see :mod:`.queries`)."""

from __future__ import annotations

from peloton_export.store.ledger.queries import (
    _FETCH_FAILURES,
    _SCHEMA,
    DONE_STATES,
    LEDGER_FILE,
    SCHEMA_VERSION,
    ExportRecord,
    FetchFailure,
    HistoryEntry,
    Ledger,
    LedgerError,
    PendingItem,
    UploadRecord,
    WorkoutRecord,
    close_all,
    content_hash,
    ledger_error,
)

__all__ = [
    "DONE_STATES",
    "LEDGER_FILE",
    "SCHEMA_VERSION",
    "_FETCH_FAILURES",
    "_SCHEMA",
    "ExportRecord",
    "FetchFailure",
    "HistoryEntry",
    "Ledger",
    "LedgerError",
    "PendingItem",
    "UploadRecord",
    "WorkoutRecord",
    "close_all",
    "content_hash",
    "ledger_error",
]
