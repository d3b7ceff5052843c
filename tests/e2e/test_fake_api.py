"""The fake Peloton API itself, over real loopback HTTP."""
# ruff: noqa: F811  (the fake_peloton fixtures are imported by name; tests take them as arguments)

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from peloton_export.raw import RawWorkout
from peloton_export.testing import FakePeloton, tiny_workout, tiny_workouts
from peloton_export.testing.pytest_plugin import FakeFactory, fake_peloton, fake_peloton_factory  # noqa: F401 (fixtures)


def _headers(fake: FakePeloton, platform: bool = True) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {fake.issue_token()}"}
    if platform:
        headers["Peloton-Platform"] = "web"
    return headers


def _list(fake: FakePeloton, **params: Any) -> dict[str, Any]:
    url = f"{fake.api_url}/api/user/{fake.user.user_id}/workouts"
    response = requests.get(url, params=params, headers=_headers(fake), timeout=10)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    ("count", "limit", "pages"),
    [(0, 10, 0), (100, 100, 1), (101, 100, 2), (25, 10, 3)],
)
def test_list_envelope(fake_peloton_factory: FakeFactory, count: int, limit: int, pages: int) -> None:
    fake = fake_peloton_factory(list(tiny_workouts(count)))
    first = _list(fake, limit=limit, page=0, sort_by="-created", joins="ride,ride.instructor")
    assert first["total"] == count
    assert first["page_count"] == pages
    assert first["show_next"] == (pages > 1)
    seen = [w["id"] for w in first["data"]]
    for page in range(1, pages):
        body = _list(fake, limit=limit, page=page)
        assert body["page"] == page
        seen += [w["id"] for w in body["data"]]
    assert seen == [w.workout_id for w in tiny_workouts(count)]
    assert len(set(seen)) == count


def test_limit_is_capped_at_100(fake_peloton_factory: FakeFactory) -> None:
    fake = fake_peloton_factory(lambda: tiny_workouts(150))
    body = _list(fake, limit=500, page=0)
    assert body["limit"] == 100 and body["count"] == 100 and body["page_count"] == 2


def test_list_items_are_a_subset_and_joins_apply(fake_peloton_factory: FakeFactory) -> None:
    fake = fake_peloton_factory(list(tiny_workouts(3)))
    item = _list(fake, limit=10, joins="ride")["data"][0]
    assert "leaderboard_rank" not in item
    assert "instructor" not in item["ride"]
    joined = _list(fake, limit=10, joins="ride,ride.instructor")["data"][0]
    assert joined["ride"]["instructor"]["name"] == "Test Instructor"
    bare = _list(fake, limit=10)["data"][0]
    assert "ride" not in bare
    detail = requests.get(
        f"{fake.api_url}/api/workout/{item['id']}", headers=_headers(fake), timeout=10
    ).json()
    assert detail["leaderboard_rank"] is not None and "instructor" not in detail["ride"]


def test_auth_and_platform_header(fake_peloton_factory: FakeFactory) -> None:
    fake = fake_peloton_factory([tiny_workout(0, outdoor=True)])
    me = requests.get(f"{fake.api_url}/api/me", timeout=10)
    assert me.status_code == 401 and me.json()["error_code"] == 3020
    assert (
        requests.get(f"{fake.api_url}/api/me", headers=_headers(fake, False), timeout=10).status_code == 400
    )
    assert requests.get(f"{fake.api_url}/api/me", headers=_headers(fake), timeout=10).json()["id"] == (
        fake.user.user_id
    )
    other = requests.get(f"{fake.api_url}/api/user/someone-else/workouts", headers=_headers(fake), timeout=10)
    assert other.status_code == 403
    wid = tiny_workout(0).workout_id
    graph = f"{fake.api_url}/api/workout/{wid}/performance_graph"
    with_gps = requests.get(graph, headers=_headers(fake), timeout=10).json()
    without = requests.get(graph, headers=_headers(fake, False), timeout=10).json()
    assert with_gps["location_data"] and not without["location_data"]


def test_every_n_thins_the_graph(fake_peloton_factory: FakeFactory) -> None:
    fake = fake_peloton_factory([tiny_workout(0, samples=30)])
    url = f"{fake.api_url}/api/workout/{tiny_workout(0).workout_id}/performance_graph"
    body = requests.get(url, params={"every_n": 5}, headers=_headers(fake), timeout=10).json()
    assert body["seconds_since_pedaling_start"] == [1, 6, 11, 16, 21, 26]
    assert len(body["metrics"][0]["values"]) == 6


def test_unknown_workout_and_zero_ride(fake_peloton_factory: FakeFactory) -> None:
    fake = fake_peloton_factory([tiny_workout(0)])
    assert (
        requests.get(f"{fake.api_url}/api/workout/nope", headers=_headers(fake), timeout=10).status_code
        == 404
    )
    zero = requests.get(f"{fake.api_url}/api/ride/{'0' * 32}/details", headers=_headers(fake), timeout=10)
    assert zero.status_code == 404


def test_ride_details_served_for_a_class_with_a_plan(fake_peloton_factory: FakeFactory) -> None:
    base = tiny_workout(1, discipline="strength")
    raw = RawWorkout(
        workout_id=base.workout_id,
        workout=base.workout,
        performance_graph=base.performance_graph,
        ride_details={"ride": base.workout["ride"], "segments": {"segment_list": []}},
    )
    fake = fake_peloton_factory(lambda: iter([raw]))
    _list(fake, limit=10)
    ride_id = base.workout["ride"]["id"]
    url = f"{fake.api_url}/api/ride/{ride_id}/details"
    assert requests.get(url, headers=_headers(fake), timeout=10).json()["ride"]["id"] == ride_id
    assert requests.get(url, headers=_headers(fake, False), timeout=10).status_code == 400


def test_legacy_login_retired_by_default_and_available_behind_a_flag(
    fake_peloton_factory: FakeFactory,
) -> None:
    fake = fake_peloton_factory([])
    creds = {"username_or_email": fake.user.username, "password": fake.user.password}
    gone = requests.post(f"{fake.api_url}/auth/login", json=creds, timeout=10)
    assert gone.status_code == 403 and "no longer accepting requests" in gone.json()["message"]
    old = fake_peloton_factory([], legacy_login=True)
    session = requests.Session()
    assert (
        session.post(f"{old.api_url}/auth/login", json={**creds, "password": "bad"}, timeout=10).status_code
        == 401
    )
    ok = session.post(f"{old.api_url}/auth/login", json=creds, timeout=10)
    assert ok.status_code == 200 and ok.json()["user_id"] == old.user.user_id
    me = session.get(f"{old.api_url}/api/me", headers={"Peloton-Platform": "web"}, timeout=10)
    assert me.status_code == 200


def test_tokens_expire_and_can_be_revoked(fake_peloton_factory: FakeFactory) -> None:
    fake = fake_peloton_factory([], token_ttl=60)
    headers = _headers(fake)
    assert requests.get(f"{fake.api_url}/api/me", headers=headers, timeout=10).status_code == 200
    fake.advance(61)
    assert requests.get(f"{fake.api_url}/api/me", headers=headers, timeout=10).status_code == 401
    headers = _headers(fake)
    fake.revoke_tokens()
    assert requests.get(f"{fake.api_url}/api/me", headers=headers, timeout=10).status_code == 401


@pytest.mark.parametrize(
    ("kind", "options", "status", "check"),
    [
        ("429", {"retry_after": 7}, 429, lambda r: r.headers["Retry-After"] == "7"),
        ("5xx", {"status": 502}, 502, lambda r: True),
        ("1015", {}, 429, lambda r: r.text == "error code: 1015"),
        ("empty", {}, 200, lambda r: r.content == b""),
        ("truncated", {}, 200, lambda r: r.content.startswith(b"{") and not r.content.endswith(b"}")),
        ("revoke", {}, 401, lambda r: True),
        ("redirect", {"location": "/elsewhere"}, 302, lambda r: r.headers["Location"] == "/elsewhere"),
    ],
)
def test_faults(
    fake_peloton_factory: FakeFactory, kind: str, options: dict[str, Any], status: int, check: Any
) -> None:
    fake = fake_peloton_factory([])
    fake.fault(kind, path="^/api/me$", **options)  # type: ignore[arg-type]
    headers = _headers(fake)
    response = requests.get(f"{fake.api_url}/api/me", headers=headers, timeout=10, allow_redirects=False)
    assert response.status_code == status
    assert check(response)
    assert fake.requests[-1].fault == kind
    if kind != "revoke":  # the rule fired once; the next call is normal
        assert requests.get(f"{fake.api_url}/api/me", headers=headers, timeout=10).status_code == 200


def test_fault_after_and_times_and_latency(fake_peloton_factory: FakeFactory) -> None:
    fake = fake_peloton_factory([])
    fake.fault("5xx", path="/api/me", after=1, times=2)
    fake.fault("latency", path="/api/me", delay=0.005, times=None)
    headers = _headers(fake)
    statuses = [
        requests.get(f"{fake.api_url}/api/me", headers=headers, timeout=10).status_code for _ in range(5)
    ]
    assert statuses == [200, 503, 503, 200, 200]
    assert [r.fault for r in fake.requests] == ["latency", "5xx", "5xx", "latency", "latency"]
    with pytest.raises(ValueError, match="unknown fault kind"):
        fake.fault("explode")  # type: ignore[arg-type]


def test_request_record_and_count(fake_peloton_factory: FakeFactory) -> None:
    fake = fake_peloton_factory(list(tiny_workouts(2)))
    _list(fake, limit=1)
    _list(fake, limit=1, page=1)
    assert fake.count("/workouts$") == 2
    assert fake.count(host="auth") == 0
    record = fake.requests[0]
    assert record.query["limit"] == "1" and record.header("peloton-platform") == "web"
    fake.clear_requests()
    assert fake.count() == 0


def test_factory_is_consumed_lazily(fake_peloton_factory: FakeFactory) -> None:
    made = {"n": 0}

    def factory() -> Iterator[RawWorkout]:
        for raw in tiny_workouts(2000):
            made["n"] += 1
            yield raw

    fake = fake_peloton_factory(factory, count=2000)
    body = _list(fake, limit=100, page=0)
    assert body["total"] == 2000 and body["page_count"] == 20
    assert made["n"] <= 101
    wid = body["data"][50]["id"]
    detail = requests.get(f"{fake.api_url}/api/workout/{wid}", headers=_headers(fake), timeout=10)
    assert detail.json()["id"] == wid
    assert made["n"] <= 101  # served from the window, not regenerated
    last = _list(fake, limit=100, page=19)
    assert last["count"] == 100 and not last["show_next"]
    early = requests.get(
        f"{fake.api_url}/api/workout/{body['data'][0]['id']}", headers=_headers(fake), timeout=10
    )
    assert early.status_code == 200  # regenerated after falling out of the window
    assert len(fake.store._bodies) <= fake.store.WINDOW


def test_add_replace_remove(fake_peloton_factory: FakeFactory) -> None:
    fake = fake_peloton_factory(lambda: tiny_workouts(3))
    new = tiny_workout(99, created_at=2_000_000_000, status="IN_PROGRESS")
    fake.add_workout(new)
    assert _list(fake, limit=10)["data"][0]["status"] == "IN_PROGRESS"
    fake.replace_workout(tiny_workout(99, created_at=2_000_000_000))
    assert _list(fake, limit=10)["data"][0]["status"] == "COMPLETE"
    fake.remove_workout(new.workout_id)
    body = _list(fake, limit=10)
    assert body["total"] == 3 and new.workout_id not in [w["id"] for w in body["data"]]


def test_demo_backed_fake(fake_peloton_factory: FakeFactory) -> None:
    fake = fake_peloton_factory(count=12)
    body = _list(fake, limit=5, page=0, joins="ride,ride.instructor")
    assert body["total"] == 12 and body["page_count"] == 3
    wid = body["data"][0]["id"]
    graph = requests.get(
        f"{fake.api_url}/api/workout/{wid}/performance_graph", headers=_headers(fake), timeout=10
    )
    assert graph.status_code == 200 and "seconds_since_pedaling_start" in graph.json()


def test_default_fixture(fake_peloton: FakePeloton) -> None:
    assert _list(fake_peloton, limit=100)["total"] == 25


def test_command_line() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "peloton_export.testing", "--port", "0", "--workouts", "3"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(5)]
        api_url = lines[0].strip().split("=", 1)[1]
        token = lines[3].rsplit(" ", 1)[1].strip()
        assert api_url.startswith("http://127.0.0.1:")
        me = requests.get(
            f"{api_url}/api/me",
            timeout=10,
            headers={"Authorization": f"Bearer {token}", "Peloton-Platform": "web"},
        )
        assert me.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def _code_for(fake: FakePeloton, verifier: str) -> tuple[requests.Session, str]:
    """Walk the fake Auth0 login by hand up to the authorization code."""
    from peloton_export.testing.auth0 import CLIENT_ID, CONNECTION, REDIRECT_URI, pkce_challenge

    s = requests.Session()
    page = s.get(
        f"{fake.auth_url}/authorize",
        timeout=10,
        params={
            "client_id": CLIENT_ID,
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "state": "S1",
            "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
        },
    )
    state = page.url.split("state=")[1].split("&")[0]
    form = s.post(
        f"{fake.auth_url}/usernamepassword/login",
        timeout=10,
        json={
            "client_id": CLIENT_ID,
            "connection": CONNECTION,
            "state": state,
            "_csrf": s.cookies["_csrf"],
            "username": fake.user.username,
            "password": fake.user.password,
        },
    )
    wresult = form.text.split('name="wresult" value="')[1].split('"')[0]
    hop = s.post(
        f"{fake.auth_url}/login/callback",
        data={"wa": "wsignin1.0", "wresult": wresult},
        allow_redirects=False,
        timeout=10,
    )
    final = s.get(fake.auth_url + hop.headers["Location"], allow_redirects=False, timeout=10)
    location = final.headers["Location"]
    assert location.startswith(REDIRECT_URI) and "state=S1" in location
    return s, location.split("code=")[1].split("&")[0]


def test_oauth_token_checks_pkce_and_single_use_codes(fake_peloton_factory: FakeFactory) -> None:
    from peloton_export.testing.auth0 import CLIENT_ID, REDIRECT_URI

    fake = fake_peloton_factory([])
    verifier = "v" * 64
    s, code = _code_for(fake, verifier)
    grant = {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "code": code,
        "redirect_uri": REDIRECT_URI,
    }
    wrong = s.post(f"{fake.auth_url}/oauth/token", json={**grant, "code_verifier": "x" * 64}, timeout=10)
    assert wrong.status_code == 403 and wrong.json()["error"] == "invalid_grant"
    s, code = _code_for(fake, verifier)
    ok = s.post(
        f"{fake.auth_url}/oauth/token", json={**grant, "code": code, "code_verifier": verifier}, timeout=10
    )
    assert ok.status_code == 200 and ok.json()["expires_in"] == 172800 and ok.json()["refresh_token"]
    again = s.post(
        f"{fake.auth_url}/oauth/token", json={**grant, "code": code, "code_verifier": verifier}, timeout=10
    )
    assert again.status_code == 403
    password = s.post(
        f"{fake.auth_url}/oauth/token",
        timeout=10,
        json={"grant_type": "password", "client_id": CLIENT_ID, "username": "u", "password": "p"},
    )
    assert password.status_code == 403 and password.json()["error"] == "unauthorized_client"
    refreshed = s.post(
        f"{fake.auth_url}/oauth/token",
        timeout=10,
        data={
            "grant_type": "refresh_token",
            "client_id": CLIENT_ID,
            "refresh_token": ok.json()["refresh_token"],
        },
    )
    assert refreshed.status_code == 200 and refreshed.json()["access_token"] != ok.json()["access_token"]


def test_command_line_fake_logs_each_request_so_a_user_can_count_them() -> None:
    """`python -m peloton_export.testing --log` prints one line per request (README's counts)."""
    import signal
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    proc = subprocess.Popen(
        [sys.executable, "-m", "peloton_export.testing", "--port", "0", "--workouts", "3", "--log"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        api_url = proc.stdout.readline().strip().partition("=")[2]
        assert api_url.startswith("http://127.0.0.1:"), api_url
        while "Serving" not in proc.stdout.readline():
            pass
        for _ in range(2):
            with pytest.raises(urllib.error.HTTPError):
                urllib.request.urlopen(api_url + "/api/me", timeout=5)  # no login: 401
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert "api #1 GET /api/me 401" in out and "api #2 GET /api/me 401" in out, out
