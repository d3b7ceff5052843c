"""The ``fit`` format (Garmin FIT activity files) and the ``unmapped`` command.

Options (``--option fit.<name>=<value>``):

* ``fit.virtual=true``: indoor cycling as a virtual activity (Strava "Virtual Ride");
* ``fit.zones=false``: leave out the time-in-zone messages (on by default where the data
  has zones or an FTP);
* ``fit.device=<preset>``: the device the file claims to be from (default ``honest``; see
  :mod:`peloton_export.formats.fit.devices` for the Garmin presets);
* ``fit.laps=<strategy>``: ``auto`` (default), ``target``, ``segment``, ``distance`` or
  ``session`` (see :mod:`peloton_export.workout.lap_spans`);
* ``fit.exercise_map=PATH``: an extra Peloton-movement to Garmin-exercise mapping file (see
  :mod:`peloton_export.formats.fit.strength`);
* ``fit.power_targets=true``: the class cues in watts (from the model ``peloton-export bike
  model`` saved; :mod:`peloton_export.insights.cues`) as the workout steps' power targets,
  the json format's ``class_cues`` ``asked_low_w``/``asked_high_w`` rounded to whole watts
  (default false; without a saved model the steps are written as without the option).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click

from peloton_export.hookspecs import hookimpl

if TYPE_CHECKING:
    from peloton_export.model import Workout
    from peloton_export.specs import ExportContext, FormatSpec

__all__ = ["find_unmapped", "write_fit"]


def write_fit(workout: Workout, stream: BinaryIO, context: ExportContext) -> None:
    """Write ``workout`` to ``stream`` as a FIT activity file (the ``fit`` format's writer)."""
    from dataclasses import replace

    from peloton_export.formats.fit.encode import FitOptions, encode_workout
    from peloton_export.formats.fit.workout import PowerCue
    from peloton_export.insights.cues import cues_for
    from peloton_export.sinkkit.templates import activity_title

    options = replace(FitOptions.from_context(context), title=activity_title(workout, context, plugin="fit"))
    if options.power_targets and (cues := cues_for(workout, context.state)) is not None:
        segments = cues.to_json()["segments"]  # the JSON's numbers, 0.1 W
        power = tuple(
            PowerCue(s["start_offset"], s["end_offset"], s["asked_low_w"], s["asked_high_w"])
            for s in segments
        )
        options = replace(options, power_cues=power)
    stream.write(encode_workout(workout, options, context.logger))


@hookimpl
def register_formats() -> Iterator[FormatSpec]:
    """Register the ``fit`` format."""
    from peloton_export.specs import FormatSpec

    yield FormatSpec(
        name="fit",
        suffix=".fit",
        media_type="application/vnd.ant.fit",
        write=write_fit,
        description=(
            "Garmin FIT activity (official SDK): records, laps, session, strength sets, "
            "time in zones; the best format for Garmin Connect and Strava."
        ),
        options={
            "virtual": "true: an indoor ride as a virtual ride (default false)",
            "zones": "false: leave out time in zones (default true)",
            "device": "the device the file claims to come from (a preset, default honest)",
            "laps": "lap strategy (auto, ...)",
            "exercise_map": "an extra movement-mapping JSON file",
            "power_targets": "true: class cues in watts as workout-step power targets (needs bike model)",
        },
        check_options=check_fit_options,
    )


def check_fit_options(context: ExportContext) -> None:
    """Check the ``fit.*`` option values once, before any workout.

    :raises ConfigError: a bad boolean, an unknown device preset or lap strategy.
    """
    from peloton_export.errors import ConfigError
    from peloton_export.formats.fit.devices import device_for
    from peloton_export.formats.fit.encode import FitOptions
    from peloton_export.workout.lap_spans import STRATEGIES

    options = FitOptions.from_context(context)
    device_for(options.device, "cycling")
    if options.laps not in STRATEGIES:
        raise ConfigError(
            f"unknown lap strategy {options.laps!r} (laps / fit.laps); choose one of {', '.join(STRATEGIES)}"
        )


def find_unmapped(archive_root: Path, exercise_map: str | None = None) -> tuple[Counter[str], int, list[str]]:
    """Movements in the archive without a Garmin mapping.

    :returns: counts of sets per unmapped movement name, the number of workouts read, and
        one line per workout that could not be read or normalized.
    """
    from peloton_export.errors import PelotonExportError
    from peloton_export.formats.fit.strength import load_exercise_map
    from peloton_export.normalize import normalize
    from peloton_export.store.archive import Archive

    exercises = load_exercise_map(exercise_map)
    archive = Archive(archive_root)
    counts: Counter[str] = Counter()
    problems: list[str] = []
    read = 0
    for workout_id in archive.ids():
        try:
            workout = normalize(archive.load(workout_id))
        except (PelotonExportError, ValueError, OSError) as exc:
            problems.append(f"{workout_id}: {exc}")
            continue
        read += 1
        for item in workout.sets:
            if item.kind != "active" or not (item.movement_name or item.movement_id):
                continue
            if exercises.lookup(item.movement_id, item.movement_name) is None:
                label = item.movement_name or f"id {item.movement_id}"
                if item.movement_name and item.movement_id:
                    label = f"{item.movement_name} (id {item.movement_id})"
                counts[label] += 1
    return counts, read, problems


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add ``peloton-export unmapped``."""

    @cli.command("unmapped")
    @click.option(
        "--archive",
        "archive_path",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="The raw archive to read (default: the usual archive folder).",
    )
    @click.option(
        "--exercise-map",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        default=None,
        help="An extra movement-mapping JSON file to apply.",
    )
    def unmapped(archive_path: Path | None, exercise_map: Path | None) -> None:
        """List strength movements in the archive that have no Garmin exercise mapping."""
        from peloton_export.paths import archive_dir

        root = archive_path or archive_dir()
        counts, read, problems = find_unmapped(root, str(exercise_map) if exercise_map else None)
        for line in problems:
            click.echo(f"skipped {line}", err=True)
        if not counts:
            click.echo(f"Every movement in {read} workout(s) has a Garmin exercise mapping.")
            return
        click.echo(f"{len(counts)} movement(s) without a Garmin exercise mapping ({read} workouts read):")
        width = max(len(str(n)) for n in counts.values())
        for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            click.echo(f"  {count:>{width}}  {name}")
        click.echo('Map them in exercise_map.json in the config folder (see "Strength sets" in docs/fit.md).')
