"""The Peloton client: polite HTTP, login strategies, typed endpoints and incremental sync.

Build one with :func:`peloton_export.source.client.factory.make_client` (from a loaded config),
or piece by piece: :class:`~peloton_export.source.client.http.HttpClient`,
:class:`~peloton_export.source.client.auth.Authenticator`,
:class:`~peloton_export.source.client.api.PelotonAPI` and
:func:`~peloton_export.source.sync.sync_workouts`.
"""

from __future__ import annotations
