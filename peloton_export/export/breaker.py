"""The circuit breaker of each sink in a run: a failing service is left alone.

A sink's :class:`~peloton_export.errors.ServiceFailing` answers (a 5xx after the retries, no
answer, a rate limit longer than the sink waits) are counted in a row; after
:data:`BREAKER_AFTER` of them, or at once when the service named a wait (``Retry-After``),
the breaker opens: the run offers that sink no more workouts (they stay pending, with
nothing recorded) and its report names the sink once. Any other answer (a delivery, a
refused file) resets the count. An :class:`~peloton_export.errors.AuthRequired` holds the
sink too (cause ``login``).

With ``--jobs N`` the workers share the state through a folder (one small JSON file per
sink, changed under an ``flock``), so a run with four workers still tries a down service
:data:`BREAKER_AFTER` times, not four times that; without a folder it lives in memory.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

#: ServiceFailing answers in a row after which a sink is left alone for the rest of the run.
BREAKER_AFTER = 3
#: The key of ``ExportContext.state`` holding ``{"folder": PATH}``, the shared folder of a ``--jobs`` run.
STATE_KEY = "peloton_export.breakers"

Cause = Literal["login", "service-failing"]


@dataclass(frozen=True, slots=True)
class SinkHold:
    """Why a run stopped offering workouts to a sink (a typed state, not message text).

    ``cause``: ``"login"`` (:class:`~peloton_export.errors.AuthRequired`) or
    ``"service-failing"`` (the breaker); ``message``: the one line every later workout of
    the run shows for the sink.
    """

    cause: Cause
    message: str


def breaker_text(sink: str, failures: int, last: str, retry_after: float | None) -> str:
    """The one line of a sink whose breaker opened: what failed last and what happens now."""
    if retry_after is not None:
        wait = f"{retry_after / 60:.0f} min" if retry_after < 7 * 86400 else "more than a week"
        why = f"the service asked to wait {wait}"
    else:
        why = f"{failures} failure{'' if failures == 1 else 's'} in a row"
    then = "not used for the rest of this run, the next run tries again"
    return f"{sink} is failing ({why}; last: {last}): {then}"


class SinkBreakers:
    """Each sink's failures in a row and hold, for one run (see the module docstring).

    :param folder: the folder the run's processes share (``None``: this process only).
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._memory: dict[str, dict[str, Any]] = {}

    def hold(self, sink: str) -> SinkHold | None:
        """The sink's hold, if the run stopped using it."""
        entry = self._read(sink)
        held = entry.get("hold")
        if isinstance(held, dict) and held.get("cause") in ("login", "service-failing"):
            return SinkHold(held["cause"], str(held.get("message", "")))
        return None

    def holds(self) -> dict[str, SinkHold]:
        """Every hold of the run, by sink."""
        names = set(self._memory)
        if self.folder is not None:
            names |= {p.stem for p in self.folder.glob("*.json")}
        return {name: hold for name in sorted(names) if (hold := self.hold(name)) is not None}

    def put_hold(self, sink: str, cause: Cause, message: str) -> None:
        """Stop using ``sink`` for the rest of the run."""
        with self._changing(sink) as entry:
            entry["hold"] = {"cause": cause, "message": message}

    def failed(self, sink: str, message: str, retry_after: float | None) -> SinkHold | None:
        """Count one ServiceFailing of ``sink``; returns the hold when the breaker opened."""
        with self._changing(sink) as entry:
            failures = int(entry.get("failures", 0)) + 1
            entry["failures"] = failures
            if failures < BREAKER_AFTER and retry_after is None:
                return None
            line = breaker_text(sink, failures, message, retry_after)
            entry["hold"] = {"cause": "service-failing", "message": line}
            return SinkHold("service-failing", line)

    def answered(self, sink: str) -> None:
        """The sink's service answered (about the file): the count starts again."""
        if not self._read(sink).get("failures"):
            return
        with self._changing(sink) as entry:
            entry["failures"] = 0

    # -- storage -----------------------------------------------------------------------

    def _path(self, sink: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{sink.replace('/', '_')}.json"

    def _read(self, sink: str) -> dict[str, Any]:
        if self.folder is None:
            return self._memory.get(sink, {})
        try:
            data = json.loads(self._path(sink).read_bytes())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @contextlib.contextmanager
    def _changing(self, sink: str) -> Iterator[dict[str, Any]]:
        if self.folder is None:
            entry = self._memory.setdefault(sink, {})
            yield entry
            return
        with open(self.folder / ".lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            entry = self._read(sink)
            yield entry
            path = self._path(sink)
            temporary = path.with_suffix(".tmp")
            temporary.write_bytes(json.dumps(entry).encode())
            os.replace(temporary, path)
