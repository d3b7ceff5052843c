"""Issue 23: right numbers in the corners.

Stacked laps at the classes' real times with each class's own totals (FIT, TCX, JSON,
HTML), workout steps as Peloton set the targets, heart-rate zone bounds never invented.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fit_decode import decode

from peloton_export.formats.fit.encode import encode_workout
from peloton_export.formats.json import workout_to_dict
from peloton_export.formats.report import render_page
from peloton_export.formats.tcx import render_tcx
from peloton_export.model import TargetRange, Workout
from peloton_export.normalize import normalize
from peloton_export.testing.synth import synth_workout
from peloton_export.workout.stacking import stack_workouts

GAP_S = 45
START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def _classes(*kinds_and_minutes: tuple[str, int], gap_s: int = GAP_S) -> list[Workout]:
    """Classes back to back, ``gap_s`` apart, each with its own Peloton summary."""
    out: list[Workout] = []
    when = START
    for seed, (kind, minutes) in enumerate(kinds_and_minutes):
        workout = normalize(synth_workout(kind, seed=seed, start=when, duration_s=minutes * 60))
        out.append(workout)
        when = workout.end + timedelta(seconds=gap_s)
    return out


def _tcx_laps(text: str) -> list[dict[str, Any]]:
    laps = []
    for block in re.findall(r"<Lap StartTime=\"([^\"]+)\">(.*?)</Lap>", text, re.S):
        start, body = block
        watts = re.search(r"<ns3:AvgWatts>(\d+)</ns3:AvgWatts>", body)
        laps.append(
            {
                "start": datetime.fromisoformat(start.replace("Z", "+00:00")),
                "calories": int(re.search(r"<Calories>(\d+)</Calories>", body)[1]),  # type: ignore[index]
                "distance": float(re.search(r"<DistanceMeters>([\d.]+)</DistanceMeters>", body)[1]),  # type: ignore[index]
                "watts": int(watts[1]) if watts else None,
            }
        )
    return laps


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def test_stacked_laps_start_at_each_class_in_fit_tcx_json_and_html() -> None:
    members = _classes(("cycling_class", 10), ("cycling_class", 5))
    stacked = stack_workouts(members)
    fit_laps = decode(encode_workout(stacked)).all("lap")
    tcx_laps = _tcx_laps(render_tcx(stacked))
    json_laps = workout_to_dict(stacked)["laps"]
    assert len(fit_laps) == len(tcx_laps) == len(json_laps) == 2
    for i, member in enumerate(members):
        expected = member.start + timedelta(seconds=min(s.offset for s in member.samples) if i else 0)
        fit_start = _utc(fit_laps[i]["start_time"])
        json_start = datetime.fromisoformat(json_laps[i]["start"].replace("Z", "+00:00"))
        for name, got in (("FIT", fit_start), ("TCX", tcx_laps[i]["start"]), ("JSON", json_start)):
            assert abs((got - expected).total_seconds()) <= 1, (name, i, got, expected)
    # the second class starts GAP_S after the first ended, not at start + active seconds
    assert (tcx_laps[1]["start"] - members[0].end).total_seconds() >= GAP_S - 1
    page = render_page(stacked, "stack.html")
    for lap in json_laps:
        assert f'data-start="{lap["start"]}"' in page


def test_each_class_lap_carries_that_class_s_own_summary() -> None:
    members = _classes(("cycling_class", 10), ("cycling_class", 5), ("cycling_class", 20))
    stacked = stack_workouts(members)
    fit_laps = decode(encode_workout(stacked)).all("lap")
    tcx_laps = _tcx_laps(render_tcx(stacked))
    json_laps = workout_to_dict(stacked)["laps"]
    page = render_page(stacked, "stack.html")
    for member, fit_lap, tcx_lap, json_lap in zip(members, fit_laps, tcx_laps, json_laps, strict=True):
        assert member.calories_kcal and member.total_work_j and member.avg_power_w
        calories = round(member.calories_kcal)
        assert fit_lap["total_calories"] == tcx_lap["calories"] == calories
        assert json_lap["calories_kcal"] == pytest.approx(member.calories_kcal)
        assert fit_lap["total_work"] == round(member.total_work_j)
        assert json_lap["total_work_j"] == pytest.approx(member.total_work_j)
        assert fit_lap["avg_power"] == tcx_lap["watts"] == round(member.avg_power_w)
        assert json_lap["avg_power_w"] == pytest.approx(member.avg_power_w)
        assert fit_lap["total_distance"] == pytest.approx(member.distance_m, abs=0.01)
        assert tcx_lap["distance"] == pytest.approx(member.distance_m, abs=0.05)
        assert json_lap["distance_m"] == pytest.approx(member.distance_m)
        assert f"<td class=n>{calories:,}</td>" in page
    # the classes' calories differ, so a split by lap length cannot give them
    assert len({round(m.calories_kcal or 0) for m in members}) == 3


# -- point 3: workout steps are the class as Peloton set it -------------------------------


def _target_spans(workout: Workout) -> list[tuple[int, int]]:
    return sorted({(t.start_offset, t.end_offset) for t in workout.targets})


def _fit_steps(workout: Workout) -> list[tuple[int, str, str | None]]:
    """``(start offset, target type, name)`` of each FIT workout step, as decoded."""
    steps = decode(encode_workout(workout)).all("workout_step")
    out, start = [], 0
    for step in steps:
        out.append((start, str(step["target_type"]), step.get("wkt_step_name")))
        start += int(step["duration_time"])
    return out


def test_tread_steps_are_peloton_s_66_target_spans(fixtures_dir: Path, tmp_path: Path) -> None:
    from peloton_export.source.importers import import_path
    from peloton_export.store.archive import Archive

    archive = Archive(tmp_path / "archive")
    report = import_path(fixtures_dir / "peloton-to-garmin" / "tread_run_workout.json", archive)
    (workout_id,) = [r.workout_id for r in report.results if r.status == "imported"]
    tread = normalize(archive.load(str(workout_id)))
    spans = _target_spans(tread)
    assert len(spans) == 66
    steps = [s for s in _fit_steps(tread) if s[1] != "open" or s[2]]
    assert [start for start, _, _ in steps] == [a for a, _ in spans]
    names = [name for _, _, name in steps]
    assert "incline 1.5-2.5 %" in ", ".join(n or "" for n in names)
    assert not any("incline 2-2 %" in (n or "") for n in names)
    assert any("mph" in (n or "") for n in names)  # speed as Peloton set it (the user's unit)


def test_short_target_spans_are_steps_of_their_own() -> None:
    ride = normalize(synth_workout("cycling_class", duration_s=600))
    base = 60
    targets = (
        TargetRange(start_offset=base, end_offset=base + 119, metric="cadence", lower=80, upper=90),
        TargetRange(start_offset=base + 120, end_offset=base + 124, metric="cadence", lower=100, upper=110),
        TargetRange(start_offset=base + 125, end_offset=base + 299, metric="cadence", lower=85.5, upper=95),
        TargetRange(
            start_offset=base + 125, end_offset=base + 299, metric="resistance", lower=32.5, upper=40
        ),
    )
    ride = replace(ride, targets=targets)
    steps = _fit_steps(ride)
    assert [(start, kind) for start, kind, _ in steps] == [
        (0, "open"),
        (60, "cadence"),
        (180, "cadence"),
        (185, "cadence"),
        (360, "open"),
    ]
    assert steps[3][2] == "cadence 85.5-95 rpm, resistance 32.5-40 %"
    # the laps may still fold the 5 s span into a neighbour
    laps = workout_to_dict(ride)["laps"]
    assert all(lap["timer_s"] >= 10 for lap in laps)


# -- point 4: heart-rate zone bounds only from data ----------------------------------------


def _effort_zones_only() -> Workout:
    """A ride whose graph gives time in zones only as ``effort_zones`` (no zone bounds)."""
    raw = synth_workout("cycling_class", duration_s=600)
    graph = json.loads(json.dumps(raw.performance_graph))
    for metric in graph["metrics"]:
        metric.pop("zones", None)
    assert graph["effort_zones"]["heart_rate_zone_durations"]
    return normalize(replace(raw, performance_graph=graph))


def test_zone_bounds_the_data_does_not_give_are_left_out_everywhere() -> None:
    workout = _effort_zones_only()
    assert [z.max_bpm for z in workout.heart_rate_zones] == [None] * 5
    (zones,) = decode(encode_workout(workout)).all("time_in_zone")
    assert len(zones["time_in_hr_zone"]) == 5 and sum(zones["time_in_hr_zone"]) > 0
    assert "hr_zone_high_boundary" not in zones
    data = workout_to_dict(workout)
    assert [(z["min_bpm"], z["max_bpm"]) for z in data["heart_rate_zones"]] == [(None, None)] * 5
    assert data["max_heart_rate_bpm"] is None
    page = render_page(workout, "w.html")
    assert 'class="zone z' not in page and 'class="zone-label"' not in page
    assert "Time in heart-rate zones" in page  # the seconds per zone are still Peloton's


def test_top_zone_bound_is_the_user_s_max_heart_rate_or_nothing() -> None:
    ride = normalize(synth_workout("cycling_class", duration_s=600))
    assert ride.max_heart_rate_bpm and ride.heart_rate_zones[-1].max_bpm
    top_open = tuple(replace(z, max_bpm=None) if z.number == 5 else z for z in ride.heart_rate_zones)
    with_max = replace(ride, heart_rate_zones=top_open)
    (zones,) = decode(encode_workout(with_max)).all("time_in_zone")
    assert zones["hr_zone_high_boundary"][-1] == round(ride.max_heart_rate_bpm)
    without = replace(with_max, max_heart_rate_bpm=None)
    (zones,) = decode(encode_workout(without)).all("time_in_zone")
    assert "hr_zone_high_boundary" not in zones and "max_heart_rate" not in zones
