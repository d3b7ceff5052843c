"""The ledger's SQLite schema, its migrations and its connections.

``SCHEMA_VERSION`` and the tables (described in :mod:`.ledger`), the upgrades
applied in place to older ledgers (``_MIGRATIONS``, :func:`migrate`), the version check of a
read-only one (:func:`check_version`), and the process-wide connection cache
(one connection per ledger file; :func:`close_all` closes them). :class:`LedgerError` is
what every failure to open or use the file becomes."""

from __future__ import annotations

import errno
import sqlite3
import stat
import threading
import urllib.parse
from pathlib import Path

from peloton_export.errors import LocalFileError

SCHEMA_VERSION = 4


LEDGER_FILE = "ledger.sqlite3"


_FETCH_FAILURES = """CREATE TABLE IF NOT EXISTS fetch_failures (
    workout_id TEXT PRIMARY KEY,
    attempts INTEGER NOT NULL,
    first_failed INTEGER NOT NULL,
    last_failed INTEGER NOT NULL,
    reason TEXT NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0
)"""


_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS workouts (
    workout_id TEXT PRIMARY KEY,
    created_at INTEGER,
    start_time INTEGER,
    status TEXT,
    origin TEXT NOT NULL DEFAULT 'peloton',
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS exports (
    workout_id TEXT NOT NULL,
    format TEXT NOT NULL,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    exported_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'written',
    reason TEXT,
    summary TEXT,
    PRIMARY KEY (workout_id, format)
);
CREATE INDEX IF NOT EXISTS exports_path ON exports (path COLLATE NOCASE);
CREATE TABLE IF NOT EXISTS uploads (
    workout_id TEXT NOT NULL,
    sink TEXT NOT NULL,
    state TEXT NOT NULL,
    remote_id TEXT,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (workout_id, sink)
);
CREATE TABLE IF NOT EXISTS tombstones (
    workout_id TEXT NOT NULL,
    sink TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (workout_id, sink)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stacks (
    stack_id TEXT PRIMARY KEY,
    members TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS stack_members (
    workout_id TEXT PRIMARY KEY,
    stack_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS workouts_created ON workouts (created_at);
{_FETCH_FAILURES};
"""


#: Schema upgrades, applied in order to older ledgers in place: version -> statements.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    2: (
        "ALTER TABLE exports ADD COLUMN status TEXT NOT NULL DEFAULT 'written'",
        "ALTER TABLE exports ADD COLUMN reason TEXT",
        "ALTER TABLE exports ADD COLUMN summary TEXT",
        # version 1 marked "the format does not apply" with a "skipped" hash
        "UPDATE exports SET status = 'not_applicable', content_hash = '' WHERE content_hash = 'skipped'",
    ),
    # stacked classes: the tables are created by _SCHEMA (CREATE TABLE IF NOT EXISTS)
    3: (),
    # fetch failures (peloton_export.source.fetch_policy)
    4: (_FETCH_FAILURES,),
}


class LedgerError(LocalFileError, RuntimeError):
    """The ledger file is unusable (newer schema, corrupt, not a ledger, read-only, disk full).

    The message names the file and what to do; the file itself is never deleted or replaced.
    ``kind`` is ``"readonly"`` when the ledger could not be opened for writing (a read-only
    file or folder), else ``"unusable"``.
    """

    def __init__(self, message: str, *, kind: str = "unusable") -> None:
        self.kind = kind
        super().__init__(message)


#: sqlite3 error names (``exc.sqlite_errorname``) -> what the user should do about it.
_ADVICE = (
    (("SQLITE_NOTADB", "SQLITE_CORRUPT"), "is not a usable ledger", "move it away to start a new one"),
    (("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_AUTH"), "is read-only", "make it and its folder writable"),
    (("SQLITE_FULL",), "cannot grow: the disk is full", "free some space and run again"),
    (("SQLITE_CANTOPEN",), "cannot be opened", "check that its folder exists and is writable"),
    (("SQLITE_BUSY", "SQLITE_LOCKED"), "is busy", "another program holds it; try again when it ends"),
    (("SQLITE_IOERR",), "cannot be read or written", "check the disk (and its free space)"),
)


_READONLY_NAMES = ("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_AUTH", "SQLITE_CANTOPEN")


def ledger_error(path: Path, exc: BaseException) -> LedgerError:
    """A one-line :class:`LedgerError` for a ``sqlite3`` (or ``OSError``) failure on ``path``.

    The message names the file, what is wrong and what to do, e.g. ``the ledger /x/ledger.sqlite3
    is not a usable ledger (file is not a database): move it away to start a new one``.
    """
    if isinstance(exc, OSError):
        return LedgerError(
            f"the ledger {path} cannot be used ({exc.strerror or exc}): "
            "check that its folder exists and is writable",
            kind="readonly" if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) else "unusable",
        )
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    kind = "readonly" if name.startswith(_READONLY_NAMES) else "unusable"
    for prefixes, what, advice in _ADVICE:
        if name.startswith(prefixes):
            return LedgerError(f"the ledger {path} {what} ({exc}): {advice}", kind=kind)
    if "malformed" in str(exc) or "not a database" in str(exc):
        return LedgerError(
            f"the ledger {path} is not a usable ledger ({exc}): move it away to start a new one"
        )
    return LedgerError(f"the ledger {path} cannot be used ({exc})")


_CONNECTIONS: dict[str, tuple[sqlite3.Connection, threading.RLock]] = {}


_CONNECTIONS_LOCK = threading.Lock()


def _connect(path: Path) -> tuple[sqlite3.Connection, threading.RLock]:
    key = str(path.resolve())
    with _CONNECTIONS_LOCK:
        if key in _CONNECTIONS:
            return _CONNECTIONS[key]
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _check_regular(path)
            conn = sqlite3.connect(key, check_same_thread=False, isolation_level=None, timeout=30.0)
        except (OSError, sqlite3.Error) as exc:
            raise ledger_error(path, exc) from None
        try:
            _refuse_foreign(conn, path)  # before WAL mode changes another program's file
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            conn.close()
            raise ledger_error(path, exc) from None
        except LedgerError:
            conn.close()
            raise
        pair = (conn, threading.RLock())
        _CONNECTIONS[key] = pair
        return pair


def _refuse_foreign(conn: sqlite3.Connection, path: Path) -> set[str]:
    """The tables of ``conn``; raises :class:`LedgerError` when it holds some, none of them ours."""
    tables = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if tables and not tables & {"schema_version", "workouts", "exports"}:
        shown = ", ".join(sorted(tables)[:5])
        raise LedgerError(
            f"the ledger {path} is not a peloton-export ledger (a SQLite database with "
            f"the tables {shown}): move it away or set PELOTON_EXPORT_STATE_DIR to another folder"
        )
    return tables


def _check_regular(path: Path) -> None:
    """Refuse a ledger path that exists and is not a regular file (a folder, FIFO, device)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise LedgerError(f"the ledger {path} is not a regular file: move it away to start a new one")


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection (a read-only file or folder); ``immutable`` when even the
    WAL's shared-memory file cannot be created next to it."""
    uri = "file:" + urllib.parse.quote(str(path.resolve()))
    last: sqlite3.Error | None = None
    for query in ("?mode=ro", "?mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(uri + query, uri=True, check_same_thread=False, isolation_level=None)
            conn.execute("SELECT name FROM sqlite_master").fetchall()
            return conn
        except sqlite3.Error as exc:
            last = exc
    assert last is not None
    raise ledger_error(path, last) from None


def _version(conn: sqlite3.Connection, path: Path) -> tuple[set[str], int | None]:
    """The tables and schema version; refuses a database that is not a ledger or is newer."""
    tables = _refuse_foreign(conn, path)
    version = None
    if "schema_version" in tables:
        row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        version = row[0] if row else None
    if version is not None and not isinstance(version, int):
        raise LedgerError(
            f"the ledger {path} is not a usable ledger (schema version {version!r}): "
            "move it away to start a new one"
        )
    if version is not None and version > SCHEMA_VERSION:
        raise LedgerError(
            f"the ledger {path} was written by a newer peloton-export (schema {version}): "
            "upgrade peloton-export, or move the ledger away to start a new one"
        )
    return tables, version


def check_version(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a read-only ledger ``conn`` (at ``path``) that is not one, is newer, or is
    older than :data:`SCHEMA_VERSION` (it cannot be upgraded).

    :raises LedgerError: one line naming ``path`` and what to do.
    """
    try:
        _, version = _version(conn, path)
    except sqlite3.Error as exc:
        raise ledger_error(path, exc) from None
    if version is not None and version < SCHEMA_VERSION:
        raise LedgerError(
            f"the ledger {path} is read-only and from an older peloton-export "
            f"(schema {version}): make it writable once so it can be upgraded"
        )


#: The tables of a ledger at :data:`SCHEMA_VERSION` (a current one needs no statement).
_TABLES = frozenset(
    {"schema_version", "workouts", "exports", "uploads", "tombstones", "meta", "stacks", "stack_members"}
    | {"fetch_failures"}
)
_INDEXES = frozenset({"exports_path", "workouts_created"})


def is_current(conn: sqlite3.Connection, path: Path) -> bool:
    """True when ``conn`` holds a ledger at :data:`SCHEMA_VERSION` with every table: opening
    it needs no write (so a reader, such as ``peloton-export serve``'s pages, takes no write
    lock while a run holds one).

    :raises LedgerError: ``conn`` is not a ledger, or a newer one.
    :raises sqlite3.Error: it cannot be read.
    """
    tables, version = _version(conn, path)
    if version != SCHEMA_VERSION or not tables >= _TABLES:
        return False
    indexes = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    return indexes >= _INDEXES


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Create the tables of a new ledger, or upgrade an older one in place to
    :data:`SCHEMA_VERSION`; run inside a write transaction on ``conn``. A ledger already
    current is left as it is (no statement, see :func:`is_current`).

    :raises LedgerError: ``conn`` is not a ledger, or a newer one.
    :raises sqlite3.Error: a statement failed (the caller rolls back).
    """
    if is_current(conn, path):
        return
    tables, version = _version(conn, path)
    if "schema_version" in tables:
        row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        version = row[0] if row else None
    if version is not None and "exports" in tables:
        for target in range(int(version) + 1, SCHEMA_VERSION + 1):
            for statement in _MIGRATIONS.get(target, ()):
                conn.execute(statement)
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("DELETE FROM schema_version")
    conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))


def close_all() -> None:
    """Close every ledger connection of this process (tests, shutdown)."""
    with _CONNECTIONS_LOCK:
        for conn, _lock in _CONNECTIONS.values():
            conn.close()
        _CONNECTIONS.clear()
