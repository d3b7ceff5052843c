"""A fake Peloton API for tests, benchmarks and demos: real HTTP on 127.0.0.1.

:class:`FakePeloton` runs two standard-library HTTP servers in background threads, one
for the API host (``api.onepeloton.com``) and one for the Auth0 host
(``auth.onepeloton.com``). Point a client at ``fake.api_url`` / ``fake.auth_url`` (for
peloton-export: ``PELOTON_EXPORT_API_URL`` / ``PELOTON_EXPORT_AUTH_URL``).

Using the fixture
-----------------
Enable :mod:`peloton_export.testing.pytest_plugin` in the conftest.py at the root of your
tests with ``pytest_plugins = ["peloton_export.testing.pytest_plugin"]`` (or run
``pytest -p peloton_export.testing.pytest_plugin``); it is not loaded otherwise. It provides:

``fake_peloton``
    a started :class:`FakePeloton` with 25 synthetic workouts
    (:func:`~peloton_export.testing.synth.synth_workouts`), stopped after the test.
``fake_peloton_factory``
    ``fake_peloton_factory(workouts=None, *, count=None, **options)`` starts more fakes with
    your own workouts (an iterable of :class:`~peloton_export.raw.RawWorkout`, newest first,
    or a callable returning a fresh iterator, which the fake consumes lazily).
``peloton_folders``
    points peloton-export at ``fake_peloton`` through environment variables, with the
    config, state and archive dirs in ``tmp_path``, logged out (for testing a login).
    Returns the fake.
``peloton_env``
    ``peloton_folders`` plus a saved login, so commands run without a password. Returns
    the fake. For a fake of your own (from the factory), call
    :func:`~peloton_export.testing.pytest_plugin.point_at` and
    :func:`~peloton_export.testing.pytest_plugin.save_login` yourself.

Example::

    def test_my_sink(fake_peloton, peloton_env):
        fake_peloton.fault("429", path="/performance_graph", retry_after=0)
        ...  # run peloton-export; then count what it asked for
        assert fake_peloton.count(r"^/api/workout/") <= 60

What it emulates
----------------
* The Auth0 login (``/authorize``, ``/login`` with the ``_csrf`` cookie and ``state``,
  ``POST /usernamepassword/login`` answering the hidden auto-submit form,
  ``/login/callback`` redirecting with ``?code=``, ``/oauth/token`` for
  ``authorization_code`` with PKCE and ``refresh_token``); see :mod:`.auth0`.
  The member is ``fake.user`` (``member@example.com`` / ``correct horse battery staple``).
* Expiring access tokens (``token_ttl``, :meth:`FakePeloton.advance`,
  :meth:`FakePeloton.expire_tokens`, :meth:`FakePeloton.revoke_tokens`), and tokens to paste
  (:meth:`FakePeloton.issue_token`, :meth:`FakePeloton.issue_refresh_token`).
* The retired ``POST /auth/login``: 403 "no longer accepting requests", or with
  ``legacy_login=True`` the old cookie session of the original client library.
* ``/api/me``, ``/api/user/{id}/settings``, ``/api/user/{id}/workouts`` (``joins``,
  ``limit`` capped at 100, ``page``, ``page_count``, ``show_next``, ``total``),
  ``/api/workout/{id}`` (``joins``), ``/api/workout/{id}/performance_graph?every_n=N``,
  ``/api/ride/{id}/details``; all need a login and ``/api/me``, settings and ride details
  need ``Peloton-Platform: web`` (GPS points are only sent with it).
* Faults on demand (:meth:`FakePeloton.fault`): ``latency``, ``429`` with ``Retry-After``,
  ``5xx``, Cloudflare ``1015``, ``empty`` and ``truncated`` bodies, ``revoke`` (tokens revoked
  mid-run) and ``redirect``; see :mod:`.faults`.
* A record of every request (:attr:`FakePeloton.requests`, :meth:`FakePeloton.count`,
  :meth:`FakePeloton.clear_requests`).

From the command line: ``python -m peloton_export.testing --port 8080 --workouts 2000``.

To fake another service (the one your sink uploads to), subclass :class:`FakeService`
(:mod:`.service`): a loopback server recording every :class:`RecordedRequest`, with faults.
"""

from __future__ import annotations

from peloton_export.testing._types import RequestRecord
from peloton_export.testing.clock import FakeClock
from peloton_export.testing.faults import Fault, FaultPlan
from peloton_export.testing.inbox import FakeInbox
from peloton_export.testing.server import (
    DEFAULT_PASSWORD,
    DEFAULT_USER_ID,
    DEFAULT_USERNAME,
    FakePeloton,
    start_fake,
)
from peloton_export.testing.service import (
    FakeService,
    Hold,
    RecordedRequest,
    Response,
    ServiceFault,
    loopback_only,
    serve_by_hand,
)
from peloton_export.testing.synth.tiny import tiny_workout, tiny_workouts

__all__ = [
    "DEFAULT_PASSWORD",
    "DEFAULT_USERNAME",
    "DEFAULT_USER_ID",
    "FakeClock",
    "FakeInbox",
    "FakePeloton",
    "FakeService",
    "Fault",
    "FaultPlan",
    "Hold",
    "RecordedRequest",
    "RequestRecord",
    "Response",
    "ServiceFault",
    "loopback_only",
    "serve_by_hand",
    "start_fake",
    "tiny_workout",
    "tiny_workouts",
]
