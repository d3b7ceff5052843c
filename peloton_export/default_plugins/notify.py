"""The ``notify`` plugin: after each export, tell the user what needs them (once per problem).

Implements ``export_finished``. Problems found in the report:

* ``sink-login:<sink>``: a sink needs the user to log in (``peloton-export strava login``);
* ``sink-paused:<sink>``: a sink paused itself with
  :class:`~peloton_export.errors.SinkPaused` (Strava's application inactive, Garmin needs a
  login); the key stays while the pause lasts, so it is told once, and again only after it
  cleared and came back;
* ``workout-failed:<id>``: a workout, one of its formats or one of its sinks failed;
* ``unmapped:<movement>``: a strength movement in a newly exported workout has no Garmin
  exercise mapping (only when the ``fit`` format was written; told once per movement).

Sending and remembering is :class:`peloton_export.unattended.notify.Notifier`; nothing happens unless
notification URLs are configured. Dry runs notify nothing.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from peloton_export.hookspecs import hookimpl

if TYPE_CHECKING:
    from peloton_export.config import Config
    from peloton_export.results import ExportReport, RunContext
    from peloton_export.store.archive import Archive

log = logging.getLogger("peloton_export.notify")

_LOGIN = re.compile(r"\blog ?in\b|\blogin\b|\bauthori[sz]", re.IGNORECASE)
NOT_ATTEMPTED = "not attempted:"


def _needs_login(status: str, reason: str, held: str) -> bool:
    if status == "skipped":
        return held == "login"  # a typed state: a failing service is not a login
    return status == "failed" and bool(_LOGIN.search(reason))


def report_problems(report: ExportReport) -> dict[str, str]:
    """Problems in ``report`` that need the user: ``{key: one-line message}``."""
    problems: dict[str, str] = {}
    for result in report.results:
        login_sinks = [s for s in result.sinks if _needs_login(s.status, s.reason, s.held)]
        for sink in login_sinks:
            reason = sink.reason.removeprefix(NOT_ATTEMPTED).strip()
            problems.setdefault(f"sink-login:{sink.sink}", f"{sink.sink} needs you to log in again: {reason}")
        if result.status != "failed":
            continue
        others = [f"{f.format}: {f.reason}" for f in result.files if f.status == "failed"]
        others += [
            f"{s.sink}: {s.reason}" for s in result.sinks if s.status == "failed" and s not in login_sinks
        ]
        if others or not login_sinks:
            when = result.start.strftime("%Y-%m-%d") if result.start else ""
            what = ", ".join(p for p in (result.title, when) if p)
            reason = "; ".join(others) or result.reason
            label = f"workout {result.workout_id}" + (f" ({what})" if what else "")
            problems[f"workout-failed:{result.workout_id}"] = f"{label} failed: {reason}"
    for problem in report.problems:
        problems[f"run:{problem.split(':', 1)[0]}"] = problem
    problems.update(_sink_states(report))
    return problems


def _sink_states(report: ExportReport) -> dict[str, str]:
    """The typed states of sinks (not message text): paused (``SinkPaused``) and failing
    (``ServiceFailing``, the breaker)."""
    states = {f"sink-paused:{name}": message for name, message in report.paused.items()}
    for name, message in getattr(report, "failing", {}).items():
        states[f"sink-failing:{name}"] = message
    return states


def unmapped_problems(
    report: ExportReport, archive: Archive, exercise_map: str | None = None
) -> dict[str, str]:
    """Movements without a Garmin mapping in workouts written as FIT in this run."""
    from peloton_export.errors import PelotonExportError
    from peloton_export.formats.fit.strength import load_exercise_map
    from peloton_export.normalize import normalize

    ids = [
        r.workout_id
        for r in report.results
        if any(f.format == "fit" and f.status == "exported" for f in r.files)
    ]
    if not ids:
        return {}
    exercises = load_exercise_map(exercise_map)
    problems: dict[str, str] = {}
    for workout_id in ids:
        try:
            workout = normalize(archive.load(workout_id))
        except (PelotonExportError, ValueError, OSError):
            continue
        for item in workout.sets:
            if item.kind != "active" or not (item.movement_name or item.movement_id):
                continue
            if exercises.lookup(item.movement_id, item.movement_name) is None:
                label = item.movement_name or f"id {item.movement_id}"
                problems.setdefault(
                    f"unmapped:{label}",
                    f"new strength movement without a Garmin exercise mapping: {label} "
                    f"(workout {workout_id}; see `peloton-export unmapped`)",
                )
    return problems


def _config_of(context: RunContext) -> Config:
    from peloton_export.config import load_config

    return context.config or load_config()


@hookimpl
def export_finished(context: RunContext, report: ExportReport) -> None:
    """Notify the problems of this export that were not notified before."""
    from peloton_export.paths import state_dir
    from peloton_export.unattended.notify import Notifier

    if context.export.dry_run:
        return
    notifier = Notifier.from_config(_config_of(context), state_dir())
    if not notifier.urls:
        return
    notifier.update("export", report_problems(report))
    archive = getattr(context, "archive", None)
    export = getattr(context, "export", None)
    if archive is not None:
        exercise_map = export.option("fit.exercise_map") if export is not None else None
        notifier.update("unmapped", unmapped_problems(report, archive, exercise_map), sticky=True)
