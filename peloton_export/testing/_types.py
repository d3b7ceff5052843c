"""Small value types shared by the fake API's modules."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    """A parsed request, as the fake's handlers see it."""

    host: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    cookies: dict[str, str]

    def header(self, name: str) -> str | None:
        """A header by case-insensitive name."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None

    def json(self) -> Any:
        """The body parsed as JSON (``None`` when it is not JSON)."""
        try:
            return json.loads(self.body.decode("utf-8") or "null")
        except (ValueError, UnicodeDecodeError):
            return None


@dataclass
class Reply:
    """A response the fake sends."""

    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Reply:
        """A JSON response."""
        body = json.dumps(data, separators=(",", ":")).encode("utf-8")
        return cls(status, body, [("Content-Type", "application/json; charset=utf-8"), *(headers or [])])

    @classmethod
    def html(cls, text: str, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Reply:
        """An HTML response."""
        return cls(
            status, text.encode("utf-8"), [("Content-Type", "text/html; charset=utf-8"), *(headers or [])]
        )

    @classmethod
    def redirect(cls, location: str, headers: list[tuple[str, str]] | None = None) -> Reply:
        """A ``302 Found`` to ``location``."""
        return cls(302, b"", [("Location", location), *(headers or [])])


@dataclass(frozen=True)
class RequestRecord:
    """One request the fake received (kept for tests and benchmarks to count)."""

    host: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int
    fault: str | None
    time: float

    def header(self, name: str) -> str | None:
        """A header by case-insensitive name."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None
