"""One self-contained HTML page per workout (no script, no network, no external file).

:func:`render_page` returns the page as text. Same workout, same bytes: nothing reads a
clock, the host's timezone or locale. Every piece of text from Peloton (title, instructor,
movement names, notes) is escaped; the page's Content-Security-Policy forbids scripts and
every network request as a second line of defence. The page embeds its summary facts
(:mod:`peloton_export.formats.report.facts`) in a ``<script type="application/json">`` data block,
which browsers never execute, for the history page.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from peloton_export.formats.report.display import DASH, Units, duration, number, ok
from peloton_export.formats.report.facts import workout_facts
from peloton_export.formats.report.style import CSS
from peloton_export.formats.report.svg import Band, Zone, bar_chart, esc, line_chart, track_map
from peloton_export.model import Sample, TargetRange, Workout
from peloton_export.workout.disciplines import display_discipline
from peloton_export.workout.laps import planned_laps
from peloton_export.workout.stats import samples_between, summarize, workout_stats
from peloton_export.workout.timeutil import iso_utc, local_time
from peloton_export.workout.totals import session_totals
from peloton_export.workout.zones import POWER_ZONE_FRACTIONS, heart_rate_zone_times, power_zone_times

if TYPE_CHECKING:
    from peloton_export.insights.cues import ClassCues

#: The page's Content-Security-Policy: inline styles only; no script, font, image or fetch.
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
FACTS_ID = "workout-facts"
_PACE_DISCIPLINES = {"running": None, "walking": None, "rowing": 500.0, "caesar": 500.0}


def local_text(workout: Workout) -> str:
    """``Saturday 31 January 2026, 02:00 (America/New_York)``: Peloton's own timezone."""
    moment = local_time(workout.start, workout.timezone)
    return f"{moment:%A} {moment.day} {moment:%B %Y, %H:%M} ({workout.timezone or 'UTC'})"


def embed_json(data: object) -> str:
    """``data`` as JSON safe inside a ``<script type="application/json">`` block."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def document(title: str, body: str, *, csp: str = PAGE_CSP, head: str = "") -> str:
    """A complete HTML5 document around ``body`` (``title`` is escaped here)."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">'
        '<meta name="generator" content="peloton-export">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{esc(title)}</title><style>{CSS}</style>{head}</head>\n"
        f"<body>{body}</body></html>\n"
    )


def _series(
    samples: Sequence[Sample], get: Callable[[Sample], float | None]
) -> list[tuple[float, float | None]]:
    return [(float(s.offset), get(s)) for s in samples]


def _bands(
    targets: Iterable[TargetRange], metric: str, convert: Callable[[float], float | None]
) -> list[Band]:
    out: list[Band] = []
    for t in targets:
        if t.metric != metric:
            continue
        lower = convert(t.lower) if t.lower is not None else None
        upper = convert(t.upper) if t.upper is not None else None
        if lower is not None and upper is not None and lower > upper:
            lower, upper = upper, lower
        out.append(Band(t.start_offset, t.end_offset, lower, upper))
    return out


def _figure(caption: str, note: str, svg: str) -> str:
    small = f" <small>{esc(note)}</small>" if note else ""
    return f"<figure><figcaption>{esc(caption)}{small}</figcaption>{svg}</figure>"


def _hr_zones(workout: Workout) -> list[Zone]:
    zones: list[Zone] = []
    for z in workout.heart_rate_zones:
        if z.min_bpm is None and z.max_bpm is None:
            continue
        lo = number(z.min_bpm) if z.min_bpm is not None else ""
        hi = number(z.max_bpm) if z.max_bpm is not None else ""
        zones.append(Zone(min(max(z.number, 1), 7), z.min_bpm, z.max_bpm, f"Z{z.number} {lo}–{hi} bpm"))
    return zones


def charts(workout: Workout, units: Units, cues: ClassCues | None = None) -> list[str]:
    """The ``<figure>`` of every metric the workout recorded, in a fixed order; ``cues``
    (class cues in watts) shade the output chart."""
    samples = workout.samples
    span = workout.timer_s if ok(workout.timer_s) and workout.timer_s > 0 else 0.0
    if samples:
        span = max(span, float(max(s.offset for s in samples)))
    out: list[str] = []

    def add(
        metric: str, caption: str, unit: str, points: list[tuple[float, float | None]], **kw: Any
    ) -> None:
        if not any(v is not None and math.isfinite(v) for _, v in points):
            return
        bands = kw.get("bands") or []
        note = f"{unit}; shaded: the class target" if bands else unit
        if bands and metric == "power":
            note = f"{unit}; shaded: the class's cadence and resistance cues in watts on this bike"
        if kw.get("zones"):
            note = f"{unit}; shaded: heart-rate zones"
        out.append(
            _figure(
                caption,
                note,
                line_chart(metric=metric, label=caption, unit=unit, points=points, span_s=span, **kw),
            )
        )

    power_bands = (
        [Band(c.start_offset, c.end_offset, c.asked_low_w, c.asked_high_w) for c in cues.cues] if cues else []
    )
    add("power", "Output", "W", _series(samples, lambda s: s.power_w), y_floor=0.0, bands=power_bands)
    add(
        "cadence",
        "Stroke rate" if _rowing(workout) else "Cadence",
        "rpm" if workout.discipline not in ("rowing", "caesar", "running", "walking") else "spm",
        _series(samples, lambda s: s.cadence_rpm),
        bands=_bands(workout.targets, "cadence", lambda v: v),
        y_floor=0.0,
    )
    add(
        "resistance",
        "Resistance",
        "%",
        _series(samples, lambda s: s.resistance_pct),
        bands=_bands(workout.targets, "resistance", lambda v: v),
        y_floor=0.0,
    )
    if workout.discipline in _PACE_DISCIPLINES:
        per_m = _PACE_DISCIPLINES[workout.discipline]
        unit = "/500 m" if per_m else f"/{units.distance_unit}"
        add(
            "pace",
            "Pace",
            f"min:s {unit}",
            _series(samples, lambda s: units.pace_s(s.speed_mps, per_m)),
            bands=_bands(workout.targets, "speed", lambda v: units.pace_s(v, per_m)),
            y_format=duration,
            invert=True,
            tick_unit=60.0,
        )
    else:
        add(
            "speed",
            "Speed",
            units.speed_unit,
            _series(samples, lambda s: units.speed(s.speed_mps)),
            bands=_bands(workout.targets, "speed", units.speed),
            y_floor=0.0,
        )
    add(
        "incline",
        "Incline",
        "%",
        _series(samples, lambda s: s.incline_pct),
        bands=_bands(workout.targets, "incline", lambda v: v),
    )
    add(
        "heart_rate",
        "Heart rate",
        "bpm",
        _series(samples, lambda s: float(s.heart_rate_bpm) if s.heart_rate_bpm is not None else None),
        zones=_hr_zones(workout),
    )
    altitude = _series(samples, lambda s: units.length(s.altitude_m))
    if not any(v is not None for _, v in altitude) and workout.track:
        altitude = [(float(p.offset), units.length(p.altitude_m)) for p in workout.track]
    add("altitude", "Altitude", units.length_unit, altitude)
    return out


def _rowing(workout: Workout) -> bool:
    return workout.discipline in ("rowing", "caesar")


def _cadence_tile(workout: Workout, cadence: float | None) -> tuple[str, str]:
    """Average cadence, or the Row's average stroke rate (strokes per minute)."""
    if _rowing(workout):
        return ("Avg stroke rate", number(cadence, 0, "spm"))
    return (
        "Avg cadence",
        number(cadence, 0, "spm" if workout.discipline in ("running", "walking") else "rpm"),
    )


def _speed_tile(workout: Workout, units: Units, speed: float | None) -> tuple[str, str]:
    """Average pace for a run, walk or row (per mile or km; per 500 m rowing), else speed."""
    if workout.discipline in _PACE_DISCIPLINES:
        per_m = _PACE_DISCIPLINES[workout.discipline]
        pace = units.pace_s(speed, per_m)
        return (
            "Avg pace",
            f"{duration(pace)} /{'500 m' if per_m else units.distance_unit}" if pace else DASH,
        )
    return ("Avg speed", number(units.speed(speed), 1, units.speed_unit))


def _totals(workout: Workout, units: Units) -> str:
    stats = workout_stats(workout)
    totals = session_totals(workout)
    distance = workout.distance_m if workout.distance_m is not None else stats.distance_m
    work = workout.total_work_j / 1000 if workout.total_work_j is not None else None
    items = [
        ("Active time", duration(workout.timer_s)),
        ("Elapsed", duration(workout.elapsed_s)),
        ("Distance", units.distance_text(distance)),
        ("Calories", number(workout.calories_kcal, 0, "kcal")),
        ("Total output", number(work, 0, "kJ")),
        ("Avg output", number(totals.avg_power_w, 0, "W")),
        ("Max output", number(stats.max_power_w, 0, "W")),
        ("Avg heart rate", number(stats.avg_heart_rate_bpm, 0, "bpm")),
        ("Max heart rate", number(stats.max_heart_rate_bpm, 0, "bpm")),
        _cadence_tile(workout, totals.avg_cadence_rpm),
        _speed_tile(workout, units, totals.avg_speed_mps),
        ("Elevation gain", number(units.length(totals.ascent_m), 0, units.length_unit)),
        ("Strokes", number(totals.strokes, 0, "")),
        ("Avg stroke distance", number(totals.avg_stroke_distance_m, 1, "m")),
        ("FTP", number(workout.ftp_w, 0, "W")),
    ]
    shown = [(k, v) for k, v in items if not v.startswith(DASH)]
    cells = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in shown)
    return f'<dl class="totals">{cells}</dl>'


def _table(
    headers: Sequence[tuple[str, bool]],
    rows: Iterable[Sequence[str]],
    caption: str = "",
    row_starts: Sequence[str] = (),
) -> str:
    """A table; ``row_starts`` gives each row a ``data-start`` (an ISO UTC time)."""
    head = "".join(f'<th scope="col"{" class=n" if numeric else ""}>{esc(h)}</th>' for h, numeric in headers)
    body = "".join(
        (f'<tr data-start="{esc(row_starts[n])}">' if n < len(row_starts) else "<tr>")
        + "".join(f"<td{' class=n' if headers[i][1] else ''}>{esc(cell)}</td>" for i, cell in enumerate(row))
        + "</tr>"
        for n, row in enumerate(rows)
    )
    cap = f"<caption class=note>{esc(caption)}</caption>" if caption else ""
    return (
        f'<div class="table-wrap"><table>{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _classes(workout: Workout, units: Units) -> str:
    """A stacked activity's classes: the laps of every format (:func:`peloton_export.workout.
    laps.planned_laps`), each with its start time and its own Peloton summary."""
    laps = planned_laps(workout)
    names = {lap.start_offset: lap.name for lap in workout.laps}
    rows = []
    for lap in laps:
        stats = summarize(samples_between(workout.samples, lap.start_offset, lap.end_offset))
        power = lap.avg_power_w if lap.avg_power_w is not None else stats.avg_power_w
        cadence = lap.avg_cadence_rpm if lap.avg_cadence_rpm is not None else stats.avg_cadence_rpm
        rows.append(
            (
                str(lap.index + 1),
                names.get(lap.start_offset) or DASH,
                f"{local_time(lap.start, workout.timezone):%H:%M:%S}",
                duration(lap.timer_s),
                number(lap.calories_kcal, 0),
                number(power, 0),
                number(cadence, 0),
                number(stats.avg_heart_rate_bpm, 0),
                number(units.distance(lap.distance_m), 2),
            )
        )
    headers = [
        ("#", True),
        ("Class", False),
        ("Started", True),
        ("Active", True),
        ("kcal", True),
        ("Avg W", True),
        ("Avg cadence", True),
        ("Avg bpm", True),
        (f"Distance ({units.distance_unit})", True),
    ]
    starts = [iso_utc(lap.start) for lap in laps]
    headers, shown = _without_empty_columns(headers, rows)
    return "<h2>Classes</h2>" + _table(headers, shown, row_starts=starts)


def _laps(workout: Workout, units: Units) -> str:
    if workout.parts and workout.laps:
        return _classes(workout, units)
    if len(workout.laps) < 2:
        return ""
    rows = []
    previous = 0.0
    for lap in workout.laps:
        lap_samples = samples_between(workout.samples, lap.start_offset, lap.end_offset)
        stats = summarize(lap_samples, distance_start_m=previous)
        if stats.distance_m is not None:
            previous += stats.distance_m
        rows.append(
            (
                str(lap.index + 1),
                lap.name or DASH,
                duration(lap.start_offset),
                duration(lap.end_offset - lap.start_offset),
                number(stats.avg_power_w, 0),
                number(stats.avg_cadence_rpm, 0),
                number(stats.avg_heart_rate_bpm, 0),
                number(units.distance(stats.distance_m), 2),
            )
        )
    headers = [
        ("#", True),
        ("Segment", False),
        ("Start", True),
        ("Duration", True),
        ("Avg W", True),
        ("Avg spm" if _rowing(workout) else "Avg cadence", True),
        ("Avg bpm", True),
        (f"Distance ({units.distance_unit})", True),
    ]
    headers, shown = _without_empty_columns(headers, rows)
    return "<h2>Class segments</h2>" + _table(headers, shown)


def _without_empty_columns(
    headers: Sequence[tuple[str, bool]], rows: Sequence[Sequence[str]]
) -> tuple[list[tuple[str, bool]], list[list[str]]]:
    """The table without the columns that are empty (a dash) in every row."""
    keep = [i for i in range(len(headers)) if any(row[i] != DASH for row in rows)]
    return [headers[i] for i in keep], [[row[i] for i in keep] for row in rows]


def _zone_time(workout: Workout) -> str:
    """Bar charts of time in zones: the same numbers as the FIT ``time_in_zone`` messages."""
    parts = [_hr_zone_figure(workout), _power_zone_figure(workout)]
    if not any(parts):
        return ""
    return '<h2>Time in zones</h2><div class="charts">' + "".join(parts) + "</div>"


def _hr_zone_figure(workout: Workout) -> str:
    times = heart_rate_zone_times(workout)
    if times is None or not any(v > 0 for v in times.seconds):
        return ""
    zones = sorted(workout.heart_rate_zones, key=lambda z: z.number)
    rows = [
        (z.name or f"Zone {z.number}", seconds, z.number)
        for z, seconds in zip(zones, times.seconds, strict=True)
    ]
    label = "Time in heart-rate zones"
    return _figure(label, "", bar_chart(rows, label=label, value_format=duration))


def _power_zone_figure(workout: Workout) -> str:
    times = power_zone_times(workout)
    if times is None or workout.ftp_w is None:
        return ""
    lows, highs = (0.0, *POWER_ZONE_FRACTIONS), (*POWER_ZONE_FRACTIONS, None)
    rows = [
        (f"Zone {n} ({lo * 100:.0f}%{'+' if hi is None else f'–{hi * 100:.0f}%'})", seconds, n)
        for n, (lo, hi, seconds) in enumerate(zip(lows, highs, times.seconds, strict=True), start=1)
    ]
    label = f"Time in power zones (FTP {workout.ftp_w:.0f} W)"
    return _figure(label, "", bar_chart(rows, label=label, value_format=duration))


def _sets(workout: Workout, units: Units) -> str:
    active = [s for s in workout.sets if s.kind == "active"]
    if not active:
        return ""
    rows = [
        (
            str(i + 1),
            s.movement_name or s.movement_id or DASH,
            duration(s.start_offset),
            number(s.repetitions, 0),
            number(units.weight(s.weight_kg), 1),
            duration(s.duration_s),
        )
        for i, s in enumerate(active)
    ]
    headers = [
        ("#", True),
        ("Movement", False),
        ("Start", True),
        ("Reps", True),
        (f"Weight ({units.weight_unit})", True),
        ("Duration", True),
    ]
    return "<h2>Sets</h2>" + _table(headers, rows)


def _cues(cues: ClassCues | None) -> str:
    """The per-segment table of class cues in watts: asked against delivered."""
    if cues is None:
        return ""
    headers = [
        ("Time", False),
        ("Cadence (rpm)", True),
        ("Resistance (%)", True),
        ("Asked (W)", True),
        ("Delivered (W)", True),
        ("Delivered (% of asked)", True),
        ("In the band", True),
    ]
    rows = [
        (
            f"{duration(c.start_offset)}–{duration(c.end_offset)}",
            f"{c.cadence_rpm[0]:.0f}–{c.cadence_rpm[1]:.0f}",
            f"{c.resistance_pct[0]:.0f}–{c.resistance_pct[1]:.0f}",
            f"{c.asked_low_w:.0f}–{c.asked_high_w:.0f}",
            "–" if c.delivered_w is None else f"{c.delivered_w:.0f}",
            "–" if c.delivered_pct is None else f"{c.delivered_pct:.0f} %",
            "–" if c.in_band_pct is None else f"{c.in_band_pct:.0f} %",
        )
        for c in cues.cues
    ]
    caption = (
        f"The class's cues as the output this bike ({cues.device}, calibration era {cues.era}) "
        "gives at them; delivered: your mean output over the segment"
    )
    return "<h2>Class cues in watts</h2>" + _table(headers, rows, caption)


def render_page(
    workout: Workout, page_name: str, *, index_name: str = "index.html", cues: ClassCues | None = None
) -> str:
    """The whole HTML page of ``workout``; ``page_name`` is its own file name (for the facts).
    ``cues``: class cues in watts (:func:`peloton_export.insights.cues.cues_for`), or ``None``."""
    units = Units(workout.units)
    title = workout.title or "Workout"
    shown = display_discipline(workout.discipline).replace("_", " ")
    who = " · ".join(esc(x) for x in (workout.instructor, shown) if x)
    body = [
        f'<p class="sub"><a href="{esc(index_name)}">All workouts</a></p>',
        f"<h1>{esc(title)}</h1>",
        f'<p class="sub">{who}</p>' if who else "",
        f'<p class="sub"><time datetime="{esc(local_time(workout.start, workout.timezone).isoformat())}">'
        f"{esc(local_text(workout))}</time></p>",
        _totals(workout, units),
    ]
    figures = charts(workout, units, cues)
    if figures:
        body.append('<h2>Over time</h2><div class="charts">' + "".join(figures) + "</div>")
    elif not workout.track:
        body.append('<p class="note">Peloton recorded no metrics over time for this workout.</p>')
    if workout.track:
        points = [(p.latitude, p.longitude, p.segment) for p in workout.track]
        note = "north up; no map tiles; green: start, red: finish"
        body.append("<h2>Route</h2>" + _figure("Route", note, track_map(points)))
    body.append(_cues(cues))
    body.append(_laps(workout, units))
    body.append(_zone_time(workout))
    body.append(_sets(workout, units))
    if workout.notes:
        body.append("<h2>Notes</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in workout.notes) + "</ul>")
    facts = workout_facts(workout, page_name)
    body.append(f'<script type="application/json" id="{FACTS_ID}">{embed_json(facts)}</script>')
    return document(title, "\n".join(part for part in body if part))


__all__ = ["FACTS_ID", "PAGE_CSP", "charts", "document", "embed_json", "local_text", "render_page"]
