"""Secrets never reach a log line or an error message.

Secrets registered with :func:`protect` are replaced by ``***`` in every log record handled
by the root logger's handlers (:class:`RedactingFilter`), and :func:`redact` does the same
for any text (error messages).
"""

from __future__ import annotations

import logging
import threading

__all__ = ["REDACTED", "RedactingFilter", "install_redaction", "protect", "redact"]

REDACTED = "***"
_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
_MIN_SECRET_LENGTH = 6


def redact(text: str) -> str:
    """Return ``text`` with every secret registered through :func:`protect` replaced."""
    with _SECRETS_LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that removes registered secrets from a record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message, redact it, and keep the record."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactingFilter()


def install_redaction() -> None:
    """Add :class:`RedactingFilter` to every handler of the root logger (idempotent).

    :func:`protect` calls it; call it again after adding logging handlers (the CLI should,
    right after configuring logging) so that secrets protected earlier stay hidden.
    """
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)


def protect(*secrets: str | None) -> None:
    """Register secrets (tokens, API keys, passwords) never to appear in logs or errors.

    Adds :class:`RedactingFilter` to every handler of the root logger (idempotent), so
    records from any library (urllib3 at DEBUG too) are cleaned before they are written.
    Values shorter than six characters are ignored, as replacing them would mangle text.
    """
    with _SECRETS_LOCK:
        _SECRETS.update(s for s in secrets if s and len(s) >= _MIN_SECRET_LENGTH)
    install_redaction()
