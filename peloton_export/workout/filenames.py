"""Safe, deterministic file names for exported workouts.

The id part of a name is injective over the ids the archive accepts (1-64 of ``A-Z a-z 0-9 _ -``,
see :func:`peloton_export.store.archive.check_workout_id`), even on case-insensitive file systems:
an id that is already a lowercase slug (Peloton's own 32 hex digits) is kept verbatim; any
other id is lowercased with ``_`` as ``-`` and gets ``--`` plus a marker of which characters
were capitals or underscores (see :func:`id_part`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from peloton_export.model import Workout
from peloton_export.workout.disciplines import display_discipline
from peloton_export.workout.timeutil import local_time

MAX_TITLE_CHARS = 60
MAX_STEM_CHARS = 150
_NOT_SAFE = re.compile(r"[^a-z0-9]+")
_VERBATIM_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_MARKED = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ_", "abcdefghijklmnopqrstuvwxyz-")
_ARCHIVE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # peloton_export.store.archive's rule
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
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


def id_part(workout_id: str) -> str:
    """The workout id as it appears in file names; distinct ids always give distinct parts.

    An id of lowercase letters and digits in hyphen-separated runs (``^[a-z0-9]+(-[a-z0-9]+)*$``,
    which includes Peloton's 32 hex digits) is returned verbatim. Any other id is lowercased,
    ``_`` becomes ``-``, and ``--<mark>`` is appended: ``<mark>`` is, in base 36, the bit mask
    of the positions that held a capital letter or an underscore (``ride_1`` -> ``ride-1--g``,
    ``RIDE-1`` -> ``ride-1--f``). Verbatim parts never contain ``--``, marked ones always do,
    and a marked part gives back the exact id, so the mapping is injective; the result is
    lowercase, so it stays injective on case-insensitive file systems. At most 64 + 2 + 13
    characters for the ids the archive accepts. Any other text (a transform plugin's) is
    slugged and marked ``--z`` + 15 hex digits of its SHA-256: 16 base-36 digits starting
    with ``z`` exceed every 64-bit mask, so these never meet an archive id's part.
    """
    if _VERBATIM_ID.match(workout_id):
        return workout_id
    if not _ARCHIVE_ID.match(workout_id):  # only a transform plugin could make one
        digest = hashlib.sha256(workout_id.encode("utf-8", "surrogatepass")).hexdigest()
        return f"{slug(workout_id, limit=64)}--z{digest[:15]}"
    mask = sum(1 << i for i, ch in enumerate(workout_id) if ch.isupper() or ch == "_")
    return f"{workout_id.translate(_MARKED)}--{_base36(mask)}"


def _base36(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = _BASE36[rest] + digits
        if not number:
            return digits


def export_stem(workout: Workout) -> str:
    """``2026-01-31_0700_cycling_45-min-power-zone-ride_<workout id>``.

    The date and time are the workout's local start in Peloton's own timezone for it; the
    discipline is its display name (:func:`peloton_export.workout.disciplines.display_discipline`:
    the Row is ``rowing``). The id part (:func:`id_part`) keeps names unique, also on
    case-insensitive file systems; the total length is bounded by ``MAX_STEM_CHARS``.
    """
    start = local_time(workout.start, workout.timezone)
    head = f"{start:%Y-%m-%d_%H%M}_{slug(display_discipline(workout.discipline), limit=24)}"
    tail = id_part(workout.id)
    room = MAX_STEM_CHARS - len(head) - len(tail) - 2
    title = slug(workout.title or "workout", limit=max(8, min(MAX_TITLE_CHARS, room)))
    return f"{head}_{title}_{tail}"
