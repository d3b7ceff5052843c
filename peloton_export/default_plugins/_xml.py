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
* :func:`iter_points` merges a workout's samples and GPS fixes by offset into one ordered
  stream of :class:`Point`, so a writer can emit one trackpoint per instant.
* :func:`cumulative_distances` yields a non-decreasing distance for each point.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import pairwise
from typing import NamedTuple

from peloton_export.model import GpsPoint, Sample, Workout

__all__ = [
    "Point",
    "as_utc",
    "cumulative_distances",
    "format_utc",
    "format_utc_many",
    "iter_points",
    "sanitize_text",
    "valid_position",
    "workout_distances",
    "workout_points",
    "workout_times",
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


class Point(NamedTuple):
    """One instant of a workout: the sample and/or GPS fix recorded at ``offset``.

    At least one of ``sample`` and ``gps`` is set. ``time`` is the sample's time when there
    is a sample, otherwise the fix's own time. A named tuple, so hot loops can unpack it.
    """

    offset: int
    time: datetime
    sample: Sample | None
    gps: GpsPoint | None


def iter_points(workout: Workout) -> Iterator[Point]:
    """Yield the workout's samples and GPS fixes merged by offset, in offset order.

    * A sample and a fix with the same offset become one :class:`Point`.
    * A fix with no sample at its offset becomes a point of its own (``sample=None``), so an
      outdoor workout with fewer samples than fixes still carries every fix.
    * A sample with no fix (an indoor workout, or a GPS dropout) has ``gps=None``.
    * Duplicates at one offset are joined pairwise (first sample with first fix, and so on);
      the rest become points of their own. Nothing is dropped, and the sort is stable, so
      equal inputs always give equal output.
    """
    samples = workout.samples
    track = workout.track
    ordered_samples: Sequence[Sample] = (
        samples if _is_sorted([s.offset for s in samples]) else sorted(samples, key=_offset)
    )
    if not track:
        for s in ordered_samples:
            yield Point(s.offset, s.time, s, None)
        return
    ordered_track: Sequence[GpsPoint] = (
        track if _is_sorted([g.offset for g in track]) else sorted(track, key=_offset)
    )
    i = j = 0
    n, m = len(ordered_samples), len(ordered_track)
    while i < n or j < m:
        if j >= m or (i < n and ordered_samples[i].offset < ordered_track[j].offset):
            s = ordered_samples[i]
            yield Point(s.offset, s.time, s, None)
            i += 1
        elif i >= n or ordered_track[j].offset < ordered_samples[i].offset:
            g = ordered_track[j]
            yield Point(g.offset, g.time, None, g)
            j += 1
        else:
            s = ordered_samples[i]
            yield Point(s.offset, s.time, s, ordered_track[j])
            i += 1
            j += 1


def workout_points(workout: Workout) -> tuple[Point, ...]:
    """:func:`iter_points` of ``workout`` as a tuple, computed once per workout and shared by
    the writers of one export (:mod:`peloton_export.memo`)."""
    from peloton_export.memo import once

    return once(workout, "points", lambda: tuple(iter_points(workout)))


def workout_distances(workout: Workout) -> tuple[float | None, ...]:
    """:func:`cumulative_distances` of :func:`workout_points`, once per workout."""
    from peloton_export.memo import once

    return once(workout, "distances", lambda: tuple(cumulative_distances(workout_points(workout))))


def workout_times(workout: Workout) -> tuple[str, ...]:
    """:func:`format_utc_many` of the times of :func:`workout_points`, once per workout."""
    from peloton_export.memo import once

    return once(
        workout, "point_times", lambda: tuple(format_utc_many(p.time for p in workout_points(workout)))
    )


def cumulative_distances(points: Sequence[Point]) -> list[float | None]:
    """Return a non-decreasing cumulative distance in metres for each point.

    The sample's ``distance_m`` is used first, then the fix's ``distance_m``. A point with
    neither carries the last known value forward. When the workout records no distance at
    all but does record speed, the distance is integrated from speed over the offset steps
    (each step capped at 5 s so a long gap does not invent distance). Points before the first
    known distance get ``None`` (or the integral so far). Backward jumps are flattened, and
    negative or non-finite readings are ignored.
    """
    has_distance = any(
        (p.sample is not None and p.sample.distance_m is not None)
        or (p.gps is not None and p.gps.distance_m is not None)
        for p in points
    )
    if has_distance:
        return _recorded_distances(points)
    if any(p.sample is not None and p.sample.speed_mps is not None for p in points):
        return _distances_from_speed(points)
    return [None] * len(points)


def _recorded_distances(points: Sequence[Point]) -> list[float | None]:
    """The sample's, else the fix's, distance; the last known one carried forward."""
    isfinite = math.isfinite
    result: list[float | None] = []
    last: float | None = None
    for p in points:
        value = p.sample.distance_m if p.sample is not None else None
        if value is None and p.gps is not None:
            value = p.gps.distance_m
        if value is not None and isfinite(value) and value >= 0:
            last = value if last is None or value > last else last
        result.append(last)
    return result


def _distances_from_speed(points: Sequence[Point]) -> list[float | None]:
    """Speed integrated over the offset steps, each step capped at 5 s."""
    isfinite = math.isfinite
    result: list[float | None] = []
    total = 0.0
    prev_offset: int | None = None
    for p in points:
        speed = p.sample.speed_mps if p.sample is not None else None
        if prev_offset is not None and speed is not None and isfinite(speed) and speed > 0:
            step = min(max(p.offset - prev_offset, 0), 5)
            total += speed * step
        prev_offset = p.offset
        result.append(total)
    return result


def _offset(item: Sample | GpsPoint) -> int:
    return item.offset


def _is_sorted(values: list[int]) -> bool:
    return all(a <= b for a, b in pairwise(values))
