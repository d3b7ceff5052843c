"""Tests of the synthetic Peloton bodies of :mod:`peloton_export.testing.synth`.

Shapes are checked against the recorded responses in ``../shared/fixtures`` (read at test
time through the ``fixtures_dir`` fixture; nothing from them is copied here).
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from peloton_export.raw import RawWorkout
from peloton_export.store.archive import Archive
from peloton_export.testing.synth import (
    DEFAULT_START,
    KINDS,
    STANDARD_KINDS,
    bike,
    kinds,
    list_item,
    member_profile,
    member_settings,
    synth_workout,
    synth_workouts,
)
from peloton_export.testing.synth.tiny import (
    BASE_START,
    BASE_TIME,
    put_tiny,
    tiny_bodies,
    tiny_id,
    tiny_workout,
    tiny_workouts,
)

HEX32 = re.compile(r"^[0-9a-f]{32}$")
BIKE_KINDS = (
    "cycling_class",
    "just_ride",
    "paused_ride",
    "metric_ride",
    "bike_bootcamp",
    "scenic_ended_early",
    "in_progress",
)
WITH_SAMPLES = tuple(k for k in KINDS if k not in ("empty", "meditation"))


def dump(raw: RawWorkout) -> str:
    """All bodies of a workout as one JSON text."""
    return json.dumps([raw.workout, raw.performance_graph, raw.ride_details], sort_keys=True)


def graph(raw: RawWorkout) -> dict[str, Any]:
    assert raw.performance_graph is not None
    return raw.performance_graph


def metric(raw: RawWorkout, slug: str) -> dict[str, Any]:
    """A metric by slug, also looking inside ``alternatives``."""
    for m in graph(raw)["metrics"]:
        if m["slug"] == slug:
            return m  # type: ignore[no-any-return]
        for alt in m.get("alternatives") or []:
            if alt["slug"] == slug:
                return alt  # type: ignore[no-any-return]
    raise AssertionError(f"no metric {slug}")


# ----------------------------------------------------------------------------- fixtures


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8-sig"))


def _lower_keys(value: Any) -> Any:
    """P2G's PascalCase DTO keys, lowercased (to compare with the snake_case API)."""
    if isinstance(value, dict):
        return {k.lower(): _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


class Real:
    """Pairs of (workout, graph) bodies from the recorded fixtures, by what they show."""

    def __init__(self, root: Path) -> None:
        p2g = root / "peloton-to-garmin"
        cyr = root / "peloton-cyrii42"

        def wrap(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
            data = _load(p2g / name)
            return data["Workout"], data["WorkoutSamples"]

        def cyrii(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
            data = _load(cyr / name)
            w = {k: v for k, v in data["summary_raw"].items() if k != "workout_id"}
            g = {k: v for k, v in data["metrics_raw"].items() if k != "workout_id"}
            return w, g

        self.newest_class = cyrii("f00165fbfcba42a79610df7d56b56095.json")
        self.paused_class = cyrii("d154f5c4471b44378c84c531f5a30e70.json")
        self.just_ride_paused = cyrii("5514d34adfdf44a2a8290d93205604c5.json")
        self.empty = cyrii("143517e9e0e6493e9532eb1b15b2321c.json")
        self.cycling = wrap("cycling_workout.json")
        self.tread = wrap("tread_run_workout.json")
        self.outdoor = wrap("walking_outdoor_01.json")
        self.row = wrap("rower_workout.json")
        self.meditation = wrap("meditation_workout.json")
        self.no_metrics = wrap("running_workout_no_metrics.json")
        legacy = p2g / "legacy-python-2021"
        self.freestyle_ride = _load(legacy / "peloton_workout_cycling_freestyle.json")["ride"]
        self.km_graph = _load(legacy / "peloton_workoutsamples_cycling_km.json")
        self.list_item = _load(p2g / "rower_sample.json")["data"][0]
        self.strength_dto = _lower_keys(_load(p2g / "strength_guide_with_exercise.json"))
        self.all = [
            self.newest_class,
            self.paused_class,
            self.just_ride_paused,
            self.empty,
            self.cycling,
            self.tread,
            self.outdoor,
            self.row,
            self.meditation,
            self.no_metrics,
        ]

    def workout_keys(self) -> set[str]:
        return set().union(*(set(w) for w, _ in self.all))

    def graph_keys(self) -> set[str]:
        return set().union(*(set(g) for _, g in self.all))

    def metrics(self) -> dict[str, dict[str, Any]]:
        """One real metric item per slug (alternatives included)."""
        out: dict[str, dict[str, Any]] = {}
        for _, g in self.all:
            for m in g.get("metrics") or []:
                out.setdefault(m["slug"], m)
                for alt in m.get("alternatives") or []:
                    out.setdefault(f"alt:{alt['slug']}", alt)
        return out


@functools.cache
def _real(root: Path) -> Real:
    return Real(root)


@pytest.fixture
def real(fixtures_dir: Path) -> Real:
    """The recorded bodies (read once per test session)."""
    return _real(fixtures_dir)


@pytest.fixture(scope="module")
def every_kind() -> dict[str, RawWorkout]:
    return {kind: synth_workout(kind) for kind in KINDS}


# ----------------------------------------------------------------------------- public API


def test_kind_lists() -> None:
    assert KINDS[: len(STANDARD_KINDS)] == STANDARD_KINDS
    assert len(set(KINDS)) == len(KINDS)
    assert STANDARD_KINDS[:6] == ("cycling_class", "just_ride", "tread_run", "outdoor_run", "row", "strength")
    assert STANDARD_KINDS[-3:] == ("meditation", "paused_ride", "metric_ride")
    assert {
        "bike_bootcamp",
        "scenic_ended_early",
        "empty",
        "in_progress",
        "imported",
        "yoga",
        "strength_2023",
    } <= set(KINDS)


def test_unknown_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown demo kind"):
        synth_workout("surfing")
    with pytest.raises(ValueError, match="every_n"):
        synth_workout("cycling_class", every_n=0)
    with pytest.raises(ValueError, match="units"):
        synth_workout("cycling_class", units="furlongs")
    with pytest.raises(ValueError, match="unknown demo kind"):
        synth_workouts(3, kinds=["cycling_class", "surfing"])


@pytest.mark.parametrize("kind", KINDS)
def test_raw_workout_basics(kind: str, every_kind: dict[str, RawWorkout]) -> None:
    raw = every_kind[kind]
    assert raw.source == "demo"
    assert raw.workout_id == raw.workout["id"]
    assert HEX32.match(raw.workout_id)
    assert HEX32.match(raw.workout["user_id"])
    assert HEX32.match(raw.workout["ride"]["id"])
    assert raw.workout["user_id"] == member_profile()["id"]
    assert raw.workout["start_time"] == int(DEFAULT_START.timestamp())
    assert raw.workout["created_at"] <= raw.workout["start_time"] or kind == "imported"
    assert raw.performance_graph is not None
    assert (raw.ride_details is not None) == kind.startswith("strength")


# ----------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_json(kind: str) -> None:
    a = synth_workout(kind, seed=7)
    b = synth_workout(kind, seed=7)
    assert dump(a) == dump(b)


@pytest.mark.parametrize("kind", KINDS)
def test_different_seeds_differ(kind: str) -> None:
    a = synth_workout(kind, seed=1)
    b = synth_workout(kind, seed=2)
    assert a.workout_id != b.workout_id
    assert dump(a) != dump(b)


def test_demo_workouts_are_deterministic() -> None:
    a = [dump(r) for r in synth_workouts(12, seed=3)]
    b = [dump(r) for r in synth_workouts(12, seed=3)]
    assert a == b
    assert len({json.loads(x)[0]["id"] for x in a}) == 12


def test_no_clock_or_global_random(monkeypatch: pytest.MonkeyPatch) -> None:
    import random
    import time

    before = dump(synth_workout("outdoor_run", seed=5))
    random.seed(12345)
    monkeypatch.setattr(time, "time", lambda: 0.0)
    assert dump(synth_workout("outdoor_run", seed=5)) == before


# ----------------------------------------------------------------------------- shapes vs real bodies


def _numberish(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _assert_same_types(gen: dict[str, Any], ref: dict[str, Any], where: str) -> None:
    for key, value in ref.items():
        if key in gen and value is not None and gen[key] is not None:
            assert _numberish(gen[key]) == _numberish(value), f"{where}.{key}"


@pytest.mark.parametrize("kind", KINDS)
def test_workout_keys_match_real_bodies(kind: str, real: Real, every_kind: dict[str, RawWorkout]) -> None:
    w = every_kind[kind].workout
    newest, _ = real.newest_class
    known = real.workout_keys() | {"movement_tracker_data"}
    assert set(w) - known == set(), "keys no real body has"
    common = set.intersection(*(set(rw) for rw, _ in real.all))
    assert common <= set(w), "keys every real body has"
    assert set(newest) <= set(w), "keys of the newest (2024) body"
    for rw, _ in real.all:
        _assert_same_types(w, rw, "workout")


@pytest.mark.parametrize("kind", [k for k in KINDS if k not in ("just_ride", "imported")])
def test_class_ride_keys_match(kind: str, real: Real, every_kind: dict[str, RawWorkout]) -> None:
    ride = every_kind[kind].workout["ride"]
    newest_ride = real.newest_class[0]["ride"]
    assert set(ride) == set(newest_ride) | {"instructor"}
    _assert_same_types(ride, newest_ride, "ride")
    _assert_same_types(ride, real.cycling[0]["ride"], "ride")
    if ride["instructor"] is not None:
        real_instructor = real.cycling[0]["ride"]["instructor"]
        assert set(ride["instructor"]) == set(real_instructor)
        _assert_same_types(ride["instructor"], real_instructor, "instructor")
        assert ride["instructor"]["name"].endswith(" Demo")
        assert ride["instructor_id"] == ride["instructor"]["id"]


@pytest.mark.parametrize("kind", ["just_ride", "imported"])
def test_pseudo_ride_keys(kind: str, real: Real, every_kind: dict[str, RawWorkout]) -> None:
    ride = every_kind[kind].workout["ride"]
    assert set(ride) == set(real.freestyle_ride)
    assert ride["id"] == "0" * 32
    if kind == "just_ride":
        assert ride["instructor"]["name"] == "JUST RIDE"
        assert every_kind[kind].workout["workout_type"] == "freestyle"


@pytest.mark.parametrize("kind", KINDS)
def test_graph_keys_match_real_bodies(kind: str, real: Real, every_kind: dict[str, RawWorkout]) -> None:
    g = graph(every_kind[kind])
    assert set(g) - real.graph_keys() == set()
    common = set.intersection(*(set(rg) for _, rg in real.all))
    assert common <= set(g)
    for _, rg in real.all:
        _assert_same_types(g, rg, "graph")


@pytest.mark.parametrize("kind", KINDS)
def test_item_shapes_match(kind: str, real: Real, every_kind: dict[str, RawWorkout]) -> None:
    """Metrics, summaries, segments, splits, targets and zones have the real items' keys."""
    g = graph(every_kind[kind])
    real_metrics = real.metrics()
    for m in g["metrics"]:
        ref = real_metrics[m["slug"]]
        assert set(m) == set(ref), m["slug"]
        _assert_same_types(m, ref, m["slug"])
        for alt in m.get("alternatives", []):
            assert set(alt) == set(real_metrics[f"alt:{alt['slug']}"])
        if "zones" in m:
            assert [set(z) for z in m["zones"]] == [set(z) for z in ref["zones"]]
    summary_keys = {"display_name", "display_unit", "value", "slug"}
    for s in g["summaries"] + g["average_summaries"]:
        assert set(s) == summary_keys
    seg_keys = set().union(*(set(s) for _, rg in real.all for s in rg["segment_list"]))
    for seg in g["segment_list"]:
        assert set(seg) <= seg_keys
        assert {"id", "name", "start_time_offset", "length", "icon_slug", "metrics_type"} <= set(seg)
    _, newest = real.newest_class
    if g.get("splits_data"):
        assert set(g["splits_data"]) == set(newest["splits_data"])
        for split in g["splits_data"]["splits"]:
            assert set(split) == set(newest["splits_data"]["splits"][0])
    if "splits_metrics" in g:
        ref_sm = real.row[1]["splits_metrics"] if kind == "row" else newest["splits_metrics"]
        assert [h["slug"] for h in g["splits_metrics"]["header"]][1:] == [
            h["slug"] for h in ref_sm["header"]
        ][1:]
        for row in g["splits_metrics"]["metrics"]:
            assert set(row) == set(ref_sm["metrics"][0])
            assert [set(d) for d in row["data"]] == [set(d) for d in ref_sm["metrics"][0]["data"]]
    tmpd = g["target_metrics_performance_data"]
    assert set(tmpd) == set(newest["target_metrics_performance_data"])
    for t in tmpd["target_metrics"]:
        assert set(t) == set(newest["target_metrics_performance_data"]["target_metrics"][0])
    if "target_performance_metrics" in g:
        ref_tpm = newest["target_performance_metrics"]
        assert set(g["target_performance_metrics"]) == set(ref_tpm)
        for t in g["target_performance_metrics"]["target_graph_metrics"]:
            assert set(t) == set(ref_tpm["target_graph_metrics"][0])
    if g["effort_zones"] is not None:
        assert set(g["effort_zones"]) == set(newest["effort_zones"])
        assert set(g["effort_zones"]["heart_rate_zone_durations"]) == set(
            newest["effort_zones"]["heart_rate_zone_durations"]
        )


def test_outdoor_location_shape(real: Real, every_kind: dict[str, RawWorkout]) -> None:
    g = graph(every_kind["outdoor_run"])
    ref = real.outdoor[1]["location_data"]
    assert len(g["location_data"]) == len(g["segment_list"])
    for seg, seg_json in zip(g["location_data"], g["segment_list"], strict=True):
        assert set(seg) == set(ref[0])
        assert seg["segment_id"] == seg_json["id"]
        for c in seg["coordinates"]:
            assert set(c) == set(ref[0]["coordinates"][0])
    assert g["is_location_data_accurate"] is True
    assert every_kind["outdoor_run"].workout["is_outdoor"] is True
    assert every_kind["outdoor_run"].workout["device_type"] == "iPhone"


def test_row_shape(real: Real, every_kind: dict[str, RawWorkout]) -> None:
    raw = every_kind["row"]
    g, ref = graph(raw), real.row[1]
    assert set(g["caesar_metrics"]) == set(ref["caesar_metrics"])
    assert set(g["caesar_metrics"]["output"]) == set(ref["caesar_metrics"]["output"])
    for stroke in g["caesar_metrics"]["output"]["data"]:
        assert set(stroke) == set(ref["caesar_metrics"]["output"]["data"][0])
    assert [s["slug"] for s in g["summaries"]] == [s["slug"] for s in ref["summaries"]]
    assert [(s["slug"], s["display_unit"]) for s in g["average_summaries"]] == [
        (s["slug"], s["display_unit"]) for s in ref["average_summaries"]
    ]
    assert raw.workout["fitness_discipline"] == raw.workout["device_type"] == "caesar"


def test_strength_2023_items_match_the_dto(real: Real, every_kind: dict[str, RawWorkout]) -> None:
    ref = real.strength_dto["workout"]["movement_tracker_data"]
    ref_item = ref["completed_movements_summary_data"]["repetition_summary_data"][0]
    data = every_kind["strength_2023"].workout["movement_tracker_data"]
    assert set(data) == set(ref)
    items = data["completed_movements_summary_data"]["repetition_summary_data"]
    assert items
    for item in items:
        assert set(item) == set(ref_item)
        assert set(item["weight"][0]) == set(ref_item["weight"][0])
        assert set(item["weight"][0]["weight_data"]) == set(ref_item["weight"][0]["weight_data"])
        assert isinstance(item["is_hold"], bool)


def test_strength_2025_schema(every_kind: dict[str, RawWorkout]) -> None:
    raw = every_kind["strength"]
    tracker = raw.workout["movement_tracker_data"]
    items = tracker["completed_movements_summary_data"]["repetition_summary_data"]
    keys = {
        "movement_id",
        "movement_name",
        "tracking_type",
        "completed_reps",
        "completed_duration",
        "offset",
        "length",
        "weight",
    }
    assert items
    assert {i["tracking_type"] for i in items} <= {"rep_counting", "time_tracked_rep", "time_based", "rounds"}
    offsets = [i["offset"] for i in items]
    assert offsets == sorted(offsets)
    last = graph(raw)["seconds_since_pedaling_start"][-1]
    for item in items:
        assert set(item) == keys
        assert item["weight"][0]["weight_data"]["weight_unit"] == "lb"
        assert item["offset"] >= 0
        assert item["offset"] + item["length"] <= last
    assert [m["slug"] for m in graph(raw)["metrics"]] == ["heart_rate"]


@pytest.mark.parametrize("kind", ["strength", "strength_2023"])
def test_strength_ride_details(kind: str, every_kind: dict[str, RawWorkout]) -> None:
    raw = every_kind[kind]
    details = raw.ride_details
    assert details is not None
    assert details["ride"]["id"] == raw.workout["ride"]["id"]
    subs = [s for seg in details["segments"]["segment_list"] for s in seg["subsegments_v2"]]
    assert subs
    sub_keys = {
        "id",
        "type",
        "display_name",
        "scheduled_offset",
        "offset",
        "length",
        "rounds",
        "trackable_movements_disabled",
        "movements",
    }
    movement_ids = set()
    for sub in subs:
        assert set(sub) == sub_keys
        for mv in sub["movements"]:
            assert {"id", "name", "slug", "skill_level", "muscle_groups", "talkback_description"} <= set(mv)
            movement_ids.add(mv["id"])
    done = raw.workout["movement_tracker_data"]["completed_movements_summary_data"]["repetition_summary_data"]
    assert {i["movement_id"] for i in done} <= movement_ids


def test_list_item_is_a_subset_like_the_real_list(real: Real, every_kind: dict[str, RawWorkout]) -> None:
    for raw in every_kind.values():
        item = list_item(raw)
        assert set(item) <= set(real.list_item)
        assert item["ride"] == raw.workout["ride"]
        assert item["id"] == raw.workout_id
        assert "leaderboard_rank" not in item
    assert set(list_item(every_kind["row"])) == set(real.list_item)


def test_user_and_settings() -> None:
    user = member_profile()
    assert user == member_profile(0)
    assert user["id"] != member_profile(1)["id"]
    for key in (
        "id",
        "username",
        "total_workouts",
        "cycling_ftp",
        "cycling_ftp_source",
        "default_max_heart_rate",
        "default_heart_rate_zones",
    ):
        assert key in user
    for pii in ("email", "first_name", "last_name", "name", "birthday", "phone_number"):
        assert pii not in user
    assert HEX32.match(user["id"])
    zones = user["default_heart_rate_zones"]
    assert len(zones) == 5 and zones == sorted(zones)
    assert member_settings()["distance_unit"] == "imperial"
    assert member_settings("metric")["distance_unit"] == "metric"


# ----------------------------------------------------------------------------- time and offsets


@pytest.mark.parametrize("kind", KINDS)
def test_offsets_are_increasing_ints_with_small_gaps(kind: str, every_kind: dict[str, RawWorkout]) -> None:
    offsets = graph(every_kind[kind])["seconds_since_pedaling_start"]
    assert all(type(o) is int for o in offsets)
    assert all(0 < b - a <= 2 for a, b in itertools.pairwise(offsets))
    if offsets:
        assert offsets[0] == (0 if kind == "just_ride" else 1)


@pytest.mark.parametrize("kind", WITH_SAMPLES)
def test_every_n_samples(kind: str) -> None:
    full = synth_workout(kind, seed=4)
    sparse = synth_workout(kind, seed=4, every_n=5)
    offs = graph(sparse)["seconds_since_pedaling_start"]
    full_offs = graph(full)["seconds_since_pedaling_start"]
    assert offs[0] == full_offs[0] and offs[-1] == full_offs[-1]
    assert math.ceil(len(full_offs) / 5) <= len(offs) <= math.ceil(len(full_offs) / 5) + 1
    assert all(a < b for a, b in itertools.pairwise(offs))
    for m_full, m_sparse in zip(graph(full)["metrics"], graph(sparse)["metrics"], strict=True):
        assert len(m_sparse["values"]) == len(offs)
        # The API's averages and summaries do not depend on every_n.
        assert m_full["average_value"] == m_sparse["average_value"]
    assert graph(full)["summaries"] == graph(sparse)["summaries"]


@pytest.mark.parametrize("kind", KINDS)
def test_values_line_up_with_offsets(kind: str, every_kind: dict[str, RawWorkout]) -> None:
    g = graph(every_kind[kind])
    n = len(g["seconds_since_pedaling_start"])
    for m in g["metrics"]:
        assert len(m["values"]) == n, m["slug"]
        for alt in m.get("alternatives", []):
            assert len(alt["values"]) == n
    for t in g.get("target_performance_metrics", {}).get("target_graph_metrics", []):
        for values in t["graph_data"].values():
            assert len(values) == n


@pytest.mark.parametrize("kind", [k for k in STANDARD_KINDS if k != "paused_ride"])
def test_elapsed_matches_active_time(kind: str, every_kind: dict[str, RawWorkout]) -> None:
    raw = every_kind[kind]
    offsets = graph(raw)["seconds_since_pedaling_start"]
    elapsed = raw.workout["end_time"] - raw.workout["start_time"]
    assert abs(elapsed - offsets[-1]) <= 2
    assert raw.workout["has_paused"] is False


def test_paused_ride(every_kind: dict[str, RawWorkout]) -> None:
    raw = every_kind["paused_ride"]
    w, g = raw.workout, graph(raw)
    assert w["has_paused"] is True and w["is_paused"] is False
    assert w["pause_time_elapsed"] == 120
    last = g["seconds_since_pedaling_start"][-1]
    assert last == w["ride"]["duration"]
    assert w["end_time"] - w["start_time"] == last + 120


def test_scenic_ended_early(every_kind: dict[str, RawWorkout]) -> None:
    raw = every_kind["scenic_ended_early"]
    g = graph(raw)
    assert g["duration"] == 1200
    assert 300 <= g["seconds_since_pedaling_start"][-1] <= 500
    assert raw.workout["workout_type"] == "scenic"
    assert raw.workout["ride"]["content_provider"] == "virtual_active"
    assert raw.workout["ride"]["instructor_id"] is None


def test_empty_workout(real: Real, every_kind: dict[str, RawWorkout]) -> None:
    raw = every_kind["empty"]
    g = graph(raw)
    assert raw.workout["status"] == "COMPLETE"
    assert raw.workout["end_time"] == raw.workout["start_time"]
    assert g["seconds_since_pedaling_start"] == []
    assert all(m["values"] == [] and m["average_value"] is None for m in g["metrics"])
    assert all(s["value"] is None for s in g["summaries"] + g["average_summaries"])
    ref = real.empty[1]
    assert [m["slug"] for m in g["metrics"]] == [m["slug"] for m in ref["metrics"]]


def test_in_progress(every_kind: dict[str, RawWorkout]) -> None:
    raw = every_kind["in_progress"]
    assert raw.workout["status"] == "IN_PROGRESS"
    assert raw.workout["end_time"] is None
    assert graph(raw)["seconds_since_pedaling_start"][-1] < raw.workout["ride"]["duration"] / 2


def test_meditation_without_metrics(every_kind: dict[str, RawWorkout]) -> None:
    g = graph(every_kind["meditation"])
    assert g["metrics"] == [] and g["summaries"] == [] and g["average_summaries"] == []
    assert len(g["seconds_since_pedaling_start"]) > 100


def test_imported_workout(every_kind: dict[str, RawWorkout]) -> None:
    raw = every_kind["imported"]
    w, g = raw.workout, graph(raw)
    assert w["ride"]["id"] == "0" * 32
    assert w["platform"] == "apple_health"
    assert w["created_at"] > w["end_time"], "imported after it happened"
    assert g["has_apple_watch_metrics"] is True
    assert "total_calories" in {s["slug"] for s in g["summaries"]}


def test_time_fields(every_kind: dict[str, RawWorkout]) -> None:
    w = every_kind["cycling_class"].workout
    assert w["timezone"] == "America/New_York"
    # January: UTC-5, and device_time_created_at is the local wall clock written as epoch.
    assert w["device_time_created_at"] == w["created_at"] - 5 * 3600
    assert 55 <= w["start_time"] - w["created_at"] <= 70
    summer = synth_workout("cycling_class", start=datetime(2026, 7, 1, 7, tzinfo=UTC)).workout
    assert summer["device_time_created_at"] == summer["created_at"] - 4 * 3600


def test_targets_are_in_class_video_time(every_kind: dict[str, RawWorkout]) -> None:
    raw = every_kind["cycling_class"]
    ride = raw.workout["ride"]
    targets = graph(raw)["target_metrics_performance_data"]["target_metrics"]
    assert targets[0]["offsets"]["start"] == ride["pedaling_start_offset"] == 60
    assert targets[-1]["offsets"]["end"] == ride["pedaling_end_offset"]
    for a, b in itertools.pairwise(targets):
        assert b["offsets"]["start"] == a["offsets"]["end"] + 1
    names = {m["name"] for t in targets for m in t["metrics"]}
    assert names == {"cadence", "resistance"}


# ----------------------------------------------------------------------------- values


@pytest.mark.parametrize("kind", BIKE_KINDS)
def test_bike_values_are_plausible(kind: str, every_kind: dict[str, RawWorkout]) -> None:
    raw = every_kind[kind]
    power = metric(raw, "output")["values"]
    speed = metric(raw, "speed")["values"]
    resistance = metric(raw, "resistance")["values"]
    cadence = metric(raw, "cadence")["values"]
    factor = 1.0 if metric(raw, "speed")["display_unit"] == "mph" else 1.609344
    for w, v, r, c in zip(power, speed, resistance, cadence, strict=True):
        if w is None:
            assert v is None and r is None and c is None
            continue
        assert 0 <= r <= 100 and 0 <= c <= 130 and 0 <= w <= 1500
        # Speed follows power like the Bike's virtual speed.
        assert v == pytest.approx(bike.bike_speed_mph(w) * factor, abs=0.25)


@pytest.mark.parametrize("kind", [k for k in WITH_SAMPLES if k != "just_ride"])
def test_heart_rate(kind: str, every_kind: dict[str, RawWorkout]) -> None:
    hr = metric(every_kind[kind], "heart_rate")
    values = hr["values"]
    assert all(isinstance(v, int) for v in values)
    readings = [v for v in values if v]
    assert readings and all(40 <= v <= 220 for v in readings)
    # Seconds without a reading: the 0 samples, plus any missing second right after one.
    assert values.count(0) <= hr["missing_data_duration"] <= 2 * values.count(0)
    assert sum(z["duration"] for z in hr["zones"]) + hr["missing_data_duration"] >= len(values) - 2


def test_heart_rate_has_dropouts_and_lag(every_kind: dict[str, RawWorkout]) -> None:
    values = metric(every_kind["cycling_class"], "heart_rate")["values"]
    assert 0 in values
    steps = [abs(b - a) for a, b in itertools.pairwise(values) if a and b]
    assert max(steps) <= 5, "HR moves smoothly (lag), it does not jump with power"


@pytest.mark.parametrize("kind", ["tread_run", "outdoor_run"])
@pytest.mark.parametrize("units", ["imperial", "metric"])
def test_pace_and_speed_agree(kind: str, units: str) -> None:
    raw = synth_workout(kind, units=units)
    pace = metric(raw, "pace")
    speed = metric(raw, "speed")
    assert "speed" in {a["slug"] for a in pace["alternatives"]}
    assert pace["display_unit"] == ("min/mi" if units == "imperial" else "min/km")
    assert speed["display_unit"] == ("mph" if units == "imperial" else "kph")
    for p, v in zip(pace["values"], speed["values"], strict=True):
        if v < 0.5:
            assert p is None, "pace is null while standing"
        else:
            assert p == pytest.approx(60.0 / v, abs=0.01)
    assert None in pace["values"]
    assert pace["max_value"] <= pace["average_value"], "the max pace is the fastest"


def test_tread_has_incline_and_output(every_kind: dict[str, RawWorkout]) -> None:
    raw = every_kind["tread_run"]
    assert raw.workout["device_type"] == "home_tread"
    incline = metric(raw, "incline")["values"]
    assert all(0 <= v <= 15 for v in incline)
    assert max(metric(raw, "output")["values"]) > 0


def test_row_values(every_kind: dict[str, RawWorkout]) -> None:
    raw = every_kind["row"]
    for w, p in zip(metric(raw, "output")["values"], metric(raw, "split_pace")["values"], strict=True):
        if w:
            assert p == pytest.approx(500.0 / (w / 2.8) ** (1 / 3) / 60.0, rel=0.02)
    distance = next(s for s in graph(raw)["summaries"] if s["slug"] == "distance")
    assert distance["display_unit"] == "m"
    splits = graph(raw)["splits_metrics"]["metrics"]
    markers = [row["data"][0]["value"] for row in splits[:-1]]
    assert markers == [500.0 * (i + 1) for i in range(len(splits) - 1)]


def test_metric_units_ride(every_kind: dict[str, RawWorkout]) -> None:
    raw = every_kind["metric_ride"]
    assert metric(raw, "speed")["display_unit"] == "kph"
    units = {s["slug"]: s["display_unit"] for s in graph(raw)["summaries"]}
    assert units["distance"] == "km"
    assert graph(raw)["splits_data"]["distance_marker_display_unit"] == "km"
    imperial = synth_workout("metric_ride", units="imperial")
    assert metric(imperial, "speed")["display_unit"] == "mph"


def test_splits_add_up(every_kind: dict[str, RawWorkout]) -> None:
    g = graph(every_kind["cycling_class"])
    splits = g["splits_data"]["splits"]
    distance = next(s["value"] for s in g["summaries"] if s["slug"] == "distance")
    assert sum(s["distance_marker"] if s["distance_marker"] < 1 else 1 for s in splits) == pytest.approx(
        distance, abs=0.02
    )
    assert sum(s["seconds"] for s in splits) <= g["seconds_since_pedaling_start"][-1]
    assert sum(1 for s in splits if s["is_best"]) == 1


def test_bootcamp_nulls_off_the_bike(every_kind: dict[str, RawWorkout]) -> None:
    raw = every_kind["bike_bootcamp"]
    output = metric(raw, "output")["values"]
    assert None in output and any(v is not None for v in output)
    assert None not in metric(raw, "heart_rate")["values"]
    assert raw.workout["fitness_discipline"] == "bike_bootcamp"


def test_gps_track(every_kind: dict[str, RawWorkout]) -> None:
    g = graph(every_kind["outdoor_run"])
    offsets = g["seconds_since_pedaling_start"]
    points = [c for seg in g["location_data"] for c in seg["coordinates"]]
    assert len(points) > len(offsets) * 0.9
    times = [c["seconds_offset_from_start"] for c in points]
    assert all(a < b for a, b in itertools.pairwise(times))
    assert offsets[0] <= times[0] and times[-1] <= offsets[-1]
    distances = [c["distance"] for c in points]
    assert distances == sorted(distances)
    assert any(c["accuracy"] is None for c in points)
    assert all(c["distance_display_unit"] == "mi" for c in points)
    # A loop in the middle of Central Park's Great Lawn, nowhere near anyone's home.
    assert all(40.779 < c["latitude"] < 40.784 and -73.971 < c["longitude"] < -73.961 for c in points)
    total = next(s["value"] for s in g["summaries"] if s["slug"] == "distance")
    assert distances[-1] == pytest.approx(total, abs=0.02)
    altitude = metric(every_kind["outdoor_run"], "altitude")
    assert altitude["display_unit"] == "ft" and len(altitude["values"]) == len(offsets)


def test_duration_override() -> None:
    raw = synth_workout("cycling_class", duration_s=3600)
    assert raw.workout["ride"]["duration"] == 3600
    assert graph(raw)["seconds_since_pedaling_start"][-1] == 3600


# ----------------------------------------------------------------------------- the iterator


def test_standard_set() -> None:
    raws = list(synth_workouts())
    assert len(raws) == len(STANDARD_KINDS)
    starts = [r.workout["start_time"] for r in raws]
    assert starts[0] == int(DEFAULT_START.timestamp())
    assert [a - b for a, b in itertools.pairwise(starts)] == [86_400] * (len(raws) - 1)
    assert raws[1].workout["ride"]["id"] == "0" * 32
    assert raws[3].workout["is_outdoor"] is True


def test_count_mixes_kinds_and_dates() -> None:
    start = datetime(2025, 6, 1, 12, tzinfo=UTC)
    raws = list(synth_workouts(5, kinds=["row", "yoga"], start=start, seed=9))
    assert [r.workout["fitness_discipline"] for r in raws] == ["caesar", "yoga", "caesar", "yoga", "caesar"]
    assert [r.workout["start_time"] for r in raws] == [
        int((start - timedelta(days=i)).timestamp()) for i in range(5)
    ]
    default_mix = {r.workout["fitness_discipline"] for r in synth_workouts(16)}
    assert {"cycling", "running", "caesar", "strength"} <= default_mix


def test_iterator_is_lazy(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_builder = kinds.synth_workout

    def counting(kind: str, **kwargs: Any) -> RawWorkout:
        calls.append(kind)
        return real_builder(kind, **kwargs)

    monkeypatch.setattr(kinds, "synth_workout", counting)
    it = synth_workouts(2000)
    assert isinstance(it, Iterator)
    assert calls == []
    first = list(itertools.islice(it, 3))
    assert len(first) == 3 and len(calls) == 3


def test_fifty_hour_long_workouts_complete() -> None:
    ids = set()
    for raw in synth_workouts(50, duration_s=3600, kinds=STANDARD_KINDS):
        ids.add(raw.workout_id)
        assert raw.performance_graph is not None
    assert len(ids) == 50


# ----------------------------------------------------------------------------- integration


def test_archive_accepts_every_kind(tmp_path: Path, every_kind: dict[str, RawWorkout]) -> None:
    archive = Archive(tmp_path)
    for raw in every_kind.values():
        assert archive.put_raw(raw) is True
        back = archive.load(raw.workout_id)
        assert back.workout == raw.workout
        assert back.performance_graph == raw.performance_graph
        assert back.ride_details == raw.ride_details
        assert back.source == "demo"
    assert len(archive) == len(KINDS)
    assert not archive.is_complete(every_kind["in_progress"].workout_id)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_normalizes(kind: str, every_kind: dict[str, RawWorkout]) -> None:
    normalize_module = pytest.importorskip("peloton_export.normalize")
    from peloton_export.errors import SkipWorkout

    raw = every_kind[kind]
    if kind in ("empty", "in_progress"):
        with pytest.raises(SkipWorkout):
            normalize_module.normalize(raw)
        pytest.skip(f"{kind}: skipped by design (empty or not COMPLETE)")
    workout = normalize_module.normalize(raw)
    assert workout.id == raw.workout_id
    if kind == "imported":  # from another platform: a distance summary, no distance series
        assert len(workout.notes) == 1 and "spread over their time" in workout.notes[0]
    else:
        assert workout.notes == (), "the normalizer had to work around something"
    assert workout.timer_s > 0
    if kind in WITH_SAMPLES:
        assert workout.samples
    if kind == "outdoor_run":
        assert workout.track and workout.is_outdoor
    if kind.startswith("strength"):
        assert workout.sets
    if kind == "imported":
        assert workout.origin.startswith("imported:")
    if kind == "paused_ride":
        assert workout.pause_s == 120


# ----------------------------------------------------------------------------- tiny workouts


def test_tiny_workouts_are_predictable() -> None:
    raws = list(tiny_workouts(3, seed=2))
    assert [r.workout_id for r in raws] == [tiny_id(i, 2) for i in (2, 1, 0)]
    created = [r.workout["created_at"] for r in raws]
    assert created == [BASE_TIME + 3 * 3600 - n * 3600 for n in range(3)]
    for raw in raws:
        w, g = raw.workout, graph(raw)
        assert HEX32.match(raw.workout_id) and raw.source == "fake"
        assert w["start_time"] == w["created_at"] + 60
        assert w["end_time"] == w["start_time"] + 30
        assert g["seconds_since_pedaling_start"] == list(range(1, 31))
        assert {m["slug"] for m in g["metrics"]} == {"output", "cadence", "heart_rate", "speed"}
        assert all(len(m["values"]) == 30 for m in g["metrics"])
        assert w["ride"]["id"] != "0" * 32, "a class, not the freestyle pseudo-ride"
    assert [dump(r) for r in raws] == [dump(r) for r in tiny_workouts(3, seed=2)]


def test_tiny_workout_options() -> None:
    raw = tiny_workout(
        workout_id="ab" * 16, start=BASE_START, title="Control", samples=90, status="IN_PROGRESS"
    )
    assert raw.workout_id == raw.workout["id"] == "ab" * 16
    assert raw.workout["start_time"] == BASE_START and raw.workout["end_time"] is None
    assert raw.workout["ride"]["title"] == "Control"
    assert graph(raw)["seconds_since_pedaling_start"][-1] == 90
    walk = tiny_workout(4, outdoor=True, discipline="walking", extra={"title": "Walk"})
    points = graph(walk)["location_data"][0]["coordinates"]
    assert len(points) == 30 and walk.workout["ride"]["id"] == "0" * 32
    assert walk.workout["title"] == "Walk" and walk.workout["device_type"] == "iPhone"
    with pytest.raises(ValueError, match="samples"):
        tiny_workout(samples=0)


def test_tiny_bodies_go_into_an_archive_and_normalize(tmp_path: Path) -> None:
    from peloton_export.normalize import normalize

    archive = Archive(tmp_path)
    put_tiny(archive, "cd" * 16, start=BASE_START, title="Morning Ride")
    back = archive.load("cd" * 16)
    assert back.source == "test"
    assert back.workout == tiny_bodies("cd" * 16, start=BASE_START, title="Morning Ride")["workout"]
    workout = normalize(back)
    assert workout.id == "cd" * 16 and len(workout.samples) == 30
    assert workout.instructor == "Test Instructor"
    assert normalize(tiny_workout(1, outdoor=True, discipline="walking")).track
