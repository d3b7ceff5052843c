"""``peloton_export.net.retry.send`` (every first-party sink's one way to the network) against
hostile loopback servers: redirects that would carry a login elsewhere, answers too long to
hold, gzip bombs. Issue 22's review (part B)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import pytest
import requests

from peloton_export.errors import UploadError
from peloton_export.net.retry import MAX_ANSWER_BYTES, Clock, send
from peloton_export.testing import FakeService, RecordedRequest, Response


class Echo(FakeService):
    """Answers ``{"ok": true}`` to everything (the host a redirect points to)."""

    def route(self, request: RecordedRequest) -> Response:
        return Response.json({"ok": True})


@pytest.fixture
def service() -> Iterator[Echo]:
    with Echo() as fake:
        yield fake


@pytest.fixture
def elsewhere() -> Iterator[Echo]:
    with Echo() as fake:
        yield fake


def no_sleep(seconds: float) -> None:
    raise AssertionError(f"send slept {seconds} s")


CLOCK = Clock(sleep=no_sleep)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_and_carries_nothing_elsewhere(
    service: Echo, elsewhere: Echo, status: int
) -> None:
    service.fault("POST", "/oauth/token", status, b"", headers={"Location": elsewhere.url + "/steal"})
    with requests.Session() as session, pytest.raises(UploadError) as info:
        send(
            session,
            "POST",
            f"{service.url}/oauth/token",
            what="Strava token refresh",
            clock=CLOCK,
            idempotent=True,
            data={"refresh_token": "refresh-secret-1", "client_secret": "client-secret-2"},
            headers={"Authorization": "Bearer access-secret-3"},
        )
    assert elsewhere.requests == []  # neither the form nor the header went there
    message = str(info.value)
    assert message.startswith(f"Strava token refresh: HTTP {status}, a redirect to 127.0.0.1:")
    assert "not followed" in message and "secret" not in message


def test_an_answer_longer_than_the_limit_is_not_read(service: Echo) -> None:
    size = MAX_ANSWER_BYTES + 1
    service.fault("GET", "/api/v3/athlete/activities", 200, b"[" + b" " * size + b"]", times=None)
    with requests.Session() as session, pytest.raises(UploadError, match=r"longer than 16 MB; not read"):
        send(
            session,
            "GET",
            f"{service.url}/api/v3/athlete/activities",
            what="look-up",
            clock=CLOCK,
            idempotent=True,
        )


def test_a_gzip_bomb_is_stopped_at_the_limit_after_decoding(service: Echo) -> None:
    bomb = gzip.compress(b"0" * (MAX_ANSWER_BYTES * 2))  # 32 MB of zeros in about 32 kB
    assert len(bomb) < 100_000
    service.fault("GET", "/x", 200, bomb, headers={"Content-Encoding": "gzip"})
    with requests.Session() as session, pytest.raises(UploadError, match="longer than"):
        send(session, "GET", f"{service.url}/x", what="look-up", clock=CLOCK, idempotent=False, attempts=1)


def test_a_normal_answer_reads_as_before(service: Echo) -> None:
    service.fault("GET", "/y", 200, gzip.compress(b'{"a": 1}'), headers={"Content-Encoding": "gzip"})
    with requests.Session() as session:
        response = send(session, "GET", f"{service.url}/y", what="look-up", clock=CLOCK, idempotent=True)
        assert response.json() == {"a": 1} and response.text == '{"a": 1}'
        second = send(session, "GET", f"{service.url}/z", what="look-up", clock=CLOCK, idempotent=True)
        assert second.json() == {"ok": True}  # the connection was given back and reused


def test_an_answer_nested_too_deeply_is_no_json_not_an_exception(service: Echo) -> None:
    from peloton_export.sinkkit import json_body, json_object

    service.fault("GET", "/deep", 200, b"[" * 100_000, times=None)
    with requests.Session() as session:
        response = send(session, "GET", f"{service.url}/deep", what="look-up", clock=CLOCK, idempotent=True)
        assert json_body(response) is None  # was a RecursionError
        with pytest.raises(UploadError, match=r"look-up: unreadable answer \(HTTP 200, not JSON\)"):
            json_object(response, "look-up")


@pytest.mark.parametrize("value", ["1e308", "inf", "99999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_an_absurd_retry_after_is_one_short_line(service: Echo, value: str) -> None:
    service.fault(None, "/up", 429, {"message": "Rate Limit Exceeded"}, headers={"Retry-After": value})
    with requests.Session() as session, pytest.raises(UploadError) as info:
        send(session, "POST", f"{service.url}/up", what="upload", clock=CLOCK, idempotent=False)
    assert str(info.value) == "upload: rate limited (HTTP 429) for more than a week"  # was 300 digits
