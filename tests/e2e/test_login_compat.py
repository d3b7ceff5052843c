"""Login errors of the new client are the original library's exceptions too."""
# ruff: noqa: F811  (fixtures imported by name)

from __future__ import annotations

from pathlib import Path

import pytest

from peloton_export.compat import PelotonClientError, PelotonException
from peloton_export.errors import AuthRequired
from peloton_export.source.client.auth import (
    AccountLocked,
    LoginCooldownActive,
    LoginPageChanged,
    WrongPassword,
)
from peloton_export.testing.clients import make_test_client
from peloton_export.testing.pytest_plugin import (
    FakeFactory,
    fake_peloton_factory,  # noqa: F401 (fixtures)
)


def test_a_wrong_password_is_caught_as_the_original_library_exceptions(
    fake_peloton_factory: FakeFactory, tmp_path: Path
) -> None:
    fake = fake_peloton_factory([])
    api = make_test_client(fake, tmp_path, username=fake.user.username, password="wrong")
    with pytest.raises(PelotonClientError) as info:
        api.auth.ensure()
    assert isinstance(info.value, WrongPassword) and isinstance(info.value, PelotonException)
    assert isinstance(info.value, AuthRequired)  # what the command line turns into one line


@pytest.mark.parametrize("error", [AccountLocked, LoginCooldownActive, LoginPageChanged])
def test_every_login_error_is_a_client_error(error: type[Exception]) -> None:
    assert issubclass(error, PelotonClientError)


def test_login_host_sees_a_browser_the_api_host_the_honest_user_agent(
    fake_peloton_factory: FakeFactory, tmp_path: Path
) -> None:
    fake = fake_peloton_factory([])
    api = make_test_client(fake, tmp_path, login=True, strategies=("pkce",))
    api.auth.ensure()
    api.me()
    login = [r for r in fake.requests if r.host == "auth"]
    calls = [r for r in fake.requests if r.host == "api"]
    assert login and calls
    assert all((r.header("User-Agent") or "").startswith("Mozilla/5.0") for r in login)
    assert all(r.header("Accept-Language") for r in login)
    assert all((r.header("User-Agent") or "").startswith("peloton-export/") for r in calls)
    assert not any(r.header("Accept-Language") for r in calls)


def test_a_login_page_without_its_csrf_cookie_is_asked_again_once(
    fake_peloton_factory: FakeFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from peloton_export.source.client import password

    monkeypatch.setattr(password, "CSRF_RETRY_PAUSE", 0.0)
    fake = fake_peloton_factory([])
    fake.auth0.csrf_missing = 1
    api = make_test_client(fake, tmp_path, login=True, strategies=("pkce",))
    assert api.auth.ensure().access_token
    assert fake.count("^/login$", host="auth") == 2

    fake.auth0.csrf_missing = 2
    api = make_test_client(fake, tmp_path / "again", login=True, strategies=("pkce",))
    with pytest.raises(LoginPageChanged, match="usually temporary") as info:
        api.auth.ensure()
    assert "\n" not in str(info.value) and fake.count("^/login$", host="auth") == 4
