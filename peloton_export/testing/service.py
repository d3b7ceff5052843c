"""A loopback fake of any HTTP service, for testing a sink against its service.

:class:`FakeService` is the harness an upload plugin's tests need: a standard-library HTTP
server on ``127.0.0.1`` in a daemon thread, a record of every request it received
(:class:`RecordedRequest`, with ``multipart/form-data`` and form bodies parsed), faults
queued by the test (:meth:`FakeService.fault`) and a :meth:`FakeService.route` method that a
subclass overrides to play the service. The client under test talks real HTTP to
:attr:`FakeService.url`; nothing leaves the machine.

Example::

    class FakeUploads(FakeService):
        def __init__(self) -> None:
            super().__init__()
            self.stored: dict[str, bytes] = {}

        def route(self, request: RecordedRequest) -> Response:
            if request.method == "POST" and request.path == "/api/uploads":
                name, data = request.files["file"]
                self.stored[name] = data
                return Response.json({"id": len(self.stored)}, status=201)
            return Response.json({"error": "not found"}, status=404)

    with FakeUploads() as fake:
        fake.fault("POST", "/api/uploads", 429, headers={"Retry-After": "3"})
        ...  # run the sink against fake.url
        assert fake.count("POST", "^/api/uploads$") == 2

``route`` runs under :attr:`FakeService.lock`, one request at a time, so a subclass may
keep its state in plain attributes. Standard library only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email.parser
import email.policy
import json
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

__all__ = [
    "FakeService",
    "Hold",
    "RecordedRequest",
    "Response",
    "ServiceFault",
    "loopback_only",
    "serve_by_hand",
]


def _encode(body: Any) -> bytes:
    """Bytes as they are, a ``str`` as UTF-8, anything else (a dict, a list...) as JSON."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body).encode("utf-8")


def _first_values(text: str) -> dict[str, str]:
    """``a=1&b=&a=2`` as ``{"a": "1", "b": ""}`` (the first value of each name)."""
    return {k: v[0] for k, v in urllib.parse.parse_qs(text, keep_blank_values=True).items()}


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """Split a ``multipart/form-data`` body into its fields and its files.

    Returns ``(form, files)``: ``form`` maps the name of each part without a filename to its
    text, ``files`` maps the name of each part with a filename to ``(filename, content)``.
    """
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    form: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    if not isinstance(message, EmailMessage):  # pragma: no cover - the HTTP policy makes one
        return form, files
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition"))
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            form[name] = content.decode("utf-8", errors="replace")
        else:
            files[name] = (filename, content)
    return form, files


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, as the client sent it.

    ``path`` is the path without the query string; ``query`` holds the first value of each
    query parameter; ``headers`` are as sent (use :meth:`header` for a case-insensitive
    look-up); ``body`` is the raw body. A ``multipart/form-data`` body is also parsed:
    ``files`` maps each part with a filename to ``(filename, content)`` and ``form`` maps the
    other parts to their text. An ``application/x-www-form-urlencoded`` body fills ``form``.
    """

    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    files: dict[str, tuple[str, bytes]]
    body: bytes
    form: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, method: str, target: str, headers: Mapping[str, str], body: bytes) -> RecordedRequest:
        """Build the record of ``method target`` with these headers and body."""
        split = urllib.parse.urlsplit(target)
        ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        form: dict[str, str] = {}
        files: dict[str, tuple[str, bytes]] = {}
        if ctype.lower().startswith("multipart/form-data"):
            form, files = parse_multipart(ctype, body)
        elif ctype.lower().startswith("application/x-www-form-urlencoded"):
            form = _first_values(body.decode("utf-8", errors="replace"))
        return cls(method, split.path, dict(headers), _first_values(split.query), files, body, form)

    def header(self, name: str, default: str | None = None) -> str | None:
        """A header by case-insensitive name (``default`` when it was not sent)."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), default)

    def json(self) -> Any:
        """The body parsed as JSON (raises :class:`ValueError` when it is not JSON)."""
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Hold:
    """Holds back the answers of the requests a fault matches until :meth:`release`.

    ``reached`` is set once a request is held (its answer decided, nothing sent yet): a test
    waits for it, then kills the client, or times it out. A held answer is sent after
    :meth:`release` or after ``longest`` seconds, to a client that may be gone.
    """

    longest: float = 60.0
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        """Let every held answer go."""
        self.released.set()


@dataclass(frozen=True)
class Response:
    """An answer of the fake: status, headers and body.

    ``Content-Type`` defaults to :attr:`FakeService.content_type` and ``Content-Length`` is
    always set from the body. ``drip`` (seconds) sends the body one byte at a time with that
    pause after each (a server that drips); ``hold`` waits for the :class:`Hold` first.
    """

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    drip: float = 0.0
    hold: Hold | None = field(default=None, compare=False)

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
        """``data`` encoded as JSON (sent with the service's ``content_type``)."""
        return cls(status, dict(headers or {}), json.dumps(data).encode("utf-8"))

    @classmethod
    def text(
        cls,
        text: str,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        content_type: str = "text/plain; charset=utf-8",
    ) -> Response:
        """``text`` encoded as UTF-8, with ``content_type``."""
        return cls(status, {"Content-Type": content_type, **(headers or {})}, text.encode("utf-8"))


@dataclass
class ServiceFault:
    """An answer served instead of the real one for matching requests.

    A request matches when ``method`` is ``None`` or equal to its method and ``path`` (a
    regular expression) matches its whole path. ``times`` is how many more requests it
    answers (``None``: every one, until :meth:`FakeService.clear_faults`). With ``after``
    the request is routed first (the service acts on it) and the fault is sent instead of
    the real answer, like an answer lost on the way back.
    """

    method: str | None
    path: str
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = 1
    after: bool = False
    hits: int = 0
    drip: float = 0.0
    hold: Hold | None = None

    def matches(self, request: RecordedRequest) -> bool:
        """Whether this fault answers ``request``."""
        return (self.method is None or self.method == request.method) and bool(
            re.fullmatch(self.path, request.path)
        )

    def response(self) -> Response:
        """The answer this fault sends."""
        return Response(self.status, dict(self.headers), self.body, self.drip, self.hold)


class FakeService:
    """A fake HTTP service on ``127.0.0.1``; subclass it and override :meth:`route`.

    Every request is recorded in :attr:`requests` (before it is answered), then answered by
    the first matching fault, if any, else by :meth:`route`. An exception in :meth:`route`
    is kept in :attr:`errors` and answered ``500``. The status of every answer is appended
    to :attr:`statuses`. Use it started and stopped (:meth:`start`, :meth:`stop`) or as a
    context manager.
    """

    #: ``Content-Type`` of answers that do not set one.
    content_type = "application/json"
    #: The HTTP methods the server accepts (others get the standard library's 501).
    methods: tuple[str, ...] = ("GET", "POST", "PUT", "PATCH", "DELETE")

    def __init__(self, port: int = 0) -> None:
        """Prepare a fake listening on ``127.0.0.1:port`` once started (0: any free port)."""
        self.port = port
        #: Held while a request is recorded and routed; hold it to change state mid-test.
        self.lock = threading.RLock()
        self.requests: list[RecordedRequest] = []
        self.statuses: list[int] = []
        self.errors: list[BaseException] = []
        self.faults: list[ServiceFault] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    # -- life cycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:<port>`` (the fake must be started)."""
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Self:
        """Start serving in a daemon thread; returns ``self``.

        A fake starts once: starting it again, even after :meth:`stop`, is an error.
        """
        if self._server is not None:
            raise RuntimeError(f"{type(self).__name__} was already started")
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            args=(0.05,),
            name=f"{type(self).__name__}-{self._server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the listening socket and every open connection.

        Connections a client keeps alive are closed too, so nothing is answered after
        ``stop`` returns. Does nothing when not running.
        """
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        self._thread = None
        with self.lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)

    @property
    def running(self) -> bool:
        """Whether the server thread is serving."""
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> Self:
        return self if self.running else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what subclasses override ----------------------------------------------------------

    def route(self, request: RecordedRequest) -> Response:
        """Answer ``request`` as the service would. The default answers 404 to everything."""
        return Response.json({"error": "not found", "path": request.path}, status=404)

    def default_headers(self) -> dict[str, str]:
        """Headers added to every answer, faults included (an answer's own headers win).

        Called under :attr:`lock` after routing, so it may report state the request changed
        (rate-limit counters, for example).
        """
        return {}

    # -- faults -------------------------------------------------------------------------------

    def fault(
        self,
        method: str | None,
        path: str,
        status: int,
        body: Any = b"",
        *,
        headers: Mapping[str, str] | None = None,
        times: int | None = 1,
        after: bool = False,
        drip: float = 0.0,
        hold: Hold | None = None,
    ) -> ServiceFault:
        """Answer the next ``times`` matching requests with ``status``, ``body`` and ``headers``.

        ``method`` ``None`` matches any method; ``path`` is a regular expression matched
        against the whole path. ``body`` may be bytes, text or a JSON value. Faults are tried
        in the order they were added. See :class:`ServiceFault` for ``times`` and ``after``,
        :class:`Response` for ``drip`` and ``hold``. ``status`` 0 with ``after=True`` sends
        the service's own answer, held or dripped: the service acted on the request and the
        answer is held back (a client killed then never hears it).
        """
        if times is not None and times < 1:
            raise ValueError(f"times must be at least 1 (or None for every request), not {times}")
        rule = ServiceFault(
            method, path, status, _encode(body), dict(headers or {}), times, after, drip=drip, hold=hold
        )
        with self.lock:
            self.faults.append(rule)
        return rule

    def clear_faults(self) -> None:
        """Remove every queued fault."""
        with self.lock:
            self.faults.clear()

    def _take_fault(self, request: RecordedRequest) -> ServiceFault | None:
        rule = next((f for f in self.faults if f.matches(request)), None)
        if rule is not None:
            rule.hits += 1
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    self.faults.remove(rule)
        return rule

    # -- the record ---------------------------------------------------------------------------

    def find(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        """The recorded requests with this method (any if ``None``) whose path ``path`` matches.

        ``path`` is a regular expression *searched* in the path: anchor it (``^…$``) for an
        exact match.
        """
        regex = re.compile(path) if path is not None else None
        with self.lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and (regex is None or regex.search(r.path))
            ]

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many recorded requests :meth:`find` would return."""
        return len(self.find(method, path))

    def clear_requests(self) -> None:
        """Forget the requests and statuses recorded so far."""
        with self.lock:
            self.requests.clear()
            self.statuses.clear()

    # -- serving ------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Response:
        """Record a request and decide its answer (what the server thread calls).

        Tests may call it directly to drive the fake without HTTP.
        """
        request = RecordedRequest.parse(method, target, headers, body)
        with self.lock:
            self.requests.append(request)
            rule = self._take_fault(request)
            response: Response | None = None
            if rule is None or rule.after:
                try:
                    response = self.route(request)
                except Exception as exc:  # answered 500, kept for the test to see
                    self.errors.append(exc)
                    response = Response.text(f"{type(self).__name__}.route failed: {exc!r}", status=500)
            if rule is not None and not (rule.after and rule.status == 0):
                response = rule.response()
            assert response is not None
            if rule is not None and rule.after and rule.status == 0:  # its own answer, held/dripped
                response = dataclasses.replace(response, drip=rule.drip, hold=rule.hold)
            merged = {"Content-Type": self.content_type, **self.default_headers()}
            for key, value in response.headers.items():
                for old in [k for k in merged if k.lower() == key.lower()]:
                    del merged[old]
                merged[key] = value
            self.statuses.append(response.status)
        return dataclasses.replace(response, headers=merged)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                with fake.lock:
                    fake._connections.add(self.connection)

            def finish(self) -> None:
                with fake.lock:
                    fake._connections.discard(self.connection)
                super().finish()

            def _serve(self) -> None:
                body = _read_body(self)
                response = fake.handle(self.command, self.path, dict(self.headers), body)
                if response.hold is not None:
                    response.hold.reached.set()
                    response.hold.released.wait(response.hold.longest)
                try:
                    self.send_response(response.status)
                    for key, value in response.headers.items():
                        if key.lower() != "content-length":
                            self.send_header(key, value)
                    self.send_header("Content-Length", str(len(response.body)))
                    self.end_headers()
                    if response.drip <= 0:
                        self.wfile.write(response.body)
                        return
                    for i in range(len(response.body)):
                        if not fake.running:
                            return
                        self.wfile.write(response.body[i : i + 1])
                        self.wfile.flush()
                        time.sleep(response.drip)
                except OSError:  # the client went away (killed, timed out): nothing to answer
                    self.close_connection = True

        for name in self.methods:
            setattr(Handler, f"do_{name}", Handler._serve)
        return Handler


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request body, by ``Content-Length`` or ``Transfer-Encoding: chunked``."""
    if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
        chunks: list[bytes] = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length > 0 else b""


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", b"127.0.0.1", b"localhost", b"::1"})


def loopback_only(setattr: Any) -> None:
    """Make every name look-up other than the loopback fail, so no test reaches a real service.

    Pass ``monkeypatch.setattr`` (pytest undoes it after the test)::

        @pytest.fixture(autouse=True)
        def _no_network(monkeypatch):
            loopback_only(monkeypatch.setattr)
    """
    real = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in LOOPBACK_HOSTS:
            raise OSError(f"test tried to reach {host!r}; only 127.0.0.1 is allowed")
        return real(host, *args, **kwargs)

    setattr(socket, "getaddrinfo", guarded)


def serve_by_hand(fake: FakeService, lines: Callable[[FakeService], list[str]]) -> int:
    """Run ``fake`` from the command line: start it, print ``lines(fake)`` (the settings
    that point peloton-export at it) and serve until Ctrl-C. Returns the exit code 0."""
    fake.start()
    for line in lines(fake):
        print(line)
    print("Serving; Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0
