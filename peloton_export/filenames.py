"""Safe, deterministic file names for exported workouts."""

from __future__ import annotations

import re
import unicodedata

from peloton_export.model import Workout
from peloton_export.timeutil import local_time

MAX_TITLE_CHARS = 60
MAX_STEM_CHARS = 150
_NOT_SAFE = re.compile(r"[^a-z0-9]+")
_WINDOWS_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}


def slug(text: str, *, limit: int = MAX_TITLE_CHARS) -> str:
    """Lowercase ASCII letters, digits and single hyphens; never empty, never reserved.

    Accents are folded (``Café`` -> ``cafe``); everything else, including path separators,
    dots and control characters, becomes a hyphen, so no slug can traverse a path.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    result = _NOT_SAFE.sub("-", ascii_text.lower()).strip("-")[:limit].strip("-")
    if not result:
        return "untitled"
    if result in _WINDOWS_RESERVED:
        return f"{result}-"
    return result


def export_stem(workout: Workout) -> str:
    """``2026-01-31_0700_cycling_45-min-power-zone-ride_<workout id>``.

    The date and time are the workout's local start in Peloton's own timezone for it. The
    full workout id keeps names unique; the total length is bounded.
    """
    start = local_time(workout.start, workout.timezone)
    head = f"{start:%Y-%m-%d_%H%M}_{slug(workout.discipline, limit=24)}"
    tail = slug(workout.id, limit=64)
    room = MAX_STEM_CHARS - len(head) - len(tail) - 2
    title = slug(workout.title or "workout", limit=max(8, min(MAX_TITLE_CHARS, room)))
    return f"{head}_{title}_{tail}"
