"""Tell the user when something needs them, once per problem, through apprise.

Configured by apprise URLs (``json://``, ``ntfy://``, ``mailto://``, ``tgram://`` ... see
apprise's documentation) in ``notify_urls`` of ``[peloton-export]`` or ``urls`` of
``[plugin:notify]`` (or ``PELOTON_EXPORT_NOTIFY_URLS`` / ``PELOTON_EXPORT_NOTIFY_URLS_FILE``),
several separated by commas, spaces or new lines. Needs the ``notify`` extra
(``pip install 'peloton-export[notify]'``, which installs apprise).

Each problem has a stable key (``peloton-login``, ``sink-login:strava``, ``sink-paused:garmin``,
``workout-failed:<id>``, ``unmapped:<movement>``) within a *scope* (``run`` for what the
watcher sees, ``export`` for what a finished export shows). :meth:`Notifier.update` is given
every problem of a scope that holds now: only keys not notified before are sent, in one
message; keys no longer present are forgotten, so a problem that clears and comes back is
notified again. Sticky scopes (``unmapped``) keep their keys: each movement is told once.
The keys sent are kept in ``<state dir>/notify-state.json`` (no secret in it). URLs are
never logged. A household profile's notifications name it (``peloton-export needs you
(anna)``, each line ``anna: ...``; in a household the default member's too, as ``default``)
and keep their state in its own state folder.
"""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from peloton_export.config import Config
from peloton_export.net.redaction import protect, redact
from peloton_export.readback import Fields, load_state
from peloton_export.store.atomic import write_bytes_atomic

log = logging.getLogger("peloton_export.notify")

STATE_FILE = "notify-state.json"
TITLE = "peloton-export needs you"
MAX_LINES = 20
_SPLIT = re.compile(r"[\s,]+")

Sender = Callable[[Sequence[str], str, str], bool]


def notify_urls(config: Config) -> list[str]:
    """The apprise URLs configured (``notify_urls``, else ``[plugin:notify] urls``)."""
    raw = config.get("notify_urls") or config.plugins.get("notify", {}).get("urls") or ""
    return [url for url in _SPLIT.split(raw) if url]


def _protect_url(url: str) -> None:
    """Register a URL and its secret-looking parts so no log line shows them."""
    protect(url)
    parts = urllib.parse.urlsplit(url)
    pieces = [parts.username, parts.password, parts.query, *parts.path.split("/"), parts.netloc]
    protect(*(urllib.parse.unquote(p) for p in pieces if p))


_warned_missing = False


def apprise_send(urls: Sequence[str], title: str, body: str) -> bool:
    """Send one message to every URL with apprise; True when every service took it.

    Returns False (with one warning line) when apprise is not installed or no URL is
    understood. Never raises for a service that fails.
    """
    global _warned_missing
    try:
        import apprise
    except ImportError:
        if not _warned_missing:
            log.warning(
                "notify_urls is set but apprise is not installed: pip install 'peloton-export[notify]'"
            )
            _warned_missing = True
        return False
    for url in urls:
        _protect_url(url)
    sender = apprise.Apprise()
    added = 0
    for number, url in enumerate(urls, 1):
        if sender.add(url):
            added += 1
        else:
            log.warning("notification URL #%d is not one apprise understands; left out", number)
    if not added:
        return False
    return bool(sender.notify(title=title, body=body))


def _parse_sent(fields: Fields) -> dict[str, dict[str, float]]:
    """``{scope: {problem key: when sent (Unix s)}}``; bad entries left out (and noted)."""
    out: dict[str, dict[str, float]] = {}
    for scope, keys in fields.mapping("sent").items():
        inner = Fields(keys if isinstance(keys, dict) else {}, path=fields.path, prefix=f"sent.{scope}.")
        if not isinstance(keys, dict):
            fields.problems.append(f"sent.{scope} is not an object")
        sent = {str(key): inner.timestamp(str(key)) for key in inner.obj}
        fields.problems += inner.problems
        out[str(scope)] = {key: when for key, when in sent.items() if when is not None}
    return out


class Notifier:
    """Sends each problem once (see the module documentation).

    :param urls: apprise URLs; with none, :meth:`update` does nothing at all.
    :param state_path: the file remembering which problem keys were sent.
    :param send: ``send(urls, title, body) -> bool`` (default: :func:`apprise_send`).
    :param profile: the household profile whose problems these are (named in the title and
        on each line), ``None`` for the default profile (today's messages).
    """

    def __init__(
        self,
        urls: Sequence[str],
        state_path: Path,
        *,
        send: Sender = apprise_send,
        clock: Callable[[], float] = time.time,
        profile: str | None = None,
    ) -> None:
        self.profile = profile
        self.urls = list(urls)
        self.state_path = Path(state_path)
        self.send = send
        self.clock = clock

    @classmethod
    def from_config(cls, config: Config, state_dir: Path) -> Notifier:
        """A notifier with the URLs of ``config`` and its state in ``state_dir``, naming
        ``config``'s profile: a named one always, the default one only in a household
        (``[profile:NAME]`` sections: "peloton-export needs you (default)" tells it from
        the members'); a single-account set-up's messages name none."""
        named = config.profile != "default" or bool(config.profiles)
        profile = config.profile if named else None
        return cls(notify_urls(config), Path(state_dir) / STATE_FILE, profile=profile)

    def _load(self) -> dict[str, dict[str, float]]:
        found = load_state(self.state_path, _parse_sent, what="notification state file")
        return found if found is not None else {}

    def _save(self, sent: Mapping[str, Mapping[str, float]]) -> None:
        data = json.dumps({"format": 1, "sent": sent}, indent=1, sort_keys=True).encode("utf-8")
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(self.state_path, data)

    def update(self, scope: str, problems: Mapping[str, str], *, sticky: bool = False) -> list[str]:
        """Notify the problems of ``scope`` not notified yet; returns the keys sent.

        Keys of ``scope`` missing from ``problems`` are forgotten unless ``sticky``. When
        sending fails nothing is recorded, so the next update tries again.
        """
        if not self.urls:
            return []
        sent = self._load()
        known = dict(sent.get(scope, {}))
        new = {key: message for key, message in problems.items() if key not in known}
        if not sticky:
            known = {key: when for key, when in known.items() if key in problems}
        if new:
            who = f"{self.profile}: " if self.profile else ""
            lines = [f"- {who}{message}" for message in list(new.values())[:MAX_LINES]]
            if len(new) > MAX_LINES:
                where = f" --profile {self.profile}" if self.profile else ""
                lines.append(f"- and {len(new) - MAX_LINES} more (see `peloton-export{where} status`)")
            title = f"{TITLE} ({self.profile})" if self.profile else TITLE
            if self.send(self.urls, title, redact("\n".join(lines))):  # no token a server echoed
                now = self.clock()
                known.update(dict.fromkeys(new, now))
                log.info("notified %d problem(s): %s", len(new), ", ".join(sorted(new)))
            else:
                log.warning(
                    "could not send a notification about %d problem(s); trying again next run", len(new)
                )
                new = {}
        if known != sent.get(scope, {}):
            sent[scope] = known
            try:
                self._save(sent)
            except OSError as exc:
                log.warning("cannot write %s: %s", self.state_path, exc.strerror or exc)
        return sorted(new)
