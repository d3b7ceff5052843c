"""Time helpers: Peloton's own timezone names, never the host's."""

from __future__ import annotations

import math
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


@lru_cache(maxsize=256)
def zone(name: str | None) -> tzinfo:
    """The zone called ``name`` (IANA, or POSIX-style ``Etc/GMT+4`` meaning UTC-4); UTC if unknown."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def local_time(moment: datetime, zone_name: str | None) -> datetime:
    """``moment`` (timezone-aware) expressed in the workout's own timezone."""
    return moment.astimezone(zone(zone_name))


def iso_utc(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
