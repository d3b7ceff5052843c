"""Build a ready :class:`PelotonAPI` from the configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from peloton_export.config import Config
from peloton_export.paths import config_dir, state_dir
from peloton_export.source.client.api import PelotonAPI
from peloton_export.source.client.auth import Authenticator
from peloton_export.source.client.http import HttpClient
from peloton_export.source.client.settings import ClientSettings, client_settings
from peloton_export.source.client.tokens import Cooldown, TokenStore

TOKEN_FILE = "token.json"
COOLDOWN_FILE = "login-cooldown.json"


def token_store(settings: ClientSettings) -> TokenStore:
    """The token cache: ``<config dir>/token.json`` (mode 0600) or the keyring."""
    return TokenStore(config_dir() / TOKEN_FILE, use_keyring=settings.use_keyring)


def login_cooldown() -> Cooldown:
    """The persisted login cooldown in the state dir."""
    return Cooldown(state_dir() / COOLDOWN_FILE)


def make_client(
    config: Config,
    *,
    environ: Mapping[str, str] | None = None,
    settings: ClientSettings | None = None,
    store: TokenStore | None = None,
    cooldown: Cooldown | None = None,
    **http_options: Any,
) -> PelotonAPI:
    """A :class:`PelotonAPI` with the settings, saved login and credentials of ``config``.

    ``http_options`` go to :class:`HttpClient` (``sleep``, ``clock``, ``rng`` for tests).
    """
    settings = settings or client_settings(config, environ)
    http = HttpClient(settings, **http_options)
    auth = Authenticator(
        http,
        store=store or token_store(settings),
        cooldown=cooldown or login_cooldown(),
        username=config.username,
        password=config.password,
        config_hint=str(config.path) if config.path else "~/.config/peloton",
    )
    return PelotonAPI(http, auth)
