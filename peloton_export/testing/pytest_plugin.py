"""pytest fixtures for the fake Peloton API: ``fake_peloton``, ``fake_peloton_factory``, ``peloton_env``.

Opt-in, so that installing peloton-export changes no other project's test run: put
``pytest_plugins = ["peloton_export.testing.pytest_plugin"]`` in the conftest.py at the
root of your tests, or run ``pytest -p peloton_export.testing.pytest_plugin``. (pytest
refuses ``pytest_plugins`` in a conftest.py it finds only while collecting, such as one in
a subfolder of the folder you run it on; there, import the fixtures you need from this
module instead.) See :mod:`peloton_export.testing` for what each fixture gives.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from peloton_export.raw import RawWorkout
from peloton_export.testing.server import FakePeloton
from peloton_export.testing.synth import synth_workouts

DEFAULT_COUNT = 25
FakeFactory = Callable[..., FakePeloton]


def _default_workouts(count: int) -> Callable[[], Iterator[RawWorkout]]:
    return lambda: synth_workouts(count)


@pytest.fixture
def fake_peloton_factory() -> Iterator[FakeFactory]:
    """Start fakes on demand: ``fake_peloton_factory(workouts=None, *, count=None, **options)``."""
    started: list[FakePeloton] = []

    def start(
        workouts: Iterable[RawWorkout] | Callable[[], Iterator[RawWorkout]] | None = None,
        *,
        count: int | None = None,
        **options: Any,
    ) -> FakePeloton:
        if workouts is None:
            count = DEFAULT_COUNT if count is None else count
            workouts = _default_workouts(count)
        fake = FakePeloton(workouts, count=count, **options).start()
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.stop()


@pytest.fixture
def fake_peloton(fake_peloton_factory: FakeFactory) -> FakePeloton:
    """A started fake Peloton with 25 workouts."""
    return fake_peloton_factory()


@pytest.fixture
def peloton_env(fake_peloton: FakePeloton, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakePeloton:
    """Point peloton-export at ``fake_peloton`` with dirs in ``tmp_path`` and a saved login."""
    config_dir = tmp_path / "config"
    monkeypatch.setenv("PELOTON_EXPORT_API_URL", fake_peloton.api_url)
    monkeypatch.setenv("PELOTON_EXPORT_AUTH_URL", fake_peloton.auth_url)
    monkeypatch.setenv("PELOTON_EXPORT_CONFIG_DIR", str(config_dir))
    monkeypatch.setenv("PELOTON_EXPORT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PELOTON_EXPORT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PELOTON_EXPORT_ARCHIVE", str(tmp_path / "data" / "archive"))
    monkeypatch.setenv("PELOTON_CONFIG", str(tmp_path / "peloton.ini"))
    (tmp_path / "peloton.ini").write_text(
        "[peloton-export]\nkeyring = false\nmax_rate = 0\n", encoding="utf-8"
    )
    for name in ("PELOTON_USERNAME", "PELOTON_PASSWORD", "PELOTON_EXPORT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    token = {
        "format": 1,
        "access_token": fake_peloton.issue_token(),
        "refresh_token": fake_peloton.issue_refresh_token(),
        "session_id": None,
        "expires_at": fake_peloton.now() + 86400,
        "user_id": fake_peloton.user.user_id,
        "source": "token",
    }
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / "token.json"
    path.write_text(json.dumps(token), encoding="utf-8")
    path.chmod(0o600)
    return fake_peloton
