"""One owner for a run: :func:`run_export` (lock -> archive -> ledger -> sync -> plan -> export
-> deliver -> ``export_finished``) and :func:`sync_archive` (the sync alone).

The command line turns its flags into an :class:`ExportRequest`, calls :func:`run_export`
and prints the :class:`~peloton_export.pipeline.ExportReport`; library users do the same::

    from pathlib import Path
    from peloton_export import ExportRequest, run_export

    report = run_export(ExportRequest(demo=True, formats=("tcx", "csv"), output_dir=Path("out")))
    print(report.count("exported"), "exported;", "ok" if report.ok else report.failed)
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from peloton_export.archive import Archive
from peloton_export.config import Config, load_config
from peloton_export.errors import PelotonExportError
from peloton_export.ledger import Ledger
from peloton_export.paths import archive_dir, state_dir
from peloton_export.pipeline import (
    Exporter,
    ExporterRecipe,
    ExportReport,
    RunContext,
    Selection,
    WorkoutResult,
    resolve_formats,
    resolve_sinks,
)
from peloton_export.plugins import PluginHost, create_host
from peloton_export.runlock import run_lock
from peloton_export.specs import ExportContext

if TYPE_CHECKING:
    from peloton_export.client.api import PelotonAPI
    from peloton_export.client.sync import SyncReport

log = logging.getLogger("peloton_export.run")

#: Where files go when neither the request nor the config names a folder.
DEFAULT_OUTPUT = "exports"


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """One step of a run, for a progress display.

    ``phase`` is ``"export"`` (one event per workout, with its ``result``); ``completed``
    counts the steps done in the phase and ``total`` is the number expected (``None`` when
    not known yet); ``description`` is a short human label (the class title).
    """

    phase: Literal["sync", "export"]
    completed: int
    total: int | None
    description: str
    result: WorkoutResult | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportRequest:
    """What to run, as the command-line flags say it (every field is optional).

    ``formats``/``sinks`` are names (``()`` takes the config's ``formats``/``sinks``, and no
    formats at all means every installed one; ``"all"`` may be given). ``output_dir``
    defaults to the config's ``output_dir``, else ``./exports``; ``archive_dir`` to
    ``PELOTON_EXPORT_ARCHIVE`` or the platform data folder. ``offline`` makes no request;
    ``demo`` exports the bundled demo workouts (no account, no ledger, no lock). ``options``
    are format and sink options (``{"fit.virtual": "true"}``); ``merge`` is a watch
    recording file or folder. ``jobs`` worker processes export when there are many
    workouts. ``progress`` is called with a :class:`ProgressEvent` per step. ``config``
    defaults to :func:`peloton_export.config.load_config`.
    """

    formats: Sequence[str] = ()
    sinks: Sequence[str] = ()
    selection: Selection = field(default_factory=Selection)
    output_dir: Path | None = None
    archive_dir: Path | None = None
    offline: bool = False
    demo: bool = False
    dry_run: bool = False
    force: bool = False
    options: Mapping[str, str] = field(default_factory=dict)
    merge: Path | None = None
    jobs: int = 1
    progress: Callable[[ProgressEvent], None] | None = None
    config: Config | None = None


def run_export(request: ExportRequest, host: PluginHost | None = None) -> ExportReport:
    """Run a whole export: sync (unless offline or demo), then export and deliver.

    One run at a time per state folder (a lock file). A workout that fails is reported in
    the returned report and never stops the others.

    :raises ConfigError: an unknown format or sink, or a bad setting (exit code 2).
    When the sync cannot run at all (login impossible, Peloton down, the archive's disk
    full) the archive is exported as it is and ``report.sync_error`` says why in one line.

    :raises PelotonExportError: the run could not go on (the run lock held by another
        run), with a one-line message.
    """
    config = request.config or load_config()
    host = host or create_host()
    formats = resolve_formats(host, _format_names(request, config, host))
    sinks = resolve_sinks(host, split_names(request.sinks) or _split(config.get("sinks")))
    options = dict(request.options)
    if request.merge is not None:
        options["merge"] = str(request.merge)
    out_dir = request.output_dir or Path(config.get("output_dir") or DEFAULT_OUTPUT).expanduser()
    context = ExportContext(
        output_dir=out_dir,
        dry_run=request.dry_run,
        force=request.force,
        options=options,
        plugin_config=config.plugins,
    )
    from peloton_export.sinkkit.redaction import protect  # the password never reaches a log

    protect(config.password)
    lock = contextlib.nullcontext() if request.demo else run_lock(state_dir())
    with lock, _archive_for(request) as archive:
        ledger = None if request.demo else Ledger.default()
        sync = None
        sync_error = ""
        sync_failure: Exception | None = None
        if not request.demo and not request.offline:
            try:
                sync = sync_archive(config, offline=False, archive=archive, ledger=ledger)
            except (PelotonExportError, OSError) as exc:
                # Login impossible, Peloton down, the archive's disk full: the sync stops,
                # but what the archive already holds is still exported.
                sync_error = _sync_problem(exc)
                sync_failure = exc
                log.warning("sync failed: %s", sync_error)
        exporter = Exporter(
            host=host,
            archive=archive,
            context=context,
            formats=formats,
            sinks=sinks,
            ledger=ledger,
            config=config,
        )
        recipe = ExporterRecipe(
            archive_root=archive.root,
            context=context,
            formats=tuple(spec.name for spec in formats),
            sinks=tuple(spec.name for spec in sinks),
            ledger_path=ledger.path if ledger else None,
            entry_points=host.from_entry_points,
        )
        report = exporter.run(
            request.selection,
            progress=_export_progress(request.progress),
            jobs=request.jobs,
            rebuild=recipe if host.rebuildable else None,
        )
    report.sync = sync
    report.sync_error = sync_error
    report.sync_failure = sync_failure
    return report


def _sync_problem(exc: Exception) -> str:
    """One line for a sync that could not run, saying how to fix it when we know."""
    from peloton_export.errors import AuthRequired

    if isinstance(exc, AuthRequired):
        text = str(exc)
        return text if "login" in text else f"{text}: run `peloton-export login`"
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"could not write the archive{where}: {exc.strerror or exc}"
    return str(exc)


def sync_archive(
    config: Config | None = None,
    *,
    offline: bool = False,
    archive: Archive | None = None,
    ledger: Ledger | None = None,
    api: PelotonAPI | None = None,
    refetch: bool = False,
) -> SyncReport:
    """Bring the raw archive up to date with Peloton (the sync alone, no export).

    ``offline`` makes no request at all and returns an empty report. Otherwise logs in
    (saved token first), lists the workouts newest first and fetches only new or
    incomplete ones (see :mod:`peloton_export.client.sync`). ``config`` defaults to the
    config file; ``archive`` and ``ledger`` to the platformdirs locations; ``refetch``
    fetches everything again.

    :raises PelotonExportError: (one-line message) when login or the service fails.
    """
    from peloton_export.client.sync import SyncReport, sync_workouts

    if offline:
        return SyncReport(offline=True)
    from peloton_export.client.factory import make_client

    archive = Archive(archive_dir()) if archive is None else archive
    ledger = Ledger.default() if ledger is None else ledger
    own = api is None
    api = api or make_client(config or load_config())
    try:
        report = sync_workouts(api, archive, ledger=ledger, refetch=refetch)
        ledger.set_meta("last_sync", _now())
        ledger.set_meta("last_sync_summary", report.summary())
        return report
    finally:
        if own:
            api.http.close()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _format_names(request: ExportRequest, config: Config, host: PluginHost) -> list[str]:
    names = split_names(request.formats) or _split(config.get("formats")) or ["all"]
    return list(host.formats()) if "all" in names else names


def _split(value: str | None) -> list[str]:
    return split_names([value or ""])


def split_names(values: Sequence[str]) -> list[str]:
    """Names given repeatedly and/or comma-separated (``-f tcx,gpx -f csv``), in order."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _export_progress(
    callback: Callable[[ProgressEvent], None] | None,
) -> Callable[[WorkoutResult], None] | None:
    if callback is None:
        return None
    done = 0

    def report(result: WorkoutResult) -> None:
        nonlocal done
        done += 1
        callback(ProgressEvent("export", done, None, result.title or result.workout_id, result))

    return report


@contextmanager
def _archive_for(request: ExportRequest) -> Iterator[Archive]:
    if request.demo:
        from peloton_export.demo import demo_workouts

        with tempfile.TemporaryDirectory(prefix="peloton-export-demo-") as tmp:
            archive = Archive(Path(tmp))
            for raw in demo_workouts():
                archive.put_raw(raw)
            yield archive
    else:
        yield Archive(request.archive_dir or archive_dir())


__all__ = ["DEFAULT_OUTPUT", "ExportRequest", "ProgressEvent", "RunContext", "run_export", "sync_archive"]
