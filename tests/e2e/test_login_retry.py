"""A typo in the password: a person at a terminal may retry at once, a schedule may not."""
# ruff: noqa: F811  (fixtures imported by name)

from __future__ import annotations

import pytest
from click.testing import CliRunner

from peloton_export.cli import sync as cli_sync
from peloton_export.cli.sync import login_command
from peloton_export.cli.sync import status_command as status_for
from peloton_export.plugins import create_host
from peloton_export.testing import FakePeloton
from peloton_export.testing.pytest_plugin import (  # noqa: F401 (fixtures)
    fake_peloton,
    fake_peloton_factory,
    peloton_folders,
)

LOGIN = "/usernamepassword/login"


@pytest.fixture
def env(peloton_folders: FakePeloton) -> FakePeloton:
    """The fake, with peloton-export's folders under ``tmp_path`` and no saved login."""
    return peloton_folders


def login(fake: FakePeloton, password: str, *args: str) -> tuple[int, str, int]:
    """Exit code, output and how many password posts reached the login host."""
    before = fake.count(LOGIN, host="auth")
    result = CliRunner().invoke(
        login_command, ["--username", fake.user.username, *args], input=password + "\n"
    )
    return result.exit_code, result.output, fake.count(LOGIN, host="auth") - before


def test_interactive_retry_after_a_typo_reaches_the_login(
    env: FakePeloton, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_sync, "_interactive", lambda: True)
    code, out, posts = login(env, "typo")
    assert code == 1 and posts == 1 and "rejected the email or password" in out
    code, out, posts = login(env, env.user.password)
    assert code == 0 and posts == 1, out
    assert "Logged in to Peloton" in out


def test_interactive_retries_stop_after_three_failures(
    env: FakePeloton, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_sync, "_interactive", lambda: True)
    assert [login(env, "typo")[2] for _ in range(3)] == [1, 1, 1]
    code, out, posts = login(env, env.user.password)
    assert code == 1 and posts == 0 and "no new login is tried before" in out


def test_non_interactive_retry_honours_the_cooldown_and_status_shows_it(
    env: FakePeloton, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_sync, "_interactive", lambda: False)
    assert login(env, "typo")[2] == 1
    code, out, posts = login(env, env.user.password)
    assert code == 1 and posts == 0 and "no new login is tried before" in out and "--ignore-cooldown" in out
    status = CliRunner().invoke(status_for(create_host(entry_points=False)), [])
    assert "Login cooldown until" in status.output and "wrong email or password" in status.output

    code, out, posts = login(env, env.user.password, "--ignore-cooldown")
    assert code == 0 and posts == 1, out


def test_cooldown_is_told_before_the_password_is_asked(
    env: FakePeloton, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_sync, "_interactive", lambda: True)
    assert [login(env, "typo")[2] for _ in range(3)] == [1, 1, 1]
    code, out, posts = login(env, env.user.password)
    assert code == 1 and posts == 0 and "no new login is tried before" in out
    assert "Password" not in out  # not asked for a password that would not be tried
    code, out, posts = login(env, env.user.password, "--ignore-cooldown")
    assert code == 0 and posts == 1 and "Password" in out, out


def test_a_typo_at_the_prompt_says_to_type_it_again(
    env: FakePeloton, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_sync, "_interactive", lambda: True)
    code, out, posts = login(env, "typo")
    assert code == 1 and posts == 1
    assert "rejected the email or password you typed" in out and "[peloton]" not in out, out
    assert "run `peloton-export login` again" in out


def test_each_typo_says_how_many_retries_are_left_and_the_last_says_none(
    env: FakePeloton, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_sync, "_interactive", lambda: True)
    outs = [login(env, "typo")[1] for _ in range(3)]
    assert "(2 more tries before the login cooldown holds)" in outs[0], outs[0]
    assert "(1 more try before the login cooldown holds)" in outs[1], outs[1]
    assert "that was the last retry allowed at once: the login cooldown holds until" in outs[2], outs[2]
    assert "--ignore-cooldown" in outs[2] and "more tr" not in outs[2]
    assert not any("a few typos" in out for out in outs)
