"""The polite HTTP layer: headers, retries, backoff, rate limit, redirects, TLS settings."""
# ruff: noqa: F811  (the fake_peloton fixtures are imported by name; tests take them as arguments)

from __future__ import annotations

from pathlib import Path

import pytest

from peloton_export.config import load_config
from peloton_export.errors import ConfigError
from peloton_export.source.client.http import (
    HttpClient,
    PelotonHTTPError,
    RateLimiter,
    ServiceUnavailable,
    parse_retry_after,
)
from peloton_export.source.client.settings import USER_AGENT, ClientSettings, client_settings
from peloton_export.testing import FakePeloton, tiny_workouts
from peloton_export.testing.clients import FakeSleep, make_test_client
from peloton_export.testing.pytest_plugin import (
    FakeFactory,
    fake_peloton_factory,  # noqa: F401 (fixtures)
)


@pytest.fixture
def fake(fake_peloton_factory: FakeFactory) -> FakePeloton:
    return fake_peloton_factory(list(tiny_workouts(3)))


def _api(fake: FakePeloton, tmp_path: Path, sleep: FakeSleep | None = None, **settings: object):  # type: ignore[no-untyped-def]
    api = make_test_client(fake, tmp_path, sleep=sleep, env_token=fake.issue_token(), **settings)
    api.auth.ensure()
    return api


def test_honest_headers(fake: FakePeloton, tmp_path: Path) -> None:
    _api(fake, tmp_path).me()
    record = fake.requests[-1]
    assert record.header("User-Agent") == USER_AGENT
    assert USER_AGENT == "peloton-export/0.1.0 (+https://github.com/peloton-export/peloton-export)"
    assert record.header("Peloton-Platform") == "web"
    assert record.header("Accept") == "application/json"
    assert record.header(
        "Authorization",
    ).startswith("Bearer ")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("429", {"retry_after": 3}),
        ("5xx", {}),
        ("5xx", {"status": 500}),
        ("1015", {}),
        ("1015", {"status": 403}),
        ("empty", {}),
        ("truncated", {}),
    ],
)
def test_transient_faults_are_retried(
    fake: FakePeloton, tmp_path: Path, kind: str, options: dict[str, object]
) -> None:
    sleep = FakeSleep()
    api = _api(fake, tmp_path, sleep)
    fake.fault(kind, path="^/api/me$", times=2, **options)  # type: ignore[arg-type]
    assert api.me()["id"] == fake.user.user_id
    assert fake.count("^/api/me$") == 3
    assert len(sleep.calls) == 2
    if kind == "429":
        assert all(delay >= 3 for delay in sleep.calls)  # Retry-After honoured
    else:
        assert sleep.calls == [0.75, 1.5]  # base 1 s doubling, jitter factor 0.75 with rng 0.5


def test_bounded_attempts_give_a_clear_error(fake: FakePeloton, tmp_path: Path) -> None:
    sleep = FakeSleep()
    api = _api(fake, tmp_path, sleep, max_attempts=4)
    fake.fault("5xx", path="^/api/me$", times=None)
    with pytest.raises(ServiceUnavailable) as info:
        api.me()
    message = str(info.value)
    assert "HTTP 503" in message and "after 4 attempts" in message and "try again later" in message
    assert "\n" not in message
    assert fake.count("^/api/me$") == 4 and len(sleep.calls) == 3


def test_long_retry_after_fails_at_once(fake: FakePeloton, tmp_path: Path) -> None:
    sleep = FakeSleep()
    api = _api(fake, tmp_path, sleep)
    fake.fault("429", path="^/api/me$", retry_after=3600, times=None)
    with pytest.raises(ServiceUnavailable, match="asked us to wait 3600 s"):
        api.me()
    assert fake.count("^/api/me$") == 1 and sleep.calls == []


def test_backoff_is_capped_with_jitter(fake: FakePeloton, tmp_path: Path) -> None:
    settings = ClientSettings(backoff_base=1.0, backoff_max=10.0)
    for value, low_high in ((0.0, 0.5), (1.0, 1.0)):
        http = HttpClient(settings, rng=lambda v=value: v)
        assert http.backoff(1) == pytest.approx(low_high)
        assert http.backoff(10) == pytest.approx(10 * low_high)


def test_other_errors_are_not_retried(fake: FakePeloton, tmp_path: Path) -> None:
    api = _api(fake, tmp_path)
    with pytest.raises(PelotonHTTPError, match="HTTP 404 for workout nope: Workout not found"):
        api.workout("nope")
    assert fake.count("/api/workout/nope") == 1


def test_authorization_never_follows_a_redirect_to_another_host(fake: FakePeloton, tmp_path: Path) -> None:
    api = _api(fake, tmp_path)
    fake.fault("redirect", path="^/api/me$", location=fake.auth_url + "/collect")
    with pytest.raises(PelotonHTTPError):
        api.me()  # the other host answers 404
    landed = [r for r in fake.requests if r.host == "auth"]
    assert [r.path for r in landed] == ["/collect"]
    assert landed[0].header("Authorization") is None and landed[0].header("Cookie") is None


def test_authorization_kept_on_same_origin_redirect(fake: FakePeloton, tmp_path: Path) -> None:
    api = _api(fake, tmp_path)
    fake.fault("redirect", path="^/api/me$", location="/api/me?again=1")
    assert api.me()["id"] == fake.user.user_id
    assert fake.requests[-1].header("Authorization") is not None


def test_rate_limiter_caps_the_rate() -> None:
    sleep = FakeSleep()
    limiter = RateLimiter(2.0, 2, clock=sleep.clock, sleep=sleep)
    for _ in range(10):
        limiter.acquire()
    # 2 in the burst, then 8 at 2 per second
    assert sleep.total == pytest.approx(4.0)
    assert RateLimiter(None, 1, clock=sleep.clock, sleep=sleep).acquire() == 0.0


def test_rate_ceiling_over_real_requests(fake: FakePeloton, tmp_path: Path) -> None:
    sleep = FakeSleep()
    api = _api(fake, tmp_path, sleep, max_rate=5.0, burst=1)
    for _ in range(6):
        api.me()
    assert sleep.total >= 1.0


def test_retry_after_parsing() -> None:
    assert parse_retry_after("12", 0) == 12
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470) == pytest.approx(10)
    assert parse_retry_after("soon", 0) is None
    assert parse_retry_after(None, 0) is None


def test_settings_from_config_and_environment(tmp_path: Path) -> None:
    ini = tmp_path / "peloton"
    ini.write_text(
        "[peloton]\nssl_verify = false\n[peloton-export]\napi_url = https://proxy.example/\npage_size = 50\n"
        "concurrency = 2\nskip_imported = no\nauth = token, cached\n",
        encoding="utf-8",
    )
    settings = client_settings(load_config(ini, {}), {"PELOTON_EXPORT_AUTH_URL": "http://127.0.0.1:9/"})
    assert settings.api_url == "https://proxy.example" and settings.auth_url == "http://127.0.0.1:9"
    assert settings.verify is False and settings.page_size == 50 and settings.concurrency == 2
    assert settings.skip_imported is False and settings.strategies == ("token", "cached")
    env = client_settings(load_config(ini, {}), {"PELOTON_EXPORT_API_URL": "http://127.0.0.1:8"})
    assert env.api_url == "http://127.0.0.1:8"


def test_ssl_cert_wins_and_defaults_are_safe(tmp_path: Path) -> None:
    ini = tmp_path / "peloton"
    ini.write_text("[peloton]\nssl_cert = /etc/ssl/corp.pem\n", encoding="utf-8")
    settings = client_settings(load_config(ini, {}), {})
    assert settings.verify == "/etc/ssl/corp.pem"
    assert HttpClient(settings).session.verify == "/etc/ssl/corp.pem"
    default = client_settings(load_config(tmp_path / "missing", {}), {})
    assert default.verify is True and default.api_url == "https://api.onepeloton.com"
    assert default.page_size <= 100 and 2 <= default.concurrency <= 4 and default.max_rate


@pytest.mark.parametrize(
    "line", ["page_size = 101", "concurrency = 9", "max_rate = fast", "auth = magic", "api_url = ftp://x"]
)
def test_bad_settings(tmp_path: Path, line: str) -> None:
    ini = tmp_path / "peloton"
    ini.write_text(f"[peloton-export]\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        client_settings(load_config(ini, {}), {})
