"""Client settings from the config file and the environment.

``[peloton-export]`` keys (all optional):

=================  =========================================  =====================================
key                default                                    meaning
=================  =========================================  =====================================
api_url            ``https://api.onepeloton.com``             API base URL (``PELOTON_EXPORT_API_URL``)
auth_url           ``https://auth.onepeloton.com``            Auth0 base URL (``PELOTON_EXPORT_AUTH_URL``)
page_size          10                                         workouts per list page, 1..100
concurrency        3                                          requests in flight, 1..4
max_rate           2.0                                        requests per second, at most
timeout            30                                         seconds per request (read)
deadline           120                                        seconds per request, whole transfer
max_body_mb        64                                         MB per decoded response body, at most
max_attempts       5                                          tries per request on 429/5xx/1015
skip_imported      true                                       skip workouts Peloton imported
auth               ``cached,pkce,token``                      login strategies, in order (``legacy`` too)
keyring            true                                       keep tokens in the keyring if installed
fetch_ride_details false                                      also fetch class plans (1 more request
                                                              per new class; outside the budget)
=================  =========================================  =====================================

The ``[peloton]`` keys ``ssl_verify`` and ``ssl_cert`` of the original library are honoured:
``ssl_cert`` (a CA bundle path) wins over ``ssl_verify``. ``PELOTON_EXPORT_TOKEN`` supplies a
pasted access or refresh token without storing it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from peloton_export.config import Config, parse_bool, split_names
from peloton_export.errors import ConfigError

VERSION = "0.1.0"
PROJECT_URL = "https://github.com/peloton-export/peloton-export"
USER_AGENT = f"peloton-export/{VERSION} (+{PROJECT_URL})"
API_URL = "https://api.onepeloton.com"
AUTH_URL = "https://auth.onepeloton.com"
STRATEGIES = ("cached", "pkce", "token", "legacy")
#: The default order: the retired ``legacy`` login is tried only when configured.
DEFAULT_STRATEGIES = ("cached", "pkce", "token")
MAX_PAGE_SIZE = 100
MAX_CONCURRENCY = 4


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """Everything the HTTP client, the login and the sync need to know."""

    api_url: str = API_URL
    auth_url: str = AUTH_URL
    user_agent: str = USER_AGENT
    verify: bool | str = True
    connect_timeout: float = 10.0
    timeout: float = 30.0
    deadline: float = 120.0
    max_body: int = 64_000_000
    max_attempts: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    max_retry_after: float = 600.0
    max_rate: float | None = 2.0
    burst: int = 4
    concurrency: int = 3
    page_size: int = 10
    skip_imported: bool = True
    strategies: tuple[str, ...] = DEFAULT_STRATEGIES
    use_keyring: bool = True
    fetch_ride_details: bool = False
    env_token: str | None = None

    def __repr__(self) -> str:
        return f"ClientSettings(api_url={self.api_url!r}, auth_url={self.auth_url!r})"


def _number(settings: Mapping[str, str], key: str, default: float, lo: float, hi: float) -> float:
    raw = settings.get(key)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"[peloton-export] {key}: expected a number, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ConfigError(f"[peloton-export] {key}: must be between {lo:g} and {hi:g}, got {raw}")
    return value


def _url(value: str, what: str) -> str:
    value = value.strip().rstrip("/")
    if not value.startswith(("https://", "http://")):
        raise ConfigError(f"{what}: expected an http(s) URL, got {value!r}")
    return value


def client_settings(config: Config, environ: Mapping[str, str] | None = None) -> ClientSettings:
    """Read :class:`ClientSettings` from a loaded :class:`Config` and the environment."""
    env = os.environ if environ is None else environ
    s = config.settings
    api_url = _url(env.get("PELOTON_EXPORT_API_URL") or s.get("api_url") or API_URL, "api_url")
    auth_url = _url(env.get("PELOTON_EXPORT_AUTH_URL") or s.get("auth_url") or AUTH_URL, "auth_url")
    verify: bool | str = config.ssl_verify
    if config.ssl_cert:
        verify = os.path.expanduser(config.ssl_cert)
    strategies = tuple(p.lower() for p in split_names(s.get("auth") or ",".join(DEFAULT_STRATEGIES)))
    unknown = [p for p in strategies if p not in STRATEGIES]
    if unknown or not strategies:
        raise ConfigError(
            f"[peloton-export] auth: unknown strategy {unknown}; choose from {', '.join(STRATEGIES)}"
        )
    max_rate = _number(s, "max_rate", 2.0, 0.0, 50.0)
    return ClientSettings(
        api_url=api_url,
        auth_url=auth_url,
        verify=verify,
        timeout=_number(s, "timeout", 30.0, 1.0, 600.0),
        deadline=_number(s, "deadline", 120.0, 1.0, 3600.0),
        max_body=int(_number(s, "max_body_mb", 64, 1, 4096) * 1_000_000),
        max_attempts=int(_number(s, "max_attempts", 5, 1, 10)),
        max_rate=max_rate or None,
        concurrency=int(_number(s, "concurrency", 3, 1, MAX_CONCURRENCY)),
        page_size=int(_number(s, "page_size", 10, 1, MAX_PAGE_SIZE)),
        skip_imported=parse_bool(s.get("skip_imported", "true"), what="[peloton-export] skip_imported"),
        strategies=strategies,
        use_keyring=parse_bool(s.get("keyring", "true"), what="[peloton-export] keyring"),
        fetch_ride_details=parse_bool(
            s.get("fetch_ride_details", "false"), what="[peloton-export] fetch_ride_details"
        ),
        env_token=env.get("PELOTON_EXPORT_TOKEN") or None,
    )
