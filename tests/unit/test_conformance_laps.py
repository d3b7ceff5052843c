"""Issue 23 conformance: every stacked and target workout through every format.

FIT, TCX, JSON and the HTML page agree on the lap starts (within 1 s), the lap totals
(calories; a stacked class's own) and the workout steps (FIT's step starts are Peloton's
target span starts, the page's target bands start there too). Workouts: the recorded
fixtures in ``../shared`` with targets (skipped with a reason when absent), the synthetic
kinds with targets, and stacks of synthetic classes 45 s apart.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fit_decode import decode

from peloton_export.errors import SkipWorkout
from peloton_export.formats.fit.encode import encode_workout
from peloton_export.formats.json import workout_to_dict
from peloton_export.formats.report import render_page
from peloton_export.formats.tcx import render_tcx
from peloton_export.model import Workout
from peloton_export.normalize import normalize
from peloton_export.testing.synth import KINDS, synth_workout
from peloton_export.workout.stacking import stack_workouts

START = datetime(2026, 4, 6, 6, 0, tzinfo=UTC)
STACKS = (
    ("cycling_class", "cycling_class"),
    ("cycling_class", "just_ride", "cycling_class"),
    ("tread_run", "tread_run"),
    ("outdoor_run", "outdoor_run"),
    ("row", "row"),
    ("paused_ride", "cycling_class"),
)


def _normalized(raw: object) -> Workout | None:
    try:
        return normalize(raw)  # type: ignore[arg-type]
    except SkipWorkout:
        return None


def _stack(kinds: tuple[str, ...], gap_s: int = 45) -> Workout:
    members, when = [], START
    for seed, kind in enumerate(kinds):
        workout = normalize(synth_workout(kind, seed=seed, start=when, duration_s=600))
        members.append(workout)
        when = workout.end + timedelta(seconds=gap_s)
    return stack_workouts(members)


def _synthetic() -> Iterator[tuple[str, Workout]]:
    for kind in KINDS:
        workout = _normalized(synth_workout(kind))
        if workout is not None and workout.targets:
            yield kind, workout
    for kinds in STACKS:
        yield "stack:" + "+".join(kinds), _stack(kinds)


def _recorded(fixtures: Path, tmp: Path) -> Iterator[tuple[str, Workout]]:
    from peloton_export.source.importers import import_path
    from peloton_export.store.archive import Archive

    archive = Archive(tmp / "archive")
    assert import_path(fixtures, archive).ok
    for workout_id in archive.ids():
        workout = _normalized(archive.load(workout_id))
        if workout is not None and workout.targets:
            yield workout_id, workout


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def problems_of(name: str, workout: Workout) -> list[str]:
    """Where FIT, TCX, JSON and the page disagree about ``workout``'s laps and steps."""
    problems: list[str] = []
    fit = decode(encode_workout(workout))
    fit_laps = fit.all("lap")
    tcx = render_tcx(workout)
    tcx_laps = re.findall(r'<Lap StartTime="([^"]+)">.*?<Calories>(\d+)</Calories>', tcx, re.S)
    json_laps = workout_to_dict(workout)["laps"]
    page = render_page(workout, "w.html")
    if not len(fit_laps) == len(tcx_laps) == len(json_laps):
        return [f"{name}: laps FIT {len(fit_laps)}, TCX {len(tcx_laps)}, JSON {len(json_laps)}"]
    for i, (f, (t_start, t_cal), j) in enumerate(zip(fit_laps, tcx_laps, json_laps, strict=True)):
        starts = {"FIT": _utc(f["start_time"]), "TCX": _time(t_start), "JSON": _time(j["start"])}
        if max(starts.values()) - min(starts.values()) > timedelta(seconds=1):
            problems.append(f"{name} lap {i}: starts {starts}")
        calories = (f.get("total_calories") or 0, int(t_cal), round(j["calories_kcal"] or 0))
        if len(set(calories)) != 1:
            problems.append(f"{name} lap {i}: calories FIT/TCX/JSON {calories}")
    if workout.parts:
        page_starts = re.findall(r'<tr data-start="([^"]+)">', page)
        json_starts = [lap["start"] for lap in json_laps]
        if page_starts != json_starts:
            problems.append(f"{name}: page class starts {page_starts} != JSON {json_starts}")
        classes = sorted(workout.laps, key=lambda lap: lap.start_offset)
        for one, j in zip(classes, json_laps, strict=True):
            if one.calories_kcal is not None and j["calories_kcal"] != one.calories_kcal:
                problems.append(f"{name}: lap calories {j['calories_kcal']} != class {one.calories_kcal}")
    spans = sorted({t.start_offset for t in workout.targets})
    step_starts, at = [], 0
    for step in fit.all("workout_step"):
        if step["target_type"] != "open" or step.get("wkt_step_name"):
            step_starts.append(at)
        at += int(step["duration_time"])
    if step_starts != spans:
        problems.append(f"{name}: FIT step starts {step_starts[:8]}... != target starts {spans[:8]}...")
    bands = {float(v) for v in re.findall(r'<rect class="band"[^>]*data-start="([\d.]+)"', page)}
    if bands and not bands <= {float(s) for s in spans}:
        problems.append(f"{name}: page bands start at {sorted(bands - {float(s) for s in spans})[:5]}")
    if workout.targets and workout.samples and not bands:  # no samples: no charts
        problems.append(f"{name}: the page draws no target band")
    return problems


def test_synthetic_target_and_stacked_workouts_agree_in_every_format() -> None:
    seen = list(_synthetic())
    assert sum(name.startswith("stack:") for name, _ in seen) == len(STACKS)
    assert sum(not name.startswith("stack:") for name, _ in seen) >= 3
    problems = [p for name, workout in seen for p in problems_of(name, workout)]
    assert not problems, "\n".join(problems)


def test_recorded_target_workouts_agree_in_every_format(fixtures_dir: Path, tmp_path: Path) -> None:
    seen = list(_recorded(fixtures_dir, tmp_path))
    assert seen, "the fixtures have target workouts (the Tread walk at least)"
    problems = [p for name, workout in seen for p in problems_of(name, workout)]
    assert not problems, "\n".join(problems)
