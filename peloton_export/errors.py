"""Exceptions that carry a one-line message meant for the user."""

from __future__ import annotations

import errno

#: A write failing with one of these means the folder refuses every write (read-only,
#: permission denied, disk full, over quota), not that one file is bad.
REFUSED_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT})


def refuses_writes(exc: OSError) -> bool:
    """True when ``exc`` says its folder refuses writes (see :data:`REFUSED_ERRNOS`)."""
    return exc.errno in REFUSED_ERRNOS


#: What a run stopped by Ctrl-C or SIGTERM prints (exit code 130).
INTERRUPTED = "Interrupted; the next run resumes where this one stopped."


class PelotonExportError(Exception):
    """Base class of every error peloton-export reports without a traceback."""


class ConfigError(PelotonExportError):
    """The configuration or the command line is wrong (exit code 2)."""


class SettingError(ConfigError):
    """One setting's value is wrong (exit code 2): ``[section] key`` given ``value``.

    ``problem`` says what is wrong and what is allowed (``expected a number between 1 and
    600, got 'abc'``). The message is ``<label>: <problem>``, the label ``[section] key``
    unless given. The command line adds where the value came from (the config file and
    its line, or the environment variable) with
    :func:`peloton_export.config.locate_setting`.
    """

    def __init__(self, section: str, key: str, value: str, problem: str, *, label: str | None = None) -> None:
        self.section = section
        self.key = key
        self.value = value
        self.problem = problem
        self.label = label or f"[{section}] {key}"
        super().__init__(f"{self.label}: {problem}")


class LocalFileError(PelotonExportError):
    """A local file or folder the run needs is unusable (the ledger, the state folder, the
    archive): nothing was done and the command exits with code 4. The message names the
    path and what to do about it."""


class OutputRefused(LocalFileError):
    """The output folder refuses writes (read-only disk, permission denied, disk full or
    over quota): the run stops at the first such write, since every other workout would
    fail the same way. Files already written and recorded stay; nothing else is recorded,
    so the next run exports everything not written. Exit code 4."""

    @classmethod
    def at(cls, folder: object, path: object, exc: OSError) -> OutputRefused:
        """The one line for ``exc`` raised writing ``path`` into ``folder``."""
        name = getattr(path, "name", path)
        return cls(
            f"cannot write into the output folder {folder} ({exc.strerror or exc}); the run"
            f" stopped at {name}, and the next run exports every workout not written yet"
        )

    @classmethod
    def creating(cls, folder: object, exc: OSError) -> OutputRefused:
        """The one line for ``exc`` raised making the output folder ``folder`` (a file in
        its place or on its path, a parent that cannot hold folders, a read-only disk)."""
        return cls(
            f"cannot create the output folder {folder} ({exc.strerror or exc}); choose another"
            " with -o or output_dir"
        )


class StateRefused(LocalFileError):
    """The state folder (the ledger, a sink's upload journal, token files) refuses writes
    (read-only disk, permission denied, disk full or over quota): the run stops at the
    first such write, since every later delivery would fail the same way. Nothing is
    recorded that did not happen, so the next run delivers what is left. Exit code 4."""

    @classmethod
    def at(cls, path: object, exc: OSError) -> StateRefused:
        """The one line for ``exc`` raised writing the state file ``path`` (its folder named)."""
        folder = getattr(path, "parent", path)
        name = getattr(path, "name", path)
        return cls(
            f"cannot write into the state folder {folder} ({exc.strerror or exc}) writing {name};"
            " the run stopped, free some space or make it writable and the next run delivers"
            " every workout not delivered yet"
        )


class SkipWorkout(PelotonExportError):
    """This workout is deliberately not exported (for example an empty COMPLETE workout)."""


class NormalizeError(PelotonExportError):
    """A raw Peloton body could not be understood.

    The message names the workout id, the file and the field at fault.
    """

    def __init__(self, message: str, *, workout_id: str | None = None, field: str | None = None):
        self.workout_id = workout_id
        self.field = field
        parts = []
        if workout_id:
            parts.append(f"workout {workout_id}")
        if field:
            parts.append(f"field {field!r}")
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ExportError(PelotonExportError):
    """A format writer could not write a workout. Raised by plugins, reported per workout."""


class SkipFormat(PelotonExportError):
    """A format does not apply to this workout (for example GPX without GPS); not a failure."""


class UploadError(PelotonExportError):
    """A sink could not deliver a file."""


class PelotonException(PelotonExportError):
    """Base of the original library's exceptions (re-exported by :mod:`peloton_export.compat`)."""


class PelotonClientError(PelotonException):
    """A 4xx answer (the original's name); Peloton login errors are ones too."""


class AuthRequired(UploadError):
    """A sink or the Peloton client needs the user to log in first."""


class SinkPaused(UploadError):
    """A sink can deliver nothing until the user acts on the service's side; a typed state.

    Raised by a sink's ``upload`` (e.g. Strava's application is inactive, Garmin needs a new
    login). The run stops using the sink at once: the workout is not recorded as failed
    (it stays pending, so a later run delivers it), later workouts are not offered to the
    sink, the run's report lists the sink once in ``ExportReport.paused`` with ``str(exc)``,
    ``peloton-export status`` shows it until the sink delivers again, and the ``notify``
    plugin tells it once under the key ``sink-paused:<sink>``.

    :param message: one line saying what is wrong and what to do (no secret).
    :param reason: a stable machine-readable reason, e.g. ``"app-inactive"`` or
        ``"login-needed"`` (plugins choose; the core only shows it).
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class ServiceFailing(UploadError):
    """The service itself is failing, not this workout: a typed state of a sink in a run.

    Raised (by :func:`peloton_export.net.retry.send` and the sink toolkit's uploader) for
    answers that say nothing about the file: a 5xx after the retries, no answer at all (a
    refused connection, a timeout), a rate limit longer than the sink waits (e.g. a
    Cloudflare 429 with a long ``Retry-After``). The workout is recorded as failed with the
    one line (a later run tries it again); after
    :data:`peloton_export.export.breaker.BREAKER_AFTER` of them in a row, or at once when
    the service named a wait (``retry_after``), the run offers no more workouts to the sink
    (they stay pending, with nothing recorded) and its report lists the sink once in
    ``ExportReport.failing``.

    :param message: one line naming the request and what the service did (no secret).
    :param retry_after: seconds the service asked to wait (``Retry-After``), or ``None``.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PluginError(PelotonExportError):
    """A plugin failed; the message names the plugin and the hook."""

    def __init__(self, message: str, *, plugin: str, hook: str):
        self.plugin = plugin
        self.hook = hook
        super().__init__(f"plugin {plugin!r} failed in {hook}: {message}")


class PluginLoadError(PluginError):
    """A plugin could not be imported or registered."""


class RegistrationConflict(PelotonExportError):
    """Two plugins registered a format or sink with the same name."""
