"""The privacy notice the booking form's consent links to."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.http.page_cache import cached_page
from web.http.templating import render
from web.patient.conditions import page_key


@cached_page(page_key)
def privacy(request: Request) -> Response:
    context = {"retention_days": request.app.state.settings.retention_days}
    return render(request, "privacy.html", context)


routes = [Route("/privacy", privacy, name="privacy")]
