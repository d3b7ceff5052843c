"""Issue 14: activity titles (FIT wkt_name, sinks, TCX, JSON) and FIT workout steps."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fit_decode import compare, decode
from workout_factory import cycling

from peloton_export.default_plugins.fit import write_fit
from peloton_export.errors import ConfigError, SkipWorkout
from peloton_export.formats.fit.encode import encode_workout
from peloton_export.formats.fit.workout import step_spans
from peloton_export.model import TargetRange, Workout
from peloton_export.normalize import normalize
from peloton_export.raw import RawWorkout
from peloton_export.sinkkit.templates import TITLE_LIMIT, activity_title, clean_title
from peloton_export.specs import ExportContext
from peloton_export.testing.synth import KINDS, synth_workout
from peloton_export.workout.disciplines import display_discipline
from peloton_export.workout.lap_spans import plan_laps


def _normalized(raw: RawWorkout) -> Workout | None:
    try:
        return normalize(raw)
    except SkipWorkout:
        return None


def _context(tmp_path: Path, **options: str) -> ExportContext:
    return ExportContext(output_dir=tmp_path, options=options)


def _fit(workout: Workout, context: ExportContext) -> bytes:
    out = context.output_dir / "w.fit"
    with out.open("wb") as stream:
        write_fit(workout, stream, context)
    return out.read_bytes()


@pytest.fixture
def fixture_workouts(recorded_workouts: Mapping[str, Workout]) -> Mapping[str, Workout]:
    """The recorded fixtures, normalized once per test process (tests/conftest.py)."""
    return recorded_workouts


def _expected_title(workout: Workout) -> str:
    title = workout.title or display_discipline(workout.discipline).replace("_", " ").title()
    return clean_title(f"{title} with {workout.instructor}" if workout.instructor else title)


@pytest.mark.parametrize("kind", KINDS)
def test_wkt_name_is_the_rendered_title_for_every_demo_kind(kind: str, tmp_path: Path) -> None:
    workout = _normalized(synth_workout(kind))
    if workout is None:
        pytest.skip(f"the demo kind {kind} is skipped by the normalizer")
    decoded = decode(_fit(workout, _context(tmp_path)))
    compare(workout, decoded)
    (wkt,) = decoded.garmin["workout_mesgs"]
    assert wkt["wkt_name"] == activity_title(workout) == _expected_title(workout)
    assert decoded.fitparse["workout"][0]["wkt_name"] == wkt["wkt_name"]  # fitparse agrees
    custom = decode(_fit(workout, _context(tmp_path, title="{duration_min} min {discipline} {local_date}")))
    assert custom.garmin["workout_mesgs"][0]["wkt_name"] == (
        f"{workout.timer_s / 60:.0f} min {display_discipline(workout.discipline)} "
        f"{activity_title(workout, template='{local_date}')}"
    )


def test_wkt_name_and_steps_for_every_fixture(
    fixture_workouts: Mapping[str, Workout], tmp_path: Path
) -> None:
    with_steps = 0
    for workout in fixture_workouts.values():
        decoded = decode(_fit(workout, _context(tmp_path)))
        assert decoded.garmin["workout_mesgs"][0]["wkt_name"] == _expected_title(workout)
        steps = decoded.garmin.get("workout_step_mesgs", [])
        assert len(steps) == len(step_spans(workout)) == decoded.garmin["workout_mesgs"][0]["num_valid_steps"]
        if steps:
            with_steps += 1
            _assert_steps_match_targets(workout, steps)
            _assert_laps_align(workout, decoded)
    assert with_steps >= 3


def _assert_steps_match_targets(workout: Workout, steps: list[dict[str, object]]) -> None:
    spans = step_spans(workout)
    assert sum(s["duration_time"] for s in steps) == spans[-1].end  # type: ignore[misc]
    for span, step in zip(spans, steps, strict=True):
        assert step["duration_type"] == "time"
        assert step["duration_time"] == span.end - span.start
        covering = [t for t in workout.targets if t.start_offset <= span.start <= t.end_offset]
        cadence = [t for t in covering if t.metric == "cadence"]
        speed = [t for t in covering if t.metric == "speed"]
        if cadence:
            assert step["target_type"] == "cadence"
            assert step["custom_target_cadence_low"] == round(cadence[0].lower or 0)
            assert step["custom_target_cadence_high"] == round(cadence[0].upper or 0)
        elif speed:
            assert step["target_type"] == "speed"
            assert step["custom_target_speed_low"] == pytest.approx(speed[0].lower, abs=0.001)
            assert step["custom_target_speed_high"] == pytest.approx(speed[0].upper, abs=0.001)
        else:
            assert step["target_type"] == "open"
        resistance = [t for t in covering if t.metric == "resistance"]
        if resistance:
            assert "resistance" in str(step["wkt_step_name"])


def _assert_laps_align(workout: Workout, decoded: object) -> None:
    from peloton_export.workout.laps import lap_strategy

    if lap_strategy(workout) not in ("target", "auto"):
        return  # distance laps (running, walking) or segments (Row): steps follow the class
    from peloton_export.workout.laps import planned_laps

    laps = decoded.garmin["lap_mesgs"]  # type: ignore[attr-defined]
    spans = step_spans(workout)
    planned = planned_laps(workout)
    assert len(laps) == len(planned) <= len(spans)
    # laps are steps, some short ones folded into a neighbour: every lap starts at a step
    starts = [s.start for s in spans]
    assert all(lap.start_offset in starts for lap in planned)
    # a lap that is exactly a step names it, as Garmin Connect links laps to steps
    index = {(s.start, s.end): i for i, s in enumerate(spans)}
    assert [lap.get("wkt_step_index") for lap in laps] == [
        index.get((p.start_offset, p.end_offset)) for p in planned
    ]
    assert sum(lap.get("wkt_step_index") is not None for lap in laps) >= len(laps) // 2


def test_cadence_steps_equal_the_class_targets_with_open_gaps() -> None:
    targets = (
        TargetRange(start_offset=60, end_offset=179, metric="cadence", lower=80, upper=90),
        TargetRange(start_offset=60, end_offset=179, metric="resistance", lower=35, upper=45),
        TargetRange(start_offset=180, end_offset=299, metric="cadence", lower=95, upper=105),
        TargetRange(start_offset=400, end_offset=499, metric="cadence", lower=70, upper=75),
    )
    workout = replace(cycling(minutes=10), targets=targets)
    decoded = decode(encode_workout(workout))
    steps = decoded.garmin["workout_step_mesgs"]
    got = [
        (s["duration_time"], s["target_type"], s.get("custom_target_cadence_low"), s.get("intensity"))
        for s in steps
    ]
    assert got == [
        (60, "open", None, "warmup"),
        (120, "cadence", 80, "active"),
        (120, "cadence", 95, "active"),
        (100, "open", None, "recovery"),
        (100, "cadence", 70, "active"),
        (100, "open", None, "cooldown"),
    ]
    assert steps[1]["custom_target_cadence_high"] == 90
    assert steps[1]["wkt_step_name"] == "cadence 80-90 rpm, resistance 35-45 %"
    laps = plan_laps(workout, 600)
    assert [(lap.start, lap.end) for lap in laps] == [(s.start, s.end) for s in step_spans(workout)]
    assert len(decoded.garmin["lap_mesgs"]) == len(steps)


def test_speed_is_the_secondary_target_next_to_cadence() -> None:
    targets = (
        TargetRange(start_offset=0, end_offset=299, metric="cadence", lower=24, upper=28),
        TargetRange(start_offset=0, end_offset=299, metric="speed", lower=2.5, upper=3.0),
        TargetRange(start_offset=300, end_offset=599, metric="speed", lower=3.1, upper=3.4),
    )
    workout = replace(cycling(minutes=10), targets=targets)
    steps = decode(encode_workout(workout)).garmin["workout_step_mesgs"]
    assert steps[0]["target_type"] == "cadence" and steps[0]["secondary_target_type"] == "speed"
    assert steps[0]["secondary_custom_target_speed_low"] == pytest.approx(2.5)
    assert steps[1]["target_type"] == "speed"
    assert steps[1]["custom_target_speed_high"] == pytest.approx(3.4)


def test_no_targets_no_steps_but_a_title() -> None:
    workout = replace(cycling(minutes=5), targets=(), instructor=None, title="Just Ride")
    decoded = decode(encode_workout(workout))
    assert decoded.garmin["workout_mesgs"][0]["wkt_name"] == "Just Ride"
    assert decoded.garmin["workout_mesgs"][0]["num_valid_steps"] == 0
    assert "workout_step_mesgs" not in decoded.garmin or not decoded.garmin["workout_step_mesgs"]


def test_hostile_titles_are_one_short_line(tmp_path: Path) -> None:
    hostile = "Ride\x00 with\nnewline\r\t\u202eevil\u0007 " + "x" * 300
    workout = replace(cycling(minutes=5), title=hostile, instructor="A\u200bB")
    title = activity_title(workout)
    assert len(title) <= TITLE_LIMIT
    assert all(c.isprintable() for c in title) and "  " not in title
    assert title.startswith("Ride with newline evil x")
    decoded = decode(_fit(workout, _context(tmp_path)))
    assert decoded.garmin["workout_mesgs"][0]["wkt_name"] == title


def test_title_template_settings(tmp_path: Path) -> None:
    workout = replace(cycling(minutes=30), title="30 min Climb Ride", instructor="Ana")
    assert activity_title(workout) == "30 min Climb Ride with Ana"
    assert activity_title(replace(workout, instructor=None)) == "30 min Climb Ride"
    run = _context(tmp_path, title="{instructor}: {title}")
    assert activity_title(workout, run) == "Ana: 30 min Climb Ride"
    own = _context(tmp_path, title="{title}", **{"fit.title_template": "{discipline} {minutes}"})
    assert activity_title(workout, own, plugin="fit") == "cycling 30"
    assert activity_title(workout, own, plugin="strava") == "30 min Climb Ride"
    with pytest.raises(ConfigError, match="nope"):
        activity_title(workout, _context(tmp_path, title="{nope}"))


def test_tcx_notes_and_json_carry_the_same_title(tmp_path: Path) -> None:
    import json
    import re
    from datetime import UTC, datetime
    from io import BytesIO

    from peloton_export.default_plugins.json_format import write_json
    from peloton_export.formats.tcx import write_tcx

    night = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)  # still Feb 28 in New York
    workout = replace(
        cycling(minutes=5, start=night),
        title="20 min Pop\x1b[31m Ride",
        instructor="Ana",
        timezone="America/New_York",
    )
    for context, expected in (
        (_context(tmp_path), "20 min Pop [31m Ride with Ana"),
        (_context(tmp_path, title="{title} · {local_date}"), "20 min Pop [31m Ride · 2025-02-28"),
    ):
        tcx, js, fit = BytesIO(), BytesIO(), _fit(workout, context)
        write_tcx(workout, tcx, context)
        write_json(workout, js, context)
        notes = re.search(r"<Notes>(.*?)</Notes>", tcx.getvalue().decode(), re.S)
        assert notes is not None
        assert notes.group(1).split("\n")[0] == expected
        assert ("Instructor: Ana" in notes.group(1)) == ("Ana" not in expected)
        assert json.loads(js.getvalue())["activity_title"] == expected
        assert decode(fit).garmin["workout_mesgs"][0]["wkt_name"] == expected


def test_config_title_template_reaches_every_file_of_a_run(tmp_path: Path) -> None:
    import json

    from peloton_export.config import Config
    from peloton_export.export.run import ExportRequest, run_export
    from peloton_export.plugins import create_host

    out = tmp_path / "out"
    config = Config(settings={"title_template": "{discipline}: {title}"})
    request = ExportRequest(demo=True, formats=("fit", "json"), output_dir=out, config=config)
    report = run_export(request, create_host(entry_points=False))
    assert not report.failed and report.count("exported") >= 8
    for path in out.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        shown = display_discipline(data["discipline"])  # the JSON keeps Peloton's own name
        expected = clean_title(f"{shown}: {data['title'] or ''}".rstrip())
        assert data["activity_title"] == expected
        fit = decode(path.with_suffix(".fit").read_bytes())
        assert fit.garmin["workout_mesgs"][0]["wkt_name"] == expected


def test_title_template_options_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--option fit.title_template=...` (docs/titles.md) works; a bad template is
    one usage error (exit 2) before anything is written, naming the setting."""
    from peloton_export.cli import run
    from peloton_export.plugins import create_host

    def cli(*args: str) -> int:
        return run(["--demo", "--limit", "1", "-f", "fit", *args], host=create_host(entry_points=False))

    out = tmp_path / "ok"
    assert cli("-o", str(out), "--option", "fit.title_template={discipline} {{x}} {duration_min} min") == 0
    (fit,) = list(out.glob("*.fit"))
    assert decode(fit.read_bytes()).garmin["workout_mesgs"][0]["wkt_name"] == "cycling {x} 45 min"
    capsys.readouterr()
    for option, named in (
        ("title={nosuch}", "title_template (--option title): unknown field {nosuch}"),
        ("title={title", "title_template (--option title): not a valid template"),
        ("title={title:>{width}}", "unknown field {width}"),
        ("title={title:d}", "not a valid template"),
        ("title={}", "not a valid template"),
        ("fit.title_template={oops}", "[plugin:fit] title_template: unknown field {oops}"),
    ):
        bad = tmp_path / "bad"
        assert cli("-o", str(bad), "--option", option) == 2, option
        err = capsys.readouterr().err
        assert named in err and "Traceback" not in err, (option, err)
        assert not bad.exists()
