"""The Strava login of the ``serve`` Logins page (``register_logins``, :mod:`.weblogin`):
the authorize address, the fake's ``/oauth/authorize`` round trip, the token exchange,
the state line, a refusal and the logout; never a code or a token in an answer."""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import requests
from peloton_export_strava.fake import CLIENT_ID, CLIENT_SECRET, GOOD_CODE, FakeStrava

from peloton_export.plugins import create_host
from peloton_export.specs import LoginRequest


@pytest.fixture
def section(fake_strava: FakeStrava, tmp_path: Path, strava_clock: Any) -> dict[str, str]:
    return {
        "base_url": fake_strava.url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "token_file": str(tmp_path / "config" / "strava-token.json"),
    }


def _host() -> Any:
    return create_host(allow=["strava"])


def _round_trip(fake: FakeStrava, host: Any, section: dict[str, str]) -> dict[str, str]:
    """Start, let the fake's authorize page answer, return the query it sends back."""
    start = host.login_step(
        "strava",
        "start",
        LoginRequest(
            profile="default",
            section=section,
            redirect_uri="http://127.0.0.1:8740/strava/callback",
            state="state-abc-123",
        ),
    )
    assert start.ok and start.redirect, start.message
    asked = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(start.redirect).query))
    assert start.redirect.startswith(f"{fake.url}/oauth/authorize?")
    assert asked["redirect_uri"] == "http://127.0.0.1:8740/strava/callback"
    assert asked["state"] == "state-abc-123" and asked["client_id"] == CLIENT_ID
    assert "activity:write" in asked["scope"].split(",")
    answer = requests.get(start.redirect, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    back = urllib.parse.urlsplit(answer.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == "http://127.0.0.1:8740/strava/callback"
    return dict(urllib.parse.parse_qsl(back.query))


def test_an_oauth_round_trip_saves_the_tokens(fake_strava: FakeStrava, section: dict[str, str]) -> None:
    host = _host()
    request = LoginRequest(profile="default", section=section)
    assert host.login_step("strava", "state", request).message == "not logged in"
    query = _round_trip(fake_strava, host, section)
    assert query["code"] == GOOD_CODE and query["state"] == "state-abc-123"
    done = host.login_step(
        "strava", "callback", LoginRequest(profile="default", section=section, fields=query)
    )
    assert done.ok and "athlete 777" in done.message, done.message
    assert GOOD_CODE not in done.message
    token_file = Path(section["token_file"])
    assert fake_strava.access_token in token_file.read_text()
    assert token_file.stat().st_mode & 0o077 == 0
    state = host.login_step("strava", "state", request).message
    assert state.startswith("logged in as athlete 777") and "renewable" in state
    assert fake_strava.access_token not in state and fake_strava.refresh_token not in state
    out = host.login_step("strava", "logout", request)
    assert out.ok and "revoked" in out.message and not token_file.exists()
    assert fake_strava.revoked


def test_a_denied_or_narrow_authorization_saves_nothing(
    fake_strava: FakeStrava, section: dict[str, str]
) -> None:
    host = _host()
    fake_strava.authorize_answer = "deny"
    query = _round_trip(fake_strava, host, section)
    refused = host.login_step(
        "strava", "callback", LoginRequest(profile="default", section=section, fields=query)
    )
    assert not refused.ok and "access_denied" in refused.message
    fake_strava.authorize_answer = "approve"
    fake_strava.authorize_scope = "read"
    query = _round_trip(fake_strava, host, section)
    narrow = host.login_step(
        "strava", "callback", LoginRequest(profile="default", section=section, fields=query)
    )
    assert not narrow.ok and "activity:write" in narrow.message
    assert not Path(section["token_file"]).exists()


def test_without_the_app_credentials_it_says_what_to_set(section: dict[str, str]) -> None:
    host = _host()
    bare = {k: v for k, v in section.items() if k != "client_secret"}
    request = LoginRequest(
        profile="default", section=bare, redirect_uri="http://x/strava/callback", state="s"
    )
    assert "client_id and client_secret" in host.login_step("strava", "state", request).message
    start = host.login_step("strava", "start", request)
    assert not start.ok and start.redirect is None and "client_secret" in start.message
