"""Faults the fake Peloton API can inject on demand.

A :class:`Fault` matches requests by host (``api`` or ``auth``), method and a regular
expression on the path, skips the first ``after`` matches and then fires ``times`` times
(``None``: for ever). Kinds:

``latency``
    wait ``delay`` seconds, then answer normally.
``429``
    ``429 Too Many Requests`` with ``Retry-After: <retry_after>`` (omitted when ``None``).
``5xx``
    ``status`` (default 503) with a small JSON body.
``1015``
    Cloudflare's rate limit: ``status`` (default 429) with the text body ``error code: 1015``.
``empty``
    ``200`` with an empty body.
``truncated``
    ``200`` with the first half of the real body.
``revoke``
    revoke every access token (and the legacy sessions) before answering, so the request
    itself is answered ``401`` and the client has to refresh.
``redirect``
    ``302`` to ``location`` (tests that credentials never follow a redirect to another host).

Hostile kinds (a server that answers, but wrongly):

``html``
    ``200`` with an HTML page instead of JSON.
``array``
    ``200`` with a JSON array instead of an object.
``deep``
    ``200`` with JSON nested 100,000 levels deep.
``loop``
    ``302`` to the same URL, for ever (a redirect loop).
``cut``
    ``200`` announcing ``Content-Length: 100000``, sending 35 bytes, closing the connection.
``drip``
    ``200`` whose real body is sent one byte every ``delay`` seconds.
``bigjson``
    ``200`` with a valid JSON object of about ``status`` megabytes (default 8).
``bomb``
    ``200`` with ``Content-Encoding: gzip``: a small body that decodes to ``status`` MB of
    zeros (default 64).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Literal, get_args

FaultKind = Literal[
    "latency",
    "429",
    "5xx",
    "1015",
    "empty",
    "truncated",
    "revoke",
    "redirect",
    "html",
    "array",
    "deep",
    "loop",
    "cut",
    "drip",
    "bigjson",
    "bomb",
]
KINDS: tuple[str, ...] = get_args(FaultKind)  # the same names, in the same order


@dataclass
class Fault:
    """One fault rule. See the module docstring for the kinds."""

    kind: FaultKind
    path: str = r".*"
    host: str = "api"
    method: str | None = None
    times: int | None = 1
    after: int = 0
    status: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    location: str | None = None
    seen: int = field(default=0, init=False)
    fired: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        self._regex = re.compile(self.path)

    def matches(self, host: str, method: str, path: str) -> bool:
        """True when this rule applies to the request (ignoring its counters)."""
        if self.host not in (host, "*"):
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self._regex.search(path) is not None

    @property
    def exhausted(self) -> bool:
        """True once the rule fired ``times`` times."""
        return self.times is not None and self.fired >= self.times


class FaultPlan:
    """A thread-safe list of :class:`Fault` rules; the first live match fires."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, kind: FaultKind, **options: object) -> Fault:
        """Add a rule (keyword options as in :class:`Fault`) and return it."""
        fault = Fault(kind, **options)  # type: ignore[arg-type]
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._faults.clear()

    def take(self, host: str, method: str, path: str) -> Fault | None:
        """The rule that fires for this request, if any (its counters are updated)."""
        with self._lock:
            for fault in self._faults:
                if fault.exhausted or not fault.matches(host, method, path):
                    continue
                fault.seen += 1
                if fault.seen <= fault.after:
                    continue
                fault.fired += 1
                return fault
        return None

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)
