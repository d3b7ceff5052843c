"""Tiny hand-made workouts for tests that do not need the full demo generator.

:func:`simple_workouts` yields ``count`` small but well-formed workouts, newest first, each
with a detail body and a short performance graph (and GPS points for outdoor ones). Pass
the result, or a ``lambda`` returning it, to :class:`~peloton_export.testing.FakePeloton`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from peloton_export.raw import RawWorkout

BASE_TIME = 1_735_689_600  # 2025-01-01T00:00:00Z
ZERO_RIDE = "0" * 32


def workout_id(index: int, seed: int = 0) -> str:
    """A stable 32-hex-digit workout id."""
    return f"{seed:08x}{index:024x}"


def simple_workout(
    index: int,
    *,
    seed: int = 0,
    created_at: int | None = None,
    status: str = "COMPLETE",
    discipline: str = "cycling",
    outdoor: bool = False,
    extra: dict[str, Any] | None = None,
    samples: int = 30,
) -> RawWorkout:
    """One small workout; ``extra`` keys are merged into the detail body."""
    created = BASE_TIME + index * 3600 if created_at is None else created_at
    wid = workout_id(index, seed)
    ride_id = f"{index % 7:032x}" if not outdoor else ZERO_RIDE
    workout: dict[str, Any] = {
        "id": wid,
        "status": status,
        "created_at": created,
        "created": created,
        "start_time": created + 60,
        "end_time": created + 60 + samples if status == "COMPLETE" else None,
        "device_time_created_at": created - 18000,
        "timezone": "America/New_York",
        "fitness_discipline": discipline,
        "workout_type": "class" if not outdoor else "freestyle",
        "name": f"{discipline.title()} Workout",
        "title": None,
        "is_outdoor": outdoor,
        "platform": "home_bike" if discipline == "cycling" else "iOS_app",
        "device_type": "home_bike_v1" if discipline == "cycling" else "iPhone",
        "metrics_type": "cycling" if discipline == "cycling" else None,
        "total_work": 1000.0 * samples,
        "has_pedaling_metrics": discipline == "cycling",
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
        "ride": {
            "id": ride_id,
            "title": f"{samples // 60 or 1} min Test Ride {index}",
            "description": "A small ride for tests.",
            "duration": samples,
            "instructor_id": "i" * 32 if not outdoor else None,
            "instructor": {"name": "Test Instructor"} if not outdoor else {"name": "JUST WALK"},
            "fitness_discipline": discipline,
        },
    }
    workout.update(extra or {})
    offsets = list(range(samples))
    graph: dict[str, Any] = {
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
            {
                "slug": "output",
                "display_name": "Output",
                "display_unit": "watts",
                "values": [100 + (i % 5) for i in offsets],
                "average_value": 102,
                "max_value": 104,
            },
            {
                "slug": "heart_rate",
                "display_name": "Heart Rate",
                "display_unit": "bpm",
                "values": [120 + (i % 9) for i in offsets],
                "average_value": 124,
                "max_value": 128,
            },
        ],
        "summaries": [
            {"slug": "total_output", "display_name": "Total Output", "display_unit": "kj", "value": samples},
            {"slug": "distance", "display_name": "Distance", "display_unit": "mi", "value": 0.1},
            {"slug": "calories", "display_name": "Calories", "display_unit": "kcal", "value": 10},
        ],
        "average_summaries": [],
        "location_data": [],
    }
    if outdoor:
        graph["location_data"] = [
            {
                "segment_id": "s1",
                "is_gap": False,
                "coordinates": [
                    {
                        "seconds_offset_from_start": i,
                        "latitude": 40.0 + i * 1e-5,
                        "longitude": -73.0,
                        "accuracy": 5.0,
                        "distance": i * 0.003,
                        "distance_display_unit": "mi",
                    }
                    for i in offsets
                ],
            }
        ]
    return RawWorkout(workout_id=wid, workout=workout, performance_graph=graph, source="fake")


def simple_workouts(count: int, *, seed: int = 0, start: int | None = None) -> Iterator[RawWorkout]:
    """``count`` workouts, newest first (the newest created at ``start``)."""
    top = BASE_TIME + count * 3600 if start is None else start
    for n in range(count):
        index = count - 1 - n
        yield simple_workout(index, seed=seed, created_at=top - n * 3600)
