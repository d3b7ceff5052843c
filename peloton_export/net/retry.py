"""HTTP politeness shared by the Peloton client and every sink: Retry-After, backoff, rate.

* :func:`parse_retry_after`: the one reader of a ``Retry-After`` header (seconds or an
  HTTP date), used by :class:`peloton_export.source.client.http.HttpClient` and :func:`send`.
* :class:`Backoff`: exponential backoff, optionally with full jitter, capped.
* :class:`RateLimiter`: a thread-safe token bucket.
* :class:`Clock`: injectable wall-clock time and sleeping, so tests never sleep.
* :func:`send`: one request with waiting on 429 and retries of what is safe to retry.
* :func:`json_object`: a response body as a JSON object, or a short :class:`UploadError`;
  :func:`json_body`: its JSON value or ``None``.
"""

from __future__ import annotations

import contextlib
import email.utils
import threading
import time as _time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from peloton_export.errors import ServiceFailing, UploadError

if TYPE_CHECKING:
    import requests

__all__ = [
    "RETRYABLE_STATUS",
    "Backoff",
    "Clock",
    "RateLimiter",
    "json_body",
    "json_object",
    "parse_retry_after",
    "retry_after_seconds",
    "send",
]

#: Statuses a sink retries for idempotent requests (429 is handled on its own).
RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
#: The largest answer :func:`send` reads (bytes, after gzip decoding): a sink's answers are
#: a few kB (a page of 100 Strava activities is about 300 kB); more is a hostile server.
MAX_ANSWER_BYTES = 16 * 2**20


@dataclass(frozen=True, slots=True)
class Clock:
    """Wall-clock time (epoch seconds) and sleeping, replaceable in tests."""

    time: Callable[[], float] = _time.time
    sleep: Callable[[float], None] = _time.sleep


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delay seconds or an HTTP date.

    :param now: the current wall-clock time (epoch seconds), for the HTTP-date form.
    :returns: seconds (never negative), or ``None`` when there is no readable value.
    """
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def retry_after_seconds(response: requests.Response, now: float) -> float | None:
    """:func:`parse_retry_after` of a response's ``Retry-After`` header."""
    return parse_retry_after(response.headers.get("Retry-After"), now)


@dataclass(frozen=True, slots=True)
class Backoff:
    """``base * 2 ** (attempt - 1)`` seconds capped at ``cap``; with ``rng``, full jitter.

    With ``rng`` (a source of floats in ``[0, 1)``) the delay is scaled by ``0.5 + rng()/2``.
    """

    base: float = 2.0
    cap: float = float("inf")
    rng: Callable[[], float] | None = None

    def delay(self, attempt: int) -> float:
        """The pause before retry number ``attempt`` (1-based), in seconds."""
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        return float(ceiling * (0.5 + self.rng() / 2)) if self.rng else float(ceiling)


class RateLimiter:
    """A thread-safe token bucket: ``rate`` requests per second, ``burst`` at once.

    ``rate`` ``None`` (or 0) means no limit. ``clock`` is a monotonic clock in seconds.
    """

    def __init__(
        self, rate: float | None, burst: int, *, clock: Callable[[], float], sleep: Callable[[float], None]
    ) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self.clock = clock
        self.sleep = sleep
        self._tokens = float(self.burst)
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for a token; returns the seconds waited."""
        if not self.rate:
            return 0.0
        with self._lock:
            now = self.clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1.0
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.rate
        if wait > 0:
            self.sleep(wait)
        return wait


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    what: str,
    clock: Clock,
    idempotent: bool,
    attempts: int = 4,
    backoff: float = 2.0,
    max_wait: float = 960.0,
    wait_on_429: Callable[[requests.Response], float | None] | None = None,
    timeout: float = 60.0,
    max_answer: int = MAX_ANSWER_BYTES,
    **kwargs: Any,
) -> requests.Response:
    """Send one request, waiting out 429s and retrying what is safe to retry.

    * 429: wait ``wait_on_429(response)`` seconds (a service's own rule), else
      ``Retry-After``, else the backoff, then send again; a wait longer than ``max_wait``
      raises :class:`UploadError` instead. A 429 means the request was not processed, so
      this is safe for any method.
    * 5xx and connection errors: retried with exponential backoff (``backoff``, doubling)
      only when ``idempotent``; otherwise the 5xx response is returned to the caller (who
      may know how to check whether the request took effect), and a connection error raises.
    * Redirects are not followed: a redirect would carry the request's body (a refresh
      token, a client secret, the file) to wherever it points; it is an error naming the
      host it pointed to.
    * The answer is read up to ``max_answer`` bytes (after gzip decoding); a longer one is
      an error, not read on (a hostile or broken server cannot fill the memory). ``timeout``
      bounds the wait for each byte *and* the whole answer's body: a server that drips a
      byte a second is cut off after ``timeout`` seconds (:class:`ServiceFailing`).
    * Any other status is returned as it is. ``what`` names the request in error messages,
      which never include request bodies or headers.

    :raises ServiceFailing: rate limited too long (with the wait as ``retry_after``), no
        answer (a refused connection, a timeout, a cut answer).
    :raises UploadError: a redirect, an answer too long.
    """
    pauses = Backoff(backoff)
    from requests import RequestException  # imported when a request is made, not at start-up

    response: requests.Response | None = None
    for attempt in range(1, attempts + 1):
        last = attempt == attempts
        try:
            response = session.request(
                method, url, timeout=timeout, allow_redirects=False, stream=True, **kwargs
            )
            _read_capped(response, max_answer, what, timeout)
        except RequestException as exc:
            if not idempotent or last:
                raise ServiceFailing(f"{what}: {type(exc).__name__} ({_host(url)})") from None
            clock.sleep(pauses.delay(attempt))
            continue
        if response.status_code == 429:
            wait = wait_on_429(response) if wait_on_429 else None
            if wait is None:
                wait = retry_after_seconds(response, clock.time())
            wait = pauses.delay(attempt) if wait is None else wait
            if wait > max_wait:
                longer = f"another {wait / 60:.0f} min" if wait < 7 * 86400 else "more than a week"
                raise ServiceFailing(f"{what}: rate limited (HTTP 429) for {longer}", retry_after=wait)
            if last:
                raise ServiceFailing(f"{what}: still rate limited (HTTP 429) after {attempts} tries")
            clock.sleep(wait)
            continue
        if response.status_code in RETRYABLE_STATUS and idempotent and not last:
            clock.sleep(pauses.delay(attempt))
            continue
        if response.is_redirect:
            target = urllib.parse.urljoin(url, response.headers.get("Location", ""))
            raise UploadError(
                f"{what}: HTTP {response.status_code}, a redirect to {_host(target) or 'nowhere'}; "
                "not followed (it would carry the request there)"
            )
        return response
    assert response is not None  # the loop returns or raises before this
    return response


def _read_capped(response: requests.Response, limit: int, what: str, deadline: float = 60.0) -> None:
    """Read ``response``'s body (streamed) into it, at most ``limit`` bytes, within
    ``deadline`` seconds (a timer shuts the connection down when it passes: a read that
    gets a byte now and then would never time out by itself).

    :raises UploadError: the body is longer (the connection is closed unread).
    :raises ServiceFailing: the body did not arrive in whole within ``deadline`` seconds.
    """
    if response.__dict__.get("_content", False) is not False:  # read already (not streamed)
        if len(response.content) > limit:
            raise UploadError(
                f"{what}: the answer (HTTP {response.status_code}) is longer than {limit / 2**20:g} MB"
            )
        return
    from requests import RequestException

    cut = threading.Event()
    timer = threading.Timer(deadline, _cut_off, args=(response, cut))
    timer.daemon = True
    timer.start()
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(65536):
            size += len(chunk)
            if size > limit:
                response.close()
                raise UploadError(
                    f"{what}: the answer (HTTP {response.status_code}) is longer than "
                    f"{limit / 2**20:g} MB; not read"
                )
            chunks.append(chunk)
    except (RequestException, OSError, ValueError):
        if not cut.is_set():
            raise
    finally:
        timer.cancel()
    if cut.is_set():
        response.close()
        raise ServiceFailing(
            f"{what}: the answer (HTTP {response.status_code}) did not arrive in whole within {deadline:g} s"
        )
    response._content = b"".join(chunks)  # what .content, .text and .json() read


def _cut_off(response: requests.Response, cut: threading.Event) -> None:
    """Shut the connection of a response still being read down (wakes the blocked read)."""
    import socket

    cut.set()
    connection = getattr(response.raw, "_connection", None) or getattr(response.raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is None:  # urllib3 gave the connection back already: close the file behind it
        response.close()
        return
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc


def json_body(response: requests.Response) -> Any:
    """The answer's JSON value, or ``None`` when it is none (HTML, empty, nested too deeply
    to read): never an exception."""
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None


def json_object(response: requests.Response, what: str) -> dict[str, Any]:
    """The response body as a JSON object.

    :raises UploadError: the body is not JSON, or not an object.
    """
    try:
        data = response.json()
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to read
        raise UploadError(f"{what}: unreadable answer (HTTP {response.status_code}, not JSON)") from None
    if not isinstance(data, dict):
        raise UploadError(f"{what}: unexpected answer (HTTP {response.status_code}, not a JSON object)")
    return data
