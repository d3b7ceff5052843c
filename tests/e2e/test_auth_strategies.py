"""The login strategies are separate objects chained by the authenticator (issue 21).

Each strategy answers ``None`` when it does not apply and a :class:`Login` when it worked;
the authenticator tries them in the ``[peloton-export] auth`` order, against the fake
Peloton's real Auth0 flow on loopback.
"""

# ruff: noqa: F811  (the fake_peloton fixtures are imported by name; tests take them as arguments)
from __future__ import annotations

from pathlib import Path

import pytest

from peloton_export.source.client.auth import CachedLogin, LegacyLogin, PkceLogin, TokenLogin
from peloton_export.testing import FakePeloton
from peloton_export.testing.clients import make_test_client
from peloton_export.testing.pytest_plugin import (
    FakeFactory,
    fake_peloton_factory,  # noqa: F401 (fixtures)
)


@pytest.fixture
def fake(fake_peloton_factory: FakeFactory) -> FakePeloton:
    return fake_peloton_factory([])


def test_strategies_follow_the_configured_order(fake: FakePeloton, tmp_path: Path) -> None:
    api = make_test_client(fake, tmp_path, login=True, strategies=("token", "legacy", "cached", "pkce"))
    kinds = [type(s) for s in api.auth.strategies]
    assert kinds == [TokenLogin, LegacyLogin, CachedLogin, PkceLogin]
    assert [s.name for s in api.auth.strategies] == ["token", "legacy", "cached", "pkce"]


def test_a_strategy_that_does_not_apply_answers_none(fake: FakePeloton, tmp_path: Path) -> None:
    auth = make_test_client(fake, tmp_path).auth  # no password, nothing saved, no pasted token
    assert [s.try_login() for s in auth.strategies] == [None] * len(auth.strategies)
    assert fake.count(host="auth") == 0


def test_the_chain_saves_what_a_strategy_says(fake: FakePeloton, tmp_path: Path) -> None:
    auth = make_test_client(fake, tmp_path, login=True).auth
    pkce = next(s for s in auth.strategies if isinstance(s, PkceLogin))
    cached = next(s for s in auth.strategies if isinstance(s, CachedLogin))
    assert cached.try_login() is None
    login = pkce.try_login()
    assert login is not None and login.save and login.token.source == "pkce"
    assert auth.store.load() is None  # a strategy only logs in; the authenticator saves
    token = auth.ensure()  # cached finds nothing, pkce logs in again, saved
    assert token.source == "pkce" and auth.store.load() == token
    again = cached.try_login()
    assert again is not None and not again.save and again.token == token


def test_a_pasted_token_is_never_saved(fake: FakePeloton, tmp_path: Path) -> None:
    auth = make_test_client(fake, tmp_path, env_token=fake.issue_token(ttl=3600)).auth
    token = auth.ensure()
    assert token.source == "token" and auth.store.load() is None
    auth.remember_user(fake.user.user_id)
    assert auth.store.load() is None


def test_no_repr_shows_the_password(fake: FakePeloton, tmp_path: Path) -> None:
    auth = make_test_client(fake, tmp_path, login=True).auth
    password = fake.user.password
    for thing in (auth, auth.credentials, *auth.strategies):
        assert password not in repr(thing)
