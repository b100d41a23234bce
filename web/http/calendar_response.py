"""The one response that is not a page: a calendar file or feed (.ics)."""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import Response


def ics_response(
    body: bytes, *, filename: str | None = None, ascii_filename: str = "calendar.ics"
) -> Response:
    """text/calendar with a charset, so phones offer "Add to calendar"; an attachment name for
    downloads (a subscription feed has none). Private: never cached by shared caches."""
    headers = {"cache-control": "no-store"}
    if filename:
        disposition = f'attachment; filename="{filename}"'
        if not filename.isascii():
            # A Cyrillic name per RFC 6266, after an ASCII one for clients that know no better.
            disposition = (
                f"attachment; filename=\"{ascii_filename}\"; filename*=UTF-8''{quote(filename)}"
            )
        headers["content-disposition"] = disposition
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)
