"""Where peloton-export keeps its files (platformdirs), each overridable by environment."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "peloton-export"

#: Where files go when neither the request nor the config names a folder (``./exports``).
DEFAULT_OUTPUT = "exports"


def _dir(env: str, default: str) -> Path:
    value = os.environ.get(env)
    return Path(value).expanduser() if value else Path(default)


def data_dir() -> Path:
    """Root of the raw archive (``PELOTON_EXPORT_DATA_DIR``)."""
    return _dir("PELOTON_EXPORT_DATA_DIR", platformdirs.user_data_dir(APP_NAME, appauthor=False))


def archive_dir() -> Path:
    """The raw archive (``PELOTON_EXPORT_ARCHIVE``, default ``<data dir>/archive``)."""
    return _dir("PELOTON_EXPORT_ARCHIVE", str(data_dir() / "archive"))


def state_dir() -> Path:
    """The sync ledger and cooldown state (``PELOTON_EXPORT_STATE_DIR``)."""
    return _dir("PELOTON_EXPORT_STATE_DIR", platformdirs.user_state_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """Token caches and our own settings (``PELOTON_EXPORT_CONFIG_DIR``)."""
    return _dir("PELOTON_EXPORT_CONFIG_DIR", platformdirs.user_config_dir(APP_NAME, appauthor=False))
