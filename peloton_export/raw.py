"""Raw Peloton bodies of one workout, as the API returned them."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

JsonObject = dict[str, Any]


#: At most this many JSON objects and arrays in one body (the largest recorded body in the
#: test fixtures, an outdoor walk with GPS, has ~31,000; 1 million empty objects already
#: take ~100 MB of memory once parsed).
MAX_JSON_CONTAINERS = 1_000_000
#: At most this many values in one body (counted as commas: a 3-hour ride's graph at one
#: sample a second has ~150 000; 8 million numbers take ~300 MB once parsed).
MAX_JSON_VALUES = 8_000_000


#: Plausible epoch seconds for a workout: 2000-01-01 .. 2100-01-01 (UTC).
MIN_EPOCH = 946_684_800
MAX_EPOCH = 4_102_444_800


def epoch_seconds(value: object) -> int | None:
    """A raw time field read from Peloton's JSON or the archive (``start_time``,
    ``created_at``, ``end_time``: epoch seconds) as whole seconds, else ``None``.

    Only a finite int or float between :data:`MIN_EPOCH` and :data:`MAX_EPOCH` counts;
    ``NaN``, infinities, huge or negative numbers, booleans, strings and any other type are
    ``None`` (what every reader of an archived body does with them: the workout is then
    filtered and sorted as one of unknown start, and the normalizer reports it).
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if not MIN_EPOCH <= value <= MAX_EPOCH:
        return None
    return int(value)


def check_json_size(data: bytes, *, what: str) -> None:
    """Refuse a body whose parsed form would take far more memory than its size suggests.

    Counts ``{``, ``[`` and ``,`` bytes (strings holding them are counted too, so the
    limits are generous); no real Peloton body comes near them.

    :raises ValueError: one line naming ``what`` and the count over the limit.
    """
    containers = data.count(b"{") + data.count(b"[")
    if containers > MAX_JSON_CONTAINERS:
        raise ValueError(
            f"{what} holds {containers} JSON objects or arrays, over the limit of "
            f"{MAX_JSON_CONTAINERS}; not parsed (no workout body is that large)"
        )
    values = data.count(b",")
    if values > MAX_JSON_VALUES:
        raise ValueError(
            f"{what} holds {values} JSON values, over the limit of {MAX_JSON_VALUES}; "
            "not parsed (no workout body is that large)"
        )


def parse_json_object(data: bytes, *, what: str) -> JsonObject:
    """Parse ``data`` (UTF-8, with or without a BOM) as a JSON object.

    :raises ValueError: with a one-line message naming ``what`` when the body is empty,
        truncated, not JSON, not an object, or holds more values than
        :func:`check_json_size` allows.
    """
    if not data.strip():
        raise ValueError(f"{what} is empty")
    check_json_size(data, what=what)
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
