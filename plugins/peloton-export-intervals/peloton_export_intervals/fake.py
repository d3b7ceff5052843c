"""A loopback fake of intervals.icu's activity API, for the plugin's tests and for trying
the sink without an account.

``POST /api/v1/athlete/{id}/activities`` (Basic auth ``API_KEY:<key>``, multipart ``file``,
query ``name``/``description``/``external_id``) answers **201** with the new activity, or,
as intervals.icu does since it de-duplicates by file content, **200** with the activity it
already has for the same file (``duplicate_status = 409`` plays the older 409
``{"status": 409, "error": "Activity already exists"}``);
``GET /api/v1/athlete/{id}/activities?oldest&newest`` lists activities with their
``external_id``; ``GET /api/v1/activity/{id}`` is 200 or 404. Errors have intervals.icu's
``{"status": N, "error": "..."}`` shape. Faults are queued by the test.

Run it by hand: ``python -m peloton_export_intervals.fake [--port N]`` prints the
``[plugin:intervals]`` settings to paste and serves until Ctrl-C (see the README, "Trying
it without an account").
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from peloton_export.testing import FakeService, RecordedRequest, Response, serve_by_hand

__all__ = ["API_KEY", "START", "FakeIntervals", "main"]

#: The API key the fake accepts (paste it as ``api_key``).
API_KEY = "icu-api-key-5up3r53cr3t"
#: Where the fake's activities start.
START = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)


class FakeIntervals(FakeService):
    """The fake service; ``url`` is its base URL (the ``base_url`` setting)."""

    def __init__(self, port: int = 0) -> None:
        super().__init__(port)
        self.activities: dict[str, dict[str, Any]] = {}
        self.by_content: dict[str, str] = {}
        self.next_id = 1001
        self.duplicate_status = 200

    def posts(self) -> list[RecordedRequest]:
        return self.find("POST")

    def route(self, request: RecordedRequest) -> Response:
        status, body = self._route(request.method, request.path, request, request.query, request.files)
        return Response.json(body, status)

    def _route(
        self, method: str, path: str, request: RecordedRequest, query: dict[str, str], files: Any
    ) -> tuple[int, Any]:
        expected = "Basic " + base64.b64encode(f"API_KEY:{API_KEY}".encode()).decode()
        if request.header("Authorization") != expected:
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
        existing = self.by_content.get(digest)
        if existing in self.activities:
            if self.duplicate_status == 409:
                return 409, {"status": 409, "error": "Activity already exists"}
            activity = self.activities[existing]
            return 200, {"icu_athlete_id": "i42", "id": existing, "name": activity["name"]}
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
        return 201, {"icu_athlete_id": "i42", "id": activity_id}

    @property
    def created(self) -> int:
        return len(self.activities)


def main(argv: list[str] | None = None) -> int:
    """Serve the fake on 127.0.0.1 until Ctrl-C; print the settings to use it."""
    parser = argparse.ArgumentParser(
        prog="python -m peloton_export_intervals.fake", description="A fake intervals.icu"
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    args = parser.parse_args(argv)
    return serve_by_hand(
        FakeIntervals(port=args.port),
        lambda f: ["[plugin:intervals]", f"base_url = {f.url}", f"api_key = {API_KEY}"],
    )


if __name__ == "__main__":
    raise SystemExit(main())
