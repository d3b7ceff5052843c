"""Tiny, hand-shaped workouts for plumbing tests (sync, the fake API, the archive, the pipeline).

The realistic kinds (:func:`~peloton_export.testing.synth.synth_workout`) model a class
second by second; these do not. A tiny workout is a well-formed detail body and a short
performance graph whose every value is a simple function of its index, so a test can
predict ids, times and titles without running a simulator:

* id ``f"{seed:08x}{index:024x}"`` (or the ``workout_id`` given);
* ``created_at`` one hour apart going up with the index (or as given), ``start_time`` 60 s
  later and ``end_time`` one second per sample after that (``None`` unless ``COMPLETE``);
* ``samples`` one-second samples at offsets ``1..samples``: output, cadence, heart rate, speed;
* outdoor ones are freestyle walks with a GPS fix per sample.

Pass :func:`tiny_workouts` (or a ``lambda`` returning it) to
:class:`~peloton_export.testing.FakePeloton`; store one in an archive with :func:`put_tiny`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from peloton_export.raw import JsonObject, RawWorkout
from peloton_export.testing.synth._common import ZERO_ID

if TYPE_CHECKING:
    from peloton_export.store.archive import Archive

#: ``created_at`` of the tiny workout with index 0 (2025-01-01T00:00:00Z).
BASE_TIME = 1_735_689_600
#: A ``start_time`` tests use for archive entries (2026-01-01T07:00:00Z, 02:00 in New York).
BASE_START = 1_767_250_800
_SPEED_MPH = 18.0


def tiny_id(index: int, seed: int = 0) -> str:
    """The stable 32-hex-digit id of tiny workout ``index`` of ``seed``."""
    return f"{seed:08x}{index:024x}"


def tiny_workout(
    index: int = 0,
    *,
    seed: int = 0,
    workout_id: str | None = None,
    created_at: int | None = None,
    start: int | None = None,
    status: str = "COMPLETE",
    discipline: str = "cycling",
    outdoor: bool = False,
    title: str | None = None,
    samples: int = 30,
    extra: dict[str, Any] | None = None,
) -> RawWorkout:
    """One tiny workout (see the module docstring for what every field is).

    :param start: the ``start_time`` (epoch s); ``created_at`` is then 60 s earlier.
    :param extra: keys merged into the detail body last (they win).
    :raises ValueError: when ``samples`` is below 1.
    """
    if samples < 1:
        raise ValueError(f"samples must be at least 1, not {samples}")
    if created_at is None:
        created_at = start - 60 if start is not None else BASE_TIME + index * 3600
    wid = workout_id if workout_id is not None else tiny_id(index, seed)
    workout = _detail(index, wid, created_at, status, discipline, outdoor, samples)
    if title is not None:
        workout["ride"]["title"] = title
    workout.update(extra or {})
    graph = _graph(samples, outdoor)
    return RawWorkout(workout_id=wid, workout=workout, performance_graph=graph, source="fake")


def tiny_workouts(count: int, *, seed: int = 0, start: int | None = None) -> Iterator[RawWorkout]:
    """``count`` tiny workouts, newest first (the newest created at ``start``, epoch s)."""
    top = BASE_TIME + count * 3600 if start is None else start
    for n in range(count):
        yield tiny_workout(count - 1 - n, seed=seed, created_at=top - n * 3600)


def tiny_bodies(workout_id: str, **kwargs: Any) -> dict[str, JsonObject]:
    """``{"workout": ..., "performance_graph": ...}`` of :func:`tiny_workout` (same keywords)."""
    raw = tiny_workout(workout_id=workout_id, **kwargs)
    assert raw.performance_graph is not None
    return {"workout": raw.workout, "performance_graph": raw.performance_graph}


def put_tiny(archive: Archive, workout_id: str, **kwargs: Any) -> None:
    """Store a tiny workout in ``archive`` with source ``test`` (keywords of :func:`tiny_workout`)."""
    bodies = tiny_bodies(workout_id, **kwargs)
    archive.put(workout_id, {k: json.dumps(v).encode() for k, v in bodies.items()}, source="test")


def _detail(
    index: int, wid: str, created: int, status: str, discipline: str, outdoor: bool, samples: int
) -> JsonObject:
    """The detail body (``joins=ride,ride.instructor``)."""
    cycling = discipline == "cycling"
    start = created + 60
    return {
        "id": wid,
        "status": status,
        "created_at": created,
        "created": created,
        "start_time": start,
        "end_time": start + samples if status == "COMPLETE" else None,
        "device_time_created_at": created - 18000,
        "timezone": "America/New_York",
        "fitness_discipline": discipline,
        "workout_type": "freestyle" if outdoor else "class",
        "name": f"{discipline.title()} Workout",
        "title": None,
        "is_outdoor": outdoor,
        "platform": "home_bike" if cycling else "iOS_app",
        "device_type": "home_bike_v1" if cycling else "iPhone",
        "metrics_type": "cycling" if cycling else None,
        "total_work": 1000.0 * samples,
        "has_pedaling_metrics": cycling,
        "has_paused": False,
        "pause_time_elapsed": 0,
        "leaderboard_rank": 10 + index,
        "total_leaderboard_users": 1000,
        "achievement_templates": [
            {
                "id": "a1",
                "name": "Best Output",
                "slug": "best_output",
                "description": "You beat your best",
                "image_url": None,
            }
        ],
        "ride": _ride(index, discipline, outdoor, samples),
    }


def _ride(index: int, discipline: str, outdoor: bool, samples: int) -> JsonObject:
    """The joined class, or the all-zero freestyle ride of an outdoor walk."""
    return {
        "id": ZERO_ID if outdoor else f"{index % 7 + 1:032x}",  # never all-zero: a class
        "title": f"{samples // 60 or 1} min Test Ride {index}",
        "description": "A small ride for tests.",
        "duration": samples,
        "pedaling_start_offset": 0 if outdoor else 60,
        "instructor_id": None if outdoor else "i" * 32,
        "instructor": {"name": "JUST WALK"} if outdoor else {"name": "Test Instructor"},
        "fitness_discipline": discipline,
    }


def _metric(slug: str, name: str, unit: str, values: list[Any]) -> JsonObject:
    """A ``metrics[]`` item with the API's max and (rounded) average."""
    average = round(sum(values) / len(values), 1 if isinstance(values[0], float) else None)
    return {
        "slug": slug,
        "display_name": name,
        "display_unit": unit,
        "values": values,
        "average_value": average,
        "max_value": max(values),
    }


def _graph(samples: int, outdoor: bool) -> JsonObject:
    """The performance graph: ``samples`` one-second samples at offsets ``1..samples``."""
    offsets = list(range(1, samples + 1))
    miles = round(_SPEED_MPH * samples / 3600, 2)
    return {
        "duration": samples,
        "seconds_since_pedaling_start": offsets,
        "segment_list": [
            {
                "id": "s1",
                "name": "Cycling",
                "start_time_offset": 0,
                "length": samples,
                "metrics_type": "cycling",
            }
        ],
        "metrics": [
            _metric("output", "Output", "watts", [100 + i % 5 for i in offsets]),
            _metric("cadence", "Cadence", "rpm", [80 + i % 3 for i in offsets]),
            _metric("heart_rate", "Heart Rate", "bpm", [120 + i % 9 for i in offsets]),
            _metric("speed", "Speed", "mph", [_SPEED_MPH] * samples),
        ],
        "summaries": [
            {"slug": "total_output", "display_name": "Total Output", "display_unit": "kj", "value": samples},
            {"slug": "distance", "display_name": "Distance", "display_unit": "mi", "value": miles},
            {
                "slug": "calories",
                "display_name": "Calories",
                "display_unit": "kcal",
                "value": 10 * samples // 60,
            },
        ],
        "average_summaries": [],
        "location_data": _track(offsets) if outdoor else [],
    }


def _track(offsets: list[int]) -> list[JsonObject]:
    """One GPS segment, a fix per sample going north at 18 mph."""
    step_mi = _SPEED_MPH / 3600
    coordinates = [
        {
            "seconds_offset_from_start": i,
            "latitude": round(40.0 + i * 1.2e-4, 6),
            "longitude": -73.0,
            "accuracy": 5.0,
            "distance": round(i * step_mi, 4),
            "distance_display_unit": "mi",
        }
        for i in offsets
    ]
    return [{"segment_id": "s1", "is_gap": False, "coordinates": coordinates}]
