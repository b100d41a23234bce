"""The privacy notice the booking form's consent links to."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.core.consent import PRIVACY_NOTICE_VERSION
from web.http.page_cache import cached_page
from web.http.state import state_of
from web.http.templating import render
from web.patient.conditions import page_key


@cached_page(page_key)
def privacy(request: Request) -> Response:
    context = {
        # The purge process deletes after RETENTION_DAYS too (Procfile): one number, both places.
        "retention_days": state_of(request).settings.retention_days,
        "notice_version": PRIVACY_NOTICE_VERSION,
    }
    return render(request, "privacy.html", context)


routes = [Route("/privacy", privacy, name="privacy")]
