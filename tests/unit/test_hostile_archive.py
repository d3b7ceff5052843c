"""Every body in the archive is hostile input, read back by the command line.

A property test damages one field of one archived workout (``workout.json``,
``performance_graph.json``, ``ride_details.json`` or the archive's own ``meta.json``) with
NaN, ±infinity, a huge, negative or wrong-typed value, or by dropping it, stores it beside
two intact workouts the way a damaged disk would (the bytes written over the entry), and
runs ``peloton-export --offline`` on the archive. It asserts what a user must see: no
exception escapes (no traceback), the intact workouts are exported, and either the damaged
one is exported too (exit 0) or it fails alone with one line naming it (exit 1). A
workout exported with a value changed by NaN or an infinity must say so in a ``warning
<id>:`` line (its JSON export is compared with the intact one's), and no written JSON holds
NaN or Infinity.

The bases are synthetic (no ``../shared``), Hypothesis is derandomized and keeps no example
database, so the run is the same with or without ``../shared``; the ``@example`` seeds
include the case a fresh clone found (a NaN ``start_time`` in ``workout.json`` with no
start in ``meta.json``, which crashed the whole run in the selection step).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import re
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from peloton_export.cli import run as cli
from peloton_export.raw import RawWorkout
from peloton_export.store.archive import BODY_FILES, Archive
from peloton_export.testing.synth import synth_workout
from peloton_export.testing.synth.tiny import tiny_bodies
from tests.hypothesis_budget import examples
from tests.unit.test_hostile import READ_KEYS

#: The damaged workout's kinds: a class with a plan, GPS, strength sets, the Row.
TARGET_KINDS = ("cycling_class", "outdoor_run", "strength", "row")
CONTROLS = ("c1" * 16, "c2" * 16)
DROP = "<drop>"
#: NaN, ±inf, huge, negative, wrong types (string, bool, null, array, object), and "drop".
HOSTILE: tuple[Any, ...] = (
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -1e308,
    2**70,
    -(2**70),
    -1,
    0,
    -0.5,
    "NaN",
    "",
    "12",
    True,
    None,
    [],
    {},
    [None],
    DROP,
)
BODIES = (*BODY_FILES, "meta")
PathKey = str | int


@cache
def _target(kind: str) -> str:
    """The intact bodies of one target kind, as JSON (``{"workout": ..., ...}``)."""
    raw: RawWorkout = synth_workout(kind, seed=11, duration_s=60)
    bodies: dict[str, Any] = {"workout": raw.workout}
    if raw.performance_graph is not None:
        bodies["performance_graph"] = raw.performance_graph
    if raw.ride_details is not None:
        bodies["ride_details"] = raw.ride_details
    return json.dumps(bodies)


def _children(node: Any) -> list[PathKey]:
    if isinstance(node, dict):
        return sorted(node)
    if isinstance(node, list):
        return list(range(len(node)))
    return []


@st.composite
def field_paths(draw: st.DrawFn, root: Any) -> tuple[PathKey, ...]:
    """A path to any field of ``root`` (a random walk; the keys the reader reads are preferred)."""
    path: list[PathKey] = []
    node = root
    while True:
        children = _children(node)
        if not children or (path and draw(st.integers(0, 3)) == 0):
            return tuple(path)
        read = [key for key in children if key in READ_KEYS or key in _META_KEYS]
        key = draw(st.sampled_from(read if read and draw(st.integers(0, 4)) else children))
        path.append(key)
        node = node[key]


_META_KEYS = frozenset(
    {"start_time", "created_at", "status", "discipline", "has_performance_graph", "source"}
)


def _meta_of(bodies: dict[str, Any], workout_id: str) -> dict[str, Any]:
    """The ``meta.json`` :meth:`Archive.put` writes for ``bodies`` (read back from a scratch archive)."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = Archive(Path(tmp))
        archive.put(workout_id, {k: json.dumps(v).encode() for k, v in bodies.items()}, source="test")
        return json.loads((archive.folder(workout_id) / "meta.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


Damage = tuple[str, tuple[PathKey, ...], Any]


@st.composite
def damages(draw: st.DrawFn) -> tuple[str, list[Damage]]:
    """``(kind, [(body, path, value), ...])``: put each ``value`` at ``path`` of ``body``
    (``DROP`` removes it), one or two fields of one workout."""
    kind = draw(st.sampled_from(TARGET_KINDS))
    bodies = json.loads(_target(kind))
    roots = {**bodies, "meta": _meta_of(bodies, bodies["workout"]["id"])}
    done: list[Damage] = []
    for _ in range(draw(st.integers(1, 2))):
        body = draw(st.sampled_from(sorted(roots)))
        path = draw(field_paths(roots[body]))
        value = draw(st.sampled_from(HOSTILE))
        try:
            roots[body] = _set(roots[body], path, copy.deepcopy(value))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier damage changed the shape
        done.append((body, path, value))
    return kind, done


def _set(root: Any, path: tuple[PathKey, ...], value: Any) -> Any:
    """``root`` with ``value`` at ``path`` (the whole body when ``path`` is empty)."""
    if not path:
        return {} if value is DROP else value
    node = root
    for key in path[:-1]:
        node = node[key]
    if value == DROP:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return root


def _write(path: Path, value: Any) -> None:
    # allow_nan: NaN and Infinity as a damaged file or a lax server writes them.
    path.write_bytes(json.dumps(value, allow_nan=True).encode())


def _export(root: Path, kind: str, damage: list[Damage]) -> tuple[int, str, str]:
    """Archive two intact workouts and the damaged one, run the export; exit code, stdout+stderr."""
    archive = Archive(root / "archive")
    for index, control in enumerate(CONTROLS):
        bodies = tiny_bodies(control, samples=30, title=f"Control {index}")
        archive.put(control, {k: json.dumps(v).encode() for k, v in bodies.items()}, source="test")
    bodies = json.loads(_target(kind))
    workout_id = str(bodies["workout"]["id"])
    archive.put(workout_id, {k: json.dumps(v).encode() for k, v in bodies.items()}, source="test")
    folder = archive.folder(workout_id)
    roots = {**bodies, "meta": json.loads((folder / "meta.json").read_text(encoding="utf-8"))}
    for body, path, value in damage:
        with contextlib.suppress(KeyError, IndexError, TypeError):
            roots[body] = _set(roots[body], path, copy.deepcopy(value))
            _write(folder / ("meta.json" if body == "meta" else BODY_FILES[body]), roots[body])
    out, err = io.StringIO(), io.StringIO()
    args = [
        "--offline",
        "--archive",
        str(root / "archive"),
        "-o",
        str(root / "out"),
        "-f",
        "json,tcx,fit,csv",
    ]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli([*args, "-q", "-j", "1"])
    return code, workout_id, out.getvalue() + err.getvalue()


def _strict(text: str) -> Any:
    """``json.loads`` that refuses ``NaN`` and ``Infinity`` (what a written file must never hold)."""

    def refuse(token: str) -> Any:
        raise AssertionError(f"a written JSON file holds {token}")

    return json.loads(text, parse_constant=refuse)


def _exported_ids(out: Path) -> set[str]:
    return {_strict(p.read_text(encoding="utf-8"))["id"] for p in out.glob("*.json")}


def _document(out: Path, workout_id: str) -> Any:
    """The JSON export of ``workout_id`` in ``out`` (``None`` when none was written)."""
    for path in out.glob("*.json"):
        document = _strict(path.read_text(encoding="utf-8"))
        if document.get("id") == workout_id:
            return document
    return None


@cache
def _intact_document(kind: str) -> str:
    """The JSON export of the undamaged target ``kind`` (as text: cached, never changed)."""
    with tempfile.TemporaryDirectory() as tmp:
        code, workout_id, output = _export(Path(tmp), kind, [])
        assert code == 0 and "warning" not in output, output
        return json.dumps(_document(Path(tmp) / "out", workout_id))


def _non_finite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


@settings(
    max_examples=examples(60),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(case=damages())
# the fresh clone's case: NaN start_time in workout.json, no start time in meta.json
@example(case=("cycling_class", [("workout", ("start_time",), math.nan), ("meta", ("start_time",), DROP)]))
@example(case=("cycling_class", [("workout", ("start_time",), math.nan), ("meta", ("start_time",), None)]))
@example(case=("cycling_class", [("meta", ("start_time",), math.nan)]))
@example(case=("outdoor_run", [("workout", ("start_time",), math.inf), ("meta", ("start_time",), DROP)]))
@example(case=("strength", [("workout", ("start_time",), "12"), ("meta", ("start_time",), "12")]))
@example(case=("row", [("workout", ("end_time",), math.nan)]))
@example(case=("cycling_class", [("workout", ("created_at",), 1e308), ("meta", ("created_at",), -math.inf)]))
@example(case=("cycling_class", [("meta", (), [])]))
@example(case=("cycling_class", [("meta", ("discipline",), 2**70)]))
@example(case=("cycling_class", [("performance_graph", (), "x")]))
@example(case=("cycling_class", [("performance_graph", ("seconds_since_pedaling_start",), {})]))
@example(case=("cycling_class", [("ride_details", (), None)]))
@example(case=("strength", [("ride_details", ("segments",), 2**70)]))
@example(case=("outdoor_run", [("workout", ("status",), math.nan)]))
@example(case=("cycling_class", [("workout", ("fitness_discipline",), []), ("meta", ("discipline",), DROP)]))
# a NaN total_work was silently replaced by the total_output summary (no warning line)
@example(case=("cycling_class", [("workout", ("total_work",), math.nan)]))
# and these left a class fact out silently (found by this test at 400 examples)
@example(case=("cycling_class", [("workout", ("device_type",), math.nan)]))
@example(case=("cycling_class", [("performance_graph", ("segment_list",), math.nan)]))
@example(case=("cycling_class", [("workout", ("ftp_info",), math.nan)]))
@example(case=("cycling_class", [("workout", ("ride", "instructor", "name"), math.inf)]))
@example(case=("cycling_class", [("performance_graph", ("metrics", 0, "values", 3), math.inf)]))
@example(case=("outdoor_run", [("performance_graph", ("seconds_since_pedaling_start", 2), -math.inf)]))
def test_a_damaged_archived_body_fails_that_workout_alone(case: tuple[str, list[Damage]]) -> None:
    """No traceback; the intact workouts exported; the damaged one fails alone with one
    ``failed <id>:`` line and exit 1, or is exported (exit 0) with every value it changed
    named in a ``warning <id>:`` line: where only NaN or infinities were put into it and
    its JSON export is not the intact one's, the run must have said so. No written JSON
    holds NaN or Infinity, and no warning names an intact workout."""
    kind, damage = case
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        code, workout_id, output = _export(root, kind, damage)
        assert "Traceback" not in output, output
        exported = _exported_ids(root / "out") if (root / "out").is_dir() else set()
        assert set(CONTROLS) <= exported, output
        lines = [line.strip() for line in output.splitlines()]
        failed = [line for line in lines if re.match(rf"failed {workout_id}\b", line)]
        warned = [line for line in lines if line.startswith("warning ")]
        assert all(line.startswith(f"warning {workout_id}: ") for line in warned), output
        if workout_id in exported:
            assert code == 0, output
            assert not failed, output
            changed = _document(root / "out", workout_id) != json.loads(_intact_document(kind))
            if damage and all(_non_finite(value) for _, _, value in damage) and changed:
                assert warned, f"a NaN/infinite value changed the export with no warning line: {output}"
        else:
            assert code == 1, output
            assert len(failed) == 1, output


def test_the_fresh_clone_case_is_exported_with_one_warning_line(tmp_path: Path) -> None:
    """The case a fresh clone hit (it crashed the whole run: ``cannot convert float NaN to
    integer``): the start is rebuilt from ``end_time`` minus the class length, the workout is
    exported in every format and the run says so in one line."""
    damage: list[Damage] = [("workout", ("start_time",), math.nan), ("meta", ("start_time",), DROP)]
    code, workout_id, output = _export(tmp_path, "cycling_class", damage)
    assert code == 0, output
    warned = [line.strip() for line in output.splitlines() if line.strip().startswith("warning ")]
    assert warned == [
        f"warning {workout_id}: workout.start_time: "
        "NaN is not a time; the start is end_time minus the class length"
    ], output
    assert _exported_ids(tmp_path / "out") == {*CONTROLS, workout_id}


def test_a_workout_without_any_usable_time_fails_alone_with_one_line(tmp_path: Path) -> None:
    damage: list[Damage] = [
        ("workout", ("start_time",), math.nan),
        ("workout", ("end_time",), math.inf),
        ("workout", ("created_at",), "x"),
        ("meta", ("start_time",), DROP),
    ]
    code, workout_id, output = _export(tmp_path, "cycling_class", damage)
    assert code == 1, output
    assert f"failed {workout_id}: field 'start_time': expected epoch seconds, got float nan" in output
    assert _exported_ids(tmp_path / "out") == set(CONTROLS)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e308, -5, "1767250800", True, None])
def test_epoch_seconds_accepts_only_plausible_finite_numbers(value: Any) -> None:
    from peloton_export.raw import epoch_seconds

    assert epoch_seconds(value) is None
    assert epoch_seconds(1_767_250_800.7) == 1_767_250_800
    assert epoch_seconds(1_767_250_800) == 1_767_250_800


@pytest.mark.parametrize(
    ("damage", "line"),
    [
        (
            ("workout", ("total_work",), math.nan),
            "workout.total_work: NaN is not a number of joules in range; the total_output summary is used",
        ),
        (("workout", ("device_type",), math.nan), "workout.device_type: NaN, not text; left out"),
        (("workout", ("ride", "title"), 12), "workout.ride.title: 12, not text; left out"),
        (("workout", ("ftp_info",), []), "workout.ftp_info: an array, not an object; no FTP"),
        (
            ("performance_graph", ("segment_list",), math.inf),
            "performance_graph.segment_list: inf, not an array; left out",
        ),
    ],
)
def test_a_value_left_out_is_named_in_one_warning_line(damage: Damage, line: str, tmp_path: Path) -> None:
    code, workout_id, output = _export(tmp_path, "cycling_class", [damage])
    assert code == 0, output
    warned = [text.strip() for text in output.splitlines() if text.strip().startswith("warning ")]
    assert warned == [f"warning {workout_id}: {line}"], output
    assert _exported_ids(tmp_path / "out") == {*CONTROLS, workout_id}
