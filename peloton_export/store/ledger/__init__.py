"""The SQLite ledger: what was exported and delivered, per workout.

:mod:`.schema` (tables, migrations, connections), :mod:`.records` (the rows),
:mod:`.ledger` (:class:`Ledger`, the reads and writes) and :mod:`.queries` (the status
summaries).
"""

from __future__ import annotations

from peloton_export.store.ledger.ledger import Ledger
from peloton_export.store.ledger.records import (
    DONE_STATES,
    ExportRecord,
    FetchFailure,
    HistoryEntry,
    PendingItem,
    UploadRecord,
    WorkoutRecord,
    content_hash,
)
from peloton_export.store.ledger.schema import (
    _FETCH_FAILURES,
    _SCHEMA,
    LEDGER_FILE,
    SCHEMA_VERSION,
    LedgerError,
    close_all,
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
