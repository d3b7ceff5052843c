"""A loopback fake of intervals.icu's activity API.

``POST /api/v1/athlete/{id}/activities`` (Basic auth ``API_KEY:<key>``, multipart ``file``,
query ``name``/``description``/``external_id``) answers 200 with the activity id, or 409
``{"status": 409, "error": "Activity already exists"}`` for a file it already has;
``GET /api/v1/athlete/{id}/activities?oldest&newest`` lists activities with their
``external_id``; ``GET /api/v1/activity/{id}`` is 200 or 404. Errors have intervals.icu's
``{"status": N, "error": "..."}`` shape. Faults are queued by the test.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import gzip
import hashlib
import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from peloton_export import ExportContext, Workout

API_KEY = "icu-api-key-5up3r53cr3t"
START = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)


@dataclass
class Fault:
    method: str
    path: str
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    after: bool = False


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    files: dict[str, tuple[str, bytes]]


class FakeIntervals:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.activities: dict[str, dict[str, Any]] = {}
        self.by_content: dict[str, str] = {}
        self.next_id = 1001
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                fake.handle(self, "GET")

            def do_POST(self) -> None:
                fake.handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def fault(self, method: str, path: str, status: int, body: Any = b"", **kw: Any) -> None:
        data = json.dumps(body).encode() if isinstance(body, dict | list) else body
        self.faults.append(Fault(method, path, status, data, **kw))

    def posts(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST"]

    def handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        split = urllib.parse.urlsplit(h.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(split.query).items()}
        files: dict[str, tuple[str, bytes]] = {}
        ctype = h.headers.get("Content-Type", "")
        if ctype.startswith("multipart/form-data"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {ctype}\r\n\r\n".encode() + raw
            )
            for part in message.iter_parts():
                if part.get_filename() is not None:
                    name = str(part.get_param("name", header="content-disposition"))
                    files[name] = (str(part.get_filename()), part.get_payload(decode=True) or b"")
        with self.lock:
            self.requests.append(Recorded(method, split.path, dict(h.headers), query, files))
            fault = next(
                (f for f in self.faults if f.method == method and re.fullmatch(f.path, split.path)), None
            )
            if fault:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
            if fault and not fault.after:
                return self._send(h, fault.status, fault.body, fault.headers)
            status, body = self._route(method, split.path, h.headers, query, files)
            if fault:
                return self._send(h, fault.status, fault.body, fault.headers)
            self._send(h, status, json.dumps(body).encode(), {})

    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> None:
        h.send_response(status)
        merged = {"Content-Type": "application/json", "Content-Length": str(len(body)), **headers}
        for key, value in merged.items():
            h.send_header(key, value)
        h.end_headers()
        h.wfile.write(body)

    def _route(
        self, method: str, path: str, headers: Any, query: dict[str, str], files: Any
    ) -> tuple[int, Any]:
        expected = "Basic " + base64.b64encode(f"API_KEY:{API_KEY}".encode()).decode()
        if headers.get("Authorization") != expected:
            return 401, {"status": 401, "error": "Unauthorized"}
        if re.fullmatch(r"/api/v1/athlete/(0|i\d+)/activities", path):
            if method == "POST":
                return self._upload(query, files)
            return 200, [
                {"id": a["id"], "external_id": a["external_id"], "start_date_local": a["start"]}
                for a in self.activities.values()
                if query.get("oldest", "") <= a["start"][:10] <= query.get("newest", "9999")
            ]
        match = re.fullmatch(r"/api/v1/activity/(i\d+)", path)
        if match and method == "GET":
            if match.group(1) in self.activities:
                return 200, {k: v for k, v in self.activities[match.group(1)].items() if k != "content"}
            return 404, {"status": 404, "error": "Activity not found"}
        return 404, {"status": 404, "error": "Not found"}

    def _upload(self, query: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[int, Any]:
        if "file" not in files:
            return 422, {"status": 422, "error": "No file"}
        filename, data = files["file"]
        content = gzip.decompress(data) if filename.endswith(".gz") else data
        digest = hashlib.sha256(content).hexdigest()
        if digest in self.by_content and self.by_content[digest] in self.activities:
            return 409, {"status": 409, "error": "Activity already exists"}
        activity_id = f"i{self.next_id}"
        self.next_id += 1
        self.by_content[digest] = activity_id
        self.activities[activity_id] = {
            "id": activity_id,
            "name": query.get("name"),
            "description": query.get("description"),
            "external_id": query.get("external_id"),
            "start": START.isoformat(),
            "content": content,
        }
        return 200, {"icu_athlete_id": "i42", "id": activity_id}

    @property
    def created(self) -> int:
        return len(self.activities)


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 10, 5, tzinfo=UTC).timestamp()
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_icu() -> Iterator[FakeIntervals]:
    fake = FakeIntervals()
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def context(fake_icu: FakeIntervals, tmp_path: Path) -> ExportContext:
    section = {
        "api_key": API_KEY,
        "base_url": fake_icu.url,
        "journal_file": str(tmp_path / "state" / "intervals-journal.json"),
    }
    return ExportContext(output_dir=tmp_path / "exports", plugin_config={"intervals": section})


@pytest.fixture
def workout() -> Workout:
    return Workout(
        id="beef00000001",
        discipline="cycling",
        start=START,
        end=START + timedelta(minutes=20),
        elapsed_s=1200.0,
        timer_s=1200.0,
        title="20 min HIIT Ride",
        instructor="Robin Arzón",
        calories_kcal=250.0,
    )


@pytest.fixture
def fit_file(tmp_path: Path) -> Path:
    path = tmp_path / "exports" / "ride.fit"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x0e\x10FIT-ride-one")
    return path


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach a real service: name look-ups other than the loopback fail."""
    import socket

    real = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("127.0.0.1", "localhost", b"127.0.0.1", b"localhost"):
            raise OSError(f"test tried to reach {host!r}; only 127.0.0.1 is allowed")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
