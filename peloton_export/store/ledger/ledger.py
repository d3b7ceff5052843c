"""The sync ledger: what was seen, exported and uploaded, in SQLite (:class:`Ledger`: the
reads and writes of each kind of row; the status summaries are :mod:`.queries`, the
schema, migrations and connections :mod:`.schema`).

One file (``<state dir>/ledger.sqlite3`` by default), WAL journal, one connection per
process and path (shared by every :class:`Ledger` on that path, guarded by a lock), and a
``schema_version`` table so later versions can migrate. Tables:

``workouts``
    every workout the sync saw: created/start time, status, origin, first/last seen.
``exports``
    one row per (workout, format): ``status`` (``written``, or ``not_applicable`` with the
    ``reason``), file path (the output folder for ``not_applicable``), SHA-256 of the
    content, and the workout's summary row as JSON for formats with a summary file (so a
    summary file is rebuilt from the ledger and a killed run never loses rows).
``uploads``
    one row per (workout, sink): state (``uploaded``, ``failed``, ``duplicate``, ...),
    remote id, error, attempts, time.
``tombstones``
    (workout, sink) pairs never to upload again (the user deleted the remote copy).
``stacks`` and ``stack_members``
    stacked classes (:mod:`peloton_export.workout.stacking`): a stack's id, its member workout ids
    (JSON list, start order) and when it was formed; each member's stack. A stack's files
    and uploads are recorded in ``exports`` and ``uploads`` under the stack id.
``fetch_failures``
    workouts whose detail or performance graph could not be fetched: attempts, first and
    last failure (epoch seconds), the last one-line reason (see
    :mod:`peloton_export.source.fetch_policy` for the retry bound).
``meta``
    small key/value facts (for example that the first full backfill finished, and
    ``solo:<workout id>``: a class exported alone because its stack could not be built).

Exports and uploads consult it, so a second run does nothing; ``--force`` bypasses it and
:meth:`Ledger.forget` lets a user redo one workout.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from peloton_export.store.ledger.records import (
    DONE_STATES,
    NOT_APPLICABLE,
    WRITTEN,
    ExportRecord,
    FetchFailure,
    SinkPause,
    UploadRecord,
    WorkoutRecord,
    _now_text,
)
from peloton_export.store.ledger.schema import (
    LEDGER_FILE,
    LedgerError,
    _connect,
    _connect_readonly,
    check_version,
    is_current,
    ledger_error,
    migrate,
)

#: ``meta`` key prefix of a class exported alone because its stack could not be built.
SOLO_PREFIX = "solo:"

#: The ``meta`` key prefix of a paused sink (:meth:`Ledger.set_sink_pause`).
SINK_PAUSE = "sink_paused:"


class Ledger:
    """The sync ledger at ``path`` (see the module docstring)."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        """Open (creating or upgrading) the ledger at ``path``.

        ``readonly`` opens an existing ledger for reading only (``status``, ``--dry-run`` on a
        read-only file or folder): nothing is created or upgraded and every write raises.

        :raises LedgerError: the file is not a ledger, is damaged, is newer, or cannot be
            opened or written; the message names it and says what to do.
        """
        self.path = Path(path)
        self.readonly = readonly
        if readonly:
            self._conn, self._lock = _connect_readonly(self.path), threading.RLock()
            self._check_version()
            return
        self._conn, self._lock = _connect(self.path)
        self._migrate()

    @classmethod
    def default(cls) -> Ledger:
        """The ledger in the platformdirs state dir (``PELOTON_EXPORT_STATE_DIR``)."""
        from peloton_export.paths import state_dir

        return cls(state_dir() / LEDGER_FILE)

    @classmethod
    def for_reading(cls, path: Path | None = None) -> Ledger:
        """The ledger at ``path`` (default: the state dir's), read-only when it cannot be written.

        Used by commands that only read it (``status``, ``--dry-run``): a read-only ledger
        file or state folder still answers them.

        :raises LedgerError: as :meth:`__init__`; a missing ledger in a read-only folder
            names the folder.
        """
        if path is None:
            from peloton_export.paths import state_dir

            path = state_dir() / LEDGER_FILE
        try:
            return cls(path)
        except LedgerError as exc:
            if not path.is_file() or exc.kind != "readonly":
                raise
        return cls(path, readonly=True)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise ledger_error(self.path, exc) from None
            try:
                yield self._conn
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
                raise ledger_error(self.path, exc) from None
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
                raise
            try:
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
                raise ledger_error(self.path, exc) from None

    def _query(self, sql: str, params: Iterable[object] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            try:
                return list(self._conn.execute(sql, tuple(params)).fetchall())
            except sqlite3.Error as exc:
                raise ledger_error(self.path, exc) from None

    def _check_version(self) -> None:
        with self._lock:
            check_version(self._conn, self.path)

    def _migrate(self) -> None:
        try:
            with self._lock:
                if is_current(self._conn, self.path):
                    return  # no write transaction: a reader never waits for a running export
            with self._tx() as conn:
                migrate(conn, self.path)
        except sqlite3.Error as exc:
            raise ledger_error(self.path, exc) from None

    # -- workouts -------------------------------------------------------------------------
    def seen(
        self,
        workout_id: str,
        created_at: int | None,
        start_time: int | None,
        status: str | None,
        origin: str = "peloton",
    ) -> None:
        """Record that the sync saw a workout (insert or update)."""
        self.seen_many([(workout_id, created_at, start_time, status, origin)])

    def seen_many(self, rows: Iterable[tuple[str, int | None, int | None, str | None, str]]) -> None:
        """:meth:`seen` for many workouts in one transaction."""
        now = _now_text()
        with self._tx() as conn:
            conn.executemany(
                "INSERT INTO workouts"
                " (workout_id, created_at, start_time, status, origin, first_seen, last_seen)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(workout_id) DO UPDATE SET"
                " created_at=excluded.created_at, start_time=excluded.start_time, status=excluded.status,"
                " origin=excluded.origin, last_seen=excluded.last_seen",
                [(w, c, s, st, o, now, now) for (w, c, s, st, o) in rows],
            )

    def workout(self, workout_id: str) -> WorkoutRecord | None:
        """What the ledger knows about one workout."""
        rows = self._query(
            "SELECT workout_id, created_at, start_time, status, origin, first_seen, last_seen"
            " FROM workouts WHERE workout_id = ?",
            (workout_id,),
        )
        return WorkoutRecord(*rows[0]) if rows else None  # type: ignore[arg-type]

    def workouts(self) -> list[WorkoutRecord]:
        """Every workout seen, newest first."""
        rows = self._query(
            "SELECT workout_id, created_at, start_time, status, origin, first_seen, last_seen"
            " FROM workouts ORDER BY created_at DESC, workout_id"
        )
        return [WorkoutRecord(*r) for r in rows]  # type: ignore[arg-type]

    # -- exports --------------------------------------------------------------------------
    _EXPORT_COLUMNS = "workout_id, format, path, content_hash, exported_at, status, reason"

    def exported(self, workout_id: str, fmt: str) -> ExportRecord | None:
        """The export of ``workout_id`` in ``fmt``, if one was recorded."""
        rows = self._query(
            f"SELECT {self._EXPORT_COLUMNS} FROM exports WHERE workout_id = ? AND format = ?",
            (workout_id, fmt),
        )
        return ExportRecord(*rows[0]) if rows else None  # type: ignore[arg-type]

    def record_export(
        self,
        workout_id: str,
        fmt: str,
        path: str | Path,
        content_hash: str,
        *,
        summary: Mapping[str, str] | None = None,
    ) -> ExportRecord:
        """Record that ``workout_id`` was written as ``fmt`` to ``path`` (with its summary
        row); returns the record as stored."""
        return self._put_export(workout_id, fmt, str(path), content_hash, WRITTEN, None, summary)

    def record_not_applicable(
        self, workout_id: str, fmt: str, output_dir: str | Path, reason: str
    ) -> ExportRecord:
        """Record that ``fmt`` does not apply to ``workout_id`` (for example GPX without GPS);
        returns the record as stored."""
        return self._put_export(workout_id, fmt, str(output_dir), "", NOT_APPLICABLE, reason, None)

    def path_owner(self, path: str | Path, workout_id: str) -> str | None:
        """Another workout whose written file is recorded at ``path``, else ``None``.

        Paths are compared ignoring case (as macOS and Windows file systems do), so ``A.fit``
        and ``a.fit`` are one file. ``None`` as well when ``workout_id`` itself is recorded
        there: several workouts sharing one file is what versions before unique file names
        left behind, and each of them is written again under its own name.
        """
        rows = self._query(
            "SELECT DISTINCT workout_id FROM exports WHERE path = ? COLLATE NOCASE AND status = ?"
            " ORDER BY workout_id",
            (str(path), WRITTEN),
        )
        owners = [str(row[0]) for row in rows]
        if workout_id in owners:
            return None
        return owners[0] if owners else None

    def written_paths(self) -> list[tuple[str, str, str]]:
        """``(workout id, format, path)`` of every written file, any format (one query; the
        rows :meth:`path_owner` looks through)."""
        rows = self._query("SELECT workout_id, format, path FROM exports WHERE status = ?", (WRITTEN,))
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    def _put_export(
        self,
        workout_id: str,
        fmt: str,
        path: str,
        digest: str,
        status: str,
        reason: str | None,
        summary: Mapping[str, str] | None,
    ) -> ExportRecord:
        row = json.dumps(dict(summary), sort_keys=True) if summary is not None else None
        now = _now_text()
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO exports"
                " (workout_id, format, path, content_hash, exported_at, status, reason, summary)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(workout_id, format) DO UPDATE SET path=excluded.path,"
                " content_hash=excluded.content_hash, exported_at=excluded.exported_at,"
                " status=excluded.status, reason=excluded.reason, summary=excluded.summary",
                (workout_id, fmt, path, digest, now, status, reason, row),
            )
        return ExportRecord(workout_id, fmt, path, digest, now, status, reason)

    def summary_rows(self, fmt: str, output_dir: Path) -> dict[str, dict[str, str]]:
        """The summary rows recorded for files written as ``fmt`` into ``output_dir``, by workout."""
        rows = self._query(
            "SELECT workout_id, path, summary FROM exports"
            " WHERE format = ? AND status = ? AND summary IS NOT NULL",
            (fmt, WRITTEN),
        )
        out: dict[str, dict[str, str]] = {}
        for workout_id, path, summary in rows:
            if Path(str(path)).parent != output_dir:
                continue
            try:
                data = json.loads(str(summary))
            except ValueError:
                continue
            if isinstance(data, dict):
                out[str(workout_id)] = {str(k): str(v) for k, v in data.items()}
        return out

    # -- uploads --------------------------------------------------------------------------
    def upload_state(self, workout_id: str, sink: str) -> UploadRecord | None:
        """The upload state of ``workout_id`` on ``sink``."""
        rows = self._query(
            "SELECT workout_id, sink, state, remote_id, error, attempts, updated_at FROM uploads"
            " WHERE workout_id = ? AND sink = ?",
            (workout_id, sink),
        )
        return UploadRecord(*rows[0]) if rows else None  # type: ignore[arg-type]

    def record_upload(
        self, workout_id: str, sink: str, state: str, remote_id: str | None = None, error: str | None = None
    ) -> None:
        """Record an upload attempt's outcome (``attempts`` counts the tries)."""
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO uploads (workout_id, sink, state, remote_id, error, attempts, updated_at)"
                " VALUES (?, ?, ?, ?, ?, 1, ?) ON CONFLICT(workout_id, sink) DO UPDATE SET"
                " state=excluded.state, remote_id=COALESCE(excluded.remote_id, uploads.remote_id),"
                " error=excluded.error, attempts=uploads.attempts + 1, updated_at=excluded.updated_at",
                (workout_id, sink, state, remote_id, error, _now_text()),
            )

    def exports_for(self, formats: Iterable[str]) -> dict[tuple[str, str], ExportRecord]:
        """Every export record in ``formats``, keyed by (workout id, format): one query."""
        names = list(formats)
        if not names:
            return {}
        marks = ",".join("?" * len(names))
        rows = self._query(f"SELECT {self._EXPORT_COLUMNS} FROM exports WHERE format IN ({marks})", names)
        return {(str(r[0]), str(r[1])): ExportRecord(*r) for r in rows}  # type: ignore[arg-type]

    def uploads_for(self, sinks: Iterable[str]) -> dict[tuple[str, str], UploadRecord]:
        """Every upload record on ``sinks``, keyed by (workout id, sink): one query."""
        names = list(sinks)
        if not names:
            return {}
        marks = ",".join("?" * len(names))
        rows = self._query(
            "SELECT workout_id, sink, state, remote_id, error, attempts, updated_at FROM uploads"
            f" WHERE sink IN ({marks})",
            names,
        )
        return {(str(r[0]), str(r[1])): UploadRecord(*r) for r in rows}  # type: ignore[arg-type]

    def tombstones_for(self, sinks: Iterable[str]) -> set[tuple[str, str]]:
        """(workout id, sink) pairs never to upload again, on ``sinks``: one query."""
        names = list(sinks)
        if not names:
            return set()
        marks = ",".join("?" * len(names))
        rows = self._query(f"SELECT workout_id, sink FROM tombstones WHERE sink IN ({marks})", names)
        return {(str(r[0]), str(r[1])) for r in rows}

    # -- stacks ---------------------------------------------------------------------------
    def record_stack(self, stack_id: str, members: Sequence[str]) -> bool:
        """Record a stack of ``members`` (workout ids in start order). A recorded stack is
        closed: a workout is in one stack at most, so a stack with a class already in
        another one is not recorded (returns ``False``); recording one again is a no-op."""
        marks = ",".join("?" * len(members))
        with self._tx() as conn:
            taken = conn.execute(
                f"SELECT 1 FROM stack_members WHERE workout_id IN ({marks}) AND stack_id != ?",
                [*members, stack_id],
            ).fetchone()
            if taken:
                return False
            conn.execute(
                "INSERT OR IGNORE INTO stacks (stack_id, members, created_at) VALUES (?, ?, ?)",
                (stack_id, json.dumps(list(members)), _now_text()),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO stack_members (workout_id, stack_id) VALUES (?, ?)",
                [(member, stack_id) for member in members],
            )
        return True

    def stacks(self) -> dict[str, tuple[str, ...]]:
        """Every recorded stack: stack id -> member ids in start order (one query)."""
        out: dict[str, tuple[str, ...]] = {}
        for stack_id, members in self._query("SELECT stack_id, members FROM stacks"):
            try:
                ids = json.loads(str(members))
            except ValueError:
                continue
            if isinstance(ids, list):
                out[str(stack_id)] = tuple(str(i) for i in ids)
        return out

    def has_records(self, workout_id: str) -> bool:
        """True when any file or upload attempt of ``workout_id`` (or a stack id) was
        recorded, whatever its state (one query)."""
        sql = (
            "SELECT 1 FROM exports WHERE workout_id = ? UNION ALL SELECT 1 FROM uploads WHERE workout_id = ?"
        )
        return bool(self._query(sql + " LIMIT 1", (workout_id, workout_id)))

    def record_solo(self, workout_ids: Iterable[str], reason: str) -> None:
        """Record that these classes were exported alone because their stack could not be
        built (``meta`` key ``solo:<id>``, the one-line ``reason``): they never join a new
        stack, so switching stacking off and on never delivers them twice."""
        with self._tx() as conn:
            conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                [(f"{SOLO_PREFIX}{w}", " ".join(reason.split())[:300]) for w in workout_ids],
            )

    def solo_workouts(self) -> dict[str, str]:
        """Classes exported alone because their stack could not be built: id -> reason."""
        rows = self._query("SELECT key, value FROM meta WHERE key LIKE ?", (f"{SOLO_PREFIX}%",))
        return {str(k)[len(SOLO_PREFIX) :]: str(v) for k, v in rows}

    def uploaded_workouts(self) -> set[str]:
        """Workout (and stack) ids uploaded to, or tombstoned on, any sink (one query)."""
        done = ",".join("?" * len(DONE_STATES))
        rows = self._query(
            f"SELECT workout_id FROM uploads WHERE state IN ({done}) UNION SELECT workout_id FROM tombstones",
            sorted(DONE_STATES),
        )
        return {str(r[0]) for r in rows}

    # -- tombstones -----------------------------------------------------------------------
    def tombstone(self, workout_id: str, sink: str, reason: str) -> None:
        """Never upload ``workout_id`` to ``sink`` again (the remote copy was deleted)."""
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO tombstones (workout_id, sink, reason, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(workout_id, sink) DO UPDATE SET reason=excluded.reason",
                (workout_id, sink, reason, _now_text()),
            )

    def is_tombstoned(self, workout_id: str, sink: str) -> bool:
        """True when ``workout_id`` must not be uploaded to ``sink``."""
        return bool(
            self._query("SELECT 1 FROM tombstones WHERE workout_id = ? AND sink = ?", (workout_id, sink))
        )

    # -- redo -----------------------------------------------------------------------------
    def forget(self, workout_id: str) -> int:
        """Forget everything about one workout (exports, uploads, tombstones); rows removed.

        Forgetting a stack id also dissolves the stack (its classes may stack again)."""
        removed = 0
        with self._tx() as conn:
            for table in ("exports", "uploads", "tombstones", "workouts", "fetch_failures"):
                removed += conn.execute(f"DELETE FROM {table} WHERE workout_id = ?", (workout_id,)).rowcount
            for table in ("stacks", "stack_members"):
                removed += conn.execute(f"DELETE FROM {table} WHERE stack_id = ?", (workout_id,)).rowcount
            removed += conn.execute(
                "DELETE FROM meta WHERE key = ?", (f"{SOLO_PREFIX}{workout_id}",)
            ).rowcount
        return removed

    # -- fetch failures -------------------------------------------------------------------
    def record_fetch_failure(
        self, workout_id: str, reason: str, *, now: float, archived: bool = False
    ) -> FetchFailure:
        """Count one more failed fetch of ``workout_id`` at ``now`` (epoch seconds) with its
        one-line ``reason`` (cut to 300 characters); returns the updated record."""
        stamp = int(now)
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO fetch_failures"
                " (workout_id, attempts, first_failed, last_failed, reason, archived)"
                " VALUES (?, 1, ?, ?, ?, ?) ON CONFLICT(workout_id) DO UPDATE SET"
                " attempts=fetch_failures.attempts + 1, last_failed=excluded.last_failed,"
                " reason=excluded.reason, archived=excluded.archived",
                (workout_id, stamp, stamp, " ".join(reason.split())[:300], int(archived)),
            )
        record = self.fetch_failure(workout_id)
        assert record is not None
        return record

    def clear_fetch_failure(self, workout_id: str) -> bool:
        """Forget the failures of ``workout_id`` (it was fetched, or is to be retried);
        True when there were any."""
        with self._tx() as conn:
            return conn.execute("DELETE FROM fetch_failures WHERE workout_id = ?", (workout_id,)).rowcount > 0

    _FAILURE_COLUMNS = "workout_id, attempts, first_failed, last_failed, reason, archived"

    def fetch_failure(self, workout_id: str) -> FetchFailure | None:
        """The failure record of one workout, if it has one."""
        rows = self._query(
            f"SELECT {self._FAILURE_COLUMNS} FROM fetch_failures WHERE workout_id = ?", (workout_id,)
        )
        return _failure(rows[0]) if rows else None

    def fetch_failures(self) -> dict[str, FetchFailure]:
        """Every workout that failed to fetch, by id (one query)."""
        rows = self._query(f"SELECT {self._FAILURE_COLUMNS} FROM fetch_failures ORDER BY last_failed DESC")
        return {str(r[0]): _failure(r) for r in rows}

    # -- meta -----------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        """A small persisted fact."""
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Persist a small fact."""
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, value),
            )

    def set_sink_pause(self, sink: str, message: str) -> None:
        """Record that ``sink`` is paused (``message``: its one line); keeps the first time."""
        earlier = self.sink_pauses().get(sink)
        since = earlier.since if earlier is not None else _now_text()
        self.set_meta(f"{SINK_PAUSE}{sink}", json.dumps({"message": message, "since": since}))

    def clear_sink_pause(self, sink: str) -> None:
        """Forget that ``sink`` was paused (it delivered again)."""
        with self._tx() as conn:
            conn.execute("DELETE FROM meta WHERE key = ?", (f"{SINK_PAUSE}{sink}",))

    def sink_pauses(self) -> dict[str, SinkPause]:
        """Every paused sink, by name."""
        rows = self._query("SELECT key, value FROM meta WHERE key LIKE ?", (f"{SINK_PAUSE}%",))
        out: dict[str, SinkPause] = {}
        for key, value in rows:
            try:
                data = json.loads(str(value))
            except ValueError:
                continue
            if isinstance(data, dict):
                name = str(key).removeprefix(SINK_PAUSE)
                out[name] = SinkPause(name, str(data.get("message") or ""), str(data.get("since") or ""))
        return out

    def backfill_done(self, user_id: str) -> bool:
        """True once a sync walked the whole workout list of ``user_id`` to its end."""
        return self.get_meta(f"backfill_done:{user_id}") is not None

    def mark_backfill_done(self, user_id: str) -> None:
        """Record that the whole list of ``user_id`` was walked."""
        self.set_meta(f"backfill_done:{user_id}", _now_text())

    def forget_backfill(self, user_id: str) -> None:
        """Make the next plain sync of ``user_id`` walk the whole list again."""
        with self._tx() as conn:
            conn.execute("DELETE FROM meta WHERE key = ?", (f"backfill_done:{user_id}",))


def _failure(row: tuple[object, ...]) -> FetchFailure:
    workout_id, attempts, first, last, reason, archived = row
    return FetchFailure(
        str(workout_id),
        int(attempts),  # type: ignore[call-overload]
        int(first),  # type: ignore[call-overload]
        int(last),  # type: ignore[call-overload]
        str(reason),
        bool(archived),
    )
