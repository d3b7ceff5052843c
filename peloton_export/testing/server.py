"""The fake Peloton API: two real loopback HTTP servers (API host and Auth0 host).

See :mod:`peloton_export.testing` for the overview and ``docs/testing-fake-api.md``.
"""

from __future__ import annotations

import http.cookies
import json
import math
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from peloton_export.raw import RawWorkout
from peloton_export.testing._types import Reply, Request, RequestRecord
from peloton_export.testing.auth0 import Auth0Tenant, FakeUser, TokenBook
from peloton_export.testing.faults import Fault, FaultKind, FaultPlan
from peloton_export.testing.store import Factory, ListItemFn, WorkoutStore, default_list_item

DEFAULT_USERNAME = "member@example.com"
DEFAULT_PASSWORD = "correct horse battery staple"
DEFAULT_USER_ID = "5e1f0000c0ffee00000000000000beef"
MAX_LIMIT = 100
NOT_LOGGED_IN = {"status": 401, "error_code": 3020, "message": "Not logged in"}
LEGACY_GONE = {"status": 403, "message": "Access forbidden. Endpoint no longer accepting requests."}

_WORKOUTS = re.compile(r"^/api/user/([^/]+)/workouts$")
_SETTINGS = re.compile(r"^/api/user/([^/]+)/settings$")
_WORKOUT = re.compile(r"^/api/workout/([^/]+)$")
_GRAPH = re.compile(r"^/api/workout/([^/]+)/performance_graph$")
_RIDE = re.compile(r"^/api/ride/([^/]+)/details$")


def _demo_user(user_id: str, username: str) -> dict[str, Any]:
    from peloton_export.testing.synth import member_profile

    body = member_profile()
    body.update({"id": user_id, "username": username.split("@")[0]})
    return body


def _demo_settings() -> dict[str, Any]:
    from peloton_export.testing.synth import member_settings

    return member_settings()


def _thin_graph(graph: dict[str, Any], every_n: int, platform: bool) -> dict[str, Any]:
    out = dict(graph)
    if not platform:
        out["location_data"] = []
    if every_n <= 1:
        return out
    offsets = list(graph.get("seconds_since_pedaling_start") or [])
    keep = list(range(0, len(offsets), every_n))
    out["seconds_since_pedaling_start"] = [offsets[i] for i in keep]
    metrics = []
    for metric in graph.get("metrics") or []:
        m = dict(metric)
        values = list(m.get("values") or [])
        m["values"] = [values[i] for i in keep if i < len(values)]
        metrics.append(m)
    out["metrics"] = metrics
    return out


def _strip_joins(body: dict[str, Any], joins: str, *, ride_always: bool) -> dict[str, Any]:
    wanted = {j.strip() for j in joins.split(",") if j.strip()}
    out = dict(body)
    ride = out.get("ride")
    if isinstance(ride, dict):
        if "ride" not in wanted and not ride_always:
            out.pop("ride", None)
        elif "ride.instructor" not in wanted:
            out["ride"] = {k: v for k, v in ride.items() if k != "instructor"}
    return out


class FakePeloton:
    """An in-process fake of Peloton's API and Auth0 tenant, on two loopback ports.

    :param workouts: hand-made :class:`RawWorkout` values (an iterable, newest first) or a
        factory returning a fresh iterator of them (kept lazily; see
        :mod:`peloton_export.testing.store`). ``None``: the demo generator with ``count``.
    :param count: how many workouts (required for the demo generator).
    :param legacy_login: accept the retired ``POST /auth/login`` (the cookie session of the
        original library) instead of answering 403.
    :param token_ttl: lifetime of access tokens in seconds.
    :param require_platform: answer 400 when ``Peloton-Platform: web`` is missing on the
        routes the real API needs it for; GPS points are dropped without it regardless.
    """

    def __init__(
        self,
        workouts: Iterable[RawWorkout] | Factory | None = None,
        *,
        count: int | None = None,
        seed: int = 0,
        username: str = DEFAULT_USERNAME,
        password: str = DEFAULT_PASSWORD,
        user_id: str = DEFAULT_USER_ID,
        legacy_login: bool = False,
        token_ttl: float = 172800.0,
        require_platform: bool = True,
        list_item: ListItemFn = default_list_item,
    ) -> None:
        if workouts is None:
            workouts = self._demo_factory(count, seed)
        self.store = WorkoutStore(workouts, count=count, list_item=list_item)
        self.user = FakeUser(username=username.lower(), password=password, user_id=user_id)
        self.users = {self.user.username: self.user}
        self.clock_offset = 0.0
        self.tokens = TokenBook(self.now, token_ttl)
        self.auth0 = Auth0Tenant(self.users, self.tokens, lambda: self.auth_url)
        self.faults = FaultPlan()
        self.drip_delay = 1.0
        #: When true the list endpoint answers page 0 for every page, with ``show_next``
        #: always true and ``page_count``/``total`` 10**9 (a server that pages for ever).
        self.endless_list = False
        #: When set, the list endpoint claims this many workouts in ``total`` while its
        #: ``page_count`` and ``show_next`` say there is always more (a lying total).
        self.listed_total: int | None = None
        self.legacy_login = legacy_login
        self.require_platform = require_platform
        self.profile = _demo_user(user_id, username)
        self.settings = _demo_settings()
        self._records: list[RequestRecord] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._records_lock = threading.Lock()
        self._servers: list[ThreadingHTTPServer] = []
        self._threads: list[threading.Thread] = []
        self.api_url = ""
        self.auth_url = ""

    @staticmethod
    def _demo_factory(count: int | None, seed: int) -> Factory:
        if count is None:
            raise ValueError("FakePeloton needs workouts or a count for the demo generator")

        def factory() -> Iterator[RawWorkout]:
            from peloton_export.testing.synth import synth_workouts

            return synth_workouts(count, seed=seed)

        return factory

    # -- life cycle -----------------------------------------------------------------------
    def start(self, *, api_port: int = 0, auth_port: int = 0) -> FakePeloton:
        """Start both servers on 127.0.0.1 (port 0: any free port). Returns ``self``."""
        for host, port in (("api", api_port), ("auth", auth_port)):
            server = _QuietServer(("127.0.0.1", port), self._handler_class(host))
            server.daemon_threads = True
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.02},
                name=f"fake-peloton-{host}",
                daemon=True,
            )
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)
            url = f"http://127.0.0.1:{server.server_address[1]}"
            if host == "api":
                self.api_url = url
            else:
                self.auth_url = url
        return self

    def stop(self) -> None:
        """Stop the servers."""
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> FakePeloton:
        return self.start() if not self._servers else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- control --------------------------------------------------------------------------
    def now(self) -> float:
        """The fake's clock (wall clock plus :meth:`advance`)."""
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward (tokens expire)."""
        self.clock_offset += seconds

    def fault(self, kind: FaultKind, **options: Any) -> Fault:
        """Add a fault rule (see :mod:`peloton_export.testing.faults`)."""
        return self.faults.add(kind, **options)

    def expire_tokens(self) -> None:
        """Make every access token expire now (refresh tokens still work)."""
        self.tokens.expire_access()

    def revoke_tokens(self, *, refresh: bool = False) -> None:
        """Revoke every access token (and with ``refresh`` every refresh token)."""
        self.tokens.revoke_access()
        if refresh:
            self.tokens.revoke_refresh()

    def issue_token(self, ttl: float | None = None) -> str:
        """An access token for the member, as if pasted from a browser."""
        return self.tokens.issue_access(self.user.user_id, ttl)[0]

    def issue_refresh_token(self) -> str:
        """A refresh token for the member."""
        return self.tokens.issue_refresh(self.user.user_id)

    def add_workout(self, raw: RawWorkout) -> None:
        """A new workout (the newest)."""
        self.store.add(raw)

    def replace_workout(self, raw: RawWorkout) -> None:
        """Replace an existing workout's bodies (for example once it is COMPLETE)."""
        self.store.replace(raw)

    def remove_workout(self, workout_id: str) -> None:
        """Delete a workout from the account."""
        self.store.remove(workout_id)

    # -- the record -----------------------------------------------------------------------
    @property
    def requests(self) -> list[RequestRecord]:
        """Every request received so far (a copy)."""
        with self._records_lock:
            return list(self._records)

    def count(self, path: str | None = None, *, host: str | None = "api", method: str | None = None) -> int:
        """How many requests matched (``path`` is a regular expression searched in the path)."""
        regex = re.compile(path) if path else None
        return sum(
            1
            for r in self.requests
            if (host is None or r.host == host)
            and (method is None or r.method == method)
            and (regex is None or regex.search(r.path))
        )

    def clear_requests(self) -> None:
        """Forget the requests recorded so far."""
        with self._records_lock:
            self._records.clear()
            self.max_in_flight = self.in_flight

    # -- serving --------------------------------------------------------------------------
    def _handler_class(self, host: str) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True
            server_version = "FakePeloton/1.0"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parsed = urllib.parse.urlsplit(self.path)
                cookies: dict[str, str] = {}
                for raw_cookie in self.headers.get_all("Cookie") or []:
                    jar = http.cookies.SimpleCookie()
                    jar.load(raw_cookie)
                    cookies.update({k: m.value for k, m in jar.items()})
                req = Request(
                    host=host,
                    method=self.command,
                    path=parsed.path,
                    query=dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)),
                    headers=dict(self.headers.items()),
                    body=body,
                    cookies=cookies,
                )
                with fake._records_lock:
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    reply, fault = fake._dispatch(req)
                finally:
                    with fake._records_lock:
                        fake.in_flight -= 1
                fake._record(req, reply.status, fault)
                self.send_response(reply.status)
                for name, value in reply.headers:
                    self.send_header(name, value)
                if fault == "cut":  # promise much, send a little, hang up
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.wfile.write(reply.body[:35])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command == "HEAD":
                    return
                if fault == "drip":
                    self._drip(reply.body)
                    return
                try:
                    self.wfile.write(reply.body)
                except OSError:  # the client hung up (a body over its cap): not our problem
                    self.close_connection = True

            def _drip(self, body: bytes) -> None:
                delay = fake.drip_delay
                try:
                    for i in range(len(body)):
                        self.wfile.write(body[i : i + 1])
                        self.wfile.flush()
                        time.sleep(delay)
                except OSError:  # the client gave up: that is the point
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

        return Handler

    def _record(self, req: Request, status: int, fault: str | None) -> None:
        record = RequestRecord(
            req.host, req.method, req.path, req.query, req.headers, status, fault, time.time()
        )
        with self._records_lock:
            self._records.append(record)

    def _dispatch(self, req: Request) -> tuple[Reply, str | None]:
        fault = self.faults.take(req.host, req.method, req.path)
        if fault is not None:
            early = self._fault_reply(fault)
            if early is not None:
                return early, fault.kind
        handler = self.auth0.handle if req.host == "auth" else self._api
        try:
            reply = handler(req)
        except Exception as exc:  # a bug in the fake: answer 500 and say so
            reply = Reply.json({"status": 500, "message": f"fake server error: {exc!r}"}, 500)
        if fault is not None and fault.kind == "truncated" and reply.status == 200:
            reply = Reply(200, reply.body[: max(1, len(reply.body) // 2)], reply.headers)
        return reply, fault.kind if fault else None

    def _fault_reply(self, fault: Fault) -> Reply | None:
        kind = fault.kind
        if kind == "latency":
            time.sleep(fault.delay)
            return None
        if kind == "revoke":
            self.tokens.revoke_access()
            return None
        if kind == "truncated":
            return None
        if kind == "429":
            headers = [] if fault.retry_after is None else [("Retry-After", f"{fault.retry_after:g}")]
            return Reply.json({"status": 429, "message": "Too Many Requests"}, fault.status or 429, headers)
        if kind == "5xx":
            status = fault.status or 503
            return Reply.json({"status": status, "message": "Service Unavailable"}, status)
        if kind == "1015":
            return Reply(
                fault.status or 429,
                b"error code: 1015",
                [("Content-Type", "text/plain; charset=UTF-8"), ("Server", "cloudflare")],
            )
        if kind == "empty":
            return Reply(200, b"", [("Content-Type", "application/json")])
        if kind == "redirect":
            return Reply.redirect(fault.location or "/")
        if kind == "drip":
            self.drip_delay = fault.delay or 1.0
            return None
        if kind == "cut":
            return None
        return _hostile_reply(fault)

    # -- the API host ---------------------------------------------------------------------
    def _user_of(self, req: Request) -> str | None:
        auth = req.header("Authorization") or ""
        if auth.startswith("Bearer "):
            return self.tokens.user_for_access(auth[7:].strip())
        session = req.cookies.get("peloton_session_id")
        return self.tokens.user_for_session(session) if session else None

    def _api(self, req: Request) -> Reply:
        if req.path.startswith("/auth/login"):
            return self._legacy_login(req)
        if req.method != "GET":
            return Reply.json({"status": 405, "message": "Method not allowed"}, 405)
        user_id = self._user_of(req)
        if user_id is None:
            return Reply.json(NOT_LOGGED_IN, 401)
        platform = (req.header("Peloton-Platform") or "").lower() == "web"
        return self._api_get(req, user_id, platform)

    def _api_get(self, req: Request, user_id: str, platform: bool) -> Reply:
        """A logged-in ``GET``, routed by path (``platform``: the web platform header was sent)."""
        path = req.path
        if path == "/api/me":
            return self._needs_platform(platform) or Reply.json(self.profile)
        if m := _SETTINGS.match(path):
            return (
                self._needs_platform(platform)
                or self._same_user(m.group(1), user_id)
                or Reply.json(self.settings)
            )
        if m := _WORKOUTS.match(path):
            return self._same_user(m.group(1), user_id) or self._list(req)
        if m := _GRAPH.match(path):
            return self._graph(req, m.group(1), platform)
        if m := _WORKOUT.match(path):
            return self._workout(req, m.group(1))
        if m := _RIDE.match(path):
            return self._ride(m.group(1), platform)
        return Reply.json({"status": 404, "message": "Not found"}, 404)

    def _graph(self, req: Request, workout_id: str, platform: bool) -> Reply:
        raw = self.store.get(workout_id)
        if raw is None or raw.performance_graph is None:
            return Reply.json({"status": 404, "message": "Workout not found"}, 404)
        every_n = max(1, _int(req.query.get("every_n"), 1))
        return Reply.json(_thin_graph(raw.performance_graph, every_n, platform))

    def _workout(self, req: Request, workout_id: str) -> Reply:
        raw = self.store.get(workout_id)
        if raw is None:
            return Reply.json({"status": 404, "message": "Workout not found"}, 404)
        return Reply.json(_strip_joins(raw.workout, req.query.get("joins", ""), ride_always=True))

    def _ride(self, ride_id: str, platform: bool) -> Reply:
        if set(ride_id) == {"0"}:
            return Reply.json({"status": 404, "message": "Ride not found"}, 404)
        details = self.store.ride_details(ride_id)
        if details is None:
            return Reply.json({"status": 404, "message": "Ride not found"}, 404)
        return self._needs_platform(platform) or Reply.json(details)

    def _needs_platform(self, platform: bool) -> Reply | None:
        if platform or not self.require_platform:
            return None
        return Reply.json({"status": 400, "message": "Missing Peloton-Platform header"}, 400)

    @staticmethod
    def _same_user(path_user: str, user_id: str) -> Reply | None:
        if path_user == user_id:
            return None
        return Reply.json({"status": 403, "message": "You are not allowed to see this user's workouts"}, 403)

    def _list(self, req: Request) -> Reply:
        limit = min(MAX_LIMIT, max(1, _int(req.query.get("limit"), 20)))
        page = max(0, _int(req.query.get("page"), 0))
        total = self.store.total()
        data = [
            _strip_joins(item, req.query.get("joins", ""), ride_always=False)
            for item in self.store.page(0 if self.endless_list else page * limit, limit)
        ]
        page_count = math.ceil(total / limit) if total else 0
        show_next = page + 1 < page_count
        if self.endless_list:
            total = page_count = 10**9
            show_next = True
        elif self.listed_total is not None:
            total, page_count, show_next = self.listed_total, 10**6, True
        last = data[-1] if data else None
        body = {
            "data": data,
            "limit": limit,
            "page": page,
            "total": total,
            "count": len(data),
            "page_count": page_count,
            "show_previous": page > 0,
            "show_next": show_next,
            "sort_by": "-created_at,-pk",
            "next": {"workout_id": last.get("id"), "created_at": last.get("created_at")}
            if last and show_next
            else None,
            "summary": {},
            "aggregate_stats": [],
        }
        return Reply.json(body)

    def _legacy_login(self, req: Request) -> Reply:
        if req.method != "POST":
            return Reply.json({"status": 405, "message": "Method not allowed"}, 405)
        if not self.legacy_login:
            return Reply.json(LEGACY_GONE, 403)
        body = req.json()
        if not isinstance(body, dict):
            return Reply.json({"status": 400, "message": "Bad request"}, 400)
        user = self.users.get(str(body.get("username_or_email", "")).lower())
        if user is None or user.password != body.get("password"):
            return Reply.json({"status": 401, "error_code": 3010, "message": "Login failed"}, 401)
        session = self.tokens.issue_session(user.user_id)
        return Reply.json(
            {"session_id": session, "user_id": user.user_id, "pubsub_session": {}},
            headers=[("Set-Cookie", f"peloton_session_id={session}; Path=/; HttpOnly")],
        )


class _QuietServer(ThreadingHTTPServer):
    """A threading server that says nothing when a client hangs up mid-answer (the hostile
    faults make clients do that on purpose)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


def _hostile_reply(fault: Fault) -> Reply:
    """The answer of a hostile fault kind (see :mod:`peloton_export.testing.faults`)."""
    kind = fault.kind
    if kind == "html":
        return Reply.html("<html><body><h1>We'll be right back</h1></body></html>")
    if kind == "array":
        return Reply.json([1, 2, 3])
    if kind == "deep":
        depth = 100_000
        return Reply(200, b"[" * depth + b"]" * depth, [("Content-Type", "application/json")])
    if kind == "loop":
        return Reply(302, b"", [("Location", "?loop=1")])
    if kind == "bigjson":
        size = (fault.status or 8) * 1_000_000
        body = b'{"pad":"' + b"x" * size + b'"}'
        return Reply(200, body, [("Content-Type", "application/json")])
    if kind == "bomb":
        import gzip

        body = gzip.compress(b"0" * ((fault.status or 64) * 1_000_000), compresslevel=9)
        return Reply(200, body, [("Content-Type", "application/json"), ("Content-Encoding", "gzip")])
    raise AssertionError(kind)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def start_fake(
    workouts: Iterable[RawWorkout] | Callable[[], Iterator[RawWorkout]] | None = None, **options: Any
) -> FakePeloton:
    """Create and start a :class:`FakePeloton` (remember to :meth:`~FakePeloton.stop` it)."""
    return FakePeloton(workouts, **options).start()


def dump(obj: Any) -> bytes:
    """JSON bytes as the fake sends them (for tests comparing bodies)."""
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")
