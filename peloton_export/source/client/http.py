"""The polite HTTP layer: one requests Session, a rate ceiling, retries with backoff.

* Every request carries the honest ``User-Agent`` (``peloton-export/<version> (+url)``),
  ``Accept: application/json`` and, for the API, ``Peloton-Platform: web``.
* A token bucket (``max_rate`` per second, ``burst`` tokens) caps the request rate for
  all threads together; the sync keeps at most ``concurrency`` requests in flight.
* ``429``, ``5xx``, Cloudflare's ``error code: 1015``, connection errors, timeouts and
  empty or truncated JSON bodies are retried with exponential backoff and full jitter,
  honouring ``Retry-After``, up to ``max_attempts`` tries; then :class:`ServiceUnavailable`
  says so in one line. A ``Retry-After`` longer than ``max_retry_after`` fails at once.
* Bodies are read streamed, against one overall deadline per request (``deadline``, so a
  server dripping a byte a second cannot hold a run) and a cap on the *decoded* size
  (``max_body``, which also stops gzip bombs). A body cut short, a read error, a deadline
  passed are transient like a 5xx. A body that arrived whole but is not a JSON object
  (HTML, an array, nesting too deep), one over the cap and a redirect loop raise
  :class:`BadResponse` at once: retrying would get the same answer.
* Redirects are followed by hand, and extra headers (``Authorization``) are dropped as
  soon as a redirect leaves the origin (scheme, host and port) they were meant for.
* Only the method and the path are logged: never query strings, headers or bodies.

The clock, the sleep and the jitter source are injectable, so tests never sleep. The
``Retry-After`` reader, the backoff and the token bucket are the sink toolkit's
(:mod:`peloton_export.net.retry`), shared with every upload plugin.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from peloton_export.errors import PelotonExportError
from peloton_export.net.retry import Backoff
from peloton_export.net.retry import RateLimiter as RateLimiter  # re-exported
from peloton_export.net.retry import parse_retry_after as parse_retry_after  # re-exported
from peloton_export.raw import JsonObject, parse_json_object
from peloton_export.source.client.settings import ClientSettings

if TYPE_CHECKING:
    import requests

log = logging.getLogger("peloton_export.client")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
MAX_REDIRECTS = 10


class PelotonHTTPError(PelotonExportError):
    """An HTTP request to Peloton failed; ``status`` is the HTTP status (0: no answer)."""

    def __init__(self, message: str, *, status: int = 0, body: bytes = b"") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class ServiceUnavailable(PelotonHTTPError):
    """Peloton kept failing (429/5xx/1015/empty) after every allowed attempt."""


class BadResponse(PelotonHTTPError):
    """Peloton answered, but not with what was asked for (wrong shape, too big, a redirect
    loop). Not retried; the sync counts it against the one workout it concerns."""


class _Transfer(Exception):
    """A transfer that broke off (deadline passed); transient."""


class Unauthorized(PelotonHTTPError):
    """The API answered 401: the token is missing, expired or revoked."""


def origin(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of a URL, with the default port filled in."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def path_of(url: str) -> str:
    """The path of a URL (what we log)."""
    return urllib.parse.urlsplit(url).path or "/"


def is_cloudflare_1015(body: bytes) -> bool:
    """True for Cloudflare's rate-limit page."""
    return b"error code: 1015" in body[:2000].lower()


@dataclass(frozen=True, slots=True)
class JsonResponse:
    """A JSON body: the bytes exactly as received and their parse."""

    raw: bytes
    data: JsonObject
    status: int = 200


class HttpClient:
    """Requests against Peloton with politeness built in (see the module docstring)."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.wall_clock = wall_clock
        self.sleep = sleep
        self.rng = rng
        self.session = session or self.new_session()
        self.limiter = RateLimiter(settings.max_rate, settings.burst, clock=clock, sleep=sleep)
        self.requests_sent = 0
        self._count_lock = threading.Lock()
        #: Called before each attempt, each piece of a body and during each backoff; it
        #: raises to abandon the request (a streamed run whose export side stopped).
        self.check: Callable[[], None] | None = None

    def new_session(self) -> requests.Session:
        """A Session with our headers, TLS settings and a pool sized for the concurrency."""
        import requests  # here, not at the top: commands that never go online stay fast

        session = requests.Session()
        session.headers.update({"User-Agent": self.settings.user_agent, "Accept": "application/json"})
        session.verify = self.settings.verify
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=4, pool_maxsize=max(4, self.settings.concurrency)
        )
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def close(self) -> None:
        """Close the connection pool."""
        self.session.close()

    # -- one exchange ---------------------------------------------------------------------
    def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        session: requests.Session | None = None,
        follow_redirects: bool = True,
        stream: bool = False,
        **kwargs: Any,
    ) -> requests.Response:
        """One request (rate-limited), following redirects by hand. No retries.

        ``stream`` leaves the body unread (see :meth:`read_body`). ``headers`` are sent to
        ``url``'s origin only; a redirect elsewhere drops them. A
        redirect that would repeat a request body on another origin is not followed.

        :raises BadResponse: a redirect loop, or a body redirected to another origin.
        """
        import requests

        session = session or self.session
        trusted = origin(url)
        extra = dict(headers or {})
        for _ in range(MAX_REDIRECTS + 1):
            self.limiter.acquire()
            send_headers = extra if origin(url) == trusted else {}
            log.debug("%s %s", method, path_of(url))
            with self._count_lock:
                self.requests_sent += 1
            try:
                response = session.request(
                    method,
                    url,
                    headers=send_headers,
                    allow_redirects=False,
                    timeout=(self.settings.connect_timeout, self.settings.timeout),
                    stream=stream,
                    **kwargs,
                )
            except requests.exceptions.SSLError as exc:
                raise PelotonHTTPError(
                    f"TLS verification failed for {origin(url)[1]}: {type(exc).__name__}. "
                    "Set [peloton] ssl_cert to your CA bundle if a proxy intercepts TLS."
                ) from None
            log.debug("%s %s -> %s", method, path_of(url), response.status_code)
            location = response.headers.get("Location")
            if not follow_redirects or not response.is_redirect or not location:
                return response
            response.close()
            url = urllib.parse.urljoin(url, location)
            kwargs.pop("params", None)  # the Location already carries its own query
            if response.status_code in (301, 302, 303) and method != "HEAD":
                method = "GET"
                kwargs.pop("data", None)
                kwargs.pop("json", None)
            elif origin(url) != trusted and any(kwargs.get(k) is not None for k in ("data", "json", "files")):
                # A 307/308 would repeat the body (a refresh token, a PKCE code) elsewhere.
                raise BadResponse(
                    f"{method} to {path_of(response.url)} was redirected to another host "
                    f"({origin(url)[1]}); not followed, so nothing was sent there"
                )
        raise BadResponse(f"too many redirects from {path_of(url)} (a redirect loop)")

    def read_body(self, response: requests.Response, *, started: float, what: str) -> bytes:
        """The decoded body of a streamed ``response``, read by pieces.

        :raises BadResponse: the decoded body is larger than ``settings.max_body`` bytes.
        :raises _Transfer: ``settings.deadline`` seconds passed since ``started``.
        """
        raw = response.raw
        read1 = getattr(raw, "read1", None)
        pieces: list[bytes] = []
        size = 0
        cap = self.settings.max_body
        try:
            while True:
                if self.check is not None:
                    self.check()
                if self.clock() - started > self.settings.deadline:
                    raise _Transfer(f"no whole answer within {self.settings.deadline:g} s")
                if read1 is not None:
                    piece = read1(65536, decode_content=True)
                else:  # pragma: no cover - urllib3 < 2.2
                    piece = raw.read(65536, decode_content=True)
                if not piece:
                    break
                size += len(piece)
                if size > cap:
                    raise BadResponse(
                        f"{what} is larger than {cap // 1_000_000} MB decoded "
                        "(set [peloton-export] max_body_mb to allow more)",
                        status=response.status_code,
                    )
                pieces.append(piece)
        finally:
            response.close()
        return b"".join(pieces)

    # -- with retries ---------------------------------------------------------------------
    def pause(self, seconds: float) -> None:
        """Sleep ``seconds``, in short steps calling :attr:`check` when it is set."""
        if self.check is None:
            self.sleep(seconds)
            return
        left = seconds
        while left > 0:
            self.check()
            self.sleep(min(left, 0.1))
            left -= 0.1
        self.check()

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff for the ``attempt``-th retry (1-based)."""
        return Backoff(self.settings.backoff_base, self.settings.backoff_max, self.rng).delay(attempt)

    def get_json(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        what: str | None = None,
    ) -> JsonResponse:
        """GET a JSON object, retrying transient failures (see the module docstring).

        :raises Unauthorized: on 401.
        :raises ServiceUnavailable: when every attempt failed transiently.
        :raises PelotonHTTPError: on any other non-2xx answer.
        """
        import requests
        import urllib3

        what = what or path_of(url)
        attempts = self.settings.max_attempts
        started = self.clock()
        last_problem = ""
        for attempt in range(1, attempts + 1):
            retry_after: float | None = None
            if self.check is not None:
                self.check()
            try:
                response = self.send("GET", url, params=params, headers=headers, stream=True)
                body = self.read_body(response, started=self.clock(), what=what)
            except (requests.RequestException, urllib3.exceptions.HTTPError, _Transfer, OSError) as exc:
                if isinstance(exc, requests.exceptions.SSLError):
                    raise
                detail = str(exc) if isinstance(exc, _Transfer) else type(exc).__name__
                last_problem = f"no whole answer ({detail})"
            else:
                status = response.status_code
                if status == 401:
                    raise Unauthorized(f"Peloton answered 401 for {what}", status=401, body=body)
                if is_cloudflare_1015(body):
                    last_problem = "Cloudflare rate limit (error code: 1015)"
                    retry_after = parse_retry_after(response.headers.get("Retry-After"), self.wall_clock())
                elif status in RETRY_STATUSES:
                    last_problem = f"HTTP {status}"
                    retry_after = parse_retry_after(response.headers.get("Retry-After"), self.wall_clock())
                elif 200 <= status < 300:
                    try:
                        return JsonResponse(body, parse_json_object(body, what=what), status)
                    except ValueError as exc:
                        if _wrong_shape(body, str(exc)):
                            # Whole and still wrong: asking again gets the same answer.
                            raise BadResponse(str(exc), status=status) from None
                        last_problem = str(exc)
                else:
                    raise PelotonHTTPError(_http_message(what, status, body), status=status, body=body)
            if retry_after is not None and retry_after > self.settings.max_retry_after:
                raise ServiceUnavailable(
                    f"Peloton asked us to wait {retry_after:.0f} s before {what} ({last_problem}); "
                    "try again later"
                )
            if attempt == attempts:
                break
            delay = self.backoff(attempt)
            if retry_after is not None:
                delay = max(delay, retry_after)
            log.info("%s: %s; retry %d of %d in %.1f s", what, last_problem, attempt, attempts - 1, delay)
            self.pause(delay)
        waited = self.clock() - started
        raise ServiceUnavailable(
            f"Peloton is not answering {what} properly ({last_problem}) after {attempts} attempts "
            f"over {waited:.0f} s; try again later"
        )


def _wrong_shape(body: bytes, problem: str) -> bool:
    """True for a body no retry will mend: a page (HTML), not an object, nested too deeply.

    An empty or truncated JSON object may be a transfer hiccup and is retried instead.
    """
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return start in (b"<", b"[") or "nested too deeply" in problem or "not an object" in problem


def _http_message(what: str, status: int, body: bytes) -> str:
    """A one-line message for an unexpected status, with Peloton's own message if any
    (registered secrets removed: a server's error text may echo the token it was sent)."""
    from peloton_export.net.redaction import redact

    detail = ""
    try:
        data = parse_json_object(body, what="body")
    except ValueError:
        data = {}
    for key in ("message", "error_description", "description", "error"):
        if isinstance(data.get(key), str):
            detail = f": {redact(data[key][:200])}"
            break
    return f"Peloton answered HTTP {status} for {what}{detail}"
