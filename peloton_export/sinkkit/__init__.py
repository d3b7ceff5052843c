"""The sink toolkit: what an upload plugin (a sink that talks to a web service) needs.

Used by the first-party Strava, intervals.icu and Garmin Connect plugins, and meant for
third-party sinks too. Import from here (``from peloton_export.sinkkit import ...``); the
submodules are an implementation detail.

* HTTP (:mod:`.retry`, shared with the Peloton client): :func:`send` (one request, waiting
  out 429s and retrying what is safe to retry), :func:`parse_retry_after`,
  :class:`Backoff`, :class:`RateLimiter`, :class:`Clock` (injectable time and sleep),
  :func:`json_object`.
* Secrets (:mod:`.redaction`): :func:`protect`, :func:`redact`, :class:`RedactingFilter`,
  :func:`install_redaction`.
* Logins: :class:`TokenStore` (a JSON object in a 0600 file or the keyring) and
  :class:`LoginCooldown` (persisted; used by the Peloton login too).
* Settings: :class:`PluginSettings` (``--option`` -> config section -> environment) and
  :func:`plugin_setting`.
* Names and descriptions: :func:`activity_title`, :func:`render_template`, :func:`render_setting`,
  :func:`template_fields`.
* Exactly once: :class:`JournaledUploader` over an :class:`UploadJournal`; a sink
  implements ``send``, ``poll`` and ``find`` (and ``existing``, returning an
  :class:`Existing`, for a copy another app made) and raises :class:`Rejected`,
  :class:`InDoubt`, :class:`SendAgain` or :class:`UploadLost` to steer it; a
  :class:`~peloton_export.errors.SinkPaused` pauses the sink for the run.
"""

from __future__ import annotations

from peloton_export.net.cooldown import CooldownState, LoginCooldown
from peloton_export.net.redaction import RedactingFilter, install_redaction, protect, redact
from peloton_export.net.retry import (
    RETRYABLE_STATUS,
    Backoff,
    Clock,
    RateLimiter,
    json_body,
    json_object,
    parse_retry_after,
    retry_after_seconds,
    send,
)
from peloton_export.net.tokens import TokenStore
from peloton_export.sinkkit.journal import (
    Existing,
    InDoubt,
    JournaledUploader,
    Rejected,
    SendAgain,
    Sent,
    UploadJournal,
    UploadLost,
)
from peloton_export.sinkkit.settings import PluginSettings, plugin_setting
from peloton_export.sinkkit.templates import (
    activity_title,
    render_setting,
    render_template,
    template_fields,
)

__all__ = [
    "RETRYABLE_STATUS",
    "Backoff",
    "Clock",
    "CooldownState",
    "Existing",
    "InDoubt",
    "JournaledUploader",
    "LoginCooldown",
    "PluginSettings",
    "RateLimiter",
    "RedactingFilter",
    "Rejected",
    "SendAgain",
    "Sent",
    "TokenStore",
    "UploadJournal",
    "UploadLost",
    "activity_title",
    "install_redaction",
    "json_body",
    "json_object",
    "parse_retry_after",
    "plugin_setting",
    "protect",
    "redact",
    "render_setting",
    "render_template",
    "retry_after_seconds",
    "send",
    "template_fields",
]
