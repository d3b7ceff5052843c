"""Helpers shared by the XML writers (TCX and GPX).

Nothing here builds XML trees: the writers format strings themselves. This module holds the
small pieces both need so they behave the same way:

* :func:`xml_text` and :func:`xml_attr` escape user text (titles, instructor names, notes)
  and drop characters XML 1.0 cannot carry at all (``\\x00``, most C0 controls, lone
  surrogates, U+FFFE/U+FFFF).
* :func:`format_utc` renders a datetime as ``YYYY-MM-DDTHH:MM:SSZ`` (:func:`as_utc`
  converts first; a naive datetime counts as UTC), and :func:`format_utc_many` does the
  same for a whole workout several times faster.
* :func:`valid_position` checks and rounds a GPS fix to what both schemas accept.

The per-second series the writers walk (``iter_points``, ``cumulative_distances``) is
:mod:`peloton_export.workout.series`, shared with the FIT writer, the totals and the laps.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from peloton_export.model import Workout

__all__ = [
    "as_utc",
    "format_utc",
    "format_utc_many",
    "point_times",
    "sanitize_text",
    "valid_position",
    "xml_attr",
    "xml_text",
]

# Characters outside the XML 1.0 ``Char`` production. Tab, LF and CR are allowed.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def sanitize_text(text: str) -> str:
    """Return ``text`` without the characters XML 1.0 cannot represent (no escaping)."""
    return _ILLEGAL_XML.sub("", text)


def xml_text(text: str) -> str:
    """Escape ``text`` for use as element content (``&``, ``<``, ``>``; illegal chars dropped).

    ``>`` is escaped too, so a title containing ``]]>`` cannot end a CDATA section or
    confuse a naive reader. A carriage return is written as ``&#13;``: a literal one would
    be turned into a line feed by every XML reader (end-of-line normalization).
    """
    escaped = sanitize_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\r", "&#13;") if "\r" in escaped else escaped


def xml_attr(text: str) -> str:
    """Escape ``text`` for use inside a double- or single-quoted attribute value."""
    return (
        xml_text(text)
        .replace('"', "&quot;")
        .replace("'", "&apos;")
        .replace("\t", "&#9;")
        .replace("\n", "&#10;")
    )


def as_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; a naive datetime is taken to be UTC already (never local)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    if value.tzinfo is UTC:
        return value
    return value.astimezone(UTC)


def format_utc(value: datetime) -> str:
    """Format ``value`` as ``YYYY-MM-DDTHH:MM:SSZ`` in UTC (sub-second parts are dropped)."""
    v = as_utc(value)
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}Z"


def valid_position(latitude: float, longitude: float) -> tuple[float, float] | None:
    """Return the fix rounded to 7 decimals (about 1 cm) as TCX and GPX accept it, or ``None``.

    Both schemas want latitude in ``[-90, 90]`` and longitude in ``[-180, 180)``. A longitude
    of 180 (or one that rounds to it) is the same meridian as -180 and is written so;
    anything outside the ranges, NaN or infinite is not a position at all.
    """
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    if not (-90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0):
        return None
    lat = round(latitude, 7)
    lon = round(longitude, 7)
    if lon >= 180.0:
        lon = -180.0
    return lat, lon


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECONDS = tuple(f"{n:02d}Z" for n in range(60))


def format_utc_many(times: Iterable[datetime]) -> list[str]:
    """Format many datetimes like :func:`format_utc`, several times faster per item.

    Workout times are consecutive seconds, so the ``YYYY-MM-DDTHH:MM:`` prefix is computed
    once per minute and the seconds come from a table. The result is identical to
    ``[format_utc(t) for t in times]``.
    """
    result: list[str] = []
    append = result.append
    prefixes: dict[int, str] = {}
    seconds = _SECONDS
    epoch = _EPOCH
    for t in times:
        if t.tzinfo is not UTC:
            t = as_utc(t)
        delta = t - epoch
        minute, second = divmod(delta.days * 86400 + delta.seconds, 60)
        prefix = prefixes.get(minute)
        if prefix is None:
            prefix = prefixes[minute] = format_utc(t)[:17]
        append(prefix + seconds[second])
    return result


def point_times(workout: Workout) -> tuple[str, ...]:
    """The UTC text (``format_utc``) of every point of
    :func:`peloton_export.workout.series.workout_points`, computed once per workout and
    shared by the CSV and TCX writers (:mod:`peloton_export.workout.memo`)."""
    from peloton_export.workout.memo import once
    from peloton_export.workout.series import workout_points

    return once(workout, "utc_times", lambda: tuple(format_utc_many(p.time for p in workout_points(workout))))
