"""A loopback fake of Strava's API (OAuth token, uploads, upload status, activities), for
the plugin's tests and for trying the sink without a Strava account.

It implements the documented shapes: ``POST /oauth/token`` (authorization_code and
refresh_token grants, rotating the refresh token), ``POST /api/v3/uploads`` (multipart,
201 with ``id``/``id_str``), ``GET /api/v3/uploads/{id}`` (processing, then
``activity_id`` or ``error: "... duplicate of activity N"``), ``GET
/api/v3/athlete/activities``, ``GET`` and ``PUT /api/v3/activities/{id}`` (``sport_type``,
``gear_id``), ``GET /api/v3/athlete`` (bikes and shoes only with ``profile:read_all``) and
``GET /oauth/authorize`` (the athlete approves at once: a 302 back to ``redirect_uri``
with ``code``, ``state`` and ``scope``; ``authorize_answer = "deny"`` refuses),
``POST /oauth/revoke`` (HTTP Basic client credentials, form ``token``; 404 with
``offers_revoke = False``) and ``POST /oauth/deauthorize``; 401 bodies ``{"message":
"Authorization Error", "errors": [...]}``, including Strava's missing-scope answer
(``field: "activity:write_permission", code: "missing"``) for a token without the scope an
endpoint needs (``scopes``); the ``X-RateLimit-*`` and ``X-ReadRateLimit-*`` headers on
every answer; and faults queued by the test. Strava's 2026-2027 behaviour on request:

* ``inactive = True``: the application is inactive (its owner has no subscription): every
  API call answers 403 ``{"message": "Forbidden", "errors": [{"resource": "Application",
  "field": "Status", "code": "Inactive"}]}`` (stravalib #730); token refreshes still work;
* ``athlete_limit = "json"`` (or ``"html"``): the application has all the athletes Strava
  allows it: ``POST /oauth/token`` and every API call answer 403 "Limit of connected
  athletes exceeded", as a JSON error body or as the HTML page Strava's authorize step
  shows ("This app has exceeded the limit of connected athletes. ...");
* ``header_only = True``: an access token in a form or query is refused (2027-06-01);
* ``api_prefix``: where the API lives (``/api/v3`` today; ``""`` for the 2027 API host);
* :meth:`FakeStrava.add_activity`: an activity made by someone else (Peloton's own share,
  Garmin Connect forwarding), with ``start_date`` and ``sport_type`` as Strava lists them.

Run it by hand: ``python -m peloton_export_strava.fake [--port 8765] [--inactive]`` prints
the ``[plugin:strava]`` settings to paste and serves until Ctrl-C (see the README, "Trying
it without a Strava account"). Standard library only (and ``peloton_export.testing``).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from peloton_export.testing import FakeClock, FakeService, RecordedRequest, Response, serve_by_hand

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "GOOD_CODE", "START", "FakeStrava", "main"]

#: The client credentials the fake accepts (paste them as ``client_id`` / ``client_secret``).
CLIENT_ID = "424242"
CLIENT_SECRET = "client-secret-0f1e2d3c4b5a"
#: The authorization code the fake exchanges (``peloton-export strava login --code good-code``).
GOOD_CODE = "good-code"
#: Where the fake's own activities start when it does not know the workout's start.
START = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)


class FakeStrava(FakeService):
    """The fake service; ``url`` is its base URL."""

    content_type = "application/json; charset=utf-8"

    def __init__(self, port: int = 0) -> None:
        super().__init__(port)
        self.access_token = "access-token-aaaaaaaa"
        self.refresh_token = "refresh-token-rrrrrrr0"
        self.generation = 0
        self.uploads: dict[int, dict[str, Any]] = {}
        self.activities: dict[int, dict[str, Any]] = {}
        self.by_content: dict[str, int] = {}
        self.polls_before_ready = 2
        self.next_upload = 9_000_000_001
        self.next_activity = 12_000_000_001
        self.usage = [0, 0]
        self.read_usage = [0, 0]
        self.limit = (200, 2000)
        self.read_limit = (100, 1000)
        self.clock: FakeClock | None = None
        self.quarter = self.day = -1
        #: What the user granted at login; endpoints needing another scope answer 401 "missing".
        self.scopes = {"read", "activity:write", "activity:read_all", "profile:read_all"}
        self.gear = {"b1001": "Peloton Bike+", "g2002": "Tread Shoes"}
        self.deauthorized: list[str] = []
        self.revoked: list[str] = []
        self.offers_revoke = True
        self.inactive = False
        self.athlete_limit: str | None = None
        self.header_only = False
        self.api_prefix = "/api/v3"
        #: ``GET /oauth/authorize``: "approve" (send back a code) or "deny" (access_denied)
        self.authorize_answer = "approve"
        #: the scope an approved authorize step grants (``None``: the one asked for)
        self.authorize_scope: str | None = None
        #: the start (epoch s) of the activity an upload with this external id becomes
        self.starts: dict[str, int] = {}

    # -- helpers for tests ------------------------------------------------------------------

    def posts(self, path: str = "/api/v3/uploads") -> list[RecordedRequest]:
        return [r for r in self.find("POST") if r.path == path]

    def add_activity(
        self,
        start: datetime,
        sport_type: str = "VirtualRide",
        *,
        activity_id: int | None = None,
        external_id: str | None = None,
        name: str = "Peloton ride",
    ) -> int:
        """An activity someone else put on Strava (Peloton's share, Garmin forwarding)."""
        with self.lock:
            if activity_id is None:
                activity_id = self.next_activity
                self.next_activity += 1
            self.activities[activity_id] = {
                "id": activity_id,
                "external_id": external_id,
                "name": name,
                "sport_type": sport_type,
                "start": int(start.timestamp()),
            }
            return activity_id

    # -- the service ------------------------------------------------------------------------

    def route(self, request: RecordedRequest) -> Response:
        if request.path == "/oauth/authorize" and request.method == "GET":
            return self._authorize(request.query)
        form = {**request.query, **request.form}
        if self.header_only and ("access_token" in request.query or "access_token" in request.form):
            body = {
                "message": "Authorization Error",
                "errors": [{"field": "access_token", "code": "in_body"}],
            }
            return Response.json(body, 401)
        status, body = self._route(request.method, request.path, request, form, request.files)
        if isinstance(body, bytes):
            html = {"Content-Type": "text/html; charset=utf-8"} if body.startswith(b"<!DOCTYPE") else {}
            return Response(status, html, body)
        return Response.json(body, status)

    def default_headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": f"{self.limit[0]},{self.limit[1]}",
            "X-RateLimit-Usage": f"{self.usage[0]},{self.usage[1]}",
            "X-ReadRateLimit-Limit": f"{self.read_limit[0]},{self.read_limit[1]}",
            "X-ReadRateLimit-Usage": f"{self.read_usage[0]},{self.read_usage[1]}",
        }

    def _route(
        self, method: str, path: str, request: RecordedRequest, form: dict[str, str], files: Any
    ) -> tuple[int, Any]:
        if self.athlete_limit and (path == "/oauth/token" or path.startswith(self.api_prefix + "/")):
            return self._athlete_limit()
        if path == "/oauth/token" and method == "POST":
            return self._token(form)
        if path == "/oauth/revoke" and method == "POST":
            if not self.offers_revoke:
                return 404, {"message": "Record Not Found", "errors": []}
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if request.header("Authorization") != expected:
                return 401, {"message": "Authorization Error", "errors": [{"code": "invalid"}]}
            if form.get("token") not in (self.access_token, self.refresh_token):
                return 400, {"message": "Bad Request", "errors": [{"field": "token", "code": "invalid"}]}
            self.revoked.append(form["token"])
            self.access_token = "revoked-" + self.access_token
            self.refresh_token = "revoked-" + self.refresh_token
            return 200, {}
        if path == "/oauth/deauthorize" and method == "POST":
            token = form.get("access_token") or (request.header("Authorization") or "").removeprefix(
                "Bearer "
            )
            if token != self.access_token:
                return 401, {"message": "Authorization Error", "errors": [{"code": "invalid"}]}
            self.deauthorized.append(token)
            self.access_token = "revoked-" + self.access_token
            self.refresh_token = "revoked-" + self.refresh_token
            return 200, {"access_token": token}
        if not path.startswith(self.api_prefix + "/"):
            return 404, {"message": "Record Not Found", "errors": []}
        path = "/api/v3" + path.removeprefix(self.api_prefix)  # one set of routes for both hosts
        if request.header("Authorization") != f"Bearer {self.access_token}":
            return 401, {
                "message": "Authorization Error",
                "errors": [{"resource": "Athlete", "field": "access_token", "code": "invalid"}],
            }
        if self.clock is not None:  # windows reset at :00/:15/:30/:45 and at midnight UTC
            quarter, day = int(self.clock.now // 900), int(self.clock.now // 86400)
            if quarter != self.quarter:
                self.usage[0] = self.read_usage[0] = 0
            if day != self.day:
                self.usage[1] = self.read_usage[1] = 0
            self.quarter, self.day = quarter, day
        if self.inactive:
            return 403, {
                "message": "Forbidden",
                "errors": [{"resource": "Application", "field": "Status", "code": "Inactive"}],
            }
        if self.usage[0] >= self.limit[0] or self.usage[1] >= self.limit[1]:
            return 429, {
                "message": "Rate Limit Exceeded",
                "errors": [{"resource": "Application", "code": "exceeded"}],
            }
        self.usage = [self.usage[0] + 1, self.usage[1] + 1]
        if method == "GET":
            self.read_usage = [self.read_usage[0] + 1, self.read_usage[1] + 1]
        needed = {"POST": "activity:write", "PUT": "activity:write"}.get(method)
        if path == "/api/v3/athlete/activities":
            needed = "activity:read_all" if "activity:read_all" in self.scopes else "activity:read"
        if needed and needed not in self.scopes:
            return 401, {
                "message": "Authorization Error",
                "errors": [{"resource": "AccessToken", "field": f"{needed}_permission", "code": "missing"}],
            }
        if path == "/api/v3/athlete" and method == "GET":
            athlete: dict[str, Any] = {"id": 777, "firstname": "Pat"}
            if "profile:read_all" in self.scopes:
                athlete["bikes"] = [
                    {"id": k, "name": v, "primary": True} for k, v in self.gear.items() if k[0] == "b"
                ]
                athlete["shoes"] = [
                    {"id": k, "name": v, "primary": False} for k, v in self.gear.items() if k[0] == "g"
                ]
            return 200, athlete
        if path == "/api/v3/uploads" and method == "POST":
            return self._upload(form, files)
        match = re.fullmatch(r"/api/v3/uploads/(\d+)", path)
        if match and method == "GET":
            return self._status(int(match.group(1)))
        if path == "/api/v3/athlete/activities" and method == "GET":
            after, before = int(form.get("after", 0)), int(form.get("before", 2**40))
            found = [a for a in self.activities.values() if after < a["start"] < before]
            return 200, [self._summary(a) for a in found]
        match = re.fullmatch(r"/api/v3/activities/(\d+)", path)
        if match and method == "GET":
            activity = self.activities.get(int(match.group(1)))
            if activity is None:
                return 404, {
                    "message": "Record Not Found",
                    "errors": [{"resource": "Activity", "code": "not found"}],
                }
            return 200, self._summary(activity)
        if match and method == "PUT":
            activity = self.activities.get(int(match.group(1)))
            if activity is None:
                return 404, {"message": "Record Not Found", "errors": []}
            if "gear_id" in form and form["gear_id"] not in self.gear:
                return 400, {"message": "Bad Request", "errors": [{"field": "gear_id", "code": "invalid"}]}
            for key in ("sport_type", "gear_id", "name", "description"):
                if key in form:
                    activity[key] = form[key]
            return 200, self._summary(activity)
        return 404, {"message": "Record Not Found", "errors": []}

    @staticmethod
    def _summary(activity: dict[str, Any]) -> dict[str, Any]:
        """An activity as Strava answers it (``start_date`` ISO UTC, ``id_str``)."""
        start = datetime.fromtimestamp(activity["start"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        out = {k: v for k, v in activity.items() if k != "start"}
        return {**out, "id_str": str(activity["id"]), "start_date": start}

    def _athlete_limit(self) -> tuple[int, Any]:
        """Strava's answer when the application has no athlete place left."""
        if self.athlete_limit == "html":
            page = (
                "<!DOCTYPE html><html><head><title>Error 403: Limit of connected athletes exceeded"
                "</title></head><body><h1>Error 403: Limit of connected athletes exceeded</h1>"
                "<p>This app has exceeded the limit of connected athletes. If you are a developer "
                "of this application, please contact Strava developer support for how to request "
                "a quota increase.</p></body></html>"
            )
            return 403, page.encode()
        return 403, {
            "message": "Limit of connected athletes exceeded",
            "errors": [
                {"resource": "Athlete", "field": "athletes", "code": "limit of connected athletes exceeded"}
            ],
        }

    def _authorize(self, query: dict[str, str]) -> Response:
        """The authorize page as if the athlete pressed "Authorize" (``authorize_answer =
        "deny"``: "Cancel"): a 302 to ``redirect_uri`` with ``code``, ``state`` and the
        granted ``scope`` (or ``error=access_denied``). A wrong ``client_id`` is Strava's
        400 ``{"message": "Bad Request", ...}``."""
        from urllib.parse import urlencode

        redirect = query.get("redirect_uri", "")
        if query.get("client_id") != CLIENT_ID or not redirect.startswith(("http://", "https://")):
            body = {"message": "Bad Request", "errors": [{"resource": "Application", "code": "invalid"}]}
            return Response.json(body, 400)
        if query.get("response_type") != "code":
            return Response.json({"message": "Bad Request", "errors": [{"field": "response_type"}]}, 400)
        answer: dict[str, str] = {"state": query.get("state", "")}
        if self.authorize_answer == "deny":
            answer["error"] = "access_denied"
        else:
            answer["code"] = GOOD_CODE
            answer["scope"] = self.authorize_scope or query.get("scope", "read")
        separator = "&" if "?" in redirect else "?"
        return Response(302, {"Location": redirect + separator + urlencode(answer)}, b"")

    def _token(self, form: dict[str, str]) -> tuple[int, Any]:
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return 401, {"message": "Bad Request", "errors": [{"resource": "Application", "code": "invalid"}]}
        grant = form.get("grant_type")
        if grant == "authorization_code" and form.get("code") != GOOD_CODE:
            return 400, {"message": "Bad Request", "errors": [{"field": "code", "code": "invalid"}]}
        if grant == "refresh_token" and form.get("refresh_token") != self.refresh_token:
            return 400, {"message": "Bad Request", "errors": [{"field": "refresh_token", "code": "invalid"}]}
        if grant not in ("authorization_code", "refresh_token"):
            return 400, {"message": "Bad Request", "errors": []}
        self.generation += 1
        self.access_token = f"access-token-gen{self.generation:04d}"
        self.refresh_token = f"refresh-token-gen{self.generation:04d}"  # Strava may rotate it
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": 1_900_000_000,
            "expires_in": 21600,
        }
        if grant == "authorization_code":
            body["athlete"] = {"id": 777}
        return 200, body

    def _upload(self, form: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[int, Any]:
        if "file" not in files or form.get("data_type") not in {
            "fit",
            "fit.gz",
            "tcx",
            "tcx.gz",
            "gpx",
            "gpx.gz",
        }:
            return 400, {
                "message": "Bad Request",
                "errors": [{"resource": "Upload", "field": "data", "code": "empty"}],
            }
        upload_id = self.next_upload
        self.next_upload += 1
        digest = hashlib.sha256(files["file"][1]).hexdigest()
        self.uploads[upload_id] = {
            "form": form,
            "digest": digest,
            "polls": 0,
            "activity_id": None,
            "error": None,
        }
        return 201, self._upload_body(upload_id, "Your activity is still being processed.")

    def _upload_body(self, upload_id: int, status: str) -> dict[str, Any]:
        up = self.uploads[upload_id]
        return {
            "id": upload_id,
            "id_str": str(upload_id),
            "external_id": up["form"].get("external_id"),
            "error": up["error"],
            "status": status,
            "activity_id": up["activity_id"],
        }

    def _status(self, upload_id: int) -> tuple[int, Any]:
        up = self.uploads.get(upload_id)
        if up is None:
            return 404, {"message": "Record Not Found", "errors": []}
        up["polls"] += 1
        if up["activity_id"] is None and up["error"] is None and up["polls"] >= self.polls_before_ready:
            existing = self.by_content.get(up["digest"])
            if existing is not None and existing in self.activities:
                up["error"] = f"{up['form']['external_id']}.fit duplicate of activity {existing}"
            else:
                activity_id = self.next_activity
                self.next_activity += 1
                self.by_content[up["digest"]] = activity_id
                self.activities[activity_id] = {
                    "id": activity_id,
                    "external_id": up["form"].get("external_id"),
                    "name": up["form"].get("name"),
                    # Strava takes the type from the file, not from the upload's fields
                    "sport_type": "Ride",
                    "start": self.starts.get(up["form"].get("external_id"), int(START.timestamp())),
                }
                up["activity_id"] = activity_id
        if up["error"]:
            return 200, self._upload_body(upload_id, "There was an error processing your activity.")
        if up["activity_id"]:
            return 200, self._upload_body(upload_id, "Your activity is ready.")
        return 200, self._upload_body(upload_id, "Your activity is still being processed.")

    def process_all(self) -> None:
        """Finish processing every pending upload (time passing on Strava's side)."""
        with self.lock:
            for upload_id, up in self.uploads.items():
                while up["activity_id"] is None and up["error"] is None:
                    self._status(upload_id)

    @property
    def created(self) -> int:
        """Activities created (what 'exactly one upload' is about)."""
        return len(self.activities)


def main(argv: list[str] | None = None) -> int:
    """Serve the fake on 127.0.0.1 until Ctrl-C; print the settings to use it."""
    parser = argparse.ArgumentParser(prog="python -m peloton_export_strava.fake", description="A fake Strava")
    parser.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    parser.add_argument("--inactive", action="store_true", help="answer as an inactive application (403)")
    args = parser.parse_args(argv)
    fake = FakeStrava(port=args.port)
    fake.inactive = args.inactive
    return serve_by_hand(
        fake,
        lambda f: [
            "[plugin:strava]",
            f"base_url = {f.url}",
            f"client_id = {CLIENT_ID}",
            f"client_secret = {CLIENT_SECRET}",
            f"then: peloton-export strava login --code {GOOD_CODE}",
        ],
    )


if __name__ == "__main__":
    raise SystemExit(main())
