"""Peloton movements to Garmin FIT exercises, from data files (never hard-coded).

The built-in table is ``peloton_export/data/garmin_exercises.json``. Users extend or
override it with their own file of the same format, given by ``--option
fit.exercise_map=PATH`` or placed at ``<config dir>/exercise_map.json`` (both are read when
both exist; the option's file wins). Format::

    {
      "format": 1,
      "movements": [
        {"name": "Bicep Curl", "aliases": ["Biceps Curl"], "ids": ["<peloton movement id>"],
         "category": "curl", "exercise": "alternating_dumbbell_biceps_curl"}
      ]
    }

``category`` is a FIT ``exercise_category`` name and ``exercise`` a name of the FIT type
``<category>_exercise_name`` (both checked against the SDK's profile when the file is
loaded; a bad entry is a :class:`~peloton_export.errors.ConfigError` naming file and
entry). A movement is looked up by Peloton movement id first, then by name and aliases,
ignoring case, spaces and punctuation. A later file's entry replaces an earlier one with
the same id or name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from garmin_fit_sdk import Profile

from peloton_export.errors import ConfigError
from peloton_export.paths import config_dir

__all__ = ["Exercise", "ExerciseMap", "load_exercise_map", "movement_key"]

USER_MAP_NAME = "exercise_map.json"


@dataclass(frozen=True, slots=True)
class Exercise:
    """A FIT exercise: category and sub-type names and their profile numbers."""

    category: str
    exercise: str
    category_num: int
    exercise_num: int


def movement_key(name: str) -> str:
    """Normalize a movement name for lookup (lower case, letters and digits only)."""
    return re.sub(r"[^a-z0-9]+", "", name.lower())


def _number(type_name: str, value: str) -> int | None:
    for number, name in Profile["types"].get(type_name, {}).items():
        if name == value:
            return int(number)
    return None


def _exercise(entry: dict[str, Any], where: str) -> Exercise:
    category, exercise = entry.get("category"), entry.get("exercise")
    if not isinstance(category, str) or not isinstance(exercise, str):
        raise ConfigError(f"{where}: 'category' and 'exercise' must be strings")
    category_num = _number("exercise_category", category)
    if category_num is None:
        raise ConfigError(f"{where}: {category!r} is not a FIT exercise_category")
    exercise_num = _number(f"{category}_exercise_name", exercise)
    if exercise_num is None:
        raise ConfigError(f"{where}: {exercise!r} is not a FIT {category}_exercise_name")
    return Exercise(category, exercise, category_num, exercise_num)


class ExerciseMap:
    """Lookup of Peloton movements (by id or name) to :class:`Exercise`."""

    def __init__(self) -> None:
        self.by_id: dict[str, Exercise] = {}
        self.by_name: dict[str, Exercise] = {}

    def add_file(self, text: str, source: str) -> None:
        """Add the entries of one mapping file (``source`` names it in errors)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"exercise map {source} is not valid JSON: {exc.msg} at line {exc.lineno}"
            ) from None
        movements = data.get("movements") if isinstance(data, dict) else None
        if not isinstance(data, dict) or data.get("format") != 1 or not isinstance(movements, list):
            raise ConfigError(f"exercise map {source}: expected an object with format 1 and a movements list")
        for i, entry in enumerate(data["movements"]):
            where = f"exercise map {source}, movements[{i}]"
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise ConfigError(f"{where}: expected an object with a 'name'")
            exercise = _exercise(entry, where)
            names = [entry["name"], *[a for a in entry.get("aliases") or [] if isinstance(a, str)]]
            for name in names:
                self.by_name[movement_key(name)] = exercise
            for movement_id in entry.get("ids") or []:
                if isinstance(movement_id, str):
                    self.by_id[movement_id] = exercise

    def lookup(self, movement_id: str | None, name: str | None) -> Exercise | None:
        """The exercise of a movement, or ``None`` when it has no mapping."""
        if movement_id and movement_id in self.by_id:
            return self.by_id[movement_id]
        if name:
            return self.by_name.get(movement_key(name))
        return None


def _builtin_text() -> str:
    return resources.files("peloton_export").joinpath("data/garmin_exercises.json").read_text("utf-8")


@lru_cache(maxsize=8)
def _load(extra: tuple[str, ...]) -> ExerciseMap:
    mapping = ExerciseMap()
    mapping.add_file(_builtin_text(), "garmin_exercises.json (built in)")
    for path_text in extra:
        path = Path(path_text)
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read exercise map {path}: {exc.strerror or exc}") from None
        mapping.add_file(text, str(path))
    return mapping


def load_exercise_map(extra: str | Path | None = None) -> ExerciseMap:
    """The built-in map, then ``<config dir>/exercise_map.json`` if present, then ``extra``.

    :raises ConfigError: a file that cannot be read or has a bad entry.
    """
    files: list[str] = []
    user_file = config_dir() / USER_MAP_NAME
    if user_file.is_file():
        files.append(str(user_file))
    if extra:
        files.append(str(Path(extra).expanduser()))
    return _load(tuple(files))
