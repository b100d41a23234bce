"""Responses that are not pages: calendar files and feeds."""

from __future__ import annotations

from starlette.responses import Response


def ics_response(body: bytes, *, filename: str | None = None) -> Response:
    """text/calendar with a charset, so phones offer "Add to calendar"; an attachment name for
    downloads (a subscription feed has none). Private: never cached by shared caches."""
    headers = {"cache-control": "no-store"}
    if filename:
        headers["content-disposition"] = f'attachment; filename="{filename}"'
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)
