"""Tiny raw Peloton bodies for pipeline and CLI tests (synthetic, made here)."""

from __future__ import annotations

import json
from typing import Any

from peloton_export.archive import Archive

BASE_START = 1_767_250_800  # 2026-01-01T07:00:00Z


def raw_bodies(
    workout_id: str,
    *,
    n: int = 60,
    start: int = BASE_START,
    title: str = "20 min Test Ride",
    discipline: str = "cycling",
) -> dict[str, Any]:
    """A minimal cycling workout and its performance graph with ``n`` one-second samples."""
    offsets = list(range(1, n + 1))
    workout = {
        "id": workout_id,
        "status": "COMPLETE",
        "fitness_discipline": discipline,
        "workout_type": "class",
        "name": "Cycling Workout",
        "title": None,
        "start_time": start,
        "end_time": start + n,
        "created_at": start,
        "timezone": "America/New_York",
        "device_type": "home_bike_v1",
        "platform": "home_bike",
        "total_work": 1000.0 * n,
        "is_outdoor": False,
        "has_paused": False,
        "pause_time_elapsed": 0,
        "ride": {
            "id": "a" * 32,
            "title": title,
            "duration": n,
            "instructor": {"name": "Test Instructor"},
            "pedaling_start_offset": 60,
        },
    }
    graph = {
        "duration": n,
        "seconds_since_pedaling_start": offsets,
        "segment_list": [],
        "metrics": [
            {"slug": "output", "display_unit": "watts", "values": [100 + i % 50 for i in offsets]},
            {"slug": "cadence", "display_unit": "rpm", "values": [80] * n},
            {"slug": "heart_rate", "display_unit": "bpm", "values": [120] * n},
            {"slug": "speed", "display_unit": "mph", "values": [18.0] * n},
        ],
        "summaries": [
            {"slug": "calories", "display_unit": "kcal", "value": 10 * n // 60},
            {"slug": "distance", "display_unit": "mi", "value": round(18.0 * n / 3600, 2)},
        ],
        "average_summaries": [],
        "location_data": [],
    }
    return {"workout": workout, "performance_graph": graph}


def put(archive: Archive, workout_id: str, **kwargs: Any) -> None:
    """Store a tiny workout in ``archive``."""
    bodies = raw_bodies(workout_id, **kwargs)
    archive.put(workout_id, {k: json.dumps(v).encode() for k, v in bodies.items()}, source="test")
