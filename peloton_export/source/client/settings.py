"""Client settings from the config file and the environment.

``[peloton-export]`` keys (all optional):

=================  =========================================  =====================================
key                default                                    meaning
=================  =========================================  =====================================
api_url            ``https://api.onepeloton.com``             API base URL (``PELOTON_EXPORT_API_URL``)
auth_url           ``https://auth.onepeloton.com``            Auth0 base URL (``PELOTON_EXPORT_AUTH_URL``)
auth_domain        ``auth.onepeloton.com``                    Auth0 host, when auth_url is not set
                                                              (``PELOTON_EXPORT_AUTH_DOMAIN``)
auth_client_id     Peloton's web app client id                Auth0 ``client_id``
                                                              (``PELOTON_EXPORT_AUTH_CLIENT_ID``)
auth_audience      ``https://api.onepeloton.com/``            Auth0 ``audience`` (``..._AUTH_AUDIENCE``)
auth_scope         ``offline_access openid                    Auth0 ``scope`` (``..._AUTH_SCOPE``)
                   peloton-api.members:default``
auth_redirect_uri  ``https://members.onepeloton.com/callback`` Auth0 ``redirect_uri``
                                                              (``..._AUTH_REDIRECT_URI``)
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

The ``auth_*`` values are what Peloton's web app sends its Auth0 tenant (seen 2025-2026);
when Peloton rotates one, set it here instead of waiting for a release (peloton-to-garmin
made them settable too, #833). ``status -v`` shows the values in use.

The ``[peloton]`` keys ``ssl_verify`` and ``ssl_cert`` of the original library are honoured:
``ssl_cert`` (a CA bundle path) wins over ``ssl_verify``. ``PELOTON_EXPORT_TOKEN`` supplies a
pasted access or refresh token without storing it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from peloton_export.config import Config, parse_bool, split_names
from peloton_export.errors import SettingError

VERSION = "0.1.0"
PROJECT_URL = "https://github.com/peloton-export/peloton-export"
USER_AGENT = f"peloton-export/{VERSION} (+{PROJECT_URL})"
API_URL = "https://api.onepeloton.com"
AUTH_URL = "https://auth.onepeloton.com"
STRATEGIES = ("cached", "pkce", "token", "legacy")
#: The default order: the retired ``legacy`` login is tried only when configured.
DEFAULT_STRATEGIES = ("cached", "pkce", "token")
#: Peloton's Auth0 values (its web app's, 2025-2026); each a setting (see the module docstring).
AUTH_CLIENT_ID = "WVoJxVDdPoFx4RNewvvg6ch2mZ7bwnsM"
AUTH_AUDIENCE = "https://api.onepeloton.com/"
AUTH_SCOPE = "offline_access openid peloton-api.members:default"
AUTH_REDIRECT_URI = "https://members.onepeloton.com/callback"
#: The ``[peloton-export]`` key and the environment variable of each Auth0 value.
AUTH_SETTINGS = {
    "auth_domain": "PELOTON_EXPORT_AUTH_DOMAIN",
    "auth_client_id": "PELOTON_EXPORT_AUTH_CLIENT_ID",
    "auth_audience": "PELOTON_EXPORT_AUTH_AUDIENCE",
    "auth_scope": "PELOTON_EXPORT_AUTH_SCOPE",
    "auth_redirect_uri": "PELOTON_EXPORT_AUTH_REDIRECT_URI",
}
MAX_PAGE_SIZE = 100
MAX_CONCURRENCY = 4


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """Everything the HTTP client, the login and the sync need to know."""

    api_url: str = API_URL
    auth_url: str = AUTH_URL
    auth_client_id: str = AUTH_CLIENT_ID
    auth_audience: str = AUTH_AUDIENCE
    auth_scope: str = AUTH_SCOPE
    auth_redirect_uri: str = AUTH_REDIRECT_URI
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

    def auth_values(self) -> dict[str, str]:
        """The Auth0 values in use, by setting name (``status -v`` prints them; none is secret)."""
        return {
            "auth_domain": self.auth_url,
            "auth_client_id": self.auth_client_id,
            "auth_audience": self.auth_audience,
            "auth_scope": self.auth_scope,
            "auth_redirect_uri": self.auth_redirect_uri,
        }


def _number(settings: Mapping[str, str], key: str, default: float, lo: float, hi: float) -> float:
    raw = settings.get(key)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingError(
            "peloton-export", key, raw, f"expected a number between {lo:g} and {hi:g}, got {raw!r}"
        ) from None
    if not lo <= value <= hi:  # NaN and infinities too
        raise SettingError(
            "peloton-export", key, raw, f"must be between {lo:g} and {hi:g}, got {raw.strip()}"
        )
    return value


def _flag(settings: Mapping[str, str], key: str, default: str) -> bool:
    """A ``[peloton-export]`` yes/no setting (:func:`parse_bool`)."""
    return parse_bool(
        settings.get(key, default), what=f"[peloton-export] {key}", setting=("peloton-export", key)
    )


def _url(value: str, what: str) -> str:
    given = value
    value = value.strip().rstrip("/")
    if not value.startswith(("https://", "http://")):
        key = what.split("/", 1)[0]
        raise SettingError(
            "peloton-export", key, given, f"expected an http(s) URL, got {value!r}", label=what
        )
    return value


def _auth_settings(s: Mapping[str, str], env: Mapping[str, str]) -> dict[str, str]:
    """The Auth0 fields of :class:`ClientSettings` (environment first, then the config)."""

    def setting(key: str) -> str | None:
        value = env.get(AUTH_SETTINGS[key]) or s.get(key)
        return value.strip() if value and value.strip() else None

    domain = setting("auth_domain")
    if domain and "://" not in domain:
        domain = f"https://{domain}"
    auth_url = _url(
        env.get("PELOTON_EXPORT_AUTH_URL") or s.get("auth_url") or domain or AUTH_URL, "auth_url/auth_domain"
    )
    redirect = setting("auth_redirect_uri") or AUTH_REDIRECT_URI
    if not redirect.startswith(("https://", "http://")):
        raise SettingError(
            "peloton-export", "auth_redirect_uri", redirect, f"expected an http(s) URL, got {redirect!r}"
        )
    return {
        "auth_url": auth_url,
        "auth_client_id": setting("auth_client_id") or AUTH_CLIENT_ID,
        "auth_audience": setting("auth_audience") or AUTH_AUDIENCE,
        "auth_scope": setting("auth_scope") or AUTH_SCOPE,
        "auth_redirect_uri": redirect,
    }


def client_settings(config: Config, environ: Mapping[str, str] | None = None) -> ClientSettings:
    """Read :class:`ClientSettings` from a loaded :class:`Config` and the environment."""
    env = os.environ if environ is None else environ
    s = config.settings
    api_url = _url(env.get("PELOTON_EXPORT_API_URL") or s.get("api_url") or API_URL, "api_url")

    auth = _auth_settings(s, env)
    verify: bool | str = config.ssl_verify
    if config.ssl_cert:
        verify = os.path.expanduser(config.ssl_cert)
    strategies = tuple(p.lower() for p in split_names(s.get("auth") or ",".join(DEFAULT_STRATEGIES)))
    unknown = [p for p in strategies if p not in STRATEGIES]
    if unknown or not strategies:
        raise SettingError(
            "peloton-export",
            "auth",
            s.get("auth") or "",
            f"unknown strategy {unknown}; choose from {', '.join(STRATEGIES)}",
        )
    max_rate = _number(s, "max_rate", 2.0, 0.0, 50.0)
    return ClientSettings(
        api_url=api_url,
        auth_url=auth["auth_url"],
        auth_client_id=auth["auth_client_id"],
        auth_audience=auth["auth_audience"],
        auth_scope=auth["auth_scope"],
        auth_redirect_uri=auth["auth_redirect_uri"],
        verify=verify,
        timeout=_number(s, "timeout", 30.0, 1.0, 600.0),
        deadline=_number(s, "deadline", 120.0, 1.0, 3600.0),
        max_body=int(_number(s, "max_body_mb", 64, 1, 4096) * 1_000_000),
        max_attempts=int(_number(s, "max_attempts", 5, 1, 10)),
        max_rate=max_rate or None,
        concurrency=int(_number(s, "concurrency", 3, 1, MAX_CONCURRENCY)),
        page_size=int(_number(s, "page_size", 10, 1, MAX_PAGE_SIZE)),
        skip_imported=_flag(s, "skip_imported", "true"),
        strategies=strategies,
        use_keyring=_flag(s, "keyring", "true"),
        fetch_ride_details=_flag(s, "fetch_ride_details", "false"),
        # a pasted token is the default member's: a named household profile logs in as itself
        env_token=(env.get("PELOTON_EXPORT_TOKEN") or None) if config.profile == "default" else None,
    )
