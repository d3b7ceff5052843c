"""What every page module of ``peloton-export serve`` shares: the server's settings and
state, and the helpers that read a route's profile and workout id, render a template and
run blocking work in a thread."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from jinja2 import Environment
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse

from peloton_export.store.archive import Archive, ArchiveError, check_workout_id
from peloton_export.web.auth import Sessions, Throttle
from peloton_export.web.jobs import Jobs
from peloton_export.web.rows import RowIndex

T = TypeVar("T")

if TYPE_CHECKING:
    from peloton_export.plugins import PluginHost
    from peloton_export.profiles import Profile


@dataclass(frozen=True, slots=True)
class ServeSettings:
    """How the server runs: ``read_only`` serves the pages without any action;
    ``password_hash``, ``allowed_hosts`` and ``trusted_proxies`` are the guard's
    (:class:`peloton_export.web.guard.GuardSettings`)."""

    read_only: bool = False
    password_hash: str | None = None
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)
    trusted_proxies: frozenset[str] = field(default_factory=frozenset)


@dataclass(slots=True)
class AppState:
    """What the routes share: the settings, the household, the plugin host, the runs."""

    settings: ServeSettings
    profiles: dict[str, Profile]
    host: PluginHost
    jobs: Jobs
    templates: Environment
    sessions: Sessions
    throttle: Throttle
    indexes: dict[str, RowIndex] = field(default_factory=dict)
    #: this server's log events (:class:`peloton_export.web.logs.LogBuffer`)
    logs: logging.Handler | None = None
    #: OAuth logins under way: state -> (profile, sink, expiry in epoch seconds)
    oauth: dict[str, tuple[str, str, float]] = field(default_factory=dict)

    def index(self, profile: Profile) -> RowIndex:
        """The workout rows of ``profile``'s archive (cached)."""
        found = self.indexes.get(profile.name)
        if found is None:
            found = self.indexes[profile.name] = RowIndex(Archive(profile.archive_dir))
        return found


def state_of(request: Request) -> AppState:
    """The server's :class:`AppState`."""
    state = request.app.state.serve
    assert isinstance(state, AppState)
    return state


def profile_of(request: Request) -> Profile:
    """The profile the route's ``{name}`` names.

    :raises HTTPException: ``404`` for a name not in the household.
    """
    found = state_of(request).profiles.get(str(request.path_params.get("name", "")))
    if found is None:
        raise HTTPException(404, "no such profile")
    return found


def workout_id_of(request: Request) -> str:
    """The route's ``{wid}``, checked (:func:`peloton_export.store.archive.check_workout_id`).

    :raises HTTPException: ``404`` for anything but a workout id.
    """
    try:
        return check_workout_id(str(request.path_params.get("wid", "")))
    except ArchiveError:
        raise HTTPException(404, "no such workout") from None


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Template ``name`` (autoescaped) with the page's CSRF token, the server's mode and
    the household's names, as an HTML answer."""
    state = state_of(request)
    page = state.templates.get_template(name).render(
        csrf=request.state.csrf,
        read_only=state.settings.read_only,
        login_needed=state.settings.password_hash is not None,
        profiles=list(state.profiles),
        **context,
    )
    return HTMLResponse(page, status_code=status)


async def threaded(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a worker thread (file and SQLite reads never block the loop)."""
    return await asyncio.to_thread(function, *args)


def writable(request: Request) -> None:
    """:raises HTTPException: ``403`` on a ``--read-only`` server."""
    if state_of(request).settings.read_only:
        raise HTTPException(403, "this server is read-only (serve --read-only)")


__all__ = [
    "AppState",
    "ServeSettings",
    "profile_of",
    "render",
    "state_of",
    "threaded",
    "workout_id_of",
    "writable",
]
