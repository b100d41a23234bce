"""The Jinja2 environment for pages, and the one rule for htmx: same URL, full page or partial."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import pass_context
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from web.core import formats
from web.core.clinic import Clinic
from web.http.csrf import SecureForm, form_meta

# A cache keyed on the URL alone would hand an htmx fragment to a plain visit, or the reverse.
VARY_HTMX = "HX-Request, HX-Request-Type"


def is_partial_request(request: Request) -> bool:
    """htmx asks for a fragment; its history restores ask for the full page (HX-Request-Type)."""
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-request-type", "partial") != "full"
    )


@pass_context
def _url_path(context: dict[str, Any], name: str, /, **path_params: Any) -> str:
    """Links as paths, not absolute URLs: right behind any proxy and shorter to send."""
    return str(context["request"].app.url_path_for(name, **path_params))


@pass_context
def _csrf_field(context: dict[str, Any]) -> Markup:
    """The hidden CSRF input for forms that post nothing else (confirm, sign out, rotate)."""
    request = context["request"]
    field = SecureForm(meta=form_meta(request)).csrf_token
    return Markup(field(id=False))  # noqa: S704  (WTForms escapes; no id: a page may hold several)


def make_templates(
    clinic: Clinic, *, directory: Path, static_url: Callable[[str], str]
) -> Jinja2Templates:
    zone = clinic.rules.time_zone
    templates = Jinja2Templates(directory=directory)
    env = templates.env
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.globals.update(
        clinic=clinic, static_url=static_url, url_for=_url_path, csrf_field=_csrf_field
    )
    env.filters.update(
        long_date=formats.long_date,
        short_date=formats.short_date,
        iso_date=lambda day: day.isoformat(),
        utc_iso=formats.format_start,
        clinic_day=lambda moment: formats.local_day(moment, zone),
        clinic_clock=lambda moment: formats.clock(moment, zone),
        phone=formats.readable_phone,
    )
    return templates


def render(
    request: Request,
    page: str,
    context: dict[str, Any],
    *,
    partial: str | None = None,
    status_code: int = 200,
    cache_control: str = "no-store",
) -> Response:
    """Render `page`, or `partial` for an htmx request (the page includes the partial).

    Private by default: only pages that are the same for everyone pass a public cache_control.
    """
    templates: Jinja2Templates = request.app.state.templates
    name = partial if partial and is_partial_request(request) else page
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["cache-control"] = cache_control
    if partial:
        response.headers["vary"] = VARY_HTMX
    return response
