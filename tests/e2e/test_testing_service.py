"""Tests of peloton_export.testing.service, the fake-service harness for sink tests."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from peloton_export.testing import FakeService, RecordedRequest, Response, ServiceFault


class FakeNotes(FakeService):
    """A tiny service: ``POST /notes`` stores a file, ``GET /notes/{n}`` reads it back."""

    def __init__(self) -> None:
        super().__init__()
        self.notes: list[bytes] = []
        self.served = 0

    def route(self, request: RecordedRequest) -> Response:
        if request.method == "POST" and request.path == "/notes":
            self.notes.append(request.files["note"][1])
            return Response.json({"id": len(self.notes)}, status=201, headers={"Location": "/notes/1"})
        if request.method == "GET" and request.path.startswith("/notes/"):
            index = int(request.path.rsplit("/", 1)[1]) - 1
            return Response(200, {"Content-Type": "application/octet-stream"}, self.notes[index])
        if request.path == "/boom":
            raise ValueError("the fake has a bug")
        return super().route(request)

    def default_headers(self) -> dict[str, str]:
        self.served += 1
        return {"X-Served": str(self.served), "X-Service": "notes"}


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.trust_env = False  # no proxy between the test and 127.0.0.1
        yield s


@pytest.fixture
def fake() -> Iterator[FakeNotes]:
    with FakeNotes() as fake:
        yield fake


# -- recording --------------------------------------------------------------------------------


def test_records_method_path_query_headers_and_body(fake: FakeNotes, session: requests.Session) -> None:
    session.post(
        f"{fake.url}/api/things?page=2&empty=&page=3",
        json={"a": [1, 2]},
        headers={"Authorization": "Bearer tok", "X-Custom": "yes"},
    )
    (request,) = fake.requests
    assert request.method == "POST"
    assert request.path == "/api/things"
    assert request.query == {"page": "2", "empty": ""}
    assert request.headers["Authorization"] == "Bearer tok"
    assert request.header("x-custom") == "yes"
    assert request.header("X-Missing") is None
    assert request.header("X-Missing", "d") == "d"
    assert request.json() == {"a": [1, 2]}
    assert request.files == {} and request.form == {}
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.path = "/elsewhere"  # type: ignore[misc]


def test_records_multipart_files_and_fields(fake: FakeNotes, session: requests.Session) -> None:
    content = b"\x0e\x10FIT\x00\xff binary"
    answer = session.post(
        f"{fake.url}/notes",
        files={"note": ("ride.fit", content, "application/octet-stream")},
        data={"name": "Morning ride ✓", "trainer": "1"},
    )
    assert answer.status_code == 201
    assert answer.json() == {"id": 1}
    (request,) = fake.requests
    assert request.files == {"note": ("ride.fit", content)}
    assert request.form == {"name": "Morning ride ✓", "trainer": "1"}
    assert request.header("Content-Type", "").startswith("multipart/form-data; boundary=")
    assert content in request.body
    assert fake.notes == [content]


def test_records_url_encoded_forms(fake: FakeNotes, session: requests.Session) -> None:
    session.post(f"{fake.url}/oauth/token", data={"grant_type": "refresh_token", "code": ""})
    assert fake.requests[0].form == {"grant_type": "refresh_token", "code": ""}


def test_reads_chunked_bodies(fake: FakeNotes, session: requests.Session) -> None:
    session.put(f"{fake.url}/stream", data=iter([b"first,", b"second"]))
    (request,) = fake.requests
    assert request.header("Transfer-Encoding") == "chunked"
    assert (request.method, request.body) == ("PUT", b"first,second")


def test_find_count_and_clear(fake: FakeNotes, session: requests.Session) -> None:
    session.get(f"{fake.url}/a/1")
    session.get(f"{fake.url}/a/2")
    session.delete(f"{fake.url}/a/2")
    session.patch(f"{fake.url}/b")
    assert [r.path for r in fake.find("GET", r"^/a/")] == ["/a/1", "/a/2"]
    assert fake.count(path="/2") == 2  # searched, not matched whole
    assert fake.count("DELETE") == 1 and fake.count("PATCH", "^/b$") == 1
    assert fake.count() == 4
    assert fake.statuses == [404, 404, 404, 404]
    fake.clear_requests()
    assert fake.requests == [] and fake.statuses == [] and fake.count() == 0


# -- routing and answers ------------------------------------------------------------------------


def test_routes_to_the_subclass_with_default_and_own_headers(
    fake: FakeNotes, session: requests.Session
) -> None:
    session.post(f"{fake.url}/notes", files={"note": ("n.txt", b"hello")})
    answer = session.get(f"{fake.url}/notes/1")
    assert (answer.status_code, answer.content) == (200, b"hello")
    assert answer.headers["Content-Type"] == "application/octet-stream"  # the answer's own wins
    assert answer.headers["X-Service"] == "notes"
    assert answer.headers["X-Served"] == "2"
    assert answer.headers["Content-Length"] == "5"


def test_default_route_is_404_json(session: requests.Session) -> None:
    with FakeService() as fake:
        answer = session.get(f"{fake.url}/anything?x=1")
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json() == {"error": "not found", "path": "/anything"}


def test_content_type_of_the_service_applies_to_answers_without_one(session: requests.Session) -> None:
    class Vendor(FakeService):
        content_type = "application/json;charset=UTF-8"

        def route(self, request: RecordedRequest) -> Response:
            if request.path == "/text":
                return Response.text("plain", status=202)
            return Response.json([1, "two"])

    with Vendor() as fake:
        listed = session.get(f"{fake.url}/list")
        text = session.get(f"{fake.url}/text")
    assert listed.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert listed.json() == [1, "two"]
    assert (text.status_code, text.text, text.headers["Content-Type"]) == (
        202,
        "plain",
        "text/plain; charset=utf-8",
    )


def test_an_exception_in_route_is_a_500_kept_for_the_test(fake: FakeNotes, session: requests.Session) -> None:
    answer = session.get(f"{fake.url}/boom")
    assert answer.status_code == 500
    assert "the fake has a bug" in answer.text
    (error,) = fake.errors
    assert isinstance(error, ValueError)
    assert session.get(f"{fake.url}/still-serving").status_code == 404


def test_handle_drives_the_fake_without_http() -> None:
    fake = FakeNotes()  # never started
    response = fake.handle("GET", "/x?y=1", {"Accept": "application/json"}, b"")
    assert response.status == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Service"] == "notes"
    assert fake.requests[0].query == {"y": "1"}


# -- faults -----------------------------------------------------------------------------------


def test_fault_answers_times_then_routing_resumes(fake: FakeNotes, session: requests.Session) -> None:
    rule = fake.fault(
        "POST", "/notes", 429, {"message": "Rate Limit Exceeded"}, headers={"Retry-After": "7"}, times=2
    )
    assert isinstance(rule, ServiceFault)
    answers = [session.post(f"{fake.url}/notes", files={"note": ("n", b"x")}) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 201]
    assert answers[0].headers["Retry-After"] == "7"
    assert answers[0].headers["X-Service"] == "notes"  # default headers come with faults too
    assert answers[0].json() == {"message": "Rate Limit Exceeded"}
    assert fake.notes == [b"x"]  # the faulted requests never reached the service
    assert len(fake.requests) == 3  # but they were recorded
    assert (rule.hits, rule.times, fake.faults) == (2, 0, [])


def test_fault_matches_method_and_the_whole_path(fake: FakeNotes, session: requests.Session) -> None:
    fake.fault("GET", r"/notes/\d+", 503, b"<html>Service Unavailable</html>")
    fake.fault(None, "/any", 502, "bad gateway")
    fake.notes.append(b"n1")
    assert session.get(f"{fake.url}/v2/notes/1").status_code == 404  # not the whole path
    assert session.delete(f"{fake.url}/notes/1").status_code == 404  # not the method
    unavailable = session.get(f"{fake.url}/notes/1")
    assert (unavailable.status_code, unavailable.content) == (503, b"<html>Service Unavailable</html>")
    assert unavailable.headers["Content-Type"] == "application/json"  # the service's default
    assert session.put(f"{fake.url}/any").text == "bad gateway"
    assert session.get(f"{fake.url}/notes/1").status_code == 200  # used up
    assert fake.faults == []


def test_faults_are_tried_in_order(fake: FakeNotes, session: requests.Session) -> None:
    fake.fault("GET", "/x", 500)
    fake.fault("GET", "/.*", 418)
    assert [session.get(f"{fake.url}/x").status_code for _ in range(3)] == [500, 418, 404]


def test_after_fault_routes_first_then_loses_the_answer(fake: FakeNotes, session: requests.Session) -> None:
    fake.fault("POST", "/notes", 500, b"", after=True)
    lost = session.post(f"{fake.url}/notes", files={"note": ("n", b"kept")})
    assert (lost.status_code, lost.content) == (500, b"")
    assert fake.notes == [b"kept"]  # the service acted on it


def test_fault_without_a_limit_lasts_until_cleared(fake: FakeNotes, session: requests.Session) -> None:
    rule = fake.fault(None, "/down", 503, times=None)
    assert [session.get(f"{fake.url}/down").status_code for _ in range(4)] == [503] * 4
    assert rule.hits == 4
    fake.clear_faults()
    assert session.get(f"{fake.url}/down").status_code == 404
    with pytest.raises(ValueError, match="times must be at least 1"):
        fake.fault(None, "/down", 503, times=0)


# -- life cycle -------------------------------------------------------------------------------


def test_start_stop_and_context_manager(session: requests.Session) -> None:
    fake = FakeService()
    with pytest.raises(RuntimeError, match="not started"):
        _ = fake.url
    assert not fake.running
    assert fake.start() is fake
    url = fake.url
    assert url.startswith("http://127.0.0.1:")
    assert fake.running
    with pytest.raises(RuntimeError, match="already started"):
        fake.start()
    assert session.get(f"{url}/").status_code == 404
    fake.stop()
    assert not fake.running
    fake.stop()  # stopping twice is harmless
    with pytest.raises(requests.ConnectionError):  # the kept-alive connection was closed too
        session.get(f"{url}/", timeout=5)
    with pytest.raises(requests.ConnectionError), requests.Session() as fresh:
        fresh.trust_env = False
        fresh.get(f"{url}/", timeout=5)

    with FakeService() as other:
        assert other.running
        other_url = other.url
    assert not other.running
    with pytest.raises(requests.ConnectionError):
        session.get(f"{other_url}/", timeout=5)


def test_state_changed_under_the_lock_is_seen_by_the_next_request(
    fake: FakeNotes, session: requests.Session
) -> None:
    with fake.lock:
        fake.notes.append(b"seeded")
    assert session.get(f"{fake.url}/notes/1").content == b"seeded"


def test_public_names_are_exported() -> None:
    import peloton_export.testing as testing

    for name in ("FakeService", "RecordedRequest", "Response", "ServiceFault"):
        assert name in testing.__all__
    body: Any = json.loads(Response.json({"k": "v"}).body)
    assert body == {"k": "v"}


def test_loopback_only_refuses_every_other_host(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from peloton_export.testing import loopback_only

    loopback_only(monkeypatch.setattr)
    with pytest.raises(OSError, match=r"only 127\.0\.0\.1 is allowed"):
        socket.getaddrinfo("www.strava.com", 443)
    assert socket.getaddrinfo("127.0.0.1", 80)


def test_fake_clock_moves_only_when_slept() -> None:
    from peloton_export.testing import FakeClock

    clock = FakeClock(1000.0)
    assert clock.time() == 1000.0
    clock.sleep(2.5)
    clock.sleep(0.5)
    assert clock.time() == 1003.0 and clock.sleeps == [2.5, 0.5]
