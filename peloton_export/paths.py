"""Where peloton-export keeps its files (platformdirs), each overridable by environment.

Each household profile (:mod:`peloton_export.profiles`) has folders of its own: while a
profile is active (:func:`use_dirs`, a :class:`contextvars.ContextVar`, so per thread and
per asyncio task) :func:`data_dir`, :func:`archive_dir`, :func:`state_dir` and
:func:`config_dir` give its folders, so every token file, ledger, lock, journal and
status file of the run is the profile's. With none active they are today's locations:
the ``PELOTON_EXPORT_*_DIR`` variables, else the platform folders. A thread started by
a run copies the context (:func:`carry`); a worker process is handed the folders.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ParamSpec, TypeVar

APP_NAME = "peloton-export"
#: The name of the profile of a configuration without ``[profile:NAME]`` sections.
DEFAULT_PROFILE = "default"

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class ProfileDirs:
    """The folders of one profile: ``profile`` is its name (``"default"`` for today's
    single-account set-up); ``data`` (root of the raw archive), ``archive`` (the raw
    archive), ``state`` (ledger, run lock, cooldown, journals, status files) and ``config``
    (token caches) are absolute or ``~``-expanded paths."""

    profile: str
    data: Path
    archive: Path
    state: Path
    config: Path

    @property
    def is_default(self) -> bool:
        """True for the default profile's folders."""
        return self.profile == DEFAULT_PROFILE


_ACTIVE: contextvars.ContextVar[ProfileDirs | None] = contextvars.ContextVar(
    "peloton_export_profile_dirs", default=None
)


def _dir(env: str, default: str) -> Path:
    value = os.environ.get(env)
    return Path(value).expanduser() if value else Path(default)


def _platform_dir(kind: str) -> str:
    """platformdirs' ``user_<kind>_dir`` of the app (imported on first use, not at start-up)."""
    import platformdirs

    return str(getattr(platformdirs, f"user_{kind}_dir")(APP_NAME, appauthor=False))


def _base_data() -> Path:
    return _dir("PELOTON_EXPORT_DATA_DIR", _platform_dir("data"))


def default_dirs() -> ProfileDirs:
    """The default profile's folders: today's locations (environment, else platformdirs),
    whichever profile is active."""
    data = _base_data()
    return ProfileDirs(
        profile=DEFAULT_PROFILE,
        data=data,
        archive=_dir("PELOTON_EXPORT_ARCHIVE", str(data / "archive")),
        state=_dir("PELOTON_EXPORT_STATE_DIR", _platform_dir("state")),
        config=_dir("PELOTON_EXPORT_CONFIG_DIR", _platform_dir("config")),
    )


def named_dirs(name: str) -> ProfileDirs:
    """The folders of the named profile ``name``: ``profiles/<name>`` under each of the
    default profile's data, state and config folders, the archive in ``<its data>/archive``
    (``/data/profiles/anna/archive``, ``/state/profiles/anna``, ``/config/profiles/anna``
    in the container)."""
    if name == DEFAULT_PROFILE:
        return default_dirs()
    base = default_dirs()
    data = base.data / "profiles" / name
    return ProfileDirs(
        profile=name,
        data=data,
        archive=data / "archive",
        state=base.state / "profiles" / name,
        config=base.config / "profiles" / name,
    )


def active_dirs() -> ProfileDirs | None:
    """The folders of the profile active in this context, ``None`` when none is."""
    return _ACTIVE.get()


def active_profile() -> str:
    """The name of the active profile (``"default"`` when none is active)."""
    active = _ACTIVE.get()
    return active.profile if active is not None else DEFAULT_PROFILE


@contextmanager
def use_dirs(dirs: ProfileDirs | None) -> Iterator[ProfileDirs | None]:
    """Make ``dirs`` the folders of this context (thread, task) until the block ends;
    ``None`` leaves them as they are. Nests."""
    if dirs is None:
        yield _ACTIVE.get()
        return
    token = _ACTIVE.set(dirs)
    try:
        yield dirs
    finally:
        _ACTIVE.reset(token)


def enter_dirs(dirs: ProfileDirs) -> None:
    """Make ``dirs`` this context's folders for good (a worker process of one run)."""
    _ACTIVE.set(dirs)


def carry(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` bound to a copy of the calling context: a thread that runs it sees the
    same active profile (threads start with an empty context)."""
    context = contextvars.copy_context()

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return context.run(function, *args, **kwargs)

    return run


def data_dir() -> Path:
    """Root of the raw archive (``PELOTON_EXPORT_DATA_DIR``; the active profile's)."""
    active = _ACTIVE.get()
    return active.data if active is not None else _base_data()


def archive_dir() -> Path:
    """The raw archive (``PELOTON_EXPORT_ARCHIVE``, default ``<data dir>/archive``; the
    active profile's)."""
    active = _ACTIVE.get()
    return active.archive if active is not None else default_dirs().archive


def state_dir() -> Path:
    """The sync ledger and cooldown state (``PELOTON_EXPORT_STATE_DIR``; the active profile's)."""
    active = _ACTIVE.get()
    return active.state if active is not None else default_dirs().state


def config_dir() -> Path:
    """Token caches and our own settings (``PELOTON_EXPORT_CONFIG_DIR``; the active profile's)."""
    active = _ACTIVE.get()
    return active.config if active is not None else default_dirs().config
