"""Per-second samples from a performance graph.

The graph holds one offsets array (``seconds_since_pedaling_start``) and one ``values``
array per metric. Each metric is converted to SI **once, as a whole column** (the unit is
resolved once per column, never per sample), then the columns are zipped by position into
:class:`~peloton_export.model.Sample` records. A ``values`` array shorter than the offsets
is padded with ``None``; a longer one is cut.

Which metric feeds which field:

* ``power_w`` from ``output``; ``cadence_rpm`` from ``cadence``, else the Row's
  ``stroke_rate``; ``resistance_pct`` from ``resistance``; ``incline_pct`` from ``incline``;
* ``speed_mps`` from ``speed``, else ``pace`` (min/mi or min/km), else ``split_pace``
  (min/500m), each looked up in ``metrics`` first and then in every ``alternatives`` list;
* ``altitude_m`` from ``altitude`` (ft or m); ``heart_rate_bpm`` from ``heart_rate``
  (0, Peloton's "no reading", becomes ``None``);
* ``distance_m`` (cumulative) from the GPS fixes' own cumulative ``distance`` joined by
  offset (carried forward between fixes), else speed integrated over the offsets.

Values outside a sane range (negative power, a heart rate of 400, a speed over 100 m/s, a
resistance over 100 %) become ``None``, like NaN and non-numbers; each metric with such
values gets one warning (``performance_graph.metrics.<slug>: N value(s) ... left out``),
and so do offsets that are not whole seconds in range. ``null`` values (and a heart rate of
0) are Peloton's "no reading" and warn nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise
from typing import Any

from peloton_export.model import Sample
from peloton_export.normalize._common import (
    MAX_OFFSET,
    Context,
    JsonObject,
    arr,
    obj,
    offset_value,
    shown,
    text,
)
from peloton_export.workout.units import UnitSystem, distance_factor, speed_converter, unit_system

Column = list[float | None]
Converter = Callable[[object], "float | None"]

# Units accepted for metrics that Peloton reports in one unit only. ``None`` (no unit) is
# accepted too: some bodies leave display_unit null.
_PLAIN_UNITS: dict[str, frozenset[str]] = {
    "output": frozenset({"watts", "watt", "w"}),
    "cadence": frozenset({"rpm", "spm"}),
    "stroke_rate": frozenset({"spm", "rpm"}),
    "resistance": frozenset({"%"}),
    "incline": frozenset({"%"}),
    "heart_rate": frozenset({"bpm"}),
}
# Sane ranges (inclusive) per field; anything outside becomes None.
_RANGES: dict[str, tuple[float, float]] = {
    "output": (0.0, 10_000.0),
    "cadence": (0.0, 500.0),
    "stroke_rate": (0.0, 500.0),
    "resistance": (0.0, 100.0),
    "incline": (-100.0, 100.0),
    "altitude": (-1_000.0, 10_000.0),  # metres, after conversion
}
MAX_SPEED_MPS = 100.0
_UNIT_SLUGS = frozenset({"distance", "avg_speed", "avg_pace", "elevation"})


def _bounded(lo: float, hi: float, scale: float = 1.0) -> Converter:
    """A converter keeping finite numbers in ``[lo, hi]`` after multiplying by ``scale``."""

    def convert(value: object) -> float | None:
        cls = value.__class__
        if cls is float:
            x: float = value * scale  # type: ignore[operator]
        elif cls is int:
            if not -1e12 < value < 1e12:  # type: ignore[operator]
                return None
            x = value * scale  # type: ignore[operator]
        else:
            return None
        return float(x) if lo <= x <= hi else None  # the comparison also rejects NaN

    return convert


def _heart_rate(value: object) -> float | None:
    cls = value.__class__
    if (cls is int or cls is float) and 1 <= value <= 300:  # type: ignore[operator]
        return float(round(value))  # type: ignore[call-overload]
    return None


def _capped_speed(convert: Converter) -> Converter:
    def speed(value: object) -> float | None:
        v = convert(value)
        return v if v is not None and v <= MAX_SPEED_MPS else None

    return speed


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric of the graph: its slug, unit and raw values."""

    slug: str
    unit: str | None
    values: list[Any]
    raw: JsonObject


def find_metric(graph: JsonObject, slug: str) -> Metric | None:
    """The metric ``slug``: from ``metrics`` first, then from any ``alternatives`` list."""
    metrics = [m for m in arr(graph.get("metrics")) if isinstance(m, dict)]
    for m in metrics:
        if m.get("slug") == slug:
            return Metric(slug, text(m.get("display_unit")), arr(m.get("values")), m)
    for m in metrics:
        for alt in arr(m.get("alternatives")):
            if isinstance(alt, dict) and alt.get("slug") == slug:
                return Metric(slug, text(alt.get("display_unit")), arr(alt.get("values")), alt)
    return None


@dataclass(frozen=True, slots=True)
class Offsets:
    """The usable sample offsets and, for each, its index in the graph's arrays."""

    offsets: list[int]
    indices: Sequence[int]


def read_offsets(graph: JsonObject, ctx: Context) -> Offsets:
    """Valid, strictly increasing offsets. Bad or out-of-order entries are dropped (noted)."""
    raw = arr(graph.get("seconds_since_pedaling_start"))
    if (
        raw
        and all(v.__class__ is int for v in raw)
        and all(a < b for a, b in pairwise(raw))
        and raw[0] >= 0
        and raw[-1] <= MAX_OFFSET
    ):
        return Offsets(list(raw), range(len(raw)))
    offsets: list[int] = []
    indices: list[int] = []
    last = -1
    dropped = 0
    damaged: list[object] = []
    for i, value in enumerate(raw):
        off = offset_value(value)
        if off is None and value is not None:
            damaged.append(value)
        if off is None or off <= last:
            dropped += 1
            continue
        offsets.append(off)
        indices.append(i)
        last = off
    if dropped:
        ctx.note(f"{dropped} sample(s) with a missing, invalid or repeated offset were left out")
    if damaged:
        ctx.warn(
            "performance_graph.seconds_since_pedaling_start",
            f"{len(damaged)} offset(s) not a whole number of seconds in 0-{MAX_OFFSET} "
            f"(such as {shown(damaged[0])}) were left out with their samples",
        )
    return Offsets(offsets, indices)


def _column(values: list[Any], offsets: Offsets, convert: Converter) -> Column:
    n = len(offsets.offsets)
    if isinstance(offsets.indices, range):
        head = [convert(v) for v in values[:n]]
        if len(head) < n:
            head.extend([None] * (n - len(head)))
        return head
    size = len(values)
    return [convert(values[i]) if i < size else None for i in offsets.indices]


def _checked(metric: Metric, offsets: Offsets, convert: Converter, ctx: Context, wanted: str) -> Column:
    """:func:`_column`, with one warning when given values were left out as damaged
    (``wanted`` says what a value must be: "a number in 0-100 %")."""
    column = _column(metric.values, offsets, convert)
    if None not in column:
        return column
    values = metric.values
    if isinstance(offsets.indices, range):
        given: list[Any] = values[: len(column)]
    else:
        given = [values[i] if i < len(values) else None for i in offsets.indices]
    no_reading = (0, 0.0) if metric.slug == "heart_rate" else ()
    bad = [
        v
        for v, c in zip(given, column, strict=False)
        if c is None and v is not None and not (v.__class__ in (int, float) and v in no_reading)
    ]
    if bad:
        ctx.warn(
            f"performance_graph.metrics.{metric.slug}",
            f"{len(bad)} value(s) not {wanted} (such as {shown(bad[0])}) were left out",
        )
    return column


@dataclass(slots=True)
class Columns:
    """Converted columns, each aligned with ``offsets`` (``None`` when absent)."""

    offsets: list[int]
    power: Column | None = None
    cadence: Column | None = None
    resistance: Column | None = None
    speed: Column | None = None
    incline: Column | None = None
    altitude: Column | None = None
    heart_rate: Column | None = None
    distance: Column | None = None
    speed_unit: str | None = None

    def any_metric(self) -> bool:
        """True when at least one metric column exists."""
        return any(
            c is not None
            for c in (
                self.power,
                self.cadence,
                self.resistance,
                self.speed,
                self.incline,
                self.altitude,
                self.heart_rate,
                self.distance,
            )
        )


def _plain(graph: JsonObject, slug: str, offsets: Offsets, ctx: Context) -> Column | None:
    metric = find_metric(graph, slug)
    if metric is None:
        return None
    unit = metric.unit.lower() if metric.unit else None
    if unit is not None and unit not in _PLAIN_UNITS[slug]:
        ctx.note(f"metric {slug!r} has unknown unit {metric.unit!r}; its values were left out")
        return None
    if slug == "heart_rate":
        return _checked(metric, offsets, _heart_rate, ctx, "a heart rate in 1-300 bpm")
    lo, hi = _RANGES[slug]
    return _checked(
        metric, offsets, _bounded(lo, hi), ctx, f"a number in {lo:g} to {hi:g} {metric.unit or ''}".rstrip()
    )


def _speed(graph: JsonObject, offsets: Offsets, ctx: Context) -> tuple[Column | None, str | None]:
    for slug in ("speed", "pace", "split_pace"):
        metric = find_metric(graph, slug)
        if metric is None:
            continue
        convert = speed_converter(metric.unit)
        if convert is None:
            ctx.note(f"metric {slug!r} has unknown unit {metric.unit!r}; its values were left out")
            continue
        wanted = f"a finite {slug} of at most {MAX_SPEED_MPS:g} m/s"
        return _checked(metric, offsets, _capped_speed(convert), ctx, wanted), metric.unit
    return None, None


def _altitude(graph: JsonObject, offsets: Offsets, ctx: Context) -> Column | None:
    metric = find_metric(graph, "altitude")
    if metric is None:
        return None
    factor = distance_factor(metric.unit)
    if factor is None:
        ctx.note(f"metric 'altitude' has unknown unit {metric.unit!r}; its values were left out")
        return None
    lo, hi = _RANGES["altitude"]
    return _checked(metric, offsets, _bounded(lo, hi, factor), ctx, f"an altitude in {lo:g} to {hi:g} m")


def read_columns(graph: JsonObject, offsets: Offsets, ctx: Context) -> Columns:
    """Every metric column of ``graph``, converted to SI."""
    cols = Columns(offsets.offsets)
    cols.power = _plain(graph, "output", offsets, ctx)
    cols.cadence = _plain(graph, "cadence", offsets, ctx) or _plain(graph, "stroke_rate", offsets, ctx)
    cols.resistance = _plain(graph, "resistance", offsets, ctx)
    cols.incline = _plain(graph, "incline", offsets, ctx)
    cols.heart_rate = _plain(graph, "heart_rate", offsets, ctx)
    cols.altitude = _altitude(graph, offsets, ctx)
    cols.speed, cols.speed_unit = _speed(graph, offsets, ctx)
    return cols


def integrate_distance(offsets: list[int], speed: Column) -> Column:
    """Cumulative metres from speed: each sample's speed times the seconds since the last.

    The first sample counts from offset 0; a missing speed counts as standing still.
    """
    out: Column = []
    total = 0.0
    previous = 0
    for off, v in zip(offsets, speed, strict=False):
        if v is not None:
            total += v * (off - previous)
        previous = off
        out.append(total)
    return out


def join_distance(offsets: list[int], by_offset: dict[int, float]) -> Column:
    """Cumulative metres from GPS fixes joined by offset, carried forward between fixes."""
    out: Column = []
    last: float | None = None
    get = by_offset.get
    for off in offsets:
        v = get(off)
        if v is not None and (last is None or v >= last):
            last = v
        out.append(last)
    return out


def build_samples(cols: Columns, ctx: Context) -> tuple[Sample, ...]:
    """Zip the columns into samples; ``()`` when the graph has no metric at all."""
    offsets = cols.offsets
    if not offsets or not cols.any_metric():
        return ()
    n = len(offsets)
    empty: Column = [None] * n
    power = cols.power or empty
    cadence = cols.cadence or empty
    resistance = cols.resistance or empty
    speed = cols.speed or empty
    incline = cols.incline or empty
    altitude = cols.altitude or empty
    heart_rate = cols.heart_rate or empty
    distance = cols.distance or empty
    start = ctx.start
    return tuple(
        Sample(
            offset=off,
            time=start + timedelta(seconds=off),
            power_w=power[i],
            cadence_rpm=cadence[i],
            resistance_pct=resistance[i],
            speed_mps=speed[i],
            incline_pct=incline[i],
            altitude_m=altitude[i],
            heart_rate_bpm=None if heart_rate[i] is None else int(heart_rate[i]),  # type: ignore[arg-type]
            distance_m=distance[i],
        )
        for i, off in enumerate(offsets)
    )


def infer_units(graph: JsonObject | None, speed_unit: str | None) -> UnitSystem | None:
    """The user's unit system, from the speed/pace unit, then any distance-like unit."""
    found = unit_system(speed_unit)
    if found or graph is None:
        return found
    candidates: list[object] = []
    for slug in ("speed", "pace"):
        metric = find_metric(graph, slug)
        if metric is not None:
            candidates.append(metric.unit)
    for key in ("summaries", "average_summaries"):
        for item in arr(graph.get(key)):
            if isinstance(item, dict) and item.get("slug") in _UNIT_SLUGS:
                candidates.append(item.get("display_unit"))
    splits = obj(graph.get("splits_data"))
    if splits is not None:
        candidates.append(splits.get("distance_marker_display_unit"))
    for raw_segment in arr(graph.get("location_data")):
        segment = obj(raw_segment)
        for point in arr(segment.get("coordinates") if segment else None)[:1]:
            if isinstance(point, dict):
                candidates.append(point.get("distance_display_unit"))
    for unit in candidates:
        found = unit_system(unit)
        if found:
            return found
    return None
