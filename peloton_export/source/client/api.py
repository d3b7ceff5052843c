"""Typed Peloton endpoints on top of :class:`HttpClient` and :class:`Authenticator`.

Every call sends ``Peloton-Platform: web`` and the login headers; a ``401`` renews the login
once (:meth:`Authenticator.on_unauthorized`) and repeats the call.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from peloton_export.errors import AuthRequired
from peloton_export.raw import JsonObject
from peloton_export.source.client.auth import Authenticator
from peloton_export.source.client.http import HttpClient, JsonResponse, Unauthorized

JOINS = "ride,ride.instructor"
PLATFORM_HEADERS = {"Peloton-Platform": "web"}


@dataclass(frozen=True, slots=True)
class WorkoutPage:
    """One page of ``/api/user/{id}/workouts``."""

    page: int
    items: list[JsonObject]
    page_count: int
    total: int
    show_next: bool

    @property
    def is_last(self) -> bool:
        """True when no page follows this one."""
        return not self.items or not self.show_next or self.page + 1 >= self.page_count


class PelotonAPI:
    """The endpoints an exporter needs (``docs/peloton-api.md`` §2)."""

    def __init__(self, http: HttpClient, auth: Authenticator) -> None:
        self.http = http
        self.auth = auth
        self._user_id: str | None = None
        self._lock = threading.Lock()

    @property
    def base(self) -> str:
        """The API base URL."""
        return self.http.settings.api_url

    def get(
        self, path: str, params: Mapping[str, Any] | None = None, *, what: str | None = None
    ) -> JsonResponse:
        """GET ``path`` as JSON with the login and platform headers, renewing the login on 401."""
        headers = self.auth.headers()
        for attempt in (1, 2):
            try:
                return self.http.get_json(
                    self.base + path, params=params, headers={**PLATFORM_HEADERS, **headers}, what=what
                )
            except Unauthorized:
                if attempt == 2:
                    raise AuthRequired(
                        "Peloton keeps refusing the login (HTTP 401): run `peloton-export login`"
                    ) from None
                headers = self.auth.on_unauthorized(headers)
        raise AssertionError("unreachable")

    def me(self) -> JsonObject:
        """``/api/me`` (the user profile). Remembers the user id."""
        data = self.get("/api/me", what="your Peloton profile").data
        user_id = data.get("id")
        if isinstance(user_id, str) and user_id:
            with self._lock:
                self._user_id = user_id
            self.auth.remember_user(user_id)
        return data

    def user_id(self) -> str:
        """The user id: from the saved login when known, else from ``/api/me``."""
        with self._lock:
            if self._user_id:
                return self._user_id
        token = self.auth.ensure()
        if token.user_id:
            with self._lock:
                self._user_id = token.user_id
            return token.user_id
        user_id = self.me().get("id")
        if not isinstance(user_id, str) or not user_id:
            raise AuthRequired("Peloton's /api/me answer has no user id: run `peloton-export login`")
        return user_id

    def settings(self) -> JsonObject:
        """``/api/user/{id}/settings`` (units and privacy)."""
        return self.get(f"/api/user/{self.user_id()}/settings", what="your Peloton settings").data

    def workouts_page(self, page: int, limit: int) -> WorkoutPage:
        """One page of the workout list, newest first (``limit`` is capped at 100)."""
        limit = max(1, min(100, limit))
        data = self.get(
            f"/api/user/{self.user_id()}/workouts",
            {"joins": JOINS, "limit": limit, "page": page, "sort_by": "-created"},
            what=f"workout list page {page}",
        ).data
        items = [i for i in data.get("data") or [] if isinstance(i, dict)]
        page_count = data.get("page_count")
        total = data.get("total")
        return WorkoutPage(
            page=page,
            items=items,
            page_count=int(page_count) if isinstance(page_count, int) else page + (2 if items else 1),
            total=int(total) if isinstance(total, int) else 0,
            show_next=bool(data.get("show_next", bool(items))),
        )

    def workout(self, workout_id: str) -> JsonResponse:
        """``/api/workout/{id}?joins=ride,ride.instructor`` (raw bytes kept)."""
        return self.get(f"/api/workout/{workout_id}", {"joins": JOINS}, what=f"workout {workout_id}")

    def performance_graph(self, workout_id: str, every_n: int = 1) -> JsonResponse:
        """``/api/workout/{id}/performance_graph?every_n=N`` (raw bytes kept)."""
        return self.get(
            f"/api/workout/{workout_id}/performance_graph",
            {"every_n": every_n},
            what=f"performance graph of workout {workout_id}",
        )

    def ride_details(self, ride_id: str) -> JsonResponse:
        """``/api/ride/{id}/details`` (the class plan)."""
        return self.get(f"/api/ride/{ride_id}/details", what=f"class {ride_id}")
