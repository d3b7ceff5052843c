"""The library API of the original ``peloton-client-library`` (``from peloton import PelotonWorkout``).

Code written for it keeps working with ``from peloton_export import PelotonWorkout``::

    >>> workouts = PelotonWorkout.list()
    >>> workout = PelotonWorkout.latest()
    >>> workout.ride.title
    '45 min Max Capacity Ride'

Its config file (``$PELOTON_CONFIG`` or ``~/.config/peloton``, still read, section ``[peloton]`` with
``username``, ``password``, ``ignore_warnings``, ``ssl_verify``, ``ssl_cert``) and the
``PELOTON_USERNAME`` / ``PELOTON_PASSWORD`` variables work unchanged. The login underneath is
peloton-export's (saved token, the 2025 Auth0 login), not the retired ``/auth/login``.

As in the original, data is loaded lazily to limit API calls: ``list()`` reads the list
pages only; ``leaderboard_rank``, ``total_leaderboard_users`` and ``achievements`` fetch the
workout detail on first access, ``metrics`` the performance graph.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from peloton_export.errors import PelotonClientError, PelotonException
from peloton_export.raw import JsonObject
from peloton_export.source.client.api import PelotonAPI

__all__ = [
    "PelotonClientError",
    "PelotonException",
    "PelotonInstructor",
    "PelotonMetric",
    "PelotonMetricSummary",
    "PelotonObject",
    "PelotonRedirectError",
    "PelotonRide",
    "PelotonServerError",
    "PelotonWorkout",
    "PelotonWorkoutAchievement",
    "PelotonWorkoutMetrics",
    "use_client",
]


class PelotonServerError(PelotonException):
    """A 5xx answer (the original's name)."""


class PelotonRedirectError(PelotonException):
    """An unexpected redirect (the original's name)."""


class NotLoaded:
    """Marks an attribute that is loaded on first access."""

    def __repr__(self) -> str:
        return "NotLoaded()"


_NOT_LOADED = NotLoaded()
_client: PelotonAPI | None = None
_client_lock = threading.Lock()


def use_client(api: PelotonAPI | None) -> None:
    """Use ``api`` for every call (``None``: build one from the config on next use)."""
    global _client
    with _client_lock:
        _client = api


def _api() -> PelotonAPI:
    global _client
    with _client_lock:
        if _client is None:
            from peloton_export.config import load_config
            from peloton_export.source.client.factory import make_client

            _client = make_client(load_config())
        return _client


def _when(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(float(value or 0), UTC)
    except (TypeError, ValueError, OverflowError):
        return datetime.fromtimestamp(0, UTC)


class PelotonObject:
    """Base of the data classes; gives :meth:`serialize`."""

    def _attributes(self, load_all: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in vars(self).items():
            if key.startswith("_"):
                continue
            if isinstance(value, NotLoaded):
                if not load_all:
                    continue
                value = getattr(self, key)
            out[key] = value
        return out

    def serialize(self, depth: int = 1, load_all: bool = True) -> dict[str, Any] | None:
        """A JSON-friendly dict; nested objects are included while ``depth > 1``."""
        if depth == 0:
            return None
        ret: dict[str, Any] = {}
        for key, value in self._attributes(load_all).items():
            if isinstance(value, PelotonObject):
                if depth > 1:
                    ret[key] = value.serialize(depth=depth - 1)
            elif isinstance(value, list):
                items = [_plain(v, depth) for v in value]
                kept = [v for v in items if v is not _SKIP]
                if kept or not value:
                    ret[key] = kept
            else:
                ret[key] = _plain(value, depth)
        return ret


_SKIP = object()


def _plain(value: Any, depth: int) -> Any:
    if isinstance(value, PelotonObject):
        return value.serialize(depth=depth - 1) if depth > 1 else _SKIP
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.1f}"
    return value


class PelotonInstructor(PelotonObject):
    """A class's instructor."""

    def __init__(self, **kwargs: Any) -> None:
        self.name = kwargs.get("name")
        self.first_name = kwargs.get("first_name")
        self.last_name = kwargs.get("last_name")
        self.bio = kwargs.get("bio")
        self.short_bio = kwargs.get("short_bio")

    def __str__(self) -> str:
        return str(self.name)


class PelotonRide(PelotonObject):
    """The class a workout followed: ``description``, ``duration``, ``id``, ``instructor_id``, ``title``."""

    def __init__(self, **kwargs: Any) -> None:
        self.title = kwargs.get("title")
        self.id = kwargs.get("id")
        self.description = kwargs.get("description")
        self.duration = kwargs.get("duration")
        self.instructor_id = kwargs.get("instructor_id")
        instructor = kwargs.get("instructor")
        if isinstance(instructor, dict):
            self.instructor = PelotonInstructor(**instructor)

    def __str__(self) -> str:
        return str(self.title)

    @classmethod
    def get(cls, ride_id: str) -> PelotonRide:
        """The class with ``ride_id`` (from ``/api/ride/{id}/details``)."""
        data = _api().ride_details(ride_id).data
        ride = data.get("ride")
        return cls(**(ride if isinstance(ride, dict) else {"id": ride_id}))


class PelotonMetric(PelotonObject):
    """One metric series of a workout."""

    def __init__(self, **kwargs: Any) -> None:
        self.values = kwargs.get("values")
        self.average = kwargs.get("average_value")
        self.name = kwargs.get("display_name")
        self.unit = kwargs.get("display_unit")
        self.max = kwargs.get("max_value")
        self.slug = kwargs.get("slug")

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"


class PelotonMetricSummary(PelotonObject):
    """One summary value of a workout."""

    def __init__(self, **kwargs: Any) -> None:
        self.name = kwargs.get("display_name")
        self.value = kwargs.get("value")
        self.unit = kwargs.get("display_unit")
        self.slug = kwargs.get("slug")

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"


class PelotonWorkoutMetrics(PelotonObject):
    """The performance graph: ``output_summary``, ``distance_summary``, ``calories_summary`` and
    one :class:`PelotonMetric` attribute per metric slug (``output``, ``cadence``, ...)."""

    def __init__(self, **kwargs: Any) -> None:
        self.workout_duration = kwargs.get("duration")
        segments = kwargs.get("segment_list") or []
        first = segments[0] if segments and isinstance(segments[0], dict) else {}
        self.fitness_discipline = first.get("metrics_type")
        for summary in kwargs.get("summaries") or []:
            if isinstance(summary, dict) and isinstance(summary.get("slug"), str):
                slug = summary["slug"]
                name = "output_summary" if slug == "total_output" else f"{slug}_summary"
                setattr(self, name, PelotonMetricSummary(**summary))
        for metric in kwargs.get("metrics") or []:
            if (
                isinstance(metric, dict)
                and isinstance(metric.get("slug"), str)
                and metric["slug"].isidentifier()
            ):
                setattr(self, metric["slug"], PelotonMetric(**metric))

    def __str__(self) -> str:
        return str(self.fitness_discipline)


class PelotonWorkoutAchievement(PelotonObject):
    """An achievement earned in a workout."""

    def __init__(self, **kwargs: Any) -> None:
        self.slug = kwargs.get("slug")
        self.description = kwargs.get("description")
        self.image_url = kwargs.get("image_url")
        self.id = kwargs.get("id")
        self.name = kwargs.get("name")


class PelotonWorkout(PelotonObject):
    """A workout, as in the original library (see the module docstring)."""

    _DETAIL_ATTRS: ClassVar[frozenset[str]] = frozenset(
        {
            "leaderboard_rank",
            "total_leaderboard_users",
            "leaderboard_users",
            "achievements",
            "personal_record",
        }
    )
    _README_ATTRS: ClassVar[tuple[str, ...]] = (
        "achievements",
        "created",
        "created_at",
        "end_time",
        "fitness_discipline",
        "get",
        "id",
        "latest",
        "leaderboard_rank",
        "list",
        "metrics",
        "ride",
        "serialize",
        "start_time",
        "status",
        "total_leaderboard_users",
    )

    def __init__(self, **kwargs: Any) -> None:
        self.id = kwargs.get("id")
        ride = kwargs.get("ride")
        self.ride: PelotonRide | NotLoaded = PelotonRide(**ride) if isinstance(ride, dict) else _NOT_LOADED
        self.created = _when(kwargs.get("created", kwargs.get("created_at")))
        self.created_at = _when(kwargs.get("created_at"))
        self.start_time = _when(kwargs.get("start_time"))
        self.end_time = _when(kwargs.get("end_time"))
        self.fitness_discipline = kwargs.get("fitness_discipline")
        self.status = kwargs.get("status")
        self.metrics_type = kwargs.get("metrics_type")
        self.metrics: PelotonWorkoutMetrics | NotLoaded = _NOT_LOADED
        self._set_detail(kwargs, only_present=True)

    def _set_detail(self, data: JsonObject, *, only_present: bool) -> None:
        if not only_present or "leaderboard_rank" in data:
            self.leaderboard_rank = data.get("leaderboard_rank")
        elif "leaderboard_rank" not in vars(self):
            self.leaderboard_rank = _NOT_LOADED
        if not only_present or "total_leaderboard_users" in data:
            self.total_leaderboard_users = data.get("total_leaderboard_users")
        elif "total_leaderboard_users" not in vars(self):
            self.total_leaderboard_users = _NOT_LOADED
        if not only_present or "is_total_work_personal_record" in data:
            self.personal_record = data.get("is_total_work_personal_record")
        elif "personal_record" not in vars(self):
            self.personal_record = _NOT_LOADED
        achievements = data.get("achievement_templates")
        if isinstance(achievements, list):
            self.achievements: list[PelotonWorkoutAchievement] | NotLoaded = [
                PelotonWorkoutAchievement(**a) for a in achievements if isinstance(a, dict)
            ]
        elif not only_present:
            self.achievements = []
        elif "achievements" not in vars(self):
            self.achievements = _NOT_LOADED
        ride = data.get("ride")
        if isinstance(ride, dict) and isinstance(vars(self).get("ride"), NotLoaded):
            self.ride = PelotonRide(**ride)

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if isinstance(value, NotLoaded):
            workout_id = object.__getattribute__(self, "id")
            if name == "metrics":
                value = PelotonWorkoutMetrics(**_api().performance_graph(str(workout_id)).data)
                self.metrics = value
            else:
                detail = _api().workout(str(workout_id)).data
                self._set_detail(detail, only_present=False)
                value = object.__getattribute__(self, name)
        return value

    @property
    def leaderboard_users(self) -> Any:
        """The original library's name for ``total_leaderboard_users``."""
        return self.total_leaderboard_users

    def __dir__(self) -> list[str]:
        return sorted(set(self._README_ATTRS) | {k for k in vars(self) if not k.startswith("_")})

    def __str__(self) -> str:
        return str(self.fitness_discipline)

    def __repr__(self) -> str:
        return f"<PelotonWorkout {self.id} {self.fitness_discipline} {self.status}>"

    @classmethod
    def get(cls, workout_id: str) -> PelotonWorkout:
        """One workout by id (its detail)."""
        return cls(**_api().workout(workout_id).data)

    @classmethod
    def list(cls, results_per_page: int | None = None) -> list[PelotonWorkout]:
        """Every workout of the account, newest first (list pages only; details load lazily)."""
        api = _api()
        size = results_per_page or api.http.settings.page_size
        out: list[PelotonWorkout] = []
        page_no = 0
        while True:
            page = api.workouts_page(page_no, size)
            out.extend(cls(**item) for item in page.items)
            if page.is_last:
                return out
            page_no += 1

    @classmethod
    def latest(cls) -> PelotonWorkout | None:
        """The newest workout (one list request), or ``None`` for an empty account."""
        page = _api().workouts_page(0, 1)
        return cls(**page.items[0]) if page.items else None
