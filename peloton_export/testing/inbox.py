"""A loopback notification inbox: what apprise's ``json://`` service posts.

Point the notify plugin (``notify_urls`` or ``[plugin:notify] urls``) at
:attr:`FakeInbox.apprise_url`; :meth:`FakeInbox.messages` are the JSON objects apprise
posted (``{"version", "title", "message", "type"}``), :meth:`FakeInbox.bodies` their
``message`` texts. Standard library only (apprise itself is the test's dependency).
"""

from __future__ import annotations

from typing import Any

from peloton_export.testing.service import FakeService, RecordedRequest, Response

__all__ = ["FakeInbox"]


class FakeInbox(FakeService):
    """Answers every request ``{"ok": true}`` and keeps it (see the module docstring)."""

    def route(self, request: RecordedRequest) -> Response:
        return Response.json({"ok": True})

    @property
    def apprise_url(self) -> str:
        """The apprise URL of this inbox: ``json://127.0.0.1:PORT/``."""
        return self.url.replace("http://", "json://") + "/"

    def messages(self) -> list[dict[str, Any]]:
        """The JSON objects posted, oldest first."""
        return [r.json() for r in self.requests if r.method == "POST"]

    def bodies(self) -> list[str]:
        """The ``message`` text of each notification, oldest first."""
        return [str(m.get("message")) for m in self.messages()]
