"""The audit log: who changed what on the desk, newest first."""

from __future__ import annotations

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.core.i18n import N_
from web.desk import audit
from web.desk.front_office import query_page
from web.desk.menu import MenuEntry
from web.http.state import state_of
from web.http.templating import render


def audit_page(request: Request) -> Response:
    page = query_page(request)
    with Session(state_of(request).engine) as session:
        events, total = audit.recent_events(session, page=page, per_page=50)
    context = {
        "events": events,
        "page": page,
        "pages": max(1, -(-total // 50)),
        "read_detail": audit.read_detail,
    }
    return render(request, "desk_audit.html", context)


routes = [Route("/audit", audit_page, name="desk_audit")]

menu = [MenuEntry(N_("Audit log"), "desk_audit")]
