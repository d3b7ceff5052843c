"""Deprecated: the helpers for upload plugins moved to :mod:`peloton_export.sinkkit`.

Kept so that third-party plugins importing ``peloton_export.uploads`` keep working; every
name is the same object as in :mod:`peloton_export.sinkkit`, and using one warns with a
:class:`DeprecationWarning`. Import from :mod:`peloton_export.sinkkit` instead.
"""

# ruff: noqa: F822  (the names are served by __getattr__)
from __future__ import annotations

import warnings
from typing import Any

from peloton_export import sinkkit

__all__ = [
    "Clock",
    "RedactingFilter",
    "TokenStore",
    "UploadJournal",
    "install_redaction",
    "json_object",
    "plugin_setting",
    "protect",
    "redact",
    "render_template",
    "retry_after_seconds",
    "send",
    "template_fields",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        warnings.warn(
            f"peloton_export.uploads.{name} is deprecated; import it from peloton_export.sinkkit",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(sinkkit, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
