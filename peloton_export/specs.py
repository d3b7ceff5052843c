"""Records that plugins return from registration hooks, and the context passed to them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, Protocol

if TYPE_CHECKING:
    from peloton_export.model import Workout


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportContext:
    """What a writer, sink, filter or transform may know about the run.

    ``options`` holds format options given on the command line or in the config
    (``--option fit.virtual=true`` becomes ``{"fit.virtual": "true"}``).
    ``plugin_config`` holds the config-file section of each plugin, keyed by plugin name.
    ``state`` is run-scoped plugin state, keyed by plugin name: what a plugin prepared in
    its ``export_started`` hook (see ``RunContext.state``). Worker processes (``--jobs``)
    get a copy made after ``export_started``; what they change there is not seen elsewhere.
    """

    output_dir: Path
    dry_run: bool = False
    force: bool = False
    options: Mapping[str, str] = field(default_factory=dict)
    plugin_config: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("peloton_export"))
    state: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False, repr=False)

    def option(self, name: str, default: str | None = None) -> str | None:
        """Return the option ``name`` (for example ``"fit.virtual"``) or ``default``."""
        return self.options.get(name, default)

    def flag(self, name: str, default: bool = False) -> bool:
        """Return the option ``name`` read as a boolean (1/true/yes/on, 0/false/no/off;
        :func:`peloton_export.config.parse_bool`), ``default`` when it is not given.

        :raises ConfigError: any other word (``"<name>: expected true or false, got ..."``).
        """
        from peloton_export.config import parse_bool

        return parse_bool(self.options.get(name), what=name, default=default)

    def config_for(self, plugin: str) -> Mapping[str, str]:
        """Return the config section of ``plugin`` (empty when there is none)."""
        return self.plugin_config.get(plugin, {})


class FormatWriter(Protocol):
    """Writes one workout to a binary stream. Raise ``SkipFormat`` when it does not apply."""

    def __call__(self, workout: Workout, stream: BinaryIO, context: ExportContext) -> None: ...


class SummaryRow(Protocol):
    """Returns the one summary row (column name to text) that describes a workout."""

    def __call__(self, workout: Workout, context: ExportContext) -> Mapping[str, str]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class SummarySpec:
    """A CSV file with one row per workout across the whole history (e.g. ``summary.csv``).

    The pipeline computes ``row`` for every file it writes and records it in the ledger
    beside the file. The format's plugin writes the file in its ``export_finished`` hook
    with :func:`peloton_export.formats.summaries.update_summary_file`: rows already in the file are
    kept, rows recorded in the ledger for this output folder and rows of this run replace
    theirs (matched on the ``key`` column), rows are ordered by ``order_by``, and the file
    is rewritten atomically, so a killed run never loses rows.
    """

    filename: str
    columns: tuple[str, ...]
    row: SummaryRow
    key: str = "workout_id"
    order_by: str = "start_utc"


@dataclass(frozen=True, slots=True, kw_only=True)
class FormatSpec:
    """A file format a plugin can write; ``name`` is the value of ``--format``.

    ``applies_to`` returns why the format does not apply to a workout (or ``None``);
    ``summary`` declares a history-wide summary file; ``parallel_safe = False`` keeps the
    run in one process (for a writer that needs one view of every workout).
    """

    name: str
    suffix: str
    write: FormatWriter
    description: str = ""
    #: The file's MIME type, for a sink that needs a Content-Type. The core never reads it;
    #: it stays because plugins pass it (removing it would make their FormatSpec raise).
    media_type: str = "application/octet-stream"
    applies_to: Callable[[Workout], str | None] | None = None
    summary: SummarySpec | None = None
    parallel_safe: bool = True
    #: The ``--option NAME.KEY`` keys the format reads, key -> help. When not empty, an
    #: unknown ``NAME.KEY`` is a usage error naming the nearest key.
    options: Mapping[str, str] = field(default_factory=dict)
    #: Checks the option values once before the run (raises ``ConfigError``, exit 2).
    check_options: Callable[[ExportContext], object] | None = None

    def skip_reason(self, workout: Workout) -> str | None:
        """Why this format does not apply to ``workout``, or ``None`` when it does."""
        return self.applies_to(workout) if self.applies_to else None


UploadState = Literal["uploaded", "duplicate", "failed", "skipped"]


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadResult:
    """What a sink reports back after delivering one file."""

    state: UploadState
    remote_id: str | None = None
    message: str = ""


class Uploader(Protocol):
    """Delivers one written file of one workout to a destination."""

    def __call__(self, path: Path, workout: Workout, context: ExportContext) -> UploadResult: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class SinkSpec:
    """A destination for written files; ``name`` is the value of ``--sink``.

    ``accepts`` lists the format names the destination takes, preferred first.
    ``upload`` may be called again for a workout it already delivered (after a crash
    between the upload and the ledger write): it must then answer ``state="duplicate"``
    (or its earlier result) rather than upload twice. ``exists(remote_id, context)``, when
    given, says whether an earlier upload is still there (``False`` when the user deleted
    it, ``None`` when unknown); the core asks it before a ``--force`` re-upload and never
    sends a deleted workout again.
    """

    name: str
    accepts: tuple[str, ...]
    upload: Uploader
    description: str = ""
    exists: Callable[[str, ExportContext], bool | None] | None = None
    #: The ``--option NAME.KEY`` keys the sink reads, key -> help (see ``FormatSpec.options``).
    options: Mapping[str, str] = field(default_factory=dict)
    #: Checks the option values once before the run (raises ``ConfigError``, exit 2).
    check_options: Callable[[ExportContext], object] | None = None


LoginFieldKind = Literal["text", "secret", "textarea"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginField:
    """One field of a sink's login form on the ``serve`` Logins page.

    ``name`` is the form field (letters, digits, ``_``; at most 32). ``kind``: ``"text"``
    (an email, an athlete id), ``"secret"`` (a password or an API key: a password input,
    never filled in again) or ``"textarea"`` (a pasted token store: never filled in again).
    """

    name: str
    label: str
    kind: LoginFieldKind = "text"
    help: str = ""

    @property
    def secret(self) -> bool:
        """True for ``"secret"`` and ``"textarea"`` fields: the page never shows their value."""
        return self.kind != "text"


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginRequest:
    """What a :class:`LoginSpec` step is given.

    ``profile`` is the household profile the login is for (its folders are active while
    the step runs: ``peloton_export.paths.config_dir()`` is its token folder);
    ``section`` its ``[plugin:NAME]`` settings (the profile's own keys over the shared
    ones); ``fields`` the posted form (``submit``) or the redirect's query (``callback``);
    ``redirect_uri`` this server's address for the plugin's OAuth redirect
    (``http://HOST/NAME/callback``) and ``state`` a random value the server made for this
    login and checks before ``callback`` is called.
    """

    profile: str
    section: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, str] = field(default_factory=dict, repr=False)
    redirect_uri: str = ""
    state: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginAnswer:
    """The outcome of a login step: ``message`` (one line, shown on the page: never a
    secret), ``ok``, and ``redirect`` (an address to send the browser to: an OAuth
    authorize page)."""

    message: str
    ok: bool = True
    redirect: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginSpec:
    """How a plugin offers its login on the ``serve`` Logins page (``register_logins``).

    ``name`` is the sink it logs in (``"strava"``); ``title`` its heading. ``state``
    returns one line on the saved login (``"logged in as athlete 777"``, ``"not logged
    in"``): never a token. ``fields`` and ``submit`` make a form: ``submit`` stores what
    was entered in the plugin's token store and answers in one line. ``start`` is a button
    without fields (an OAuth start: answer with ``redirect``); ``callback`` takes the
    browser's return to ``/NAME/callback`` (``LoginRequest.fields`` is its query, the
    ``state`` already checked). ``logout`` forgets the saved login. Every step may raise
    :class:`~peloton_export.errors.PelotonExportError` with a one-line reason; any other
    exception is reported naming the plugin, and the page goes on.
    """

    name: str
    title: str
    state: Callable[[LoginRequest], str]
    fields: tuple[LoginField, ...] = ()
    submit: Callable[[LoginRequest], LoginAnswer] | None = None
    submit_label: str = "Save"
    start: Callable[[LoginRequest], LoginAnswer] | None = None
    start_label: str = "Log in"
    callback: Callable[[LoginRequest], LoginAnswer] | None = None
    logout: Callable[[LoginRequest], LoginAnswer] | None = None
    help: str = ""
