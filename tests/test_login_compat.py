"""Login errors of the new client are the original library's exceptions too."""
# ruff: noqa: F811  (fixtures imported by name)

from __future__ import annotations

from pathlib import Path

import pytest

from peloton_export.client.auth import AccountLocked, LoginCooldownActive, LoginPageChanged, WrongPassword
from peloton_export.compat import PelotonClientError, PelotonException
from peloton_export.errors import AuthRequired
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
