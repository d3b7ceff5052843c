"""Time helpers: Peloton's own timezone names, never the host's."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


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
