"""``peloton-export strava login``: loopback redirect catcher, pasted code, token storage."""

from __future__ import annotations

import base64
import json
import stat
import urllib.parse
from pathlib import Path
from typing import Any

import peloton_export_strava
import pytest
import requests
from peloton_export_strava.api import StravaApi
from peloton_export_strava.login import authorize_url, login, parse_redirect

from peloton_export.cli import run
from peloton_export.config import Config
from peloton_export.errors import AuthRequired
from peloton_export.plugins import create_host


@pytest.fixture
def fresh_api(settings: Any, clock: Any) -> Any:
    api = StravaApi(settings, clock=clock)
    yield api
    api.close()


def browser_that_approves(scope: str = "read,activity:write,activity:read_all", state: str | None = None):
    """A stand-in for the user's browser: follows the authorize URL's redirect_uri."""
    seen: dict[str, str] = {}

    def open_browser(url: str) -> None:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        seen.update(query)
        back = {"state": state or query["state"], "code": "good-code", "scope": scope}
        requests.get(f"{query['redirect_uri']}?{urllib.parse.urlencode(back)}", timeout=5).close()

    return open_browser, seen


def test_loopback_login_stores_tokens_0600(fake_strava, fresh_api, settings) -> None:
    open_browser, seen = browser_that_approves()
    lines: list[str] = []
    record = login(fresh_api, open_browser=open_browser, echo=lines.append, timeout=10)
    assert seen["scope"] == "activity:write,activity:read_all,profile:read_all"  # profile: gear names
    assert seen["response_type"] == "code"
    assert seen["redirect_uri"].startswith("http://127.0.0.1:")
    assert record["athlete_id"] == 777
    stored = json.loads(settings.token_file.read_text())
    assert stored["refresh_token"] == fake_strava.refresh_token
    assert stat.S_IMODE(settings.token_file.stat().st_mode) == 0o600
    assert "good-code" not in "".join(lines)


def test_loopback_login_rejects_a_foreign_state(fake_strava, fresh_api, settings) -> None:
    open_browser, _ = browser_that_approves(state="forged")
    with pytest.raises(AuthRequired, match="state"):
        login(fresh_api, open_browser=open_browser, echo=lambda _: None, timeout=10)
    assert not settings.token_file.exists()


def test_login_without_upload_scope_is_refused(fake_strava, fresh_api) -> None:
    with pytest.raises(AuthRequired, match="activity:write"):
        login(fresh_api, code="http://127.0.0.1/callback?code=good-code&scope=read")


@pytest.mark.parametrize(
    "pasted",
    ["good-code", "http://127.0.0.1:8080/callback?state=x&code=good-code&scope=read,activity:write"],
)
def test_pasted_code_or_address(fake_strava, fresh_api, settings, pasted: str) -> None:
    login(fresh_api, code=pasted)
    assert json.loads(settings.token_file.read_text())["access_token"] == fake_strava.access_token


def test_bad_code(fake_strava, fresh_api) -> None:
    with pytest.raises(AuthRequired, match="refused"):
        login(fresh_api, code="stale-code")


def test_denied_in_the_browser(fake_strava, fresh_api) -> None:
    with pytest.raises(AuthRequired, match="access_denied"):
        login(fresh_api, code="http://127.0.0.1/callback?state=x&error=access_denied")


def test_missing_app_credentials(settings, clock) -> None:
    import dataclasses

    api = StravaApi(dataclasses.replace(settings, client_secret=None), clock=clock)
    with pytest.raises(AuthRequired, match="client_id and client_secret"):
        login(api, code="good-code")
    api.close()


def test_parse_redirect_and_authorize_url(settings) -> None:
    assert parse_redirect(" abc ").code == "abc"
    parsed = parse_redirect("/callback?state=s&code=c&scope=a,b")
    assert (parsed.code, parsed.state, parsed.scope) == ("c", "s", "a,b")
    url = authorize_url(settings, "http://127.0.0.1:1/callback", "st")
    assert url.startswith(f"{settings.base_url}/oauth/authorize?client_id=424242&")


def test_cli_login_and_logout(fake_strava, settings, capsys) -> None:
    section = {
        "base_url": settings.base_url,
        "client_id": settings.client_id,
        "client_secret": settings.client_secret,
        "token_file": str(settings.token_file),
    }
    host = create_host(entry_points=False, extra={"strava": peloton_export_strava})
    config = Config(plugins={"strava": section})
    assert run(["strava", "login", "--code", "good-code"], host=host, config=config) == 0
    out = capsys.readouterr()
    assert "Logged in to Strava as athlete 777" in out.out
    for secret in (fake_strava.access_token, fake_strava.refresh_token, settings.client_secret, "good-code"):
        assert secret not in out.out + out.err
    assert run(["strava", "login", "--code", "wrong"], host=host, config=config) == 2
    assert "refused" in capsys.readouterr().err
    assert run(["strava", "logout"], host=host, config=config) == 0
    assert not Path(section["token_file"]).exists()


def test_missing_write_scope_names_the_scope_in_one_line_without_a_refresh(
    fake_strava, api, workout, fit_file, context
) -> None:
    from peloton_export_strava.upload import StravaUploader

    fake_strava.scopes = {"read", "activity:read_all"}  # the user unticked "Upload your activities"
    with pytest.raises(AuthRequired) as info:
        StravaUploader(api)(fit_file, workout, context)
    message = str(info.value)
    assert "activity:write" in message and "peloton-export strava login" in message
    assert "\n" not in message
    assert fake_strava.count("POST", "^/oauth/token$") == 0  # no needless refresh
    assert fake_strava.statuses == [200, 401]  # the look-up for a copy, then the upload
    assert api.journal.get(workout.id) is None  # nothing was taken: the next run sends it


def test_crash_recovery_look_up_without_read_all_counts_as_no_match(
    fake_strava, api, workout, fit_file, context
) -> None:
    from peloton_export_strava.upload import StravaUploader

    api.journal.begin(workout.id)  # a run died while sending
    fake_strava.scopes = {"read", "activity:write"}
    result = StravaUploader(api)(fit_file, workout, context)
    assert result.state == "uploaded"
    assert fake_strava.count("GET", "^/api/v3/athlete/activities$") == 1
    assert fake_strava.statuses[0] == 401  # the look-up was refused, and that was fine
    assert fake_strava.count("POST", "^/oauth/token$") == 0


def test_logout_deauthorizes_at_strava_then_deletes_the_tokens(
    fake_strava, logged_in, clock, capsys, monkeypatch
) -> None:
    monkeypatch.setattr(peloton_export_strava, "CLOCK", clock)
    section = {
        "base_url": logged_in.base_url,
        "client_id": logged_in.client_id,
        "client_secret": logged_in.client_secret,
        "token_file": str(logged_in.token_file),
    }
    token, refresh = fake_strava.access_token, fake_strava.refresh_token
    host = create_host(entry_points=False, extra={"strava": peloton_export_strava})
    assert run(["strava", "logout"], host=host, config=Config(plugins={"strava": section})) == 0
    (call,) = fake_strava.find("POST", "^/oauth/revoke$")
    # 2027: oauth/revoke with the app's credentials (HTTP Basic) and the refresh token
    assert call.header("Authorization") == "Basic " + base64.b64encode(
        f"{logged_in.client_id}:{logged_in.client_secret}".encode()
    ).decode("ascii")
    assert call.form == {"token": refresh, "token_type_hint": "refresh_token"}
    assert fake_strava.revoked == [refresh]
    assert fake_strava.count("POST", "^/oauth/deauthorize$") == 0
    assert not logged_in.token_file.exists()
    out = capsys.readouterr().out
    assert "revoked" in out and token not in out and refresh not in out
    # logged out already: nothing to revoke, nothing sent, still fine
    assert run(["strava", "logout"], host=host, config=Config(plugins={"strava": section})) == 0
    assert fake_strava.count("POST", "^/oauth/(revoke|deauthorize)$") == 1


def test_logout_falls_back_to_deauthorize_with_the_token_in_the_header_only(
    fake_strava, logged_in, clock, capsys, monkeypatch
) -> None:
    """Until Strava offers oauth/revoke (a 404 there): deauthorize, the token in the header."""
    monkeypatch.setattr(peloton_export_strava, "CLOCK", clock)
    fake_strava.offers_revoke = False
    fake_strava.header_only = True  # 2027: a token in a form or a query is refused
    section = {
        "base_url": logged_in.base_url,
        "client_id": logged_in.client_id,
        "client_secret": logged_in.client_secret,
        "token_file": str(logged_in.token_file),
    }
    token = fake_strava.access_token
    host = create_host(entry_points=False, extra={"strava": peloton_export_strava})
    assert run(["strava", "logout"], host=host, config=Config(plugins={"strava": section})) == 0
    oauth = [
        st for r, st in zip(fake_strava.requests, fake_strava.statuses, strict=True) if "/oauth/" in r.path
    ]
    assert oauth == [404, 200]
    (call,) = fake_strava.find("POST", "^/oauth/deauthorize$")
    assert call.header("Authorization") == f"Bearer {token}"
    assert "access_token" not in call.form and "access_token" not in call.query
    assert fake_strava.deauthorized == [token]
    assert "revoked" in capsys.readouterr().out


def test_logout_deletes_the_tokens_even_when_strava_refuses(
    fake_strava, logged_in, clock, capsys, monkeypatch
) -> None:
    monkeypatch.setattr(peloton_export_strava, "CLOCK", clock)
    section = {
        "base_url": logged_in.base_url,
        "client_id": logged_in.client_id,
        "client_secret": logged_in.client_secret,
        "token_file": str(logged_in.token_file),
    }
    fake_strava.fault("POST", "^/oauth/(revoke|deauthorize)$", 500, b"", times=None)
    host = create_host(entry_points=False, extra={"strava": peloton_export_strava})
    assert run(["strava", "logout"], host=host, config=Config(plugins={"strava": section})) == 0
    assert not logged_in.token_file.exists()
    assert "revoked" not in capsys.readouterr().out
