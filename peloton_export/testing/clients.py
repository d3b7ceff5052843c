"""Build a peloton-export client wired to a :class:`FakePeloton`, for tests.

Retries and rate limits never sleep for real: ``sleep`` records the delays instead (see
:class:`FakeSleep`), so tests stay fast and can assert what the client *would* wait.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from peloton_export.source.client.api import PelotonAPI
from peloton_export.source.client.auth import Authenticator
from peloton_export.source.client.http import HttpClient
from peloton_export.source.client.settings import ClientSettings
from peloton_export.source.client.tokens import Cooldown, TokenStore
from peloton_export.testing.server import FakePeloton


class FakeSleep:
    """A sleep that only records (and advances a fake monotonic clock)."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self.now = 1000.0
        self._lock = threading.Lock()

    def __call__(self, seconds: float) -> None:
        with self._lock:
            self.calls.append(seconds)
            self.now += seconds

    def clock(self) -> float:
        """The fake monotonic clock."""
        with self._lock:
            return self.now

    @property
    def total(self) -> float:
        """Seconds slept in all."""
        return sum(self.calls)


def make_test_client(
    fake: FakePeloton,
    directory: Path,
    *,
    username: str | None = None,
    password: str | None = None,
    login: bool = False,
    sleep: FakeSleep | None = None,
    keyring: Any = None,
    **settings: Any,
) -> PelotonAPI:
    """A :class:`PelotonAPI` for ``fake`` with its token cache and cooldown in ``directory``.

    ``login=True`` uses the fake member's username and password. ``settings`` override
    :class:`ClientSettings` fields (the rate limit is off unless ``max_rate`` is given).
    """
    sleep = sleep or FakeSleep()
    base = ClientSettings(api_url=fake.api_url, auth_url=fake.auth_url, max_rate=None, use_keyring=False)
    opts = {"use_keyring": keyring is not None, **settings}
    http = HttpClient(replace(base, **opts), sleep=sleep, clock=sleep.clock, rng=lambda: 0.5)
    auth = Authenticator(
        http,
        store=TokenStore(directory / "token.json", keyring=keyring, use_keyring=keyring is not None),
        cooldown=Cooldown(directory / "cooldown.json"),
        username=fake.user.username if login and username is None else username,
        password=fake.user.password if login and password is None else password,
    )
    return PelotonAPI(http, auth)
