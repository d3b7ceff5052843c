"""Login strategies, token cache, refresh and cooldown against the fake Auth0 tenant."""
# ruff: noqa: F811  (the fake_peloton fixtures are imported by name; tests take them as arguments)

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path
from typing import Any

import pytest

from peloton_export.errors import AuthRequired
from peloton_export.source.client.auth import (
    AccountLocked,
    LegacyLoginRetired,
    LoginCooldownActive,
    LoginExpired,
    LoginPageChanged,
    WrongPassword,
    parse_hidden_form,
)
from peloton_export.source.client.tokens import Cooldown, Token, TokenStore, jwt_claims
from peloton_export.testing import FakePeloton
from peloton_export.testing.clients import make_test_client
from peloton_export.testing.pytest_plugin import (
    FakeFactory,
    fake_peloton_factory,  # noqa: F401 (fixtures)
)

LOGIN_PATHS = [
    "/authorize",
    "/login",
    "/usernamepassword/login",
    "/login/callback",
    "/authorize/resume",
    "/oauth/token",
]


@pytest.fixture
def fake(fake_peloton_factory: FakeFactory) -> FakePeloton:
    return fake_peloton_factory([])


def _auth_paths(fake: FakePeloton) -> list[str]:
    return [r.path for r in fake.requests if r.host == "auth"]


def test_full_pkce_login_flow(fake: FakePeloton, tmp_path: Path) -> None:
    api = make_test_client(fake, tmp_path, login=True)
    token = api.auth.ensure()
    assert _auth_paths(fake) == LOGIN_PATHS
    assert token.access_token and token.refresh_token and token.source == "pkce"
    assert token.expires_at is not None and token.expires_at > fake.now() + 3600
    authorize = fake.requests[0]
    assert authorize.query["code_challenge_method"] == "S256" and authorize.query["response_type"] == "code"
    login_post = next(r for r in fake.requests if r.path == "/usernamepassword/login")
    assert login_post.header("Origin") == fake.auth_url and login_post.header("Auth0-Client")
    # the redirect to members.onepeloton.com/callback?code= is never requested
    assert all("callback" not in r.path or r.path == "/login/callback" for r in fake.requests)
    # the cache file is private and holds the token
    cache = tmp_path / "token.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert json.loads(cache.read_text())["refresh_token"] == token.refresh_token
    assert api.me()["id"] == fake.user.user_id
    assert json.loads(cache.read_text())["user_id"] == fake.user.user_id


def test_cached_token_makes_no_login_request(fake: FakePeloton, tmp_path: Path) -> None:
    make_test_client(fake, tmp_path, login=True).auth.ensure()
    fake.clear_requests()
    api = make_test_client(fake, tmp_path, login=True)
    api.me()
    assert fake.count(host="auth") == 0 and fake.count() == 1


def test_expired_cached_token_is_refreshed(fake: FakePeloton, tmp_path: Path) -> None:
    make_test_client(fake, tmp_path, login=True).auth.ensure()
    fake.advance(200000)  # past the access token's 48 h, well within the refresh token's life
    fake.clear_requests()
    api = make_test_client(fake, tmp_path)  # no password: must not need one
    api.me()
    assert _auth_paths(fake) == ["/oauth/token"]


def test_401_refreshes_once_before_any_new_login(fake: FakePeloton, tmp_path: Path) -> None:
    api = make_test_client(fake, tmp_path, login=True)
    api.me()
    fake.revoke_tokens()
    fake.clear_requests()
    api.me()
    assert _auth_paths(fake) == ["/oauth/token"]
    assert [r.status for r in fake.requests if r.host == "api"] == [401, 200]


def test_refresh_failure_falls_back_to_password_login(fake: FakePeloton, tmp_path: Path) -> None:
    api = make_test_client(fake, tmp_path, login=True)
    api.me()
    fake.revoke_tokens(refresh=True)
    fake.clear_requests()
    api.me()
    assert _auth_paths(fake) == ["/oauth/token", *LOGIN_PATHS]


def test_expired_refresh_token_without_password(fake: FakePeloton, tmp_path: Path) -> None:
    make_test_client(fake, tmp_path, login=True).auth.ensure()
    fake.revoke_tokens(refresh=True)
    fake.advance(200000)
    api = make_test_client(fake, tmp_path)
    with pytest.raises(LoginExpired) as info:
        api.me()
    message = str(info.value)
    assert "\n" not in message and "peloton-export login" in message


def test_wrong_password_starts_a_cooldown(fake: FakePeloton, tmp_path: Path) -> None:
    api = make_test_client(fake, tmp_path, username=fake.user.username, password="wrong")
    with pytest.raises(WrongPassword) as info:
        api.auth.ensure()
    assert "\n" not in str(info.value) and "password" in str(info.value)
    cooldown = Cooldown(tmp_path / "cooldown.json").active()
    assert cooldown is not None and cooldown.reason == "wrong email or password"
    fake.clear_requests()
    again = make_test_client(fake, tmp_path, login=True)  # even with the right password: wait first
    with pytest.raises(LoginCooldownActive, match="no new login is tried before"):
        again.auth.ensure()
    assert fake.count(host=None) == 0


def test_cooldown_grows_and_clears_on_success(tmp_path: Path) -> None:
    now = [1000.0]
    cooldown = Cooldown(tmp_path / "c.json", now=lambda: now[0], base=60, cap=200)
    assert cooldown.fail("x").until == 1060
    assert cooldown.fail("x").until == 1120
    assert cooldown.fail("x").until == 1200  # capped
    now[0] = 5000
    assert cooldown.active() is None
    cooldown.clear()
    assert cooldown.state() is None


def test_cooldown_over_allows_a_new_login(fake: FakePeloton, tmp_path: Path) -> None:
    Cooldown(tmp_path / "cooldown.json", now=lambda: 0.0).fail("old failure")
    api = make_test_client(fake, tmp_path, login=True)
    assert api.auth.ensure().access_token
    assert Cooldown(tmp_path / "cooldown.json").state() is None


def test_locked_account(fake: FakePeloton, tmp_path: Path) -> None:
    fake.user.locked = True
    with pytest.raises(AccountLocked, match="blocked logins") as info:
        make_test_client(fake, tmp_path, login=True).auth.ensure()
    assert "\n" not in str(info.value)


def test_changed_login_page(fake: FakePeloton, tmp_path: Path) -> None:
    fake.auth0.login_page_changed = True
    api = make_test_client(fake, tmp_path, login=True, strategies=("pkce",))
    with pytest.raises(LoginPageChanged, match="login --token") as info:
        api.auth.ensure()
    assert "\n" not in str(info.value)


def test_changed_login_page_never_tries_the_retired_legacy_login_by_default(
    fake: FakePeloton, tmp_path: Path
) -> None:
    fake.auth0.login_page_changed = True
    api = make_test_client(fake, tmp_path, login=True)
    with pytest.raises(LoginPageChanged):
        api.auth.ensure()
    assert fake.count("/auth/login", method="POST") == 0  # legacy is not in the default order


def test_legacy_strategy_with_a_server_that_takes_it(
    fake_peloton_factory: FakeFactory, tmp_path: Path
) -> None:
    fake = fake_peloton_factory([], legacy_login=True)
    api = make_test_client(fake, tmp_path, login=True, strategies=("cached", "legacy"))
    assert api.me()["id"] == fake.user.user_id
    assert api.auth.ensure().source == "legacy"
    assert (
        fake.requests[-1].header(
            "Cookie",
        )
        is not None
    )


def test_legacy_strategy_retired(fake: FakePeloton, tmp_path: Path) -> None:
    api = make_test_client(fake, tmp_path, login=True, strategies=("legacy",))
    with pytest.raises(LegacyLoginRetired, match="no longer accepts"):
        api.auth.ensure()


def test_pasted_access_token(fake: FakePeloton, tmp_path: Path) -> None:
    api = make_test_client(fake, tmp_path)
    token = api.auth.token_from_text("Bearer " + fake.issue_token(ttl=3600))
    assert token.source == "token" and token.refresh_token is None
    assert token.expires_at == pytest.approx(fake.now() + 3600, abs=5)
    api.auth.store.save(token)
    assert make_test_client(fake, tmp_path).me()["id"] == fake.user.user_id


def test_pasted_refresh_token(fake: FakePeloton, tmp_path: Path) -> None:
    api = make_test_client(fake, tmp_path)
    token = api.auth.token_from_text(fake.issue_refresh_token())
    assert token.access_token and token.refresh_token
    with pytest.raises(LoginExpired):
        api.auth.token_from_text("not-a-real-refresh-token")
    with pytest.raises(LoginExpired, match="already expired"):
        api.auth.token_from_text(fake.issue_token(ttl=-10))


def test_env_token_strategy(fake: FakePeloton, tmp_path: Path) -> None:
    api = make_test_client(fake, tmp_path, env_token=fake.issue_token())
    assert api.me()["id"] == fake.user.user_id
    assert not (tmp_path / "token.json").exists()  # an environment token is never written down


def test_no_credentials(fake: FakePeloton, tmp_path: Path) -> None:
    with pytest.raises(AuthRequired, match="peloton-export login"):
        make_test_client(fake, tmp_path).me()


class FakeKeyring:
    def __init__(self) -> None:
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, user: str) -> str | None:
        return self.data.get((service, user))

    def set_password(self, service: str, user: str, value: str) -> None:
        self.data[(service, user)] = value

    def delete_password(self, service: str, user: str) -> None:
        del self.data[(service, user)]


def test_keyring_used_when_installed(fake: FakePeloton, tmp_path: Path) -> None:
    ring = FakeKeyring()
    api = make_test_client(fake, tmp_path, login=True, keyring=ring)
    api.auth.ensure()
    assert not (tmp_path / "token.json").exists()
    assert "access_token" in next(iter(ring.data.values()))
    assert TokenStore(tmp_path / "token.json", keyring=ring).load() is not None
    assert api.auth.logout() and not ring.data


def test_broken_keyring_falls_back_to_the_file(tmp_path: Path) -> None:
    class Broken:
        def get_password(self, *a: Any) -> None:
            raise RuntimeError("no backend")

        def set_password(self, *a: Any) -> None:
            raise RuntimeError("no backend")

    store = TokenStore(tmp_path / "t.json", keyring=Broken())
    assert store.load() is None
    assert store.save(Token(access_token="x.y.z")) == str(tmp_path / "t.json")
    assert stat.S_IMODE((tmp_path / "t.json").stat().st_mode) == 0o600


def test_token_repr_hides_secrets() -> None:
    token = Token(access_token="SECRET-A", refresh_token="SECRET-R", session_id="SECRET-S")
    assert "SECRET" not in repr(token)
    assert Token.from_json(b"not json") is None
    assert Token.from_json(token.to_json()) == token
    assert jwt_claims("a.b") == {}


def test_hidden_form_parser_decodes_entities() -> None:
    page = (
        '<form method="post" action="https://x/login/callback"><input type="hidden" name="wctx" '
        'value="{&#34;a&#34;:&quot;b&quot;}"><input name="wa" value="wsignin1.0">'
        '<input type="submit" value="Go"></form>'
    )
    assert parse_hidden_form(page) == ("https://x/login/callback", {"wctx": '{"a":"b"}', "wa": "wsignin1.0"})
    assert parse_hidden_form("<html>nothing</html>") is None


def test_no_secret_in_logs_or_errors(
    fake: FakePeloton, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3").setLevel(logging.DEBUG)
    api = make_test_client(fake, tmp_path, login=True)
    api.me()
    fake.revoke_tokens()
    api.me()  # refresh after 401
    token = api.auth.ensure()
    wrong = make_test_client(fake, tmp_path / "other", username=fake.user.username, password="hunter2-wrong")
    with pytest.raises(WrongPassword) as info:
        wrong.auth.ensure()
    secrets = [fake.user.password, "hunter2-wrong", token.access_token, token.refresh_token]
    secrets += [json.loads((tmp_path / "token.json").read_text())["refresh_token"]]
    text = caplog.text + str(info.value) + repr(api.auth) + repr(api.http.settings)
    assert "urllib3" in caplog.text or "connectionpool" in caplog.text
    for secret in secrets:
        assert secret and secret not in text


def test_legacy_session_renewed_with_legacy_login(fake_peloton_factory: FakeFactory, tmp_path: Path) -> None:
    fake = fake_peloton_factory([], legacy_login=True)
    api = make_test_client(fake, tmp_path, login=True, strategies=("cached", "legacy"))
    api.me()
    fake.revoke_tokens()
    fake.clear_requests()
    assert api.me()["id"] == fake.user.user_id
    assert [r.path for r in fake.requests] == ["/api/me", "/auth/login", "/api/me"]
