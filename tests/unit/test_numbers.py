"""Issue 11: Peloton's summaries are the truth, and every format ends at the same totals.

Each case of the issue reads its fixture from ``../shared`` and checks the right value (what
Peloton reported); the conformance test checks every fixture and demo kind across FIT,
TCX, CSV, GPX and JSON.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fit_decode import decode_workout

from peloton_export.default_plugins.json_format import write_json
from peloton_export.formats.csv import write_csv
from peloton_export.formats.gpx import render_gpx
from peloton_export.formats.tcx import render_tcx
from peloton_export.model import Workout
from peloton_export.normalize import normalize
from peloton_export.raw import RawWorkout
from peloton_export.source.importers import import_path
from peloton_export.specs import ExportContext
from peloton_export.store.archive import Archive

P2G = "peloton-to-garmin"
DEMO = Path(__file__).resolve().parents[2] / "peloton_export" / "data" / "demo"

# Tolerances per field: distance to the centimetre-scale rounding of each format (TCX and
# CSV keep 0.01 m or better; FIT stores cm), ascent to FIT's whole metres.
DISTANCE_TOL_M = 0.05
ASCENT_TOL_M = 0.5
# A sum of laps: TCX writes each lap's distance to 0.1 m, so up to ~0.05 m per lap adds up.
LAP_SUM_TOL_M = 0.5


def _tolerance(fmt: str) -> float:
    return LAP_SUM_TOL_M if fmt.endswith("laps") else DISTANCE_TOL_M


def _load(fixtures_dir: Path, tmp_path: Path, name: str) -> RawWorkout:
    archive = Archive(tmp_path / "archive")
    report = import_path(fixtures_dir / P2G / name, archive)
    imported = [r for r in report.results if r.status == "imported"]
    assert imported, [r.line() for r in report.results]
    return archive.load(str(imported[0].workout_id))


def _session(workout: Workout) -> dict[str, Any]:
    return decode_workout(workout).one("session")


def test_tread_elevation_summary_is_the_total_ascent(fixtures_dir: Path, tmp_path: Path) -> None:
    workout = normalize(_load(fixtures_dir, tmp_path, "tread_run_workout.json"))
    assert workout.ascent_m == pytest.approx(80.4672)  # 264 ft
    assert _session(workout)["total_ascent"] == 80


def test_outdoor_walk_ascent_is_peloton_not_the_noisy_series(fixtures_dir: Path, tmp_path: Path) -> None:
    workout = normalize(_load(fixtures_dir, tmp_path, "walking_outdoor_01.json"))
    assert workout.ascent_m == pytest.approx(7.9248)  # 26 ft
    assert _session(workout)["total_ascent"] == 8


def test_row_strokes_come_from_stroke_count(fixtures_dir: Path, tmp_path: Path) -> None:
    workout = normalize(_load(fixtures_dir, tmp_path, "rower_workout.json"))
    session = _session(workout)
    assert workout.strokes == 133
    assert session["total_cycles"] == 133
    assert session["avg_stroke_distance"] == pytest.approx(7.69, abs=0.01)


def test_row_distance_is_one_story(fixtures_dir: Path, tmp_path: Path) -> None:
    workout = normalize(_load(fixtures_dir, tmp_path, "rower_workout.json"))
    assert workout.distance_m == pytest.approx(1023.28)
    totals = _format_totals(workout)
    for fmt, value in totals.items():
        assert value == pytest.approx(1023.28, abs=_tolerance(fmt)), fmt
    assert any("scaled to Peloton's summary" in n for n in workout.notes)


@pytest.mark.parametrize(
    ("source", "expected"),
    [("ftp_manual_source", 190.0), ("ftp_workout_source", 200.0), ("ftp_estimated_source", 200.0)],
)
def test_ftp_by_source(fixtures_dir: Path, tmp_path: Path, source: str, expected: float) -> None:
    raw = _load(fixtures_dir, tmp_path, "cycling_workout.json")
    body = dict(raw.workout)
    body["ftp_info"] = {"ftp": 200, "ftp_source": source}
    workout = normalize(
        RawWorkout(workout_id=raw.workout_id, workout=body, performance_graph=raw.performance_graph)
    )
    assert workout.ftp_w == pytest.approx(expected)
    decoded = decode_workout(workout)
    assert decoded.one("session")["threshold_power"] == round(expected)
    power_zones = [z for z in decoded.all("time_in_zone") if z.get("power_zone_high_boundary")]
    assert power_zones, "no power time-in-zone message"
    assert power_zones[0]["functional_threshold_power"] == round(expected)
    # Peloton's zone 1 tops at 55 % of the FTP: ~105 W for a manual 200 (FTP 190).
    assert power_zones[0]["power_zone_high_boundary"][0] == pytest.approx(expected * 0.55, abs=1)
    stream = io.BytesIO()
    write_json(workout, stream, ExportContext(output_dir=tmp_path))
    assert json.loads(stream.getvalue())["ftp_w"] == pytest.approx(expected)


def test_gps_distance_from_positions_when_fixes_say_zero(fixtures_dir: Path, tmp_path: Path) -> None:
    raw = _load(fixtures_dir, tmp_path, "walking_outdoor_01.json")
    graph = json.loads(json.dumps(raw.performance_graph))
    for segment in graph["location_data"]:
        for point in segment.get("coordinates") or []:
            point["distance"] = 0.0
    for key in ("summaries", "average_summaries"):
        graph[key] = [s for s in graph.get(key) or [] if s.get("slug") != "distance"]
    workout = normalize(RawWorkout(workout_id=raw.workout_id, workout=raw.workout, performance_graph=graph))
    assert any("computed from their positions" in n for n in workout.notes)
    last = workout.track[-1].distance_m
    assert last is not None
    # Peloton's own total for this walk is 1.53 mi (2,462 m); positions give the same within 5 %.
    assert last == pytest.approx(2462.3, rel=0.05)
    assert workout.distance_m == pytest.approx(last, abs=DISTANCE_TOL_M)


def _format_totals(workout: Workout) -> dict[str, float]:
    """The last cumulative distance (m) each format writes for ``workout``."""
    out: dict[str, float] = {}
    decoded = decode_workout(workout)
    session = decoded.one("session")
    if session.get("total_distance") is not None:
        out["fit session"] = float(session["total_distance"])
    record_distances = [r["distance"] for r in decoded.all("record") if r.get("distance") is not None]
    if record_distances:
        out["fit records"] = float(record_distances[-1])
    laps = [
        float(lap["total_distance"]) for lap in decoded.all("lap") if lap.get("total_distance") is not None
    ]
    if laps and record_distances:
        out["fit laps"] = sum(laps)
    tcx = render_tcx(workout)
    track_distances = re.findall(r"<Trackpoint>.*?<DistanceMeters>([0-9.]+)</DistanceMeters>", tcx, re.S)
    if track_distances:
        out["tcx trackpoints"] = float(track_distances[-1])
        lap_distances = re.findall(
            r"<Lap [^>]*>\s*<TotalTimeSeconds>[^<]*</TotalTimeSeconds>\s*"
            r"<DistanceMeters>([0-9.]+)</DistanceMeters>",
            tcx,
        )
        if lap_distances:
            out["tcx laps"] = sum(float(x) for x in lap_distances)
    stream = io.BytesIO()
    write_csv(workout, stream, ExportContext(output_dir=Path(".")))
    rows = list(csv.DictReader(io.StringIO(stream.getvalue().decode("utf-8-sig"))))
    csv_distances = [float(r["distance_m"]) for r in rows if r.get("distance_m")]
    if csv_distances:
        out["csv"] = max(csv_distances)
    stream = io.BytesIO()
    write_json(workout, stream, ExportContext(output_dir=Path(".")))
    data = json.loads(stream.getvalue())
    json_distances = [d for d in data["samples"]["distance_m"] if d is not None]
    if json_distances:
        out["json samples"] = max(json_distances)
    if workout.track:
        gpx = render_gpx(workout)
        gpx_distances = re.findall(r"<(?:\w+:)?[Dd]istance>([0-9.]+)</", gpx)
        if gpx_distances:
            out["gpx"] = float(gpx_distances[-1])
    return out


def test_every_format_ends_at_peloton_s_summary(normalized_fixtures: Mapping[str, Workout]) -> None:
    """Conformance: every fixture and demo kind; each format's distance total equals the
    workout's (Peloton's summary when it gives one) within ``DISTANCE_TOL_M``, and the FIT
    ascent is the elevation summary within ``ASCENT_TOL_M``."""
    workouts = list(normalized_fixtures.values())
    assert len(workouts) >= 30
    problems: list[str] = []
    checked = 0
    for workout in workouts:
        if workout.distance_m is None:
            continue
        for fmt, value in _format_totals(workout).items():
            checked += 1
            if abs(value - workout.distance_m) > _tolerance(fmt):
                problems.append(
                    f"{workout.id} {workout.discipline} {fmt}: {value:.2f} != {workout.distance_m:.2f}"
                )
        if workout.ascent_m is not None:
            ascent = _session(workout).get("total_ascent")
            if ascent is None or abs(ascent - workout.ascent_m) > ASCENT_TOL_M:
                problems.append(f"{workout.id} ascent {ascent} != {workout.ascent_m:.1f}")
    assert checked > 50
    assert not problems, "\n".join(problems)


def _lap_counts(workout: Workout) -> tuple[int, int, list[float]]:
    decoded = decode_workout(workout)
    fit_laps = decoded.all("lap")
    tcx_laps = re.findall(r"<Lap StartTime=", render_tcx(workout))
    return len(fit_laps), len(tcx_laps), [float(lap["total_timer_time"]) for lap in fit_laps]


#: Per-field tolerances of the cross-format totals. Lap distances: TCX writes 0.1 m per lap
#: (0.05 m each), FIT centimetres; lap times: FIT stores milliseconds, TCX 0.1 s.
LAP_DISTANCE_TOL_M = 0.06
LAP_TIME_TOL_S = 0.06
#: Strokes are whole numbers everywhere; FIT keeps the stroke distance to the centimetre and
#: whole metres of ascent; CSV writes ascent to 0.1 m and stroke distance to 0.01 m.
STROKE_DISTANCE_TOL_M = 0.006
CSV_ASCENT_TOL_M = 0.05


def _json(workout: Workout) -> dict[str, Any]:
    stream = io.BytesIO()
    write_json(workout, stream, ExportContext(output_dir=Path(".")))
    return json.loads(stream.getvalue())  # type: ignore[no-any-return]


def _tcx_laps(workout: Workout) -> list[tuple[float, float]]:
    """``(timer s, distance m)`` of each TCX lap."""
    found = re.findall(
        r"<Lap [^>]*>\s*<TotalTimeSeconds>([0-9.]+)</TotalTimeSeconds>\s*"
        r"<DistanceMeters>([0-9.]+)</DistanceMeters>",
        render_tcx(workout),
    )
    return [(float(t), float(d)) for t, d in found]


def _lap_problems(workout: Workout, decoded: Any, data: dict[str, Any]) -> list[str]:
    """Where the FIT, TCX and JSON laps differ: count, then each lap's time and distance."""
    name = f"{workout.id} {workout.discipline}"
    fit = [(float(lap["total_timer_time"]), lap.get("total_distance")) for lap in decoded.all("lap")]
    tcx = _tcx_laps(workout)
    js = [(lap["timer_s"], lap["distance_m"]) for lap in data["laps"]]
    if not len(fit) == len(tcx) == len(js):
        return [f"{name}: laps FIT {len(fit)}, TCX {len(tcx)}, JSON {len(js)}"]
    problems = []
    for i, ((ft, fd), (tt, td), (jt, jd)) in enumerate(zip(fit, tcx, js, strict=True)):
        if abs(ft - jt) > LAP_TIME_TOL_S or abs(tt - jt) > LAP_TIME_TOL_S:
            problems.append(f"{name} lap {i}: time FIT {ft} TCX {tt} JSON {jt}")
        if jd is None:
            continue
        if fd is None or abs(fd - jd) > LAP_DISTANCE_TOL_M or abs(td - jd) > LAP_DISTANCE_TOL_M:
            problems.append(f"{name} lap {i}: distance FIT {fd} TCX {td} JSON {jd}")
    json_sum = sum(d for _, d in js if d is not None)
    has_distance = workout.distance_m is not None and any(d is not None for _, d in js)
    if has_distance and abs(json_sum - (workout.distance_m or 0.0)) > LAP_SUM_TOL_M:
        problems.append(f"{name}: JSON laps sum {json_sum:.2f} != {workout.distance_m}")
    return problems


def _total_problems(workout: Workout, session: dict[str, Any], data: dict[str, Any], row: Any) -> list[str]:
    """Where JSON, summary.csv and Parquet differ from the FIT session's totals."""
    name = f"{workout.id} {workout.discipline}"
    problems = []
    fit_ascent = session.get("total_ascent")
    if data["ascent_m"] is None:
        if fit_ascent not in (None, 0):
            problems.append(f"{name}: FIT ascent {fit_ascent}, JSON none")
    elif fit_ascent is None or abs(round(data["ascent_m"]) - fit_ascent) > 0:
        problems.append(f"{name}: ascent FIT {fit_ascent} JSON {data['ascent_m']}")
    if data["strokes"] != session.get("total_cycles"):
        problems.append(f"{name}: strokes FIT {session.get('total_cycles')} JSON {data['strokes']}")
    per_stroke = session.get("avg_stroke_distance")
    if (per_stroke is None) != (data["avg_stroke_distance_m"] is None) or (
        per_stroke is not None and abs(per_stroke - data["avg_stroke_distance_m"]) > STROKE_DISTANCE_TOL_M
    ):
        problems.append(f"{name}: stroke distance FIT {per_stroke} JSON {data['avg_stroke_distance_m']}")
    fit_ftp = session.get("threshold_power")
    if (fit_ftp is None) != (data["ftp_w"] is None) or (
        fit_ftp is not None and round(data["ftp_w"]) != fit_ftp
    ):
        problems.append(f"{name}: FTP FIT {fit_ftp} JSON {data['ftp_w']}")
    csv_values = (row["ascent_m"], row["strokes"], row["avg_stroke_distance_m"], row["laps"])
    expected = (
        "" if data["ascent_m"] is None else f"{data['ascent_m']:.1f}",
        "" if data["strokes"] is None else str(data["strokes"]),
        "" if data["avg_stroke_distance_m"] is None else f"{data['avg_stroke_distance_m']:.2f}",
        str(len(data["laps"])),
    )
    if csv_values != expected:
        problems.append(f"{name}: summary.csv {csv_values} != JSON {expected}")
    return problems


def _parquet_row(workout: Workout) -> dict[str, Any] | None:
    try:
        from peloton_export.formats.parquet import workouts_table
    except ImportError:  # pragma: no cover - pyarrow is in requirements-dev
        return None
    return workouts_table(workout).to_pylist()[0]  # type: ignore[no-any-return]


def test_laps_and_totals_agree_across_fit_tcx_json_csv_parquet(
    normalized_fixtures: Mapping[str, Workout], tmp_path: Path
) -> None:
    """Conformance over every fixture and demo kind: FIT, TCX and JSON have the same laps
    (count, each lap's time within ``LAP_TIME_TOL_S`` and distance within
    ``LAP_DISTANCE_TOL_M``; the JSON lap distances add up to the total within
    ``LAP_SUM_TOL_M``); JSON, summary.csv and Parquet carry the FIT session's ascent (whole
    metres), strokes (exact), average stroke distance (``STROKE_DISTANCE_TOL_M``), FTP
    (whole watts) and lap count."""
    from peloton_export.formats.csv import summary_row

    pytest.importorskip("pyarrow")
    problems: list[str] = []
    workouts = list(normalized_fixtures.values())
    rows = strokes_seen = 0
    for workout in workouts:
        decoded = decode_workout(workout)
        session = decoded.one("session")
        data = _json(workout)
        problems += _lap_problems(workout, decoded, data)
        problems += _total_problems(
            workout, session, data, summary_row(workout, ExportContext(output_dir=tmp_path))
        )
        parquet = _parquet_row(workout)
        assert parquet is not None
        rows += 1
        strokes_seen += data["strokes"] is not None
        for key in ("ascent_m", "strokes", "avg_stroke_distance_m", "ftp_w", "distance_m"):
            if parquet[key] != data[key]:
                problems.append(f"{workout.id}: parquet {key} {parquet[key]} != JSON {data[key]}")
        if parquet["laps"] != len(data["laps"]):
            problems.append(f"{workout.id}: parquet laps {parquet['laps']} != {len(data['laps'])}")
    assert rows >= 30 and strokes_seen >= 3
    assert not problems, "\n".join(problems)


def test_json_laps_are_the_lap_plan_and_segments_stay(fixtures_dir: Path, tmp_path: Path) -> None:
    """The Row's JSON ``laps`` are the FIT laps (6 class segments, 1,023.28 m in all, flat
    after the last stroke); Peloton's segments stay under ``class_segments``; the strokes are
    Peloton's 133 and the stroke distance 7.69 m in JSON, summary.csv and Parquet."""
    from peloton_export.formats.csv import summary_row

    workout = normalize(_load(fixtures_dir, tmp_path, "rower_workout.json"))
    data = _json(workout)
    assert [s["name"] for s in data["class_segments"]] == [
        "Warm Up",
        "Drills",
        "Rowing",
        "Drills",
        "Rowing",
        "Drills",
    ]
    assert [(lap["start_offset"], lap["end_offset"]) for lap in data["laps"]] == [
        (0, 70),
        (70, 155),
        (155, 340),
        (340, 400),
        (400, 535),
        (535, 600),
    ]
    assert sum(lap["distance_m"] for lap in data["laps"]) == pytest.approx(1023.28, abs=1e-6)
    assert data["laps"][-1]["distance_m"] == pytest.approx(0.0, abs=1e-6)  # no stroke after 534 s
    assert [round(lap["distance_m"], 1) for lap in data["laps"]] == [
        round(d, 1) for _, d in _tcx_laps(workout)
    ]
    assert data["strokes"] == 133 and data["avg_stroke_distance_m"] == pytest.approx(7.694, abs=0.001)
    row = summary_row(workout, ExportContext(output_dir=tmp_path))
    assert (row["strokes"], row["avg_stroke_distance_m"], row["laps"]) == ("133", "7.69", "6")
    parquet = _parquet_row(workout)
    if parquet is not None:
        assert (parquet["strokes"], parquet["laps"]) == (133, 6)
    tread = normalize(_load(fixtures_dir, tmp_path, "tread_run_workout.json"))
    assert _json(tread)["ascent_m"] == pytest.approx(80.4672)
    assert summary_row(tread, ExportContext(output_dir=tmp_path))["ascent_m"] == "80.5"


def test_laps_are_the_same_in_fit_and_tcx(normalized_fixtures: Mapping[str, Workout]) -> None:
    """Issue 11 case 6: one lap plan per workout, no lap of a few seconds (but a short workout)."""
    from peloton_export.workout.laps import MIN_LAP_S

    for workout in normalized_fixtures.values():
        fit_n, tcx_n, durations = _lap_counts(workout)
        assert fit_n == tcx_n, f"{workout.id} {workout.discipline}: FIT {fit_n} laps, TCX {tcx_n}"
        if len(durations) > 1:
            assert min(durations[:-1]) >= MIN_LAP_S - 1, f"{workout.id}: {durations}"


def test_lap_strategy_by_discipline_and_option(fixtures_dir: Path, tmp_path: Path) -> None:
    from peloton_export.workout.laps import lap_strategy

    run = normalize(_load(fixtures_dir, tmp_path, "tread_run_workout.json"))
    assert lap_strategy(run) == "distance"
    assert lap_strategy(run, {"laps": "session"}) == "session"
    assert _lap_counts(run)[0] == 2  # 2,671.5 m: one full mile and the rest


def test_row_distance_stays_flat_after_the_last_stroke(fixtures_dir: Path, tmp_path: Path) -> None:
    """Issue 11 case 3: Peloton keeps showing pace after rowing stops (last stroke at 534 s of
    600); only moving seconds share the 1,023.28 m, so the distance is flat after it, and the
    500 m and 1,000 m marks fall where Peloton's own splits put them (286 s and 528 s)."""
    workout = normalize(_load(fixtures_dir, tmp_path, "rower_workout.json"))
    points = [(s.offset, s.distance_m) for s in workout.samples if s.distance_m is not None]
    tail = [d for offset, d in points if offset >= 534]
    assert len(tail) == 67
    assert tail == [pytest.approx(1023.28, abs=1e-6)] * len(tail)
    assert max(d for offset, d in points if offset < 534) < 1023.28
    for mark, peloton_s in ((500.0, 286), (1000.0, 528)):
        reached = next(offset for offset, d in points if d >= mark)
        assert abs(reached - peloton_s) <= 5, (mark, reached)
    decoded = decode_workout(workout)
    records = [(r["timestamp"], r.get("distance")) for r in decoded.all("record")]
    assert records[-1][1] == pytest.approx(1023.28, abs=DISTANCE_TOL_M)
    assert records[-60][1] == pytest.approx(1023.28, abs=DISTANCE_TOL_M)


def test_a_pause_in_a_ride_gains_no_distance(fixtures_dir: Path, tmp_path: Path) -> None:
    """A ride where the rider stopped for two minutes (cadence and output 0) while the
    speed still shows the last value: those seconds stay flat, the ride ends at Peloton's
    7.97 mi, and the moving seconds carry all of it."""
    raw = _load(fixtures_dir, tmp_path, "cycling_workout.json")
    graph = json.loads(json.dumps(raw.performance_graph))
    metrics = {m["slug"]: m for m in graph["metrics"]}
    offsets = graph["seconds_since_pedaling_start"]
    paused = range(600, 720)
    for i in paused:
        metrics["cadence"]["values"][i] = 0
        metrics["output"]["values"][i] = 0
        metrics["speed"]["values"][i] = metrics["speed"]["values"][599]
    workout = normalize(RawWorkout(workout_id=raw.workout_id, workout=raw.workout, performance_graph=graph))
    by_offset = {s.offset: s.distance_m for s in workout.samples}
    before, after = by_offset[offsets[599]], by_offset[offsets[719]]
    assert before is not None and after == pytest.approx(before, abs=1e-9)
    assert by_offset[offsets[720]] > after
    assert workout.samples[-1].distance_m == pytest.approx(7.97 * 1609.344, abs=DISTANCE_TOL_M)
    untouched = normalize(raw)
    # The same ride without the pause: the moving seconds now carry 120 s more of distance.
    assert by_offset[offsets[599]] > (untouched.samples[599].distance_m or 0.0)
    assert _format_totals(workout)["tcx trackpoints"] == pytest.approx(12826.5, abs=0.1)


def test_reconcile_ignores_non_finite_distances_and_keeps_still_seconds_flat() -> None:
    """A hostile series (NaN and infinity among the distances) still ends at the summary,
    every value finite; still seconds (speed 0, or cadence and power 0) gain nothing."""
    import math
    from datetime import UTC, datetime, timedelta

    from peloton_export.model import Sample
    from peloton_export.normalize._common import Context
    from peloton_export.normalize.reconcile import reconcile_distance

    start = datetime(2026, 1, 31, 7, tzinfo=UTC)
    rows = [
        (1, 10.0, 5.0, 90.0, 150.0),
        (2, float("nan"), 5.0, 90.0, 150.0),
        (3, 20.0, 0.0, 90.0, 150.0),  # speed 0: still
        (4, float("inf"), 5.0, 0.0, 0.0),  # no cadence, no power: still
        (5, 40.0, 5.0, 0.0, 0.0),  # still
        (6, 50.0, 5.0, 90.0, 150.0),
    ]
    samples = tuple(
        Sample(
            offset=o, time=start + timedelta(seconds=o), distance_m=d, speed_mps=v, cadence_rpm=c, power_w=p
        )
        for o, d, v, c, p in rows
    )
    ctx = Context(workout_id="w", start=start)
    out, _ = reconcile_distance(samples, (), 100.0, (), ctx)
    values = [s.distance_m for s in out]
    assert all(v is not None and math.isfinite(v) for v in values)
    # Moving steps: 10 (offset 1) and 10 (offset 6, from 40 to 50): each becomes 50 m.
    assert values == [pytest.approx(v) for v in (50.0, 50.0, 50.0, 50.0, 50.0, 100.0)]


@pytest.mark.parametrize("stored", [1, 20, 2500])
def test_an_ftp_outside_the_real_range_is_no_ftp(fixtures_dir: Path, tmp_path: Path, stored: float) -> None:
    """A 1 W or 2,500 W FTP (a typo, a test account) draws no zones and writes no threshold."""
    raw = _load(fixtures_dir, tmp_path, "cycling_workout.json")
    body = dict(raw.workout)
    body["ftp_info"] = {"ftp": stored, "ftp_source": "ftp_workout_source"}
    workout = normalize(
        RawWorkout(workout_id=raw.workout_id, workout=body, performance_graph=raw.performance_graph)
    )
    assert workout.ftp_w is None
    decoded = decode_workout(workout)
    assert decoded.one("session").get("threshold_power") is None
    assert not [z for z in decoded.all("time_in_zone") if z.get("power_zone_high_boundary")]


def test_every_format_tells_the_same_story(
    normalized_fixtures: Mapping[str, Workout], tmp_path: Path
) -> None:
    """Conformance over every fixture and demo kind, read back from the written files
    (``tests/written_numbers.py``): FIT, TCX, GPX, CSV with its summary.csv row, JSON and
    Parquet agree on duration, distance, calories, lap count, average and maximum power and
    heart rate, each within its format's rounding, and hold no NaN or infinity."""
    pytest.importorskip("pyarrow")
    from written_numbers import non_finite, rendered_numbers, story_problems

    problems: list[str] = []
    compared = 0
    for workout in normalized_fixtures.values():
        numbers = rendered_numbers(workout, tmp_path / workout.id)
        assert {"fit", "tcx", "csv", "json", "parquet"} <= set(numbers), sorted(numbers)
        problems += [f"{workout.id} {workout.discipline} {p}" for p in story_problems(numbers)]
        problems += [f"{workout.id} {p}" for p in non_finite(numbers)]
        compared += sum(n.distance_m is not None for n in numbers.values())
    assert compared > 50
    assert not problems, "\n".join(problems)
