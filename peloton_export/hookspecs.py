"""Hook specifications for peloton-export plugins.

Implement any of these with ``@peloton_export.hookimpl`` in a module exposed through the
``peloton_export`` entry-point group. Hooks are always called with keyword arguments and an
implementation may accept only the parameters it needs, so new parameters can be added to
a hook without breaking existing plugins. Never give an implementation parameter a default
value: pluggy does not pass parameters that have defaults.

Only :mod:`peloton_export.plugins` calls these hooks.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from peloton_export.model import Workout
    from peloton_export.pipeline import ExportReport
    from peloton_export.run import ExportPlan, RunContext  # type: ignore[import-not-found,unused-ignore]
    from peloton_export.specs import ExportContext, FormatSpec, SinkSpec

PROJECT_NAME = "peloton_export"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_formats() -> Iterable[FormatSpec]:
    """Declare the file formats this plugin can write.

    Return or ``yield`` one :class:`~peloton_export.specs.FormatSpec` per format.
    ``FormatSpec.name`` is the value users pass to ``--format``; it must be unique among
    installed plugins, and a clash stops the run with an error naming both plugins.
    The writing is done by ``FormatSpec.write``; import heavy libraries inside it.
    """
    raise NotImplementedError


@hookspec
def register_sinks() -> Iterable[SinkSpec]:
    """Declare destinations that written files can be sent to (``--sink NAME``).

    ``SinkSpec.accepts`` lists the format names the destination takes, preferred first.
    The delivery is done by ``SinkSpec.upload``. Names must be unique, as for formats.
    """
    raise NotImplementedError


@hookspec
def register_commands(cli: click.Group) -> None:
    """Attach extra subcommands to the ``peloton-export`` command group.

    :param cli: the top-level click group; call ``cli.add_command`` or decorate with
        ``@cli.command()`` / ``@cli.group()``.
    """


@hookspec
def filter_workout(workout: Workout, context: ExportContext) -> bool | None:
    """Vote on whether ``workout`` is exported.

    Return ``False`` to exclude it; ``True`` and ``None`` both mean "no objection". Every
    implementation is asked and a single ``False`` excludes the workout (a veto), so the
    outcome never depends on the order in which plugins run.
    """


@hookspec
def transform_workout(workout: Workout, context: ExportContext) -> Workout | None:
    """Return a corrected or enriched copy of ``workout``, or ``None`` to leave it as is.

    Implementations run one after another, each receiving the previous one's output:
    built-in plugins first, then the others in order of plugin name. ``Workout`` is frozen:
    build the new value with :func:`dataclasses.replace`.
    """


@hookspec
def export_started(context: RunContext, plan: ExportPlan) -> None:
    """Called once per run, after the plan is made and before any workout is exported.

    ``context.state(plugin_name)`` is a dict that lives for this run only: prepare what your
    transforms or writers need there (they see it as ``ExportContext.state``).
    """


@hookspec
def export_finished(context: RunContext, report: ExportReport) -> None:
    """Called once per run after every workout was handled (also after dry runs).

    Write history-wide files here (``summary.csv``, an index page), report what matched
    nothing. Not called when the run stopped before exporting (interrupted, lock held).
    """
