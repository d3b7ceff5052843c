"""The checked-in workout files this generator makes: the bundled demo set and the golden inputs.

Both are written in the raw archive's body layout (one folder per workout holding
``workout.json``, ``performance_graph.json`` and, for strength classes, ``ride_details.json``:
the file names of :data:`peloton_export.store.archive.BODY_FILES`), as indented JSON so a change
to the generator shows up as a reviewable diff of values:

* the demo set, ``peloton_export/data/demo/<NN>-<kind>/``: :data:`STANDARD_KINDS` at their
  usual lengths, seed 0, newest first one day apart from :data:`DEFAULT_START`
  (``peloton-export --demo`` exports these; :func:`write_demo`);
* the golden inputs, ``tests/golden/<kind>/input/``: each standard kind at seed
  :data:`GOLDEN_SEED`, :data:`GOLDEN_DURATION_S` seconds long, beside the expected outputs
  of ``tests/unit/test_golden.py`` (:func:`write_golden`).

Regenerate them with ``python -m peloton_export.testing.synth write-demo DIR`` and
``write-golden DIR``; ``tests/unit/test_synth_files.py`` fails when the generator no longer
reproduces the checked-in bytes.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

from peloton_export.raw import JsonObject, RawWorkout
from peloton_export.store.archive import BODY_FILES
from peloton_export.testing.synth.kinds import STANDARD_KINDS, synth_workout, synth_workouts

#: Seed of every golden input.
GOLDEN_SEED = 7
#: Length of every golden input in seconds (short, so the expected files stay small).
GOLDEN_DURATION_S = 150
#: The folder of each golden input under ``tests/golden``: ``<kind>/input``.
GOLDEN_INPUT = "input"

__all__ = [
    "GOLDEN_DURATION_S",
    "GOLDEN_INPUT",
    "GOLDEN_SEED",
    "body_bytes",
    "demo_set",
    "golden_set",
    "write_demo",
    "write_golden",
    "write_workout",
]


def body_bytes(body: JsonObject) -> bytes:
    """One body as the checked-in files hold it: key order kept, indent 1, ASCII, final newline."""
    return (json.dumps(body, indent=1) + "\n").encode("ascii")


def write_workout(raw: RawWorkout, folder: Path) -> list[Path]:
    """Write the bodies of ``raw`` into ``folder`` (created); returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    bodies = {
        "workout": raw.workout,
        "performance_graph": raw.performance_graph,
        "ride_details": raw.ride_details,
    }
    written = []
    for kind, body in bodies.items():
        if body is not None:
            path = folder / BODY_FILES[kind]
            path.write_bytes(body_bytes(body))
            written.append(path)
    return written


def demo_set() -> Iterator[tuple[str, RawWorkout]]:
    """``(folder name, workout)`` of the bundled demo set, in ``--demo`` order."""
    for i, raw in enumerate(synth_workouts()):
        yield f"{i + 1:02d}-{STANDARD_KINDS[i]}", raw


def golden_set() -> Iterator[tuple[str, RawWorkout]]:
    """``(folder under tests/golden, workout)`` of every golden input."""
    for kind in STANDARD_KINDS:
        raw = synth_workout(kind, seed=GOLDEN_SEED, duration_s=GOLDEN_DURATION_S)
        yield f"{kind}/{GOLDEN_INPUT}", raw


def write_demo(root: Path, *, replace: bool = False) -> list[Path]:
    """Write the demo set under ``root`` (``peloton_export/data/demo`` in the source tree).

    :param replace: first delete every workout folder already in ``root``.
    :raises FileExistsError: when ``root`` holds workout folders and ``replace`` is false.
    """
    return _write(root, demo_set(), sorted(p for p in root.glob("*") if p.is_dir()), replace)


def write_golden(root: Path, *, replace: bool = False) -> list[Path]:
    """Write the golden inputs under ``root`` (``tests/golden``), beside the expected files.

    :param replace: first delete every ``<kind>/input`` folder in ``root`` (expected files stay).
    :raises FileExistsError: when an input folder exists and ``replace`` is false.
    """
    return _write(root, golden_set(), sorted(root.glob(f"*/{GOLDEN_INPUT}")), replace)


def _write(root: Path, items: Iterator[tuple[str, RawWorkout]], old: list[Path], replace: bool) -> list[Path]:
    if old and not replace:
        raise FileExistsError(
            f"{root} already holds {old[0].relative_to(root)}; pass --replace to rewrite it"
        )
    for folder in old:
        shutil.rmtree(folder)
    written: list[Path] = []
    for name, raw in items:
        written += write_workout(raw, root / name)
    return written
