"""FIT files of every demo kind and every recorded fixture; strength sets; movement mapping."""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fit_decode import compare, decode, decode_workout

from peloton_export.default_plugins import fit as fit_plugin
from peloton_export.errors import ConfigError, SkipWorkout
from peloton_export.formats.fit.encode import FitOptions, encode_workout
from peloton_export.formats.fit.strength import load_exercise_map, movement_key
from peloton_export.model import Workout
from peloton_export.normalize import normalize
from peloton_export.raw import RawWorkout
from peloton_export.store.archive import Archive
from peloton_export.testing.synth import KINDS, synth_workout


def _normalized(raw: RawWorkout) -> Workout | None:
    try:
        return normalize(raw)
    except SkipWorkout:
        return None


@pytest.mark.parametrize("kind", KINDS)
def test_every_demo_kind_encodes_decodes_and_matches(kind: str) -> None:
    workout = _normalized(synth_workout(kind))
    if workout is None:
        pytest.skip(f"the demo kind {kind} is skipped by the normalizer (not exportable)")
    decoded = decode(encode_workout(workout), both=True)  # both readers, every demo kind
    compare(workout, decoded)
    assert decoded.one("session")["sport"] != "generic"


@pytest.fixture
def fixture_workouts(recorded_workouts: Mapping[str, Workout]) -> Mapping[str, Workout]:
    """The recorded fixtures, normalized once per test process (tests/conftest.py)."""
    return recorded_workouts


def test_every_fixture_workout_encodes_decodes_and_matches(
    fixtures_dir: Path, fixture_workouts: Mapping[str, Workout]
) -> None:
    assert len(fixture_workouts) >= 25
    disciplines = set()
    for workout in fixture_workouts.values():
        decoded = decode_workout(workout)
        compare(workout, decoded)
        disciplines.add(decoded.one("session")["sport"])
    assert {"cycling", "running", "walking", "rowing", "training", "meditation"} <= disciplines


def test_guide_fixture_sets_are_written_with_garmin_exercises(
    fixture_workouts: Mapping[str, Workout],
) -> None:
    workout = fixture_workouts["ab02df14382243c4a69bc00d3d3526b3"]  # 2023 schema, real Guide data
    assert workout.sets
    decoded = decode(encode_workout(workout))
    compare(workout, decoded)
    active = [s for s in decoded.all("set") if s["set_type"] == "active"]
    assert {_cat(s) for s in active} == {"shoulder_press", "push_up"}


def _cat(message: dict[str, object]) -> object:
    value = message.get("category")
    return value[0] if isinstance(value, list) else value


@pytest.mark.parametrize("kind", ["strength", "strength_2023"])
def test_strength_sets_from_both_tracker_schemas(kind: str) -> None:
    raw = synth_workout(kind)
    tracker = raw.workout["movement_tracker_data"]["completed_movements_summary_data"]
    items = tracker["repetition_summary_data"]
    schema_2025 = any("completed_reps" in item for item in items)
    assert schema_2025 == (kind == "strength")
    workout = normalize(raw)
    assert {s.source for s in workout.sets} == {"tracker"}
    decoded = decode(encode_workout(workout))
    compare(workout, decoded)
    sets = decoded.all("set")
    assert {s["set_type"] for s in sets} == {"active", "rest"}
    weighted = [s for s in sets if "weight" in s]
    assert weighted and all(s["weight_display_unit"] == "pound" for s in weighted)
    assert all(_cat(s) not in (None, "unknown") for s in sets if s["set_type"] == "active")
    session = decoded.one("session")
    assert (session["sport"], session["sub_sport"]) == ("training", "strength_training")


def test_strength_sets_from_the_class_plan_without_tracker_data() -> None:
    raw = synth_workout("strength")
    body = copy.deepcopy(raw.workout)
    body.pop("movement_tracker_data")
    workout = normalize(replace(raw, workout=body))
    assert workout.sets and {s.source for s in workout.sets} == {"class_plan"}
    decoded = decode(encode_workout(workout))
    compare(workout, decoded)
    assert any(s.get("repetitions") for s in decoded.all("set"))


def _map_file(path: Path, movements: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"format": 1, "movements": movements}), "utf-8")
    return path


def test_the_builtin_map_is_valid_and_data_only() -> None:
    mapping = load_exercise_map()
    assert len(mapping.by_name) > 60
    bicep = mapping.lookup(None, "  bicep-curl ")
    assert bicep is not None and bicep.category == "curl"
    assert mapping.lookup(None, "Interpretive Dance") is None
    assert movement_key("Push-Up!") == "pushup"


def test_users_extend_the_map_with_an_option_or_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PELOTON_EXPORT_CONFIG_DIR", str(tmp_path / "config"))
    workout = normalize(synth_workout("strength"))
    renamed = tuple(
        replace(s, movement_name="Zombie Walk", movement_id="zz") if s.kind == "active" else s
        for s in workout.sets
    )
    odd = replace(workout, sets=renamed)
    plain = decode(encode_workout(odd)).all("set")
    assert all("category" not in s for s in plain)  # unmapped: set kept, no category
    extra = _map_file(
        tmp_path / "mine.json", [{"name": "Zombie Walk", "category": "lunge", "exercise": "walking_lunge"}]
    )
    mapped = decode(encode_workout(odd, FitOptions(exercise_map=str(extra)))).all("set")
    assert {_cat(s) for s in mapped if s["set_type"] == "active"} == {"lunge"}
    (tmp_path / "config").mkdir()
    _map_file(
        tmp_path / "config" / "exercise_map.json",
        [{"name": "Other", "ids": ["zz"], "category": "squat", "exercise": "goblet_squat"}],
    )
    by_id = decode(encode_workout(odd)).all("set")
    assert {_cat(s) for s in by_id if s["set_type"] == "active"} == {"squat"}


@pytest.mark.parametrize(
    ("entry", "text"),
    [
        ({"name": "X", "category": "juggling", "exercise": "x"}, "not a FIT exercise_category"),
        ({"name": "X", "category": "curl", "exercise": "goblet_squat"}, "not a FIT curl_exercise_name"),
        ({"category": "curl", "exercise": "hammer_curl"}, "'name'"),
    ],
)
def test_bad_map_entries_are_config_errors(tmp_path: Path, entry: dict[str, object], text: str) -> None:
    path = _map_file(tmp_path / f"bad{abs(hash(text))}.json", [entry])
    with pytest.raises(ConfigError, match=text) as info:
        load_exercise_map(path)
    assert "movements[0]" in str(info.value) and str(path) in str(info.value)
    (tmp_path / "broken.json").write_text("{", "utf-8")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_exercise_map(tmp_path / "broken.json")


def test_unmapped_command_lists_movements_without_mapping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PELOTON_EXPORT_CONFIG_DIR", str(tmp_path / "config"))
    archive = Archive(tmp_path / "archive")
    raw = synth_workout("strength", seed=3)
    body = copy.deepcopy(raw.workout)
    items = body["movement_tracker_data"]["completed_movements_summary_data"]["repetition_summary_data"]
    for item in items[:2]:
        item["movement_name"] = "Zombie Walk"
        item["movement_id"] = "zz" * 16
    archive.put_raw(replace(raw, workout=body))
    archive.put_raw(synth_workout("cycling_class"))

    import click

    @click.group()
    def cli() -> None:
        pass

    fit_plugin.register_commands(cli)
    result = CliRunner().invoke(cli, ["unmapped", "--archive", str(tmp_path / "archive")])
    assert result.exit_code == 0, result.output
    assert "1 movement(s) without a Garmin exercise mapping (2 workouts read)" in result.output
    assert "Zombie Walk" in result.output and " 2  Zombie Walk" in result.output

    extra = _map_file(
        tmp_path / "mine.json", [{"name": "Zombie Walk", "category": "lunge", "exercise": "walking_lunge"}]
    )
    result = CliRunner().invoke(
        cli, ["unmapped", "--archive", str(tmp_path / "archive"), "--exercise-map", str(extra)]
    )
    assert result.exit_code == 0 and "Every movement in 2 workout(s)" in result.output


def test_plugins_register_against_the_hook_specs() -> None:
    import pluggy

    from peloton_export import hookspecs
    from peloton_export.default_plugins import merge as merge_plugin

    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    pm.register(fit_plugin, name="fit")
    pm.register(merge_plugin, name="merge")
    pm.check_pending()
    specs = [spec for group in pm.hook.register_formats() for spec in group]
    assert [s.name for s in specs] == ["fit"]
