"""Built-in ``html`` format: a self-contained page per workout, and the history ``index.html``.

Each page opens offline (no script, no font, no request: its Content-Security-Policy forbids
them) and shows the title, instructor, local date in Peloton's own timezone, totals, SVG
charts over time with the class's targets, laps, time in zones, strength sets and the route
of outdoor workouts (see :mod:`peloton_export.formats.report.page`).

At the end of every run that was not a dry run, ``index.html`` is rebuilt from the ledger
and the archive for every workout ever exported as ``html`` to that output folder
(:func:`peloton_export.formats.report.build_index`). Once ``peloton-export bike model`` saved
a model (the built-in ``insights`` plugin loads it), the index also shows each bike's
calibration drift (:mod:`peloton_export.formats.report.drift`) and is rebuilt on every
run, so a new model reaches it without a new page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO

from peloton_export.hookspecs import hookimpl

# The report code is imported when a page or the index is written, not when the plugin
# loads (``--help`` loads every built-in plugin: benchmarks/bench_startup.py).
if TYPE_CHECKING:
    from peloton_export.formats.report.drift import DriftDevice
    from peloton_export.model import Workout
    from peloton_export.results import ExportReport, RunContext
    from peloton_export.specs import ExportContext, FormatSpec

log = logging.getLogger("peloton_export.report")
SUFFIX = ".html"


def write_html(workout: Workout, stream: BinaryIO, context: ExportContext) -> None:
    """Write the page of ``workout`` as UTF-8 HTML (same workout, same bytes)."""
    from peloton_export.formats.report import render_page
    from peloton_export.insights.cues import cues_for
    from peloton_export.workout.filenames import export_stem

    page = render_page(workout, export_stem(workout) + SUFFIX, cues=cues_for(workout, context.state))
    stream.write(page.encode("utf-8"))


@hookimpl
def register_formats() -> Iterator[FormatSpec]:
    """The ``html`` format."""
    from peloton_export.specs import FormatSpec

    yield FormatSpec(
        name="html",
        suffix=SUFFIX,
        media_type="text/html",
        write=write_html,
        description="a self-contained page per workout with charts, plus index.html of the history",
    )


def drift_devices(context: RunContext) -> list[DriftDevice]:
    """The drift section's data from the run's saved bike model (empty without one).

    Each ride's residual against its device's model of all rides, its era and local day
    (Peloton's timezone for the ride is not in the model file: the day is the start's UTC
    date), and the change points with their sentences (:mod:`peloton_export.insights.model`).
    """
    from peloton_export.formats.report.drift import DriftChange, DriftDevice, DriftRide
    from peloton_export.insights.cues import STATE_KEY
    from peloton_export.insights.model import models_from_json

    raw = context.state(STATE_KEY).get("models")
    if not isinstance(raw, dict):
        return []
    try:
        models = models_from_json(raw)
    except ValueError as exc:
        log.warning("index: the bike model's drift is left out (%s)", exc)
        return []
    out = []
    for device in dict.fromkeys(r.device for r in models.rides):
        rides = sorted((r for r in models.rides if r.device == device), key=lambda r: (r.start, r.workout_id))
        out.append(
            DriftDevice(
                device=device,
                rides=tuple(DriftRide(r.start.date(), r.residual_pct, r.era, r.title) for r in rides),
                changes=tuple(
                    DriftChange(c.date.date(), 100 * c.size, c.sentence())
                    for c in models.change_points
                    if c.device == device
                ),
                noise_pct=models.noise_pct.get(device),
            )
        )
    return out


@hookimpl
def export_finished(context: RunContext, report: ExportReport) -> None:
    """Rebuild ``index.html`` when html pages may have changed (never on dry runs)."""
    if context.export.dry_run:
        return
    if "html" not in context.formats:
        return
    from peloton_export.formats.report import build_index
    from peloton_export.formats.report.index import INDEX_NAME, html_pages

    wrote_html = any(f.format == "html" for r in report.results for f in r.files)
    drift = drift_devices(context)
    if not wrote_html:
        exists = (context.output_dir / INDEX_NAME).exists()
        if (exists and not drift) or (not exists and not html_pages(context.output_dir, context.ledger)):
            return  # nothing new for the index, or html is not used in this folder
    try:
        path = build_index(context.output_dir, context.ledger, context.archive, drift)
    except OSError as exc:
        problems = getattr(report, "problems", None)
        message = f"index.html: cannot write it in {context.output_dir}: {exc.strerror or exc}"
        if isinstance(problems, list):
            problems.append(message)
        log.warning("%s", message)
        return
    log.info("history page: %s", path)


__all__ = ["drift_devices", "export_finished", "register_formats", "write_html"]
