"""``peloton_export.fit.encode``, kept for plugins and scripts that import it: the code is in
:mod:`peloton_export.formats.fit.encode`.
"""

from __future__ import annotations

from peloton_export.formats.fit.encode import (
    FitOptions,
    Message,
    build_messages,
    encode_workout,
    serial_number,
)

__all__ = [
    "FitOptions",
    "Message",
    "build_messages",
    "encode_workout",
    "serial_number",
]
