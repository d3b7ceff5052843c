"""Reading a posted form: size-capped, URL-encoded, its CSRF token checked."""

from __future__ import annotations

import urllib.parse

from starlette.exceptions import HTTPException
from starlette.requests import Request

from peloton_export.web.auth import same_token

#: The largest form body read (the forms are a few fields).
MAX_FORM_BYTES = 16 * 1024


async def read_form(request: Request) -> dict[str, str]:
    """The fields of the posted form (the last value of a repeated field).

    :raises HTTPException: ``413`` for a body over :data:`MAX_FORM_BYTES`, ``403`` when
        its ``csrf`` field is not the ``pe_csrf`` cookie's token.
    """
    size = 0
    chunks: list[bytes] = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            raise HTTPException(413, "form too large")
        chunks.append(chunk)
    text = b"".join(chunks).decode("utf-8", errors="replace")
    fields = {k: v for k, v in urllib.parse.parse_qsl(text, keep_blank_values=True, max_num_fields=50)}
    if not same_token(fields.get("csrf"), getattr(request.state, "csrf", None)):
        raise HTTPException(403, "the form's CSRF token is missing or wrong: reload the page and try again")
    return fields


__all__ = ["MAX_FORM_BYTES", "read_form"]
