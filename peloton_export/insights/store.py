"""Bike rides out of the raw archive, and the saved model file next to it (pure Python).

The model file is ``<archive>/insights/bike-model.json`` (owner-only, written atomically by
``peloton-export bike model``): the fit needs numpy, reading it does not, so an export
can turn class cues into watts without the ``insights`` extra.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from peloton_export.errors import NormalizeError, SkipWorkout
from peloton_export.insights.model import BikeModels, models_from_json
from peloton_export.insights.rides import BIKE_DISCIPLINES, RideSeries, ride_series
from peloton_export.store.archive import PRIVATE, Archive, ArchiveError, read_file
from peloton_export.store.atomic import write_bytes_atomic

MODEL_FILE = Path("insights") / "bike-model.json"
#: The largest model file read back (a 10,000-ride history is well under 5 MB).
MAX_MODEL_BYTES = 16 * 1024 * 1024


def model_path(archive_root: Path) -> Path:
    """Where the model of the archive at ``archive_root`` is kept."""
    return archive_root / MODEL_FILE


def load_rides(
    archive: Archive, *, progress: Callable[[int, int], None] | None = None
) -> tuple[list[RideSeries], list[str]]:
    """Every Bike ride in ``archive`` with usable samples, and one line per ride left out.

    Non-Bike workouts are passed over quietly (their ``workout.json`` says so); a Bike
    workout that cannot be read or normalized, or has no usable sample, gets a line naming
    it. Never raises for one bad workout.
    """
    from peloton_export.normalize import normalize

    rides: list[RideSeries] = []
    skipped: list[str] = []
    ids = archive.ids()
    for n, workout_id in enumerate(ids, start=1):
        if progress:
            progress(n, len(ids))
        try:
            body = archive.load_body(workout_id, "workout")
            if str(body.get("fitness_discipline") or "").lower() not in BIKE_DISCIPLINES:
                continue
            workout = normalize(archive.load(workout_id))
        except SkipWorkout:
            continue
        except (ArchiveError, NormalizeError, OSError, ValueError) as exc:
            skipped.append(f"{workout_id}: {exc}")
            continue
        series = ride_series(workout)
        if series is None:
            skipped.append(f"{workout_id}: no usable cadence, resistance and output samples")
            continue
        rides.append(series)
    return rides, skipped


def save_models(archive_root: Path, models: BikeModels) -> Path:
    """Write ``models`` to :func:`model_path` (owner-only) and return the path."""
    path = model_path(archive_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(models.to_json(), indent=1, sort_keys=True).encode("utf-8")
    write_bytes_atomic(path, data, mode=PRIVATE)
    return path


def load_models(path: Path) -> BikeModels | None:
    """The saved models at ``path``; ``None`` when there is no file.

    :raises ValueError: the file is unreadable or not a bike model file (naming the path).
    """
    try:
        data = read_file(path, limit=MAX_MODEL_BYTES)
    except FileNotFoundError:
        return None
    except ArchiveError as exc:
        raise ValueError(str(exc)) from None
    try:
        return models_from_json(json.loads(data))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: {exc}") from None
