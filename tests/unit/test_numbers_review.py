"""Issue 11, found in review: hostile summaries and series still give one story per file."""

from __future__ import annotations

import json
import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fit_decode import decode

from peloton_export.formats.fit.encode import encode_workout
from peloton_export.model import Workout
from peloton_export.normalize import normalize
from peloton_export.raw import RawWorkout
from peloton_export.source.importers import import_path
from peloton_export.store.archive import Archive

P2G = "peloton-to-garmin"


def _raw(fixtures_dir: Path, tmp_path: Path, name: str) -> RawWorkout:
    archive = Archive(tmp_path / "archive")
    report = import_path(fixtures_dir / P2G / name, archive)
    imported = [r for r in report.results if r.status == "imported"]
    assert imported, [r.line() for r in report.results]
    return archive.load(str(imported[0].workout_id))


def _with_graph(raw: RawWorkout, change: Any) -> Workout:
    graph = json.loads(json.dumps(raw.performance_graph))
    change(graph)
    return normalize(RawWorkout(workout_id=raw.workout_id, workout=raw.workout, performance_graph=graph))


def _drop_summary(graph: dict[str, Any], slug: str) -> None:
    for key in ("summaries", "average_summaries"):
        graph[key] = [s for s in graph.get(key) or [] if s.get("slug") != slug]


def test_row_strokes_come_from_the_per_stroke_list_without_stroke_count(
    fixtures_dir: Path, tmp_path: Path
) -> None:
    """No ``stroke_count`` summary: the per-stroke list (133 strokes) is the count, not the
    stroke rate integrated over time (218, which counts the seconds after rowing stopped)."""
    workout = _with_graph(
        _raw(fixtures_dir, tmp_path, "rower_workout.json"), lambda g: _drop_summary(g, "stroke_count")
    )
    assert workout.strokes == 133
    session = decode(encode_workout(workout)).one("session")
    assert session["total_cycles"] == 133
    assert session["avg_stroke_distance"] == pytest.approx(7.69, abs=0.01)


def _zero_motion(graph: dict[str, Any]) -> None:
    for metric in graph["metrics"]:
        if metric.get("slug") in ("speed", "cadence", "output"):
            metric["values"] = [0 for _ in metric.get("values") or []]


def _no_speed(graph: dict[str, Any]) -> None:
    graph["metrics"] = [m for m in graph["metrics"] if m.get("slug") not in ("speed", "pace")]


def _one_story(workout: Workout, folder: Path) -> None:
    """Records, laps (FIT, TCX) and every format's total end at the workout's distance,
    read back from the written files (``tests/written_numbers.py``)."""
    from written_numbers import rendered_numbers, story_problems

    total = workout.distance_m
    assert total is not None and total > 0
    decoded = decode(encode_workout(workout))
    records = [r["distance"] for r in decoded.all("record") if r.get("distance") is not None]
    assert records and max(records) == pytest.approx(total, abs=0.05)
    assert sum(lap.get("total_distance") or 0 for lap in decoded.all("lap")) == pytest.approx(total, abs=0.5)
    numbers = rendered_numbers(workout, folder)
    distances = {name: n.distance_m for name, n in numbers.items() if n.distance_m is not None}
    assert {"fit", "tcx", "csv", "json", "parquet"} <= set(distances), distances
    assert all(d == pytest.approx(total, abs=0.5) for d in distances.values()), distances
    assert story_problems(numbers) == []


@pytest.mark.parametrize("change", [_zero_motion, _no_speed], ids=["no-moving-sample", "no-speed-series"])
def test_a_distance_summary_without_series_distance_is_spread_over_time(
    fixtures_dir: Path, tmp_path: Path, change: Any
) -> None:
    """A ride whose series gains no distance (every sample still, or no speed at all) but
    whose summary says 7.93 mi: records, laps and TCX end at the summary, not at 0 m."""
    raw = _raw(fixtures_dir, tmp_path, "cycling_workout.json")
    workout = _with_graph(raw, change)
    assert workout.distance_m is not None
    _one_story(workout, tmp_path / "files")
    assert any("spread over their time" in n for n in workout.notes)


def test_gps_fixes_at_one_point_still_end_at_the_summary(fixtures_dir: Path, tmp_path: Path) -> None:
    def same_point(graph: dict[str, Any]) -> None:
        for segment in graph["location_data"]:
            points = segment.get("coordinates") or []
            for point in points:
                point.update(latitude=points[0]["latitude"], longitude=points[0]["longitude"], distance=0.0)

    workout = _with_graph(_raw(fixtures_dir, tmp_path, "just_walk_outdoor.json"), same_point)
    _one_story(workout, tmp_path / "files")
    fixes = [p.distance_m for p in workout.track if p.distance_m is not None]
    assert max(fixes) == pytest.approx(workout.distance_m or 0, abs=0.05)


def test_average_speed_is_the_same_in_fit_csv_parquet_and_html(fixtures_dir: Path, tmp_path: Path) -> None:
    """The cyrii42 ride (5 s samples): Peloton shows 7.93 mi in 30:00, 15.9 mph. The FIT
    session said 7.09 m/s while summary.csv, Parquet and the HTML page said 7.445 m/s
    (16.7 mph, the mean of the speed readings): one average, distance over active time."""
    import re

    from peloton_export.formats.csv import summary_row
    from peloton_export.formats.parquet import workouts_table
    from peloton_export.formats.report.page import render_page
    from peloton_export.specs import ExportContext

    archive = Archive(tmp_path / "archive")
    import_path(fixtures_dir / "peloton-cyrii42" / "4fbc5027efd344a6be4f8bbd4f9ae0e1.json", archive)
    workout = normalize(archive.load("4fbc5027efd344a6be4f8bbd4f9ae0e1"))
    fit = decode(encode_workout(workout)).one("session")["avg_speed"]
    assert fit == pytest.approx(7.09, abs=0.01)
    row = summary_row(workout, ExportContext(output_dir=tmp_path))
    assert float(row["avg_speed_mps"]) == pytest.approx(fit, abs=0.001)
    assert workouts_table(workout).to_pylist()[0]["avg_speed_mps"] == pytest.approx(fit, abs=0.001)
    page = render_page(workout, "page.html")
    shown = re.search(r"<dt>Avg speed</dt><dd>([0-9.]+) mph</dd>", page)
    assert shown is not None and float(shown.group(1)) == 15.9


def test_html_totals_show_ascent_and_strokes(fixtures_dir: Path, tmp_path: Path) -> None:
    from peloton_export.formats.report.page import render_page

    walk = normalize(_raw(fixtures_dir, tmp_path / "walk", "tread_run_workout.json"))
    assert "<dt>Elevation gain</dt><dd>264 ft</dd>" in render_page(walk, "walk.html")
    row = normalize(_raw(fixtures_dir, tmp_path / "row", "rower_workout.json"))
    page = render_page(row, "row.html")
    assert "<dt>Strokes</dt><dd>133</dd>" in page
    assert "<dt>Avg stroke distance</dt><dd>7.7 m</dd>" in page


@pytest.mark.parametrize(
    ("unit", "expected"), [("kcal", 250.0), (None, 250.0), ("kJ", 250 / 4.184), ("J", None)]
)
def test_calories_by_their_display_unit(
    fixtures_dir: Path, tmp_path: Path, unit: str | None, expected: float | None
) -> None:
    """A calories summary in kJ is converted to kcal (250 kJ = 59.8 kcal); 250 J is 0.06 kcal."""

    def set_calories(graph: dict[str, Any]) -> None:
        for item in graph["summaries"]:
            if item.get("slug") == "calories":
                item.update(value=250, display_unit=unit)

    workout = _with_graph(_raw(fixtures_dir, tmp_path, "cycling_workout.json"), set_calories)
    if expected is None:
        assert workout.calories_kcal == pytest.approx(250 / 4184)
    else:
        assert workout.calories_kcal == pytest.approx(expected)


@pytest.mark.parametrize("keep_summary", [True, False], ids=["with-summary", "without-summary"])
def test_a_gps_glitch_adds_no_distance(fixtures_dir: Path, tmp_path: Path, keep_summary: bool) -> None:
    """An old outdoor walk whose fixes carry no distance, with one fix thrown to the other
    side of the Earth and back: the walk stays about 2.35 km (not 30,723 km), and with the
    summary no single second gains more than a few metres (not 1,183 m each way)."""

    def glitch(graph: dict[str, Any]) -> None:
        for segment in graph["location_data"]:
            points = segment.get("coordinates") or []
            for point in points:
                point.pop("distance", None)
            middle = points[len(points) // 2]
            middle.update(latitude=-middle["latitude"], longitude=middle["longitude"] + 120)
        if not keep_summary:
            _drop_summary(graph, "distance")

    workout = _with_graph(_raw(fixtures_dir, tmp_path, "just_walk_outdoor.json"), glitch)
    assert workout.distance_m == pytest.approx(2365.7, rel=0.02)
    fixes = [p.distance_m for p in workout.track if p.distance_m is not None]
    assert max(b - a for a, b in pairwise(fixes)) < 100
    assert any("faster than 180 km/h" in n for n in workout.notes)


def test_peloton_s_averages_win_in_every_format(fixtures_dir: Path, tmp_path: Path) -> None:
    """The cyrii42 ride: Peloton shows avg output 101 W and cadence 77 rpm (181.6 kJ over
    30 min is 101 W); the mean of its 5-s samples is 111 W and 81 rpm, which the FIT, CSV,
    Parquet and HTML used to say. The Row: Peloton's avg output 55 W, stroke rate 20 spm."""
    import re

    from peloton_export.formats.csv import summary_row
    from peloton_export.formats.parquet import workouts_table
    from peloton_export.formats.report.page import render_page
    from peloton_export.specs import ExportContext

    archive = Archive(tmp_path / "archive")
    import_path(fixtures_dir / "peloton-cyrii42" / "4fbc5027efd344a6be4f8bbd4f9ae0e1.json", archive)
    ride = normalize(archive.load("4fbc5027efd344a6be4f8bbd4f9ae0e1"))
    row = normalize(_raw(fixtures_dir, tmp_path / "row", "rower_workout.json"))
    for workout, power, cadence in ((ride, 101, 77), (row, 55, 20)):
        session = decode(encode_workout(workout)).one("session")
        assert (session["avg_power"], session["avg_cadence"]) == (power, cadence)
        csv_row = summary_row(workout, ExportContext(output_dir=tmp_path))
        assert (float(csv_row["avg_power_w"]), float(csv_row["avg_cadence_rpm"])) == (power, cadence)
        parquet = workouts_table(workout).to_pylist()[0]
        assert (parquet["avg_power_w"], parquet["avg_cadence_rpm"]) == (power, cadence)
        page = render_page(workout, "page.html")
        assert re.search(rf"<dt>Avg output</dt><dd>{power} W</dd>", page)
        tile = "Avg stroke rate</dt><dd>{} spm" if workout is row else "Avg cadence</dt><dd>{} rpm"
        assert re.search(rf"<dt>{tile.format(cadence)}</dd>", page)  # issue 23: the Row's unit is spm


def test_laps_and_fit_laps_together_give_one_plan(fixtures_dir: Path, tmp_path: Path) -> None:
    """``--option fit.laps=segment --option laps=distance``: the FIT used segments (3 laps)
    while TCX and JSON used distance (8 laps); ``laps`` now wins in every format."""
    import re

    from peloton_export.default_plugins.json_format import write_json
    from peloton_export.formats.fit.encode import FitOptions
    from peloton_export.formats.tcx import write_tcx
    from peloton_export.specs import ExportContext

    archive = Archive(tmp_path / "archive")
    import_path(fixtures_dir / "peloton-cyrii42" / "4fbc5027efd344a6be4f8bbd4f9ae0e1.json", archive)
    workout = normalize(archive.load("4fbc5027efd344a6be4f8bbd4f9ae0e1"))
    context = ExportContext(output_dir=tmp_path, options={"fit.laps": "segment", "laps": "distance"})
    fit_laps = decode(encode_workout(workout, FitOptions.from_context(context))).all("lap")
    import io

    stream = io.BytesIO()
    write_json(workout, stream, context)
    json_laps = json.loads(stream.getvalue())["laps"]
    tcx = io.BytesIO()
    write_tcx(workout, tcx, context)
    tcx_laps = re.findall(r"<Lap StartTime=", tcx.getvalue().decode())
    assert len(fit_laps) == len(json_laps) == len(tcx_laps) == 8


def test_html_names_class_segments_not_laps(fixtures_dir: Path, tmp_path: Path) -> None:
    from peloton_export.formats.report.page import render_page

    page = render_page(normalize(_raw(fixtures_dir, tmp_path, "rower_workout.json")), "row.html")
    assert "<h2>Class segments</h2>" in page and "<h2>Laps</h2>" not in page
