"""The bundled demo workouts that ``peloton-export --demo`` exports.

They ship as package data, ``peloton_export/data/demo/<NN>-<kind>/``, one folder per workout
in the raw archive's body layout (``workout.json``, ``performance_graph.json`` and, for
strength classes, ``ride_details.json``). Nothing is generated at run time: the files were
written by the synthetic generator (``python -m peloton_export.testing.synth write-demo``),
and a test checks that it still reproduces them byte for byte. Everything in them is made up.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.resources import files
from importlib.resources.abc import Traversable

from peloton_export.raw import JsonObject, RawWorkout, parse_json_object
from peloton_export.store.archive import BODY_FILES

__all__ = ["demo_folders", "demo_workouts", "read_workout_folder"]


def demo_folders() -> list[Traversable]:
    """The demo workout folders, in ``--demo`` order (newest first; sorted by name)."""
    root = files("peloton_export").joinpath("data", "demo")
    return sorted((f for f in root.iterdir() if f.is_dir()), key=lambda f: f.name)


def demo_workouts() -> Iterator[RawWorkout]:
    """The bundled demo workouts, newest first, with source ``demo``.

    :raises ValueError: when a bundled file is missing its workout body or is not a JSON
        object (a broken installation).
    """
    for folder in demo_folders():
        yield read_workout_folder(folder)


def read_workout_folder(folder: Traversable, *, source: str = "demo") -> RawWorkout:
    """One workout from a folder of body files named as in :data:`~peloton_export.store.archive.BODY_FILES`.

    ``workout.json`` is required; the other bodies are ``None`` when their file is absent.

    :raises ValueError: naming the folder when ``workout.json`` is missing, or naming the
        file when a body is not a JSON object or the workout has no string ``id``.
    """
    bodies: dict[str, JsonObject | None] = {}
    for kind, name in BODY_FILES.items():
        path = folder.joinpath(name)
        bodies[kind] = parse_json_object(path.read_bytes(), what=str(path)) if path.is_file() else None
    workout = bodies["workout"]
    if workout is None:
        raise ValueError(f"{folder} has no {BODY_FILES['workout']}")
    workout_id = workout.get("id")
    if not isinstance(workout_id, str) or not workout_id:
        raise ValueError(f"{folder.joinpath(BODY_FILES['workout'])} has no workout id")
    return RawWorkout(
        workout_id=workout_id,
        workout=workout,
        performance_graph=bodies["performance_graph"],
        ride_details=bodies["ride_details"],
        source=source,
    )
