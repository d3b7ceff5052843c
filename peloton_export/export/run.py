"""One owner for a run: :func:`run_export` (lock -> archive -> ledger -> sync -> plan -> export
-> deliver -> ``export_finished``) and :func:`sync_archive` (the sync alone).

The command line turns its flags into an :class:`ExportRequest`, calls :func:`run_export`
and prints the :class:`~peloton_export.results.ExportReport`; library users do the same::

    from pathlib import Path
    from peloton_export import ExportRequest, run_export

    report = run_export(ExportRequest(demo=True, formats=("tcx", "csv"), output_dir=Path("out")))
    print(report.count("exported"), "exported;", "ok" if report.ok else report.failed)
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import logging
import re
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from peloton_export.config import Config, load_config, split_names
from peloton_export.errors import ConfigError, PelotonExportError, SettingError
from peloton_export.export.choices import DEFAULT_OUTPUT, Choices, fill_from_last_run, read_last_run, remember
from peloton_export.export.exporter import Exporter, ExporterRecipe
from peloton_export.paths import active_dirs, active_profile, archive_dir, state_dir
from peloton_export.plugins import PluginHost, create_host
from peloton_export.profiles import Profile, for_profile
from peloton_export.results import ExportReport, RunContext, Selection, WorkoutResult
from peloton_export.specs import ExportContext, FormatSpec, SinkSpec
from peloton_export.store.archive import Archive
from peloton_export.store.ledger import Ledger
from peloton_export.store.runlock import run_lock
from peloton_export.workout.disciplines import display_discipline
from peloton_export.workout.stacking import StackSettings

if TYPE_CHECKING:
    from peloton_export.source.client.api import PelotonAPI
    from peloton_export.source.sync import SyncProgress, SyncReport

log = logging.getLogger("peloton_export.run")

#: Where files go when neither the request nor the config names a folder.


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """One step of a run, for a progress display.

    ``phase`` is ``"listing"`` (one event per list page; ``total`` is the page count from
    the first page), ``"fetching"`` (one per workout fetched; ``total`` is the number
    queued so far, growing while pages are listed; the description ends with the time
    left at the rate ceiling) or ``"export"`` (one per workout, with its ``result``; ``total``
    is the number of selected workouts planned so far: while exporting while fetching it
    grows as workouts are archived). ``"sync"`` is kept for compatibility. ``completed``
    counts the steps done in the phase and ``total`` is the number expected (``None`` when
    not known yet); ``description`` is a short human label (the class title).
    """

    phase: Literal["listing", "fetching", "sync", "export"]
    completed: int
    total: int | None
    description: str
    result: WorkoutResult | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportRequest:
    """What to run, as the command-line flags say it (every field is optional).

    ``formats``/``sinks`` are names, or one string of comma-separated names (``"tcx,fit"``)
    (``()`` takes the config's ``formats``/``sinks``, and no
    formats at all means every installed one; ``"all"`` may be given). ``output_dir``
    defaults to the config's ``output_dir``, else ``./exports``; ``archive_dir`` to
    ``PELOTON_EXPORT_ARCHIVE`` or the platform data folder. ``offline`` makes no request;
    ``demo`` exports the bundled demo workouts (no account, no ledger, no lock). ``options``
    are format and sink options (``{"fit.virtual": "true"}``); ``merge`` is a watch
    recording file or folder. ``jobs`` worker processes export when there are many
    workouts. ``progress`` is called with a :class:`ProgressEvent` per step (from two
    threads while exporting while fetching, never two calls at once). ``config`` defaults
    to :func:`peloton_export.config.load_config`. ``export_while_fetching=False`` fetches
    everything before exporting anything (see :func:`run_export`). ``profile`` (a household
    member, :mod:`peloton_export.profiles`) runs in that profile's folders (tokens, archive,
    ledger, run lock) with its config (unless ``config`` is given); ``None`` runs in the
    active profile's (the default one's unless :meth:`Profile.activate` is in force).
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
    export_while_fetching: bool = True
    profile: Profile | None = None

    def __post_init__(self) -> None:
        # A Python caller's natural ``output_dir="out"``: folders given as str become Paths.
        for name in ("output_dir", "archive_dir", "merge"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, name, Path(value))


def run_export(request: ExportRequest, host: PluginHost | None = None) -> ExportReport:
    """Run a whole export: sync (unless offline or demo), export and deliver.

    One run at a time per state folder (a lock file). A workout that fails is reported in
    the returned report and never stops the others.

    Export while fetching (when :func:`streams`): the sync runs in a background thread and
    each workout is exported (and delivered) in the calling thread as soon as it is
    archived, after the workouts that were already archived; so a first run takes about
    the longer of fetching and exporting, not their sum. ``export_started`` sees the plan
    of what was archived at the start and fetched workouts are added to it as they come;
    ``export_finished`` comes after the last one. The report's results are newest start
    first, the same as a fetch-then-export run's. Interrupted (Ctrl-C), the sync is told to
    stop and waited for (the requests in flight end first); written files are whole.

    :raises ConfigError: an unknown format or sink, or a bad setting (exit code 2).
    When the sync cannot run at all (login impossible, Peloton down, the archive's disk
    full) the archive is exported as it is and ``report.sync_error`` says why in one line.

    :raises PelotonExportError: the run could not go on (the run lock held by another
        run), with a one-line message.
    """
    profile = request.profile
    if profile is None:
        return _run_export(request, host)
    with profile.activate():
        return _run_export(dataclasses.replace(request, config=request.config or profile.config), host)


def _run_export(request: ExportRequest, host: PluginHost | None) -> ExportReport:
    """:func:`run_export` in the folders active now."""
    config = request.config or load_config()
    request, taken = _with_remembered_choices(request, config)
    host = host or create_host()
    formats = _from_config_key(
        "formats",
        not split_names(request.formats),
        config,
        lambda: host.resolve("format", _format_names(request, config, host)),
    )
    sinks = _from_config_key(
        "sinks",
        not split_names(request.sinks),
        config,
        lambda: host.resolve("sink", split_names(request.sinks) or split_names(config.get("sinks"))),
    )
    context = _export_context(request, config)
    check_options(host, context.options, context, formats=formats, sinks=sinks)
    StackSettings.from_options(context.options)  # a bad stack setting is an error before any work
    if request.demo or request.offline:
        from peloton_export.source.client.settings import client_settings

        client_settings(config)  # out-of-range settings are an error in every mode
    from peloton_export.net.redaction import protect  # the password never reaches a log

    protect(config.password)
    _check_archive_dir(request)
    # a dry run writes no state: it runs on a read-only state folder and ledger
    lock = contextlib.nullcontext() if request.demo else run_lock(state_dir(), required=not request.dry_run)
    with lock, _archive_for(request) as archive:
        ledger = None if request.demo else Ledger.for_reading() if request.dry_run else Ledger.default()
        selection = resolve_selection(
            request.selection, archive, online=not (request.demo or request.offline)
        )
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
            dirs=active_dirs(),
        )
        rebuild = recipe if host.rebuildable else None
        if streams(request, selection):
            report, (sync, sync_error, sync_failure) = _export_while_fetching(
                request, config, archive, ledger, selection, exporter, rebuild
            )
        else:
            sync, sync_error, sync_failure = _sync_step(request, config, archive, ledger, selection)
            plan = exporter.plan(selection)
            report = exporter.run(
                selection,
                plan=plan,
                progress=_export_progress(request.progress, lambda: len(plan.workouts)),
                jobs=request.jobs,
                rebuild=rebuild,
            )
        if ledger is not None and _clean_run(request, report, sync, sync_error):
            remember(ledger, _flags(request))
    if not taken.empty:
        report.notes.append(f"as your last run: {taken.text()} (give -f, -o or --sink to choose)")
    report.sync = sync
    report.sync_error = sync_error
    report.sync_failure = sync_failure
    return report


def _with_remembered_choices(request: ExportRequest, config: Config) -> tuple[ExportRequest, Choices]:
    """``request`` with plain-string names made sequences and, for a dry run, the formats,
    output folder and sinks of the last successful run filled in where the flags and the
    config say nothing; with the choices so taken (empty when none)."""
    request = dataclasses.replace(request, formats=_names(request.formats), sinks=_names(request.sinks))
    if not request.dry_run or request.demo:
        return request, Choices()
    filled, taken = fill_from_last_run(_flags(request), config, read_last_run())
    request = dataclasses.replace(
        request, formats=filled.formats, output_dir=filled.output_dir, sinks=filled.sinks
    )
    return request, taken


def _clean_run(
    request: ExportRequest, report: ExportReport, sync: SyncReport | None, sync_error: str
) -> bool:
    """True when a run's choices are worth remembering: it wrote, nothing failed, the sync ran."""
    failed_fetches = sync is not None and bool(sync.failed)
    return not request.dry_run and report.ok and not sync_error and not failed_fetches


def _names(value: Sequence[str] | str) -> tuple[str, ...]:
    """Names given as a sequence, or as one plain string (``formats="tcx"`` or ``"tcx,fit"``)."""
    return (value,) if isinstance(value, str) else tuple(value)


def _flags(request: ExportRequest) -> Choices:
    """What a run was asked for by its flags (the output folder made absolute)."""
    output = request.output_dir.expanduser().absolute() if request.output_dir is not None else None
    return Choices(tuple(split_names(request.formats)), output, tuple(split_names(request.sinks)))


#: What the sync step gives: its report, or why it could not run (one line) and the error.
SyncOutcome = tuple["SyncReport | None", str, "Exception | None"]


def streams(request: ExportRequest, selection: Selection) -> bool:
    """True when ``request`` exports while fetching: a run that walks the workout list and
    fetches (not demo, ``--offline``, ``--dry-run``, ``--limit`` or ``--workout``; those
    fetch little or nothing and keep fetch-then-export), unless turned off in the request."""
    return (
        request.export_while_fetching
        and not (request.demo or request.offline or request.dry_run)
        and selection.limit is None
        and selection.workout_ids is None
    )


def _export_while_fetching(
    request: ExportRequest,
    config: Config,
    archive: Archive,
    ledger: Ledger | None,
    selection: Selection,
    exporter: Exporter,
    rebuild: Callable[[], Exporter] | None,
) -> tuple[ExportReport, SyncOutcome]:
    """The sync in a :class:`~peloton_export.export.streaming.SyncFeed` thread, the export here.

    The plan is made before the sync writes anything (what was archived at the start);
    each workout the sync archives is handed to :meth:`Exporter.run` at once. Progress
    events come from both threads, one call at a time.
    """
    from peloton_export.export.streaming import SyncFeed

    notify = _one_at_a_time(request.progress)
    plan = exporter.plan(selection)

    def sync(archived: Callable[[str], None]) -> SyncOutcome:
        def step(event: ProgressEvent) -> None:
            feed.check()  # the export side stopped: end the sync here
            if notify is not None:
                notify(event)

        return _sync_step(
            request, config, archive, ledger, selection, archived=archived, progress=step, check=feed.check
        )

    feed: SyncFeed[SyncOutcome] = SyncFeed(sync)
    with feed:
        report = exporter.run(
            selection,
            plan=plan,
            progress=_export_progress(notify, lambda: len(plan.workouts)),
            jobs=request.jobs,
            rebuild=rebuild,
            feed=feed.batches(),
        )
    return report, feed.result()


def _one_at_a_time(
    callback: Callable[[ProgressEvent], None] | None,
) -> Callable[[ProgressEvent], None] | None:
    """``callback`` behind a lock: two threads report progress in a streamed run."""
    if callback is None:
        return None
    lock = threading.Lock()

    def report(event: ProgressEvent) -> None:
        with lock:
            callback(event)

    return report


def _sync_problem(exc: Exception, archive_root: Path | None = None) -> str:
    """One line for a sync that could not run, saying how to fix it when we know."""
    from peloton_export.errors import AuthRequired
    from peloton_export.net.redaction import redact

    if isinstance(exc, AuthRequired):
        text = redact(str(exc))
        text = text if "login" in text else f"{text}: run `peloton-export login`"
        return for_profile(text, active_profile())  # what a household member must do
    if isinstance(exc, OSError):
        where = f" {archive_root}" if archive_root is not None else ""
        where += f" ({exc.filename})" if exc.filename else ""
        return f"could not write the archive{where}: {exc.strerror or exc}"
    return redact(str(exc))  # a server's error text may echo a token


def _export_context(request: ExportRequest, config: Config) -> ExportContext:
    """What writers and sinks see: the output folder, flags and options of ``request``."""
    options = dict(request.options)
    if request.merge is not None:
        options["merge"] = str(request.merge)
    if not options.get("title") and config.get("title_template"):
        options["title"] = config.get("title_template") or ""
    for key in ("stack", "stack_gap_s", "stack_parts"):  # stacked classes (peloton_export.workout.stacking)
        if not options.get(key) and config.get(key):
            options[key] = config.get(key) or ""
    out_dir = request.output_dir or Path(config.get("output_dir") or DEFAULT_OUTPUT).expanduser()
    return ExportContext(
        output_dir=out_dir,
        dry_run=request.dry_run,
        force=request.force,
        options=options,
        plugin_config=config.plugins,
    )


def _sync_step(
    request: ExportRequest,
    config: Config,
    archive: Archive,
    ledger: Ledger | None,
    selection: Selection,
    *,
    archived: Callable[[str], None] | None = None,
    progress: Callable[[ProgressEvent], None] | None = None,
    check: Callable[[], None] | None = None,
) -> SyncOutcome:
    """Sync before (or while) exporting: ``(report, "", None)``, or ``(None, reason, error)``
    when the sync could not run or stopped half way (login impossible, Peloton down, the
    archive's disk full): what the archive holds is still exported. No sync for the demo and
    offline runs. ``archived`` sees each workout written to the archive; ``progress``
    replaces the request's callback; ``check`` goes to :func:`sync_archive`.

    :raises ConfigError: a ``--workout`` id Peloton does not know.
    """
    if request.demo or request.offline:
        return None, "", None
    try:
        sync = sync_archive(
            config,
            offline=False,
            archive=archive,
            ledger=ledger,
            selection=selection,
            fetch=not request.dry_run,
            progress=_sync_progress(progress or request.progress),
            archived=archived,
            check=check,
        )
    except (PelotonExportError, OSError) as exc:
        problem = _sync_problem(exc, archive.root)
        # the report carries it (report.sync_error): the command line prints it once, as
        # "Sync failed: ..."; a warning here would say it twice
        log.info("sync failed: %s", problem)
        return None, problem, exc
    if sync.not_found:
        raise ConfigError(f"unknown workout id: {', '.join(sync.not_found)} (Peloton has no such workout)")
    return sync, "", None


def sync_archive(
    config: Config | None = None,
    *,
    offline: bool = False,
    archive: Archive | None = None,
    ledger: Ledger | None = None,
    api: PelotonAPI | None = None,
    refetch: bool = False,
    selection: Selection | None = None,
    fetch: bool = True,
    progress: SyncProgress | None = None,
    archived: Callable[[str], None] | None = None,
    check: Callable[[], None] | None = None,
) -> SyncReport:
    """Bring the raw archive up to date with Peloton (the sync alone, no export).

    ``offline`` makes no request at all and returns an empty report. Otherwise logs in
    (saved token first), lists the workouts newest first and fetches only new or
    incomplete ones (see :mod:`peloton_export.source.sync`). ``config`` defaults to the
    config file; ``archive`` and ``ledger`` to the platformdirs locations; ``refetch``
    fetches everything again. ``selection`` (a :class:`Selection` whose ``workout_ids`` are full
    ids) limits what is listed and fetched; ``fetch=False`` lists without fetching any workout;
    ``progress`` sees each list page and fetched workout (see
    :data:`peloton_export.source.sync.SyncProgress`); ``archived`` is called with each
    workout id as soon as it is in the archive (see
    :func:`peloton_export.source.sync.sync_workouts`); ``check`` is called by the HTTP client
    before each attempt, piece of a body and backoff step, and raises to abandon the sync
    (a streamed run that was stopped: a slow or dripping answer must not hold it).

    :raises PelotonExportError: (one-line message) when login or the service fails.
    """
    from peloton_export.source.sync import SyncReport, sync_workouts

    if offline:
        return SyncReport(offline=True)
    from peloton_export.source.client.factory import make_client

    archive = Archive(archive_dir()) if archive is None else archive
    ledger = Ledger.default() if ledger is None else ledger
    own = api is None
    api = api or make_client(config or load_config())
    previous_check = api.http.check
    if check is not None:
        api.http.check = check
    try:
        report = sync_workouts(
            api,
            archive,
            ledger=ledger,
            refetch=refetch,
            selection=selection,
            fetch=fetch,
            progress=progress,
            archived=archived,
        )
        ledger.set_meta("last_sync", _now())
        ledger.set_meta("last_sync_summary", report.summary())
        return report
    finally:
        api.http.check = previous_check
        if own:
            api.http.close()


#: Peloton's discipline names (``fitness_discipline``), as ``--discipline`` accepts them
#: (``caesar`` is accepted, but messages show its display name ``rowing``).
DISCIPLINES = (
    "cycling",
    "running",
    "walking",
    "caesar",
    "rowing",
    "strength",
    "stretching",
    "yoga",
    "meditation",
    "cardio",
    "circuit",
    "bike_bootcamp",
    "outdoor",
)

#: Friendlier names for ``--discipline``: each stands for the Peloton names it lists.
DISCIPLINE_ALIASES: Mapping[str, tuple[str, ...]] = {
    "row": ("caesar", "rowing"),
    "rowing": ("caesar", "rowing"),
    "caesar": ("caesar", "rowing"),
    "bike": ("cycling",),
    "ride": ("cycling",),
    "tread": ("running", "walking"),
    "run": ("running",),
    "walk": ("walking",),
    "bootcamp": ("bike_bootcamp", "circuit"),
}


#: Option keys every format and sink takes (``PLUGIN.title_template``: docs/titles.md).
SHARED_OPTIONS = frozenset({"title_template"})
#: The run's own option keys (no ``PLUGIN.`` prefix): the title template, the lap strategy,
#: watch recordings to merge, and stacked classes.
RUN_OPTIONS = ("title", "laps", "merge", "stack", "stack_gap_s", "stack_parts")


def check_options(
    host: PluginHost,
    options: Mapping[str, str],
    context: ExportContext,
    *,
    formats: Sequence[FormatSpec] = (),
    sinks: Sequence[SinkSpec] = (),
) -> None:
    """Check ``--option NAME.KEY=VALUE`` once, before anything is fetched or written.

    A key without ``NAME.`` must be one of :data:`RUN_OPTIONS`. A ``NAME`` of an installed
    format or sink that declares its keys (``options``) must use
    one of them or a shared key (``title_template``); the chosen formats' and sinks'
    ``check_options`` check the values, and the title templates are checked too.

    :raises ConfigError: an unknown key (with the nearest one) or a bad value (exit 2).
    """
    from peloton_export.sinkkit.templates import check_title_templates

    specs: dict[str, FormatSpec | SinkSpec] = {**host.formats(), **host.sinks()}
    for key in options:
        name, dot, sub = key.partition(".")
        if not dot and key not in RUN_OPTIONS:
            near = difflib.get_close_matches(key, RUN_OPTIONS, n=1)
            hint = f"did you mean {near[0]}? " if near else ""
            raise ConfigError(
                f"unknown option {key!r}; {hint}the run's options are {', '.join(RUN_OPTIONS)}"
                " (a format's or sink's are NAME.KEY)"
            )
        spec = specs.get(name.lower()) if dot else None
        if spec is None or not spec.options or sub in spec.options or sub in SHARED_OPTIONS:
            continue
        near = difflib.get_close_matches(sub, list(spec.options), n=1)
        hint = f"did you mean {name}.{near[0]}? " if near else ""
        known = ", ".join(f"{name}.{k}" for k in spec.options)
        raise ConfigError(f"unknown option {key!r}; {hint}{name} knows: {known}")
    checks = [f.check_options for f in formats] + [s.check_options for s in sinks]
    for check in checks:
        if check is not None:
            check(context)
    check_title_templates(context, [f.name for f in formats] + [s.name for s in sinks])


def resolve_disciplines(names: Iterable[str]) -> frozenset[str] | None:
    """Peloton discipline names for ``--discipline`` words (case-insensitive, aliases allowed).

    ``None`` when no name is given.

    :raises ConfigError: an unknown name, with the nearest known one.
    """
    chosen: set[str] = set()
    for given in names:
        name = given.strip().lower().replace("-", "_")
        if name in DISCIPLINE_ALIASES:
            chosen.update(DISCIPLINE_ALIASES[name])
        elif name in DISCIPLINES:
            chosen.add(name)
        else:
            words = sorted({*DISCIPLINES, *DISCIPLINE_ALIASES})
            near = difflib.get_close_matches(name, words, n=1)
            hint = f"did you mean {display_discipline(near[0])}? " if near else ""
            shown = ", ".join(w for w in words if display_discipline(w) == w)  # "rowing", not "caesar"
            raise ConfigError(f"unknown discipline {given!r}; {hint}choose one of: {shown}")
    return frozenset(chosen) or None


def resolve_selection(selection: Selection, archive: Archive, *, online: bool) -> Selection:
    """``selection`` with every workout id made whole and disciplines resolved.

    Disciplines go through :func:`resolve_disciplines`.

    A full id (32 hex digits) stays as it is when ``online`` (Peloton is asked for it) or
    when archived; a shorter one must be the prefix of exactly one archived workout.

    :raises ConfigError: an unknown discipline, an id that matches no archived workout (with
        the nearest ids), or a prefix that matches several.
    """
    if selection.disciplines:
        selection = dataclasses.replace(selection, disciplines=resolve_disciplines(selection.disciplines))
    if not selection.workout_ids:
        return selection
    known = archive.ids()
    whole: set[str] = set()
    for given in sorted(selection.workout_ids):
        wanted = given.strip().lower()
        if wanted in known or (online and _FULL_ID.fullmatch(wanted)):
            whole.add(wanted)
            continue
        matches = [workout_id for workout_id in known if workout_id.startswith(wanted)] if wanted else []
        if len(matches) == 1:
            whole.add(matches[0])
            continue
        if matches:
            shown = ", ".join(sorted(matches)[:3])
            raise ConfigError(
                f"workout id {given!r} is ambiguous: {len(matches)} archived workouts start so ({shown})"
            )
        near = difflib.get_close_matches(wanted, [workout_id[: len(wanted)] for workout_id in known], n=1)
        hint = f" (did you mean {_expand(near[0], known)}?)" if near else ""
        raise ConfigError(f"unknown workout id: {given}{hint}")
    return dataclasses.replace(selection, workout_ids=frozenset(whole))


_FULL_ID = re.compile(r"[0-9a-f]{32}")


def _expand(prefix: str, known: Sequence[str]) -> str:
    return next((workout_id for workout_id in known if workout_id.startswith(prefix)), prefix)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


_Names = TypeVar("_Names")


def _from_config_key(key: str, from_config: bool, config: Config, resolve: Callable[[], _Names]) -> _Names:
    """``resolve()``; an unknown name that the config's ``key`` gave (``from_config``) is a
    :class:`SettingError`, so that its message names the file and line."""
    try:
        return resolve()
    except ConfigError as exc:
        if not from_config or not config.get(key) or isinstance(exc, SettingError):
            raise
        raise SettingError("peloton-export", key, config.get(key) or "", str(exc)) from None


def _format_names(request: ExportRequest, config: Config, host: PluginHost) -> list[str]:
    given = split_names(request.formats) or split_names(config.get("formats")) or ["all"]
    names = [name.lower() for name in given]
    return list(host.formats()) if "all" in names else names


def _sync_progress(callback: Callable[[ProgressEvent], None] | None) -> SyncProgress | None:
    if callback is None:
        return None

    def report(phase: str, completed: int, total: int | None, description: str) -> None:
        callback(
            ProgressEvent("listing" if phase == "listing" else "fetching", completed, total, description)
        )

    return report


def _export_progress(
    callback: Callable[[ProgressEvent], None] | None, total: Callable[[], int | None]
) -> Callable[[WorkoutResult], None] | None:
    if callback is None:
        return None
    done = 0

    def report(result: WorkoutResult) -> None:
        nonlocal done
        done += 1
        callback(ProgressEvent("export", done, total(), result.title or result.workout_id, result))

    return report


def _check_archive_dir(request: ExportRequest) -> None:
    """An ``--offline`` run needs the archive folder it was given to exist (a typo would
    otherwise export nothing and say so quietly); an online run creates it as it syncs."""
    given = request.archive_dir
    if not request.offline or request.demo or given is None or given.is_dir():
        return
    what = "is not a folder" if given.exists() else "does not exist"
    raise ConfigError(f"--archive: the archive folder {given} {what} (--offline reads an existing archive)")


@contextmanager
def _archive_for(request: ExportRequest) -> Iterator[Archive]:
    if request.demo:
        from peloton_export.source.demo import demo_workouts

        with tempfile.TemporaryDirectory(prefix="peloton-export-demo-") as tmp:
            archive = Archive(Path(tmp))
            for raw in demo_workouts():
                archive.put_raw(raw)
            yield archive
    else:
        yield Archive(request.archive_dir or archive_dir())


__all__ = [
    "DEFAULT_OUTPUT",
    "DISCIPLINES",
    "DISCIPLINE_ALIASES",
    "ExportRequest",
    "ProgressEvent",
    "RunContext",
    "check_options",
    "resolve_disciplines",
    "resolve_selection",
    "run_export",
    "sync_archive",
]
