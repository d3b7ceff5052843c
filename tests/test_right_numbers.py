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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_decode import decode

from peloton_export.default_plugins.tcx import render_tcx
from peloton_export.fit.encode import encode_workout
from peloton_export.model import HeartRateZone, TargetRange, Workout
from peloton_export.normalize import normalize
from peloton_export.report import render_page
from peloton_export.serialize import workout_to_dict
from peloton_export.stacking import stack_workouts
from peloton_export.testing.synth import synth_workout

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
