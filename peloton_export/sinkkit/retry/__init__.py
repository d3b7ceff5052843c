"""``peloton_export.sinkkit.retry``, kept for plugins and scripts that import it: the code is in
:mod:`peloton_export.net.retry`.
"""

from __future__ import annotations

from peloton_export.net.retry import (
    RETRYABLE_STATUS,
    Backoff,
    Clock,
    RateLimiter,
    json_object,
    parse_retry_after,
    retry_after_seconds,
    send,
)

__all__ = [
    "RETRYABLE_STATUS",
    "Backoff",
    "Clock",
    "RateLimiter",
    "json_object",
    "parse_retry_after",
    "retry_after_seconds",
    "send",
]
