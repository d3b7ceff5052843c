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
from datetime import date
from html import escape
from itertools import groupby

WIDTH = 480
HEIGHT = 200
LEFT = 48  # room for a five-character y label ("10:00") right of the edge
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


#: The width of one character of axis text (13 px in the page's font), in user units,
#: with room to spare: digits are about 7.3, the widest letters about 9.
CHAR_W = 8.0
#: The space kept between two axis labels (user units).
LABEL_GAP = 8.0


def label_box(px: float, text: str, lo: float = LEFT, hi: float = WIDTH - RIGHT) -> tuple[float, float, str]:
    """Where a label centred on ``px`` goes: its left and right edge and its
    ``text-anchor``, leaning inwards when centring would cross ``lo`` or ``hi`` (by default
    the plot's edges, so an x label never meets the y labels left of the plot)."""
    width = CHAR_W * len(text)
    if px - width / 2 < lo:
        return px, px + width, "start"
    if px + width / 2 > hi:
        return px - width, px, "end"
    return px - width / 2, px + width / 2, "middle"


def fit_labels(ticks: Sequence[tuple[float, str]]) -> list[tuple[float, str, str]]:
    """The labels ``(px, text)`` (in x order) that fit side by side without touching:
    ``(px, text, anchor)`` of those kept. The first is always kept, the last whenever it
    fits after the first (it then replaces the one before it); one chooser for every axis."""
    kept: list[tuple[float, float, float, str, str]] = []
    for px, text in sorted(ticks):
        left, right, anchor = label_box(px, text)
        if kept and left < kept[-1][1] + LABEL_GAP:
            is_last = (px, text) == max(ticks)
            if not is_last or len(kept) == 1:
                continue
            kept.pop()
            if left < kept[-1][1] + LABEL_GAP:
                continue
        kept.append((left, right, px, text, anchor))
    return [(px, text, anchor) for _, _, px, text, anchor in kept]


def _time_ticks(span_s: float) -> list[float]:
    for minutes in (1, 2, 5, 10, 15, 20, 30, 60, 120):
        if span_s / (minutes * 60) <= 6:
            return [i * minutes * 60.0 for i in range(int(span_s // (minutes * 60)) + 1)]
    return [0.0, span_s]


def _thin(
    points: Sequence[tuple[float, float]], per_pixel: float, *, force: bool = False
) -> list[tuple[float, float]]:
    """Keep the first, lowest, highest and last point of each pixel column, in order.

    ``per_pixel`` is the horizontal scale (pixels per x unit). Series of up to twice the
    plot's width in points are kept whole unless ``force``.
    """
    if len(points) <= PLOT_W * 2 and not force:
        return list(points)
    out: list[tuple[float, float]] = []
    extend = out.extend
    start = 0
    # the columns in one pass; a column is the run of equal pixel indices (x is in order)
    for _, group in groupby([int(x * per_pixel) for x, _ in points]):
        width = sum(1 for _ in group)
        end = start + width
        if width <= 4:
            extend(points[start:end])
        else:
            ys = [p[1] for p in points[start:end]]
            low, high = ys.index(min(ys)), ys.index(max(ys))
            extend(points[start + i] for i in sorted({0, low, high, width - 1}))
        start = end
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


#: Zone labels are 11 px tall; a zone at least this many user units tall is labelled.
ZONE_LABEL_MIN_H = 8.0


#: An inverted (pace) axis covers this share of the readings, the slowest and fastest
#: ``(1 - PACE_SHARE) / 2`` each drawn on the edge (a standing start would squash the rest).
PACE_SHARE = 0.96


def _typical(readings: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The readings between the 2nd and the 98th percentile of their values."""
    if len(readings) < 20:
        return list(readings)
    ys = sorted(y for _, y in readings)
    cut = round(len(ys) * (1 - PACE_SHARE) / 2)
    low, high = ys[cut], ys[-1 - cut]
    return [(x, y) for x, y in readings if low <= y <= high]


def _zone_rects(zones: Sequence[Zone], scale: _TimeScale) -> list[str]:
    """Each zone as a full-width rectangle, labelled at the right in its middle when it is
    tall enough and the label does not touch the one above it (the top zone included)."""
    parts: list[str] = []
    last_label = -math.inf
    for zone in sorted(zones, key=lambda z: -(z.lower if z.lower is not None else -math.inf)):
        top = scale.to_y(zone.upper if zone.upper is not None else scale.top_value)
        bottom = scale.to_y(zone.lower if zone.lower is not None else scale.bottom_value)
        if abs(bottom - top) < 0.05:
            continue
        y0, y1 = sorted((top, bottom))
        parts.append(
            f'<rect class="zone z{zone.number}" x="{LEFT}" y="{_n(y0)}" width="{PLOT_W}" '
            f'height="{_n(y1 - y0)}"><title>{esc(zone.label)}</title></rect>'
        )
        middle = (y0 + y1) / 2
        if y1 - y0 >= ZONE_LABEL_MIN_H and middle - last_label >= 12:
            last_label = middle
            parts.append(
                f'<text class="zone-label" x="{WIDTH - RIGHT - 3}" y="{_n(middle)}" dy="4" '
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


def _axis_labels(ticks: Sequence[tuple[float, str]]) -> list[str]:
    """The x axis labels along the bottom that fit (:func:`fit_labels`)."""
    return [
        f'<text class="axis" x="{_n(px)}" y="{HEIGHT - 6}" text-anchor="{anchor}">{esc(text)}</text>'
        for px, text, anchor in fit_labels(ticks)
    ]


def _time_axis(scale: _TimeScale) -> list[str]:
    """Clock labels along the bottom."""
    return _axis_labels([(scale.to_x(tick), clock(tick)) for tick in _time_ticks(scale.span)])


def _band_rects(bands: Sequence[Band], scale: _TimeScale) -> list[str]:
    """One rectangle per class target with some width (open limits reach the plot's edge),
    with its start (active seconds) as ``data-start``."""
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
            f'height="{_n(max(y1 - y0, 1.0))}" data-start="{_n(band.start_s)}"/>'
        )
    return parts


def runs(readings: Sequence[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """``readings`` (in x order) split wherever the data jumps more than :data:`GAP_S`.

    A gap is a gap in the data: this runs on the readings as recorded, before any thinning.
    """
    out: list[list[tuple[float, float]]] = []
    previous = -math.inf
    for point in readings:
        if not out or point[0] - previous > GAP_S:
            out.append([])
        out[-1].append(point)
        previous = point[0]
    return out


def _line_path(readings: Sequence[tuple[float, float]], scale: _TimeScale) -> list[str]:
    """The readings as one ``<path>``: a sub-path per run of :func:`runs`, each thinned."""
    path: list[str] = []
    append = path.append
    span, y_min, y_max, invert = scale.span, scale.y_min, scale.y_max, scale.invert
    x_scale, y_scale = PLOT_W / span, PLOT_H / (y_max - y_min)
    dense = len(readings) > PLOT_W * 2
    for run in runs(readings):
        move = "M"
        for x, y in _thin(run, x_scale, force=dense):
            # min(max(v, lo), hi) written out: the same floats, without two calls per point
            y = y_min if y < y_min else y
            x = 0.0 if x < 0.0 else x
            share = ((y_max if y > y_max else y) - y_min) * y_scale
            px = LEFT + (span if x > span else x) * x_scale
            py = TOP + (share if invert else PLOT_H - share)
            append(f"{move}{px:.1f} {py:.1f}")
            move = "L"
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
    :param invert: draw larger values lower (pace: faster is higher); the axis then covers
        the middle :data:`PACE_SHARE` of the readings, the rest drawn on its edges.
    :param tick_unit: axis ticks are round multiples of this (60 for a pace in seconds).
    :returns: an ``<svg>`` string with ``data-points`` (readings drawn) and ``data-bands``.
    """
    readings = [(float(x), float(y)) for x, y in points if y is not None and math.isfinite(y)]
    span = max(span_s, max((x for x, _ in readings), default=0.0), 1.0)
    ticks = _value_ticks(_typical(readings) if invert else readings, bands, y_floor, tick_unit)
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


def track_map(points: Sequence[tuple[float, float, int]], *, size: int = WIDTH) -> str:
    """The GPS track as a drawn path: ``(latitude, longitude, segment)`` in degrees.

    An equirectangular projection scaled by the cosine of the mean latitude (true shape for
    the few kilometres of a workout), north up, ``size`` units wide; the box's height
    follows the track's aspect ratio (between a third and the whole of the width), so the
    route fills it. A new ``segment`` starts a new sub-path. Start (the larger dot) and
    finish are marked, each with its title.
    """
    if not points:
        return ""
    mean_lat = math.radians(math.fsum(p[0] for p in points) / len(points))
    scale_x = math.cos(mean_lat)
    xs = [p[1] * scale_x for p in points]
    ys = [p[0] for p in points]
    width = max(max(xs) - min(xs), 1e-9)
    height = max(max(ys) - min(ys), 1e-9)
    margin = 16
    inner = size - 2 * margin
    box_h = round(min(max(inner * height / width, inner / 3), inner)) + 2 * margin
    factor = min(inner / width, (box_h - 2 * margin) / height)
    off_x = margin + (inner - width * factor) / 2
    off_y = margin + (box_h - 2 * margin - height * factor) / 2

    min_x, max_y = min(xs), max(ys)  # once: inside project() they made the map O(n^2)

    def project(i: int) -> tuple[str, str]:
        return _n(off_x + (xs[i] - min_x) * factor), _n(off_y + (max_y - ys[i]) * factor)

    path: list[str] = []
    segment: int | None = None
    for i, point in enumerate(points):
        x, y = project(i)
        path.append(f"{'L' if point[2] == segment else 'M'}{x} {y}")
        segment = point[2]
    sx, sy = project(0)
    ex, ey = project(len(points) - 1)
    return (
        f'<svg class="track" viewBox="0 0 {size} {box_h}" role="img" '
        f'aria-label="Route of {len(points)} GPS points, north up" data-points="{len(points)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>Route, north up</title>'
        f'<path class="route" d="{"".join(path)}"/>'
        f'<circle class="start" cx="{sx}" cy="{sy}" r="6"><title>Start</title></circle>'
        f'<circle class="finish" cx="{ex}" cy="{ey}" r="4"><title>Finish</title></circle></svg>'
    )


def bar_chart(
    rows: Sequence[tuple[str, float, int]], *, label: str, value_format: Callable[[float], str]
) -> str:
    """Horizontal bars: ``(label, value, zone number)`` per row; the longest bar fills the width."""
    if not rows:
        return ""
    row_h = 26
    height = row_h * len(rows) + 4
    label_w = min(220.0, LABEL_GAP + CHAR_W * max(len(name) for name, _, _ in rows))
    top = max((value for _, value, _ in rows), default=0.0) or 1.0
    total = math.fsum(value for _, value, _ in rows) or 1.0
    values = [f"{value_format(value)} ({100 * value / total:.0f}%)" for _, value, _ in rows]
    room = WIDTH - label_w - LABEL_GAP - CHAR_W * max(len(v) for v in values)
    parts: list[str] = []
    for i, (name, value, number) in enumerate(rows):
        y = 2 + i * row_h
        width = max(room, 0.0) * value / top
        parts.append(f'<text class="axis" x="0" y="{y + 17}">{esc(name)}</text>')
        parts.append(
            f'<rect class="bar z{number}" x="{_n(label_w)}" y="{y + 4}" '
            f'width="{_n(width)}" height="{row_h - 8}"/>'
        )
        parts.append(f'<text class="axis" x="{_n(label_w + width + 6)}" y="{y + 17}">{esc(values[i])}</text>')
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
    """The x tick labels that fit."""
    return _axis_labels([(scale.to_x(x), text) for x, text in x_ticks])


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


def _date_ticks(first: date, last: date) -> list[tuple[float, str]]:
    """Five date labels from ``first`` to ``last`` (day-month-year below 240 days, else month-year)."""
    span = max(last.toordinal() - first.toordinal(), 1)
    label = "%d %b %Y" if span < 240 else "%b %Y"
    return [
        (
            float(first.toordinal() + span * i / 4),
            date.fromordinal(first.toordinal() + span * i // 4).strftime(label),
        )
        for i in range(5)
    ]


def drift_chart(
    *,
    label: str,
    points: Sequence[tuple[date, float, int, str]],
    levels: Sequence[tuple[int, date, date, float]],
    changes: Sequence[tuple[date, str]],
) -> str:
    """Per-ride residuals over time with their calibration eras (the history page's drift chart).

    :param points: ``(day, residual %, era, title)`` per ride; a dot each, class ``dot s<era-1>``.
    :param levels: ``(era, first day, last day, mean residual %)``: a line ``level s<era-1>``.
    :param changes: ``(day, sentence)`` per change point: a dashed vertical line ``change``.
    :returns: an ``<svg>`` with ``data-points``, ``data-eras`` and ``data-changes`` (counts
        drawn); empty without points.
    """
    if not points:
        return ""
    days = [p[0] for p in points]
    ys = [p[1] for p in points]
    ticks = nice_ticks(min(-1.0, min(ys) * 1.1), max(1.0, max(ys) * 1.1))
    x_ticks = _date_ticks(min(days), max(days))
    scale = _xy_scale([float(d.toordinal()) for d in days] + [x for x, _ in x_ticks], False, ticks)

    def pct(v: float) -> str:
        return f"{v:+g} %" if v else "0 %"

    parts = [*_y_grid(ticks, scale.to_y, pct), *_x_axis(x_ticks, scale)]
    zero = _n(scale.to_y(0.0))
    parts.append(f'<line class="zero" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{zero}" y2="{zero}"/>')
    for day, sentence in changes:
        x = _n(scale.to_x(float(day.toordinal())))
        parts.append(
            f'<line class="change" x1="{x}" x2="{x}" y1="{TOP}" y2="{TOP + PLOT_H}" '
            f'data-date="{day.isoformat()}"><title>{esc(sentence)}</title></line>'
        )
    for era, first, last, level in levels:
        y = _n(scale.to_y(level))
        x0, x1 = _n(scale.to_x(float(first.toordinal()))), _n(scale.to_x(float(last.toordinal())))
        parts.append(
            f'<path class="level s{(era - 1) % 6}" d="M{x0} {y}L{x1} {y}" data-era="{era}">'
            f"<title>era {era}: mean {level:+.1f} %</title></path>"
        )
    for day, value, era, title in points:
        parts.append(
            f'<circle class="dot s{(era - 1) % 6}" cx="{_n(scale.to_x(float(day.toordinal())))}" '
            f'cy="{_n(scale.to_y(value))}" r="3" data-era="{era}">'
            f"<title>{esc(day.isoformat())} {esc(title)}: {value:+.1f} %</title></circle>"
        )
    data = f'data-points="{len(points)}" data-eras="{len(levels)}" data-changes="{len(changes)}"'
    return _chart_svg("drift", label, data, parts)


__all__ = [
    "CHAR_W",
    "GAP_S",
    "Band",
    "Zone",
    "bar_chart",
    "clock",
    "drift_chart",
    "esc",
    "fit_labels",
    "label_box",
    "line_chart",
    "nice_ticks",
    "runs",
    "track_map",
    "xy_chart",
]
