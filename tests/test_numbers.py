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
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_decode import decode

from peloton_export.archive import Archive
from peloton_export.default_plugins.csv_format import write_csv
from peloton_export.default_plugins.gpx import render_gpx
from peloton_export.default_plugins.json_format import write_json
from peloton_export.default_plugins.tcx import render_tcx
from peloton_export.errors import SkipWorkout
from peloton_export.fit.encode import encode_workout
from peloton_export.importers import import_path
from peloton_export.model import Workout
from peloton_export.normalize import normalize
from peloton_export.raw import RawWorkout
from peloton_export.specs import ExportContext

P2G = "peloton-to-garmin"
DEMO = Path(__file__).resolve().parents[1] / "peloton_export" / "data" / "demo"

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
    return decode(encode_workout(workout)).one("session")


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
    decoded = decode(encode_workout(workout))
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
    decoded = decode(encode_workout(workout))
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


def _all_workouts(fixtures_dir: Path, tmp_path: Path) -> list[Workout]:
    archive = Archive(tmp_path / "all")
    import_path(fixtures_dir, archive)
    import_path(DEMO, archive)
    workouts = []
    for wid in archive.ids():
        try:
            workouts.append(normalize(archive.load(wid)))
        except SkipWorkout:
            continue
    return workouts


def test_every_format_ends_at_peloton_s_summary(fixtures_dir: Path, tmp_path: Path) -> None:
    """Conformance: every fixture and demo kind; each format's distance total equals the
    workout's (Peloton's summary when it gives one) within ``DISTANCE_TOL_M``, and the FIT
    ascent is the elevation summary within ``ASCENT_TOL_M``."""
    workouts = _all_workouts(fixtures_dir, tmp_path)
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
    decoded = decode(encode_workout(workout))
    fit_laps = decoded.all("lap")
    tcx_laps = re.findall(r"<Lap StartTime=", render_tcx(workout))
    return len(fit_laps), len(tcx_laps), [float(lap["total_timer_time"]) for lap in fit_laps]


def test_laps_are_the_same_in_fit_and_tcx(fixtures_dir: Path, tmp_path: Path) -> None:
    """Issue 11 case 6: one lap plan per workout, no lap of a few seconds (but a short workout)."""
    from peloton_export.laps import MIN_LAP_S

    for workout in _all_workouts(fixtures_dir, tmp_path):
        fit_n, tcx_n, durations = _lap_counts(workout)
        assert fit_n == tcx_n, f"{workout.id} {workout.discipline}: FIT {fit_n} laps, TCX {tcx_n}"
        if len(durations) > 1:
            assert min(durations[:-1]) >= MIN_LAP_S - 1, f"{workout.id}: {durations}"


def test_lap_strategy_by_discipline_and_option(fixtures_dir: Path, tmp_path: Path) -> None:
    from peloton_export.laps import lap_strategy

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
    decoded = decode(encode_workout(workout))
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
