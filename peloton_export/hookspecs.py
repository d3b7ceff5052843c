"""Hook specifications for peloton-export plugins.

Implement any of these with ``@peloton_export.hookimpl`` in a module exposed through the
``peloton_export`` entry-point group. Hooks are always called with keyword arguments and an
implementation may accept only the parameters it needs, so new parameters can be added to
a hook without breaking existing plugins. Never give an implementation parameter a default
value: pluggy does not pass parameters that have defaults.

The run's lifecycle, in order: ``register_formats``/``register_sinks``/``register_commands``
when the host is built; then for each run ``export_started`` once (after the plan is made),
for each workout with work left ``filter_workout`` -> ``transform_workout`` -> the formats'
writers -> the sinks' uploads, and ``export_finished`` once at the end.

Only :mod:`peloton_export.plugins` calls these hooks, one implementation at a time: that
is how an error names its plugin, how ``transform_workout`` results chain and how a single
``filter_workout`` veto works. The order is the one each hook documents, so pluggy's hook
wrappers (``@hookimpl(wrapper=True)`` or ``hookwrapper=True``) and ordering markers
(``tryfirst=True``, ``trylast=True``) have nothing to act on: a plugin that uses any of
them is refused at load, reported on standard error by name and listed under ``failed`` in
``peloton-export plugins``.

A registration hook (``register_formats``, ``register_sinks``, ``register_commands``,
``register_logins``) that
raises is reported once on standard error by plugin name; only what it would have added is
left out, and the other plugins keep working.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from peloton_export.export.plan import ExportPlan
    from peloton_export.model import Workout
    from peloton_export.results import ExportReport, RunContext
    from peloton_export.specs import ExportContext, FormatSpec, LoginSpec, SinkSpec

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
def register_logins() -> Iterable[LoginSpec]:
    """Offer the login of this plugin's sink on the ``serve`` Logins page.

    Return or ``yield`` one :class:`~peloton_export.specs.LoginSpec` per sink (its
    ``name`` is the sink's). The page shows its ``state`` line for each household profile
    and its form (``fields`` + ``submit``), button (``start``) and ``logout``; an OAuth
    redirect comes back to ``/NAME/callback`` of the server (``callback``). Store what a
    user enters only in your token store, never echo it back, never log it: register it
    with :func:`peloton_export.sinkkit.protect`. A plugin whose hook or step raises is
    reported on the page by name; the other logins keep working.
    """
    raise NotImplementedError


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
    transforms or writers need there (they see it as ``ExportContext.state``). Call
    ``plan.run_in_one_process(reason)`` when your plugin needs one view of every workout
    (it holds for the whole run, workouts fetched later included).
    An exception is reported naming the plugin; the run goes on.

    When the run exports while fetching (a sync that walks the workout list), ``plan``
    holds what was archived when the run started; each workout fetched later is added to
    ``plan.workouts`` just before it is exported (a plugin that keeps ``plan`` sees it
    grow), and by ``export_finished`` it is complete, newest first. Every hook is called
    from the thread that called the run.
    """


@hookspec
def export_finished(context: RunContext, report: ExportReport) -> None:
    """Called once per run after every workout was handled (also after dry runs), the
    workouts fetched during the run included; ``report.results`` are newest start first.

    Write history-wide files here (``summary.csv``, an index page), report what matched
    nothing. Not called when the run stopped before exporting (interrupted, lock held).
    An exception is reported naming the plugin, and the run ends with exit code 1.
    """
