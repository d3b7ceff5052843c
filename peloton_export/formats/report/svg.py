"""Server-side SVG charts: deterministic text, no library, no JavaScript.

Every function returns an ``<svg>`` element as a string, ready to inline in an HTML page.
Colours are never written here: elements carry classes (``line``, ``band``, ``zone z3``,
``grid``, ``axis``) that the page's stylesheet colours, so one chart serves the light and
the dark theme. All text passes through :func:`esc`.

Coordinates are in a fixed ``viewBox`` (:data:`WIDTH` x :data:`HEIGHT` user units); the
page scales the SVG to its container's width. Long series are thinned to the first, lowest,
highest and last value of each horizontal pixel column, which keeps every peak visible.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from itertools import groupby

WIDTH = 480
HEIGHT = 200
LEFT = 40
RIGHT = 8
TOP = 8
BOTTOM = 22
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM
#: A jump in offsets longer than this (s) breaks the line instead of joining across it.
GAP_S = 5


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def esc(text: object) -> str:
    """``text`` escaped for HTML and SVG text and attribute values.

    Control characters HTML cannot hold (all C0 but tab, newline and carriage return, and
    DEL) become U+FFFD, as a browser's parser would make them.
    """
    return escape(_CONTROL.sub("\ufffd", str(text)), quote=True)


def _n(value: float) -> str:
    """A coordinate with at most one decimal and no trailing zeros."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True, slots=True)
class Band:
    """A shaded class target: ``[start_s, end_s]`` between ``lower`` and ``upper``."""

    start_s: float
    end_s: float
    lower: float | None
    upper: float | None


@dataclass(frozen=True, slots=True)
class Zone:
    """A horizontal shaded range (a heart-rate zone) numbered ``number``."""

    number: int
    lower: float | None
    upper: float | None
    label: str


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round tick values covering ``[low, high]``: steps of 1, 2, 2.5 or 5 times a power of ten."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        high = low + 1.0
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks: list[float] = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def clock(seconds: float) -> str:
    """``m:ss`` below an hour, else ``h:mm:ss``."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _time_ticks(span_s: float) -> list[float]:
    for minutes in (1, 2, 5, 10, 15, 20, 30, 60, 120):
        if span_s / (minutes * 60) <= 6:
            return [i * minutes * 60.0 for i in range(int(span_s // (minutes * 60)) + 1)]
    return [0.0, span_s]


def _thin(points: Sequence[tuple[float, float]], per_pixel: float) -> list[tuple[float, float]]:
    """Keep the first, lowest, highest and last point of each pixel column, in order.

    ``per_pixel`` is the horizontal scale (pixels per x unit).
    """
    if len(points) <= PLOT_W * 2:
        return list(points)
    out: list[tuple[float, float]] = []
    for _, group in groupby(points, key=lambda p: int(p[0] * per_pixel)):
        column = list(group)
        if len(column) <= 4:
            out.extend(column)
            continue
        ys = [p[1] for p in column]
        low, high = ys.index(min(ys)), ys.index(max(ys))
        keep = sorted({0, low, high, len(column) - 1})
        out.extend(column[i] for i in keep)
    return out


@dataclass(frozen=True, slots=True)
class _TimeScale:
    """A line chart's axes: ``span`` seconds across, ``y_min`` to ``y_max`` up (or down)."""

    span: float
    y_min: float
    y_max: float
    invert: bool

    @property
    def top_value(self) -> float:
        """The value drawn at the top edge of the plot."""
        return self.y_min if self.invert else self.y_max

    @property
    def bottom_value(self) -> float:
        """The value drawn at the bottom edge of the plot."""
        return self.y_max if self.invert else self.y_min

    def to_x(self, seconds: float) -> float:
        return LEFT + PLOT_W * min(max(seconds, 0.0), self.span) / self.span

    def to_y(self, value: float) -> float:
        share = (min(max(value, self.y_min), self.y_max) - self.y_min) / (self.y_max - self.y_min)
        return TOP + PLOT_H * (share if self.invert else 1 - share)


def _value_ticks(
    readings: Sequence[tuple[float, float]],
    bands: Sequence[Band],
    y_floor: float | None,
    tick_unit: float,
) -> list[float]:
    """The y axis ticks: every reading and band limit fits, padded 5% (not below ``y_floor``)."""
    values = [y for _, y in readings]
    values += [b for band in bands for b in (band.lower, band.upper) if b is not None]
    low = min(values, default=0.0)
    high = max(values, default=1.0)
    if y_floor is not None:
        low = min(low, y_floor)
    pad = (high - low) * 0.05 or 1.0
    bottom = low if y_floor is not None and low >= y_floor else low - pad
    return [t * tick_unit for t in nice_ticks(bottom / tick_unit, (high + pad) / tick_unit)]


def _zone_rects(zones: Sequence[Zone], scale: _TimeScale) -> list[str]:
    """Each zone as a full-width rectangle, labelled at the right when it is tall enough."""
    parts: list[str] = []
    for zone in zones:
        top = scale.to_y(zone.upper if zone.upper is not None else scale.top_value)
        bottom = scale.to_y(zone.lower if zone.lower is not None else scale.bottom_value)
        if abs(bottom - top) < 0.05:
            continue
        y0, y1 = sorted((top, bottom))
        parts.append(
            f'<rect class="zone z{zone.number}" x="{LEFT}" y="{_n(y0)}" width="{PLOT_W}" '
            f'height="{_n(y1 - y0)}"><title>{esc(zone.label)}</title></rect>'
        )
        if y1 - y0 >= 12:
            parts.append(
                f'<text class="zone-label" x="{WIDTH - RIGHT - 3}" y="{_n(y0 + 11)}" '
                f'text-anchor="end">{esc(zone.label.split(" ")[0] if zone.label else "")}</text>'
            )
    return parts


def _y_grid(
    ticks: Sequence[float], to_y: Callable[[float], float], y_format: Callable[[float], str]
) -> list[str]:
    """A grid line and a left-hand label per y tick."""
    parts: list[str] = []
    for tick in ticks:
        ty = _n(to_y(tick))
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty}" y2="{ty}"/>')
        parts.append(
            f'<text class="axis" x="{LEFT - 4}" y="{ty}" dy="4" text-anchor="end">'
            f"{esc(y_format(tick))}</text>"
        )
    return parts


def _time_axis(scale: _TimeScale) -> list[str]:
    """Clock labels along the bottom; the last one leans left when it would leave the plot."""
    parts: list[str] = []
    for tick in _time_ticks(scale.span):
        px = scale.to_x(tick)
        anchor = "end" if px > WIDTH - RIGHT - 16 else "middle"
        parts.append(
            f'<text class="axis" x="{_n(px)}" y="{HEIGHT - 6}" text-anchor="{anchor}">{clock(tick)}</text>'
        )
    return parts


def _band_rects(bands: Sequence[Band], scale: _TimeScale) -> list[str]:
    """One rectangle per class target with some width (open limits reach the plot's edge)."""
    parts: list[str] = []
    for band in bands:
        upper = band.upper if band.upper is not None else scale.top_value
        lower = band.lower if band.lower is not None else scale.bottom_value
        x0, x1 = scale.to_x(band.start_s), scale.to_x(band.end_s + 1)
        y0, y1 = sorted((scale.to_y(upper), scale.to_y(lower)))
        if x1 - x0 <= 0:
            continue
        parts.append(
            f'<rect class="band" x="{_n(x0)}" y="{_n(y0)}" width="{_n(max(x1 - x0, 0.5))}" '
            f'height="{_n(max(y1 - y0, 1.0))}"/>'
        )
    return parts


def _line_path(readings: Sequence[tuple[float, float]], scale: _TimeScale) -> list[str]:
    """The readings as one ``<path>`` (thinned; a gap over :data:`GAP_S` starts a sub-path)."""
    path: list[str] = []
    previous = -math.inf
    span, y_min, y_max = scale.span, scale.y_min, scale.y_max
    x_scale, y_scale = PLOT_W / span, PLOT_H / (y_max - y_min)
    for x, y in _thin(readings, x_scale):
        command = "L" if x - previous <= GAP_S else "M"
        share = (min(max(y, y_min), y_max) - y_min) * y_scale
        px, py = LEFT + min(max(x, 0.0), span) * x_scale, TOP + (share if scale.invert else PLOT_H - share)
        path.append(f"{command}{px:.1f} {py:.1f}")
        previous = x
    return [f'<path class="line" d="{"".join(path)}"/>'] if path else []


def _chart_svg(metric: str, title: str, data: str, parts: Sequence[str]) -> str:
    """The ``<svg>`` around a chart's ``parts``: title, ``data-*`` attributes and the plot area."""
    return (
        f'<svg class="chart m-{esc(metric)}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{esc(title)}" {data} xmlns="http://www.w3.org/2000/svg"><title>{esc(title)}</title>'
        f'<rect class="plot" x="{LEFT}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}"/>'
        + "".join(parts)
        + "</svg>"
    )


def line_chart(
    *,
    metric: str,
    label: str,
    unit: str,
    points: Sequence[tuple[float, float | None]],
    span_s: float,
    bands: Sequence[Band] = (),
    zones: Sequence[Zone] = (),
    y_floor: float | None = None,
    y_format: Callable[[float], str] = lambda v: f"{v:g}",
    invert: bool = False,
    tick_unit: float = 1.0,
) -> str:
    """A line chart of ``points`` (``(seconds, value)``, ``None`` = no reading) over time.

    :param metric: a class name for the chart (``power``, ``cadence`` ...), for styling.
    :param label: the human name, used in the accessible title.
    :param unit: shown beside the axis values in the accessible description.
    :param span_s: the time axis length in seconds (the workout's active time).
    :param bands: class targets drawn as shaded rectangles behind the line.
    :param zones: horizontal shaded ranges (heart-rate zones) behind everything.
    :param y_floor: the lowest value the axis must show (for example 0 for power).
    :param y_format: formats an axis value (pace as ``m:ss``, for example).
    :param invert: draw larger values lower (pace: faster is higher).
    :param tick_unit: axis ticks are round multiples of this (60 for a pace in seconds).
    :returns: an ``<svg>`` string with ``data-points`` (readings drawn) and ``data-bands``.
    """
    readings = [(float(x), float(y)) for x, y in points if y is not None and math.isfinite(y)]
    span = max(span_s, max((x for x, _ in readings), default=0.0), 1.0)
    ticks = _value_ticks(readings, bands, y_floor, tick_unit)
    scale = _TimeScale(span=span, y_min=ticks[0], y_max=ticks[-1], invert=invert)
    band_rects = _band_rects(bands, scale)
    parts = [
        *_zone_rects(zones, scale),
        *_y_grid(ticks, scale.to_y, y_format),
        *_time_axis(scale),
        *band_rects,
        *_line_path(readings, scale),
    ]
    summary = _summary(label, unit, [y for _, y in readings], y_format)
    data = f'data-points="{len(readings)}" data-bands="{len(band_rects)}"'
    return _chart_svg(metric, summary, data, parts)


def _summary(label: str, unit: str, values: list[float], y_format: Callable[[float], str]) -> str:
    if not values:
        return f"{label}: no readings"
    avg = math.fsum(values) / len(values)
    unit_text = f" {unit}" if unit else ""
    return (
        f"{label} over time: average {y_format(avg)}{unit_text}, "
        f"range {y_format(min(values))} to {y_format(max(values))}{unit_text}"
    )


def track_map(points: Sequence[tuple[float, float, int]], *, size: int = 320) -> str:
    """The GPS track as a drawn path: ``(latitude, longitude, segment)`` in degrees.

    An equirectangular projection scaled by the cosine of the mean latitude (true shape for
    the few kilometres of a workout), north up, fitted into a ``size`` square with margins.
    A new ``segment`` starts a new sub-path. Start and finish are marked.
    """
    if not points:
        return ""
    mean_lat = math.radians(math.fsum(p[0] for p in points) / len(points))
    scale_x = math.cos(mean_lat)
    xs = [p[1] * scale_x for p in points]
    ys = [p[0] for p in points]
    width = max(max(xs) - min(xs), 1e-9)
    height = max(max(ys) - min(ys), 1e-9)
    margin = 12
    inner = size - 2 * margin
    factor = inner / max(width, height)
    off_x = margin + (inner - width * factor) / 2
    off_y = margin + (inner - height * factor) / 2

    def project(i: int) -> tuple[str, str]:
        return _n(off_x + (xs[i] - min(xs)) * factor), _n(off_y + (max(ys) - ys[i]) * factor)

    path: list[str] = []
    segment: int | None = None
    for i, point in enumerate(points):
        x, y = project(i)
        path.append(f"{'L' if point[2] == segment else 'M'}{x} {y}")
        segment = point[2]
    sx, sy = project(0)
    ex, ey = project(len(points) - 1)
    return (
        f'<svg class="track" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="Route of {len(points)} GPS points, north up" data-points="{len(points)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>Route, north up</title>'
        f'<path class="route" d="{"".join(path)}"/>'
        f'<circle class="start" cx="{sx}" cy="{sy}" r="5"><title>Start</title></circle>'
        f'<circle class="finish" cx="{ex}" cy="{ey}" r="5"><title>Finish</title></circle></svg>'
    )


def bar_chart(
    rows: Sequence[tuple[str, float, int]], *, label: str, value_format: Callable[[float], str]
) -> str:
    """Horizontal bars: ``(label, value, zone number)`` per row; the longest bar fills the width."""
    if not rows:
        return ""
    row_h = 26
    height = row_h * len(rows) + 4
    label_w = min(200, 10 + 7 * max(len(name) for name, _, _ in rows))
    top = max((value for _, value, _ in rows), default=0.0) or 1.0
    total = math.fsum(value for _, value, _ in rows) or 1.0
    parts: list[str] = []
    for i, (name, value, number) in enumerate(rows):
        y = 2 + i * row_h
        width = (WIDTH - label_w - 90) * value / top
        share = 100 * value / total
        parts.append(f'<text class="axis" x="0" y="{y + 17}">{esc(name)}</text>')
        parts.append(
            f'<rect class="bar z{number}" x="{label_w}" y="{y + 4}" '
            f'width="{_n(width)}" height="{row_h - 8}"/>'
        )
        parts.append(
            f'<text class="axis" x="{_n(label_w + width + 6)}" y="{y + 17}">'
            f"{esc(value_format(value))} ({share:.0f}%)</text>"
        )
    return (
        f'<svg class="bars" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{esc(label)}" '
        f'data-points="{len(rows)}" xmlns="http://www.w3.org/2000/svg"><title>{esc(label)}</title>'
        + "".join(parts)
        + "</svg>"
    )


def _log_x(x: float, x_log: bool) -> float:
    """``x`` in axis space: its logarithm on a log scale, else itself."""
    return math.log(max(x, 1e-9)) if x_log else x


@dataclass(frozen=True, slots=True)
class _XYScale:
    """An xy chart's axes: ``x_lo`` to ``x_hi`` across, ``y_min`` to ``y_max`` up.

    With ``x_log`` the x limits are in log space (see :func:`_log_x`).
    """

    x_lo: float
    x_hi: float
    x_log: bool
    y_min: float
    y_max: float

    def to_x(self, x: float) -> float:
        return LEFT + PLOT_W * (_log_x(x, self.x_log) - self.x_lo) / (self.x_hi - self.x_lo)

    def to_y(self, y: float) -> float:
        return TOP + PLOT_H * (1 - (y - self.y_min) / (self.y_max - self.y_min))


def _xy_scale(xs: Sequence[float], x_log: bool, ticks: Sequence[float]) -> _XYScale:
    """The axes spanning ``xs`` (at least one unit wide) and the y ``ticks``."""
    x_lo, x_hi = min(_log_x(x, x_log) for x in xs), max(_log_x(x, x_log) for x in xs)
    if x_hi <= x_lo:
        x_hi = x_lo + 1.0
    return _XYScale(x_lo=x_lo, x_hi=x_hi, x_log=x_log, y_min=ticks[0], y_max=ticks[-1])


def _x_axis(x_ticks: Sequence[tuple[float, str]], scale: _XYScale) -> list[str]:
    """The x tick labels; those near an edge lean inwards."""
    parts: list[str] = []
    for x, text in x_ticks:
        px = scale.to_x(x)
        anchor = "start" if px < LEFT + 20 else ("end" if px > WIDTH - RIGHT - 20 else "middle")
        parts.append(
            f'<text class="axis" x="{_n(px)}" y="{HEIGHT - 6}" text-anchor="{anchor}">{esc(text)}</text>'
        )
    return parts


def _series_path(
    i: int, name: str, ordered: Sequence[tuple[float, float]], scale: _XYScale, step: bool
) -> list[str]:
    """Series ``i`` as a ``<path>`` through its sorted points (as steps when ``step``)."""
    path: list[str] = []
    for j, (x, y) in enumerate(ordered):
        if step and j:
            path.append(f"L{_n(scale.to_x(x))} {_n(scale.to_y(ordered[j - 1][1]))}")
        path.append(f"{'L' if j else 'M'}{_n(scale.to_x(x))} {_n(scale.to_y(y))}")
    if not path:
        return []
    return [f'<path class="line s{i}" d="{"".join(path)}"><title>{esc(name)}</title></path>']


def _series_dots(
    i: int,
    name: str,
    ordered: Sequence[tuple[float, float]],
    scale: _XYScale,
    y_format: Callable[[float], str],
) -> list[str]:
    """A dot with a tooltip per point of series ``i``."""
    return [
        f'<circle class="dot s{i}" cx="{_n(scale.to_x(x))}" cy="{_n(scale.to_y(y))}" r="2.5">'
        f"<title>{esc(name)}: {esc(y_format(y))}</title></circle>"
        for x, y in ordered
    ]


def xy_chart(
    *,
    metric: str,
    label: str,
    series: Sequence[tuple[str, Sequence[tuple[float, float]]]],
    x_ticks: Sequence[tuple[float, str]],
    x_log: bool = False,
    y_format: Callable[[float], str] = lambda v: f"{v:g}",
    step: bool = False,
) -> str:
    """Several named lines over a numeric x axis (a power-duration curve, FTP over time).

    :param series: ``(name, [(x, y), ...])`` per line, drawn in order with classes
        ``line s0``, ``line s1`` ...; each point also gets a dot with a tooltip.
    :param x_ticks: ``(x, label)`` axis ticks; they also fix the x range.
    :param x_log: place x on a logarithmic scale (x must be positive).
    :param step: draw each line as steps (a value holds until the next point).
    :returns: an ``<svg>`` string with ``data-points`` (points drawn).
    """
    xs = [x for _, pts in series for x, _ in pts] + [x for x, _ in x_ticks]
    ys = [y for _, pts in series for _, y in pts]
    if not xs or not ys:
        return ""
    ticks = nice_ticks(min(0.0, min(ys)), max(ys) * 1.08)
    scale = _xy_scale(xs, x_log, ticks)
    parts = [*_y_grid(ticks, scale.to_y, y_format), *_x_axis(x_ticks, scale)]
    count = 0
    for i, (name, pts) in enumerate(series):
        ordered = sorted(pts)
        parts += _series_path(i, name, ordered, scale, step)
        parts += _series_dots(i, name, ordered, scale, y_format)
        count += len(ordered)
    return _chart_svg(metric, label, f'data-points="{count}"', parts)


__all__ = ["Band", "Zone", "bar_chart", "clock", "esc", "line_chart", "nice_ticks", "track_map", "xy_chart"]
