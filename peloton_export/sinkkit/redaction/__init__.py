"""``peloton_export.sinkkit.redaction``, kept for plugins and scripts that import it: the code is in
:mod:`peloton_export.net.redaction`.
"""

from __future__ import annotations

from peloton_export.net.redaction import (
    REDACTED,
    RedactingFilter,
    install_redaction,
    protect,
    redact,
)

__all__ = [
    "REDACTED",
    "RedactingFilter",
    "install_redaction",
    "protect",
    "redact",
]
