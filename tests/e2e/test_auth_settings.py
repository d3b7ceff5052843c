"""Peloton's Auth0 values as settings (issue 22): defaults, config and environment, shown by
``status -v``, and a login refused for a rotated value names the setting to check."""
# ruff: noqa: F811  (the fake_peloton fixtures are imported by name; tests take them as arguments)

from __future__ import annotations

from pathlib import Path

import pytest

from peloton_export.cli import run
from peloton_export.config import Config
from peloton_export.errors import ConfigError
from peloton_export.source.client.auth import LoginFailed, LoginPageChanged
from peloton_export.source.client.settings import (
    AUTH_AUDIENCE,
    AUTH_CLIENT_ID,
    AUTH_REDIRECT_URI,
    AUTH_SCOPE,
    client_settings,
)
from peloton_export.testing import FakePeloton
from peloton_export.testing.clients import make_test_client
from peloton_export.testing.pytest_plugin import (
    FakeFactory,
    fake_peloton_factory,  # noqa: F401 (fixtures)
)


@pytest.fixture
def fake(fake_peloton_factory: FakeFactory) -> FakePeloton:
    return fake_peloton_factory([])


def test_defaults_are_todays_values() -> None:
    settings = client_settings(Config(), environ={})
    assert settings.auth_values() == {
        "auth_domain": "https://auth.onepeloton.com",
        "auth_client_id": AUTH_CLIENT_ID,
        "auth_audience": AUTH_AUDIENCE,
        "auth_scope": AUTH_SCOPE,
        "auth_redirect_uri": AUTH_REDIRECT_URI,
    }


def test_config_and_environment_set_them_environment_first() -> None:
    config = Config(
        settings={
            "auth_domain": "login.onepeloton.com",
            "auth_client_id": "from-config",
            "auth_scope": "openid offline_access",
        }
    )
    env = {"PELOTON_EXPORT_AUTH_CLIENT_ID": "from-env", "PELOTON_EXPORT_AUTH_AUDIENCE": "https://aud/"}
    settings = client_settings(config, environ=env)
    assert settings.auth_url == "https://login.onepeloton.com"
    assert (settings.auth_client_id, settings.auth_audience) == ("from-env", "https://aud/")
    assert settings.auth_scope == "openid offline_access"
    assert settings.auth_redirect_uri == AUTH_REDIRECT_URI
    with pytest.raises(ConfigError, match="auth_redirect_uri: expected an http"):
        client_settings(Config(settings={"auth_redirect_uri": "members/callback"}), environ={})


def test_the_login_sends_the_configured_values(fake: FakePeloton, tmp_path: Path) -> None:
    fake.auth0.client_id = "rotated-client-0001"
    fake.auth0.callbacks = {"https://members.onepeloton.com/auth/callback"}
    api = make_test_client(
        fake,
        tmp_path,
        login=True,
        auth_client_id="rotated-client-0001",
        auth_redirect_uri="https://members.onepeloton.com/auth/callback",
    )
    assert api.auth.ensure().source == "pkce"
    authorize = next(r for r in fake.requests if r.path == "/authorize")
    assert authorize.query["client_id"] == "rotated-client-0001"
    assert authorize.query["redirect_uri"] == "https://members.onepeloton.com/auth/callback"
    # the fake tenant issued the token only for its (rotated) client id and callback


@pytest.mark.parametrize(
    ("rotate", "setting", "code"),
    [
        ("client_id", "auth_client_id", "unauthorized_client"),
        ("callbacks", "auth_redirect_uri", "invalid_request"),
        ("audience", "auth_audience", "access_denied"),
    ],
)
def test_a_rotated_value_names_the_setting_to_check(
    fake: FakePeloton, tmp_path: Path, rotate: str, setting: str, code: str
) -> None:
    new = {"client_id": "new-client", "callbacks": {"https://members.onepeloton.com/new"}, "audience": "x"}
    setattr(fake.auth0, rotate, new[rotate])
    api = make_test_client(fake, tmp_path, login=True)
    with pytest.raises(LoginFailed) as info:
        api.auth.ensure()
    message = str(info.value)
    assert not isinstance(info.value, LoginPageChanged)
    assert f"[peloton-export] {setting}" in message and f"PELOTON_EXPORT_{setting.upper()}" in message
    assert code in message and "\n" not in message
    assert fake.user.password not in message
    # the next, unattended try meets the cooldown, which still names the setting (it said
    # only "login refused", hiding what to fix)
    again = make_test_client(fake, tmp_path, login=True)
    with pytest.raises(LoginFailed, match="no new login is tried before") as info:
        again.auth.ensure()
    assert f"Peloton's login refused {setting}: check that setting" in str(info.value)


def test_a_refresh_refused_for_the_client_names_the_client_id(fake: FakePeloton, tmp_path: Path) -> None:
    make_test_client(fake, tmp_path, login=True).auth.ensure()
    fake.auth0.client_id = "rotated"
    fake.expire_tokens()
    api = make_test_client(fake, tmp_path)
    with pytest.raises(LoginFailed, match=r"\[peloton-export\] auth_client_id"):
        api.me()


def test_status_verbose_shows_the_values_and_where_they_come_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("CONFIG_DIR", "STATE_DIR", "DATA_DIR"):
        monkeypatch.setenv(f"PELOTON_EXPORT_{name}", str(tmp_path / name.lower()))
    monkeypatch.setenv("PELOTON_EXPORT_ARCHIVE", str(tmp_path / "archive"))
    for name in ("PELOTON_EXPORT_AUTH_URL", "PELOTON_EXPORT_AUTH_DOMAIN", "PELOTON_EXPORT_AUTH_SCOPE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PELOTON_EXPORT_AUTH_CLIENT_ID", "env-client")
    ini = tmp_path / "peloton.ini"
    ini.write_text("[peloton-export]\nkeyring = false\nauth_audience = https://api.example/\n")
    monkeypatch.setenv("PELOTON_CONFIG", str(ini))
    assert run(["status", "-v"]) == 0
    out = capsys.readouterr().out
    assert "auth_client_id = env-client (PELOTON_EXPORT_AUTH_CLIENT_ID)" in out
    assert "auth_audience = https://api.example/ ([peloton-export] auth_audience)" in out
    assert f"auth_scope = {AUTH_SCOPE} (default)" in out
    assert "auth_domain = https://auth.onepeloton.com (default)" in out
    assert run(["status"]) == 0
    assert "auth_client_id" not in capsys.readouterr().out
