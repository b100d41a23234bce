"""Reading a POSTed form's body: its size checked (413) before anything is parsed."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from web.core.i18n import N_

MAX_FORM_BYTES = 16 * 1024


async def read_form(request: Request) -> FormData:
    """The posted fields, refusing oversized bodies before they are parsed."""
    length = request.headers.get("content-length") or ""
    if not (length.isascii() and length.isdigit()):  # no body at all, or a length unread
        raise HTTPException(
            400, N_("The form arrived empty. Please go back, reload the page and try again.")
        )
    if int(length) > MAX_FORM_BYTES:
        raise HTTPException(413, N_("That form was too large to accept. Please shorten your note."))
    return await request.form(max_files=0, max_fields=30)
