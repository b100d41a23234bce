"""Jinja2 environment and the one rule for htmx: same URL, full page or just its partial."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import phonenumbers
from jinja2 import pass_context
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from web.clinic import Clinic
from web.security import SecureForm, form_meta
from web.settings import PROJECT_ROOT


def is_partial_request(request: Request) -> bool:
    """htmx asks for a fragment; its history restores ask for the full page (HX-Request-Type)."""
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-request-type", "partial") != "full"
    )


def readable_phone(e164: str) -> str:
    """+380671234567 as +380 67 123 4567: the stored form stays E.164, people read this one."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def long_date(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def short_date(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


@pass_context
def _url_path(context: dict, name: str, /, **path_params: Any) -> str:
    """Links as paths, not absolute URLs: right behind any proxy and shorter to send."""
    return str(context["request"].app.url_path_for(name, **path_params))


@pass_context
def _csrf_field(context: dict) -> Markup:
    """The hidden CSRF input for forms that post nothing else (confirm, sign out, rotate)."""
    request = context["request"]
    field = SecureForm(meta=form_meta(request)).csrf_token
    return Markup(field(id=False))  # noqa: S704  (WTForms escapes; no id: a page may hold several)


def make_templates(clinic: Clinic, static_url: Callable[[str], str]) -> Jinja2Templates:
    zone = clinic.rules.time_zone
    templates = Jinja2Templates(directory=PROJECT_ROOT / "templates")
    env = templates.env
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.globals.update(
        clinic=clinic, static_url=static_url, url_for=_url_path, csrf_field=_csrf_field
    )
    env.filters.update(
        long_date=long_date,
        short_date=short_date,
        iso_date=date.isoformat,
        utc_iso=utc_iso,
        clinic_day=lambda moment: moment.astimezone(zone).date(),
        clinic_clock=lambda moment: f"{moment.astimezone(zone):%H:%M}",
        phone=readable_phone,
    )
    return templates


def render(
    request: Request,
    page: str,
    context: dict[str, Any],
    *,
    partial: str | None = None,
    status_code: int = 200,
) -> Response:
    """Render `page`, or `partial` for an htmx request (the page includes the partial)."""
    templates: Jinja2Templates = request.app.state.templates
    name = partial if partial and is_partial_request(request) else page
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    if partial:
        response.headers["vary"] = "HX-Request"
    return response


def utc_iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
