"""pytest fixtures for the fake Peloton API: ``fake_peloton``, ``fake_peloton_factory``,
``peloton_folders`` (logged out) and ``peloton_env`` (with a saved login).

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


def point_at(fake: FakePeloton, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakePeloton:
    """Point peloton-export at ``fake`` with its folders in ``tmp_path``, logged out.

    Sets ``PELOTON_EXPORT_API_URL``/``_AUTH_URL`` to the fake, the config
    (``tmp_path/config``), state, data and archive dirs and the default output folder
    (``tmp_path/exports``, where a run without ``-o`` writes) under ``tmp_path``,
    ``PELOTON_CONFIG`` to a new ``tmp_path/peloton.ini`` without keyring or rate ceiling,
    and clears ``PELOTON_USERNAME``, ``PELOTON_PASSWORD`` and ``PELOTON_EXPORT_TOKEN``
    (undone by ``monkeypatch`` after the test). Returns ``fake``.
    """
    monkeypatch.setenv("PELOTON_EXPORT_API_URL", fake.api_url)
    monkeypatch.setenv("PELOTON_EXPORT_AUTH_URL", fake.auth_url)
    monkeypatch.setenv("PELOTON_EXPORT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("PELOTON_EXPORT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PELOTON_EXPORT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PELOTON_EXPORT_ARCHIVE", str(tmp_path / "data" / "archive"))
    monkeypatch.setenv("PELOTON_EXPORT_OUTPUT_DIR", str(tmp_path / "exports"))
    monkeypatch.setenv("PELOTON_CONFIG", str(tmp_path / "peloton.ini"))
    (tmp_path / "peloton.ini").write_text(
        "[peloton-export]\nkeyring = false\nmax_rate = 0\n", encoding="utf-8"
    )
    for name in ("PELOTON_USERNAME", "PELOTON_PASSWORD", "PELOTON_EXPORT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return fake


def save_login(fake: FakePeloton, config_dir: Path) -> Path:
    """Write a day-long login of ``fake``'s member to ``config_dir/token.json`` (mode 0600).

    The file peloton-export's ``login`` would write, with tokens the fake issued; returns its path.
    """
    token = {
        "format": 1,
        "access_token": fake.issue_token(),
        "refresh_token": fake.issue_refresh_token(),
        "session_id": None,
        "expires_at": fake.now() + 86400,
        "user_id": fake.user.user_id,
        "source": "token",
    }
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / "token.json"
    path.write_text(json.dumps(token), encoding="utf-8")
    path.chmod(0o600)
    return path


@pytest.fixture
def peloton_folders(
    fake_peloton: FakePeloton, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> FakePeloton:
    """``fake_peloton`` with peloton-export pointed at it (:func:`point_at`), logged out."""
    return point_at(fake_peloton, tmp_path, monkeypatch)


@pytest.fixture
def peloton_env(fake_peloton: FakePeloton, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakePeloton:
    """``peloton_folders`` plus a saved login (:func:`save_login`): no password needed.

    Takes the same fixtures as ``peloton_folders`` (not ``peloton_folders`` itself), so a
    module that imports only ``peloton_env`` by name keeps working.
    """
    save_login(point_at(fake_peloton, tmp_path, monkeypatch), tmp_path / "config")
    return fake_peloton
