"""Raw Peloton bodies of one workout, as the API returned them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

JsonObject = dict[str, Any]


def parse_json_object(data: bytes, *, what: str) -> JsonObject:
    """Parse ``data`` (UTF-8, with or without a BOM) as a JSON object.

    :raises ValueError: with a one-line message naming ``what`` when the body is empty,
        truncated, not JSON or not an object.
    """
    if not data.strip():
        raise ValueError(f"{what} is empty")
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"{what} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except RecursionError:
        raise ValueError(f"{what} is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{what} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    if not isinstance(value, dict):
        raise ValueError(f"{what} is a JSON {type(value).__name__}, not an object")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class RawWorkout:
    """The raw bodies of one workout.

    ``workout`` is ``GET /api/workout/{id}?joins=ride,ride.instructor``;
    ``performance_graph`` is ``GET /api/workout/{id}/performance_graph?every_n=1`` (or
    ``None`` when it was never fetched); ``ride_details`` is ``GET /api/ride/{id}/details``
    when it was fetched (strength class plans). ``source`` says where the bodies came
    from (``api``, ``demo``, ``import:p2g``, ...).
    """

    workout_id: str
    workout: JsonObject
    performance_graph: JsonObject | None = None
    ride_details: JsonObject | None = None
    source: str = "api"
