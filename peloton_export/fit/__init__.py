"""``peloton_export.fit``, kept for plugins that import it: the FIT writer is
:mod:`peloton_export.formats.fit`.

:mod:`peloton_export.fit.encode` and :mod:`peloton_export.fit.devices` re-export the same
objects as :mod:`peloton_export.formats.fit.encode` and
:mod:`peloton_export.formats.fit.devices`. The names below load on first use, so importing
this package never imports Garmin's SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from peloton_export.formats.fit.adapter import FitEncodeError, FitWriter
    from peloton_export.formats.fit.encode import FitOptions, build_messages, encode_workout

_LAZY = {
    "FitEncodeError": "peloton_export.formats.fit.adapter",
    "FitWriter": "peloton_export.formats.fit.adapter",
    "FitOptions": "peloton_export.formats.fit.encode",
    "build_messages": "peloton_export.formats.fit.encode",
    "encode_workout": "peloton_export.formats.fit.encode",
}


def __getattr__(name: str) -> object:
    """Load the encoder's public names on first use."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'peloton_export.fit' has no attribute {name!r}")


__all__ = ["FitEncodeError", "FitOptions", "FitWriter", "build_messages", "encode_workout"]
