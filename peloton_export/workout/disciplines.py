"""Display names of Peloton disciplines: what users see for Peloton's ``fitness_discipline``.

Peloton calls the Row ``caesar`` internally; everywhere a user reads a discipline (file
names, the HTML pages and index, the CSV summary, sink titles, messages, ``--help``) it is
``rowing``. The normalized :class:`~peloton_export.model.Workout` keeps Peloton's own name in
``discipline``, and so do the machine formats documented as carrying Peloton's name (the
JSON ``discipline`` field, the Parquet ``discipline`` column).
"""

from __future__ import annotations

#: Peloton's discipline name -> the name shown to users (unlisted names are shown as they are).
DISPLAY_NAMES: dict[str, str] = {
    "caesar": "rowing",
    "caesar_bootcamp": "rowing_bootcamp",
}


def display_discipline(name: str | None) -> str:
    """The name users see for Peloton discipline ``name`` (``caesar`` -> ``rowing``).

    Case-insensitive for the renamed disciplines; any other name (including a display name
    already) is returned unchanged, ``None`` as ``""``. Never raises.
    """
    if not name:
        return ""
    return DISPLAY_NAMES.get(name.lower(), name)


__all__ = ["DISPLAY_NAMES", "display_discipline"]
