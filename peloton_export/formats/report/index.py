"""The history page ``index.html``: every workout page in an output folder, with records.

:func:`build_index` lists the workout pages exported in ``html`` format to the folder (from
the ledger; by scanning the folder when there is no ledger), gets each page's summary facts
and writes ``index.html`` atomically.

Facts cache. Facts come from, in order: the cache file ``index-facts.cache`` in the
output folder (keyed by page file name, valid while the page's content hash recorded in the
ledger, or its size and modification time without a ledger, is unchanged); the facts block
embedded in the page itself (one small read, no parsing of the workout); and only for a page
without one, the raw workout from the archive, normalized again. A daily run over 2,000
workouts therefore reads one JSON file and the few new pages. The cache is rewritten
atomically only when it changed; deleting it is always safe.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import math
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peloton_export.formats.report.display import DASH, Units, duration, number
from peloton_export.formats.report.drift import DriftDevice, drift_section
from peloton_export.formats.report.facts import (
    POWER_RECORDS,
    RIDE_DISCIPLINES,
    ROW_DISTANCES,
    RUN_DISTANCES,
    valid_facts,
    workout_facts,
)
from peloton_export.formats.report.page import FACTS_ID, document
from peloton_export.formats.report.svg import esc, xy_chart
from peloton_export.readback import Fields, StateFileError, load_state, parse_state_json, read_state_bytes
from peloton_export.store.atomic import write_bytes_atomic
from peloton_export.workout.disciplines import display_discipline

if TYPE_CHECKING:
    from peloton_export.store.archive import Archive
    from peloton_export.store.ledger import Ledger

log = logging.getLogger("peloton_export.report")

INDEX_NAME = "index.html"
CACHE_NAME = "index-facts.cache"
CACHE_VERSION = 1
#: The largest facts cache read (about 1 kB a page: 60,000 pages).
MAX_CACHE_BYTES = 64 * 1024 * 1024
#: The largest workout page read for its facts (a 3-hour ride's page is ~1 MB).
MAX_PAGE_BYTES = 32 * 1024 * 1024
HTML_FORMAT = "html"
#: Weeks shown in the weekly volume table (counted back from the newest workout).
WEEKS_SHOWN = 26
_FACTS_RE = re.compile(r'<script type="application/json" id="' + FACTS_ID + r'">(.*?)</script>', re.DOTALL)

SCRIPT = """(function(){
var t=document.getElementById('workouts');if(!t||!t.tBodies.length)return;
var tb=t.tBodies[0],rows=Array.prototype.slice.call(tb.rows);
var box=document.createElement('div');box.className='filters';
var q=document.createElement('input');q.type='search';q.placeholder='Filter: title, instructor, date';
q.setAttribute('aria-label','Filter workouts');
var d=document.createElement('select');d.setAttribute('aria-label','Discipline');
var all=document.createElement('option');all.value='';all.textContent='All disciplines';d.appendChild(all);
var seen={};rows.forEach(function(r){var v=r.getAttribute('data-discipline');if(v&&!seen[v]){seen[v]=1;
var o=document.createElement('option');o.value=v;o.textContent=v;d.appendChild(o);}});
var n=document.createElement('span');n.className='note';n.setAttribute('aria-live','polite');
box.appendChild(q);box.appendChild(d);box.appendChild(n);t.parentNode.parentNode.insertBefore(box,t.parentNode);
function apply(){var s=q.value.toLowerCase(),k=d.value,c=0;rows.forEach(function(r){
var ok=(!k||r.getAttribute('data-discipline')===k)&&(!s||r.textContent.toLowerCase().indexOf(s)>=0);
r.hidden=!ok;if(ok)c++;});n.textContent=c+' of '+rows.length+' workouts';}
q.addEventListener('input',apply);d.addEventListener('change',apply);apply();
var ths=t.tHead.rows[0].cells;Array.prototype.forEach.call(ths,function(th,i){
var b=document.createElement('button');b.type='button';b.textContent=th.textContent;
th.textContent='';th.appendChild(b);
b.addEventListener('click',function(){var asc=th.getAttribute('aria-sort')!=='ascending';
Array.prototype.forEach.call(ths,function(h){h.removeAttribute('aria-sort');});
th.setAttribute('aria-sort',asc?'ascending':'descending');
function key(r){var c=r.cells[i],v=c.getAttribute('data-v');
return v===null?c.textContent.toLowerCase():parseFloat(v);}
rows.sort(function(a,b){var x=key(a),y=key(b);if(typeof x==='number'&&isNaN(x))x=-Infinity;
if(typeof y==='number'&&isNaN(y))y=-Infinity;return (x<y?-1:x>y?1:0)*(asc?1:-1);});
rows.forEach(function(r){tb.appendChild(r);});});});
})();"""
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
INDEX_CSP = (
    f"default-src 'none'; style-src 'unsafe-inline'; script-src '{SCRIPT_HASH}'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)


@dataclass(frozen=True, slots=True)
class PageRef:
    """A workout page in the output folder and the key its cached facts must match."""

    workout_id: str
    path: Path
    key: str


def html_pages(output_dir: Path, ledger: Ledger | None) -> list[PageRef]:
    """The workout pages of ``output_dir`` still on disk, sorted by file name.

    Every ``html`` export the ledger recorded into this folder (any run, not only the
    current one), keyed by its content hash; then every other ``*.html`` file of the folder
    but the index (the ledger keeps one folder per workout and format, so a workout later
    exported elsewhere too is still found here), keyed by size and modification time.
    """
    folder = output_dir.resolve()
    pages: dict[str, PageRef] = {}
    if ledger is not None:
        for (workout_id, _fmt), record in ledger.exports_for([HTML_FORMAT]).items():
            path = Path(record.path)
            if record.content_hash == "skipped" or path.resolve().parent != folder or not path.is_file():
                continue
            pages[path.name] = PageRef(workout_id, path, record.content_hash)
    with contextlib.suppress(OSError):
        for entry in os.scandir(output_dir):
            if not entry.name.endswith(".html") or entry.name == INDEX_NAME or entry.name in pages:
                continue
            if entry.is_file():
                stat = entry.stat()
                workout_id = entry.name[: -len(".html")].rsplit("_", 1)[-1]
                key = f"stat:{stat.st_size}:{stat.st_mtime_ns}"
                pages[entry.name] = PageRef(workout_id, Path(entry.path), key)
    return [pages[name] for name in sorted(pages)]


def facts_from_page(path: Path) -> Mapping[str, Any] | None:
    """The facts embedded in a workout page, or ``None`` (unreadable, none, old version).

    The page is read as a state file (:func:`peloton_export.readback.read_state_bytes`):
    a FIFO, device or folder named ``*.html``, or a page over :data:`MAX_PAGE_BYTES`, is
    never read; non-finite numbers in the facts are refused."""
    try:
        data = read_state_bytes(path, limit=MAX_PAGE_BYTES)
        text = data.decode("utf-8") if data is not None else ""
    except (StateFileError, UnicodeDecodeError):
        return None
    match = _FACTS_RE.search(text)
    if match is None:
        return None
    try:
        return valid_facts(parse_state_json(match.group(1).encode("utf-8"), path))
    except (ValueError, StateFileError):
        return None


def _facts_from_archive(archive: Archive, ref: PageRef) -> Mapping[str, Any] | None:
    from peloton_export.errors import NormalizeError, SkipWorkout
    from peloton_export.normalize import normalize
    from peloton_export.store.archive import ArchiveError

    try:
        workout = normalize(archive.load(ref.workout_id))
    except (ArchiveError, NormalizeError, SkipWorkout) as exc:
        log.warning("index: cannot read workout %s from the archive: %s", ref.workout_id, exc)
        return None
    return workout_facts(workout, ref.path.name)


def _parse_cache(fields: Fields) -> dict[str, Any]:
    """The cache's pages (``{page name: {"key": ..., "facts": ...}}``); another version is
    no cache (silently: an upgrade), a bad entry is left out and noted."""
    if fields.obj.get("v") != CACHE_VERSION:
        return {}
    pages: dict[str, Any] = {}
    for name, entry in fields.mapping("pages").items():
        facts = valid_facts(entry.get("facts")) if isinstance(entry, dict) else None
        if facts is None or not isinstance(entry.get("key"), str):
            fields.problems.append(f"the entry of {str(name)[:60]!r} is not usable")
            continue
        pages[str(name)] = {"key": entry["key"], "facts": facts}
    return pages


def _load_cache(path: Path) -> dict[str, Any]:
    """The facts cache, or ``{}``; an unusable file or entry is one warning (it is rebuilt)."""
    found = load_state(path, _parse_cache, what="index facts cache", limit=MAX_CACHE_BYTES)
    return found if found is not None else {}


def collect_facts(
    output_dir: Path, ledger: Ledger | None, archive: Archive | None
) -> tuple[list[Mapping[str, Any]], dict[str, int]]:
    """Facts of every page of ``output_dir``, and counts of where they came from.

    The counts have keys ``cache``, ``page``, ``archive`` and ``missing``. Updates the
    cache file when anything changed.
    """
    cache_path = output_dir / CACHE_NAME
    old = _load_cache(cache_path)
    new: dict[str, Any] = {}
    counts = dict.fromkeys(("cache", "page", "archive", "missing"), 0)
    out: list[Mapping[str, Any]] = []
    for ref in html_pages(output_dir, ledger):
        entry = old.get(ref.path.name)
        facts: Mapping[str, Any] | None = None
        if isinstance(entry, dict) and entry.get("key") == ref.key:
            facts = valid_facts(entry.get("facts"))
            if facts is not None:
                counts["cache"] += 1
        if facts is None:
            facts = facts_from_page(ref.path)
            if facts is not None:
                counts["page"] += 1
        if facts is None and archive is not None:
            facts = _facts_from_archive(archive, ref)
            if facts is not None:
                counts["archive"] += 1
        if facts is None:
            counts["missing"] += 1
            continue
        facts = {**facts, "page": ref.path.name}
        new[ref.path.name] = {"key": ref.key, "facts": facts}
        out.append(facts)
    if new != old:
        data = json.dumps({"v": CACHE_VERSION, "pages": new}, sort_keys=True, separators=(",", ":"))
        try:
            write_bytes_atomic(cache_path, data.encode("utf-8"))
        except OSError as exc:
            log.warning("index: cannot write %s: %s", cache_path, exc.strerror or exc)
    out.sort(key=lambda f: (f["start"], f["id"]), reverse=True)
    return out, counts


def build_index(
    output_dir: Path,
    ledger: Ledger | None,
    archive: Archive | None = None,
    drift: Sequence[DriftDevice] = (),
) -> Path:
    """Write ``output_dir/index.html`` for every workout page there; returns its path.

    :param output_dir: the export folder holding the workout pages.
    :param ledger: the sync ledger that recorded the ``html`` exports (``None``: scan the
        folder for pages instead).
    :param archive: where to read a workout whose page carries no facts (pages written by
        an older version); ``None`` leaves such pages out of the records.
    :param drift: the bike models' per-ride residuals, for the calibration-drift section
        (:mod:`peloton_export.formats.report.drift`); empty: no such section.
    :raises OSError: when the index cannot be written.
    """
    facts, _counts = collect_facts(output_dir, ledger, archive)
    path = output_dir / INDEX_NAME
    data = render_index(facts, drift).encode("utf-8")
    try:
        if path.read_bytes() == data:
            return path
    except OSError:
        pass
    write_bytes_atomic(path, data)
    return path


# ----------------------------------------------------------------------------- rendering


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _link(f: Mapping[str, Any], text: str | None = None) -> str:
    label = text if text is not None else (f.get("title") or "Workout")
    return f'<a href="{esc(f["page"])}">{esc(label)}</a>'


def _day(f: Mapping[str, Any]) -> str:
    return str(f.get("local") or f["start"])[:10]


def _table(headers: Sequence[tuple[str, bool]], rows: Iterable[str], *, table_id: str = "") -> str:
    ident = f' id="{table_id}"' if table_id else ""
    head = "".join(f'<th scope="col"{" class=n" if n else ""}>{esc(h)}</th>' for h, n in headers)
    body = "".join(rows)
    return (
        f'<div class="table-wrap"><table{ident}><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _td(text: str, value: float | None = None, *, numeric: bool = True, raw: bool = False) -> str:
    attr = f' data-v="{value:g}"' if value is not None else (' data-v="NaN"' if numeric else "")
    cls = " class=n" if numeric else ""
    return f"<td{cls}{attr}>{text if raw else esc(text)}</td>"


def _workouts_table(facts: Sequence[Mapping[str, Any]], units: Units) -> str:
    rows = []
    for f in facts:
        start = str(f.get("local") or f["start"])
        dur, dist = _num(f.get("duration_s")), _num(f.get("distance_m"))
        cal, watts, work = _num(f.get("calories_kcal")), _num(f.get("avg_power_w")), _num(f.get("work_kj"))
        when = f"{start[:10]} {start[11:16]}"
        discipline = display_discipline(str(f.get("discipline") or ""))
        rows.append(
            f'<tr data-discipline="{esc(discipline)}">'
            + _td(when, None, numeric=False)
            + _td(_link(f), None, numeric=False, raw=True)
            + _td(str(f.get("instructor") or ""), None, numeric=False)
            + _td(discipline, None, numeric=False)
            + _td(duration(dur), dur)
            + _td(number(units.distance(dist), 2), units.distance(dist))
            + _td(number(cal), cal)
            + _td(number(watts), watts)
            + _td(number(work), work)
            + "</tr>"
        )
    headers = [
        ("Date", False),
        ("Title", False),
        ("Instructor", False),
        ("Discipline", False),
        ("Time", True),
        (f"Distance ({units.distance_unit})", True),
        ("kcal", True),
        ("Avg W", True),
        ("kJ", True),
    ]
    return _table(headers, rows, table_id="workouts")


def _volume(facts: Sequence[Mapping[str, Any]], units: Units, weekly: bool) -> str:
    buckets: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0, 0.0]))
    disciplines: set[str] = set()
    for f in facts:
        day = date.fromisoformat(_day(f))
        if weekly:
            year, week, _ = day.isocalendar()
            key = f"{year}-W{week:02d}"
        else:
            key = day.strftime("%Y-%m")
        discipline = display_discipline(str(f.get("discipline") or "")) or "other"
        disciplines.add(discipline)
        cell = buckets[key][discipline]
        cell[0] += 1
        cell[1] += _num(f.get("duration_s")) or 0.0
        cell[2] += _num(f.get("distance_m")) or 0.0
    keys = sorted(buckets, reverse=True)
    if weekly:
        keys = keys[:WEEKS_SHOWN]
    order = sorted(disciplines)
    rows = []
    for key in keys:
        cells = []
        for d in order:
            count, secs, metres = buckets[key].get(d, [0.0, 0.0, 0.0])
            if not count:
                cells.append("<td class=n></td>")
                continue
            dist = f" · {number(units.distance(metres), 1)} {units.distance_unit}" if metres > 0 else ""
            cells.append(f"<td class=n>{count:.0f}× · {esc(duration(secs))}{esc(dist)}</td>")
        total = sum(buckets[key][d][1] for d in buckets[key])
        rows.append(
            f"<tr><th scope=row>{esc(key)}</th>{''.join(cells)}<td class=n>{esc(duration(total))}</td></tr>"
        )
    headers = [("Week" if weekly else "Month", False), *((d, True) for d in order), ("Total time", True)]
    return _table(headers, rows)


_CURVE_TICKS = ((5, "5 s"), (60, "1 min"), (300, "5 min"), (1200, "20 min"), (3600, "60 min"))


def _best_curve(facts: Iterable[Mapping[str, Any]]) -> dict[int, tuple[float, Mapping[str, Any]]]:
    best: dict[int, tuple[float, Mapping[str, Any]]] = {}
    for f in facts:
        curve = f.get("curve")
        if not isinstance(curve, dict):
            continue
        for key, value in curve.items():
            watts = _num(value)
            if watts is None or not str(key).isdigit():
                continue
            seconds = int(key)
            if seconds not in best or watts > best[seconds][0]:
                best[seconds] = (watts, f)
    return best


def _power_section(facts: Sequence[Mapping[str, Any]]) -> str:
    facts = [f for f in facts if f.get("discipline") in RIDE_DISCIPLINES]
    best = _best_curve(facts)
    if not best:
        return ""
    rows = []
    for seconds, label in POWER_RECORDS:
        if seconds in best:
            watts, f = best[seconds]
            rows.append(
                f"<tr><th scope=row>{esc(label)}</th><td class=n>{watts:.0f} W</td>"
                f"<td>{_link(f)}</td><td>{esc(_day(f))}</td></tr>"
            )
        else:
            rows.append(f"<tr><th scope=row>{esc(label)}</th><td class=n>{DASH}</td><td></td><td></td></tr>")
    table = _table([("Duration", False), ("Best output", True), ("Workout", False), ("Date", False)], rows)
    years: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for f in facts:
        years[_day(f)[:4]].append(f)
    series: list[tuple[str, list[tuple[float, float]]]] = [
        ("All time", sorted((float(s), w) for s, (w, _) in best.items()))
    ]
    for year in sorted(years, reverse=True)[:5]:
        year_best = _best_curve(years[year])
        if year_best:
            series.append((year, sorted((float(s), w) for s, (w, _) in year_best.items())))
    chart = xy_chart(
        metric="curve",
        label="Power-duration curve: best average output for each duration",
        series=series,
        x_ticks=[(float(s), t) for s, t in _CURVE_TICKS],
        x_log=True,
        y_format=lambda v: f"{v:g}",
    )
    legend = "".join(f'<span class="s{i}">{esc(name)}</span>' for i, (name, _) in enumerate(series))
    figure = (
        "<figure><figcaption>Power-duration curve <small>W; best average output over each duration</small>"
        f'</figcaption>{chart}<p class="legend">{legend}</p></figure>'
    )
    return "<h2>Bike power records</h2>" + f'<div class="charts"><div>{table}</div>{figure}</div>'


def _distance_records(
    facts: Sequence[Mapping[str, Any]], table: Sequence[tuple[float, str]], units: Units, per_m: float | None
) -> list[str]:
    rows = []
    for metres, label in table:
        candidates = [
            (float(f["best"][label]), f)
            for f in facts
            if isinstance(f.get("best"), dict) and label in f["best"]
        ]
        if not candidates:
            continue
        seconds, f = min(candidates, key=lambda c: (c[0], c[1]["start"]))
        pace = units.pace_s(metres / seconds if seconds > 0 else None, per_m)
        unit = "/500 m" if per_m else f"/{units.distance_unit}"
        rows.append(
            f"<tr><th scope=row>{esc(label)}</th><td class=n>{esc(duration(seconds))}</td>"
            f"<td class=n>{esc(duration(pace))} {esc(unit)}</td>"
            f"<td>{_link(f)}</td><td>{esc(_day(f))}</td></tr>"
        )
    return rows


def _records_section(facts: Sequence[Mapping[str, Any]], units: Units) -> str:
    parts: list[str] = []
    headers = [("Distance", False), ("Fastest", True), ("Pace", True), ("Workout", False), ("Date", False)]
    run = _distance_records(facts, RUN_DISTANCES, units, None)
    if run:
        parts.append("<h3>Tread: fastest</h3>" + _table(headers, run))
    row = _distance_records(facts, ROW_DISTANCES, units, 500.0)
    if row:
        parts.append("<h3>Row: fastest</h3>" + _table(headers, row))
    rides = [f for f in facts if f.get("discipline") == "cycling"]
    if rides:
        by_distance = max(
            rides, key=lambda f: (_num(f.get("distance_m")) or 0.0, _num(f.get("duration_s")) or 0.0)
        )
        by_time = max(
            rides, key=lambda f: (_num(f.get("duration_s")) or 0.0, _num(f.get("distance_m")) or 0.0)
        )
        rows = [
            "<tr><th scope=row>Longest ride (distance)</th>"
            f"<td class=n>{esc(units.distance_text(_num(by_distance.get('distance_m'))))}</td>"
            f"<td>{_link(by_distance)}</td><td>{esc(_day(by_distance))}</td></tr>",
            "<tr><th scope=row>Longest ride (time)</th>"
            f"<td class=n>{esc(duration(_num(by_time.get('duration_s'))))}</td>"
            f"<td>{_link(by_time)}</td><td>{esc(_day(by_time))}</td></tr>",
        ]
        parts.append(
            "<h3>Bike</h3>"
            + _table([("Record", False), ("Value", True), ("Workout", False), ("Date", False)], rows)
        )
    if not parts:
        return ""
    return "<h2>Records</h2>" + "".join(parts)


def _ftp_section(facts: Sequence[Mapping[str, Any]]) -> str:
    changes: list[tuple[date, float]] = []
    for f in sorted(facts, key=lambda f: (f["start"], f["id"])):
        ftp = _num(f.get("ftp_w"))
        if ftp is None or ftp <= 0:
            continue
        day = date.fromisoformat(_day(f))
        if not changes or changes[-1][1] != ftp:
            changes.append((day, ftp))
    if not changes:
        return ""
    first, last = changes[0][0], max(date.fromisoformat(_day(f)) for f in facts)
    points = [(float(d.toordinal()), ftp) for d, ftp in changes]
    if last > changes[-1][0]:
        points.append((float(last.toordinal()), changes[-1][1]))
    span = max(last.toordinal() - first.toordinal(), 1)
    label = "%d %b %Y" if span < 240 else "%b %Y"
    ticks = [
        (
            float(first.toordinal() + span * i / 4),
            date.fromordinal(first.toordinal() + span * i // 4).strftime(label),
        )
        for i in range(5)
    ]
    chart = xy_chart(
        metric="curve", label="FTP over time (W)", series=[("FTP", points)], x_ticks=ticks, step=True
    )
    rows = [
        f"<tr><td>{esc(d.isoformat())}</td><td class=n>{ftp:.0f} W</td></tr>" for d, ftp in reversed(changes)
    ]
    table = _table([("From", False), ("FTP", True)], rows)
    figure = f"<figure><figcaption>FTP over time <small>W</small></figcaption>{chart}</figure>"
    return f'<h2>FTP over time</h2><div class="charts">{figure}<div>{table}</div></div>'


def render_index(facts: Sequence[Mapping[str, Any]], drift: Sequence[DriftDevice] = ()) -> str:
    """The history page for ``facts`` (newest first), as text; same facts, same bytes.

    ``drift``: per device, the rides' residuals against the bike model (the calibration
    section after the FTP; none when empty)."""
    systems = [str(f.get("units")) for f in facts if f.get("units") in ("imperial", "metric")]
    units = Units(systems[0] if systems else "imperial")
    total_time = math.fsum(_num(f.get("duration_s")) or 0.0 for f in facts)
    total_distance = math.fsum(_num(f.get("distance_m")) or 0.0 for f in facts)
    body = [
        "<h1>Workout history</h1>",
        f'<p class="sub">{len(facts):,} workouts · {esc(duration(total_time))} active · '
        f"{esc(units.distance_text(total_distance))}</p>",
    ]
    if not facts:
        body.append('<p class="note">No workout pages in this folder yet: export with --format html.</p>')
    else:
        body.append("<h2>Workouts</h2>" + _workouts_table(facts, units))
        body.append("<h2>Volume per month</h2>" + _volume(facts, units, weekly=False))
        body.append(
            f"<details><summary>Volume per week (last {WEEKS_SHOWN} weeks with workouts)</summary>"
            + _volume(facts, units, weekly=True)
            + "</details>"
        )
        body.append(_power_section(facts))
        body.append(_records_section(facts, units))
        body.append(_ftp_section(facts))
    body.append(drift_section(drift))
    body.append(f"<script>{SCRIPT}</script>")
    return document("Workout history", "\n".join(p for p in body if p), csp=INDEX_CSP)


__all__ = [
    "CACHE_NAME",
    "INDEX_NAME",
    "PageRef",
    "build_index",
    "collect_facts",
    "facts_from_page",
    "html_pages",
    "render_index",
]
