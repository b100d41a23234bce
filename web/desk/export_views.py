"""The bookings of a date range as a CSV or Excel file, for the clinic's own records."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.core.errors import InvalidInput
from web.core.formats import parse_day
from web.core.i18n import N_
from web.desk import exports
from web.desk.front_office import who
from web.desk.menu import MenuEntry
from web.http.csrf import SecureForm, posted_form
from web.http.language_urls import page_language
from web.http.picker import rules_of
from web.http.state import state_of


def _export_range(fields: Mapping[str, Any]) -> tuple[date, date]:
    try:
        first = parse_day(str(fields.get("from", "")))
        last = parse_day(str(fields.get("to", "")))
    except InvalidInput:
        raise HTTPException(
            400, N_("Please give both dates of the range, like 2026-12-01.")
        ) from None
    if last < first or last - first > timedelta(days=366):
        raise HTTPException(400, N_("The range must run forwards and cover at most a year."))
    return first, last


EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


async def export(request: Request) -> Response:
    """A POST, not a link: every export is written to the audit log, so it is a change."""
    await posted_form(request, SecureForm)
    first, last = _export_range(await request.form())
    kind = request.path_params["kind"]
    body = await run_in_threadpool(
        exports.export,
        engine=state_of(request).engine,
        rules=rules_of(request),
        first=first,
        last=last,
        kind=kind,
        language=page_language(request),
        library=state_of(request).conditions,
        who=who(request),
        now=state_of(request).clock(),
    )
    filename = f"bookings-{first}-to-{last}.{kind}"
    return Response(
        body,
        media_type=EXPORT_TYPES[kind],
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "cache-control": "no-store",
        },
    )


routes = [Route("/export.{kind:export_kind}", export, name="desk_export", methods=["POST"])]

menu: list[MenuEntry] = []  # the export buttons are on the Find page
