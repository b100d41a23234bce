"""The home page and condition pages, with each section also served alone for htmx."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.core.content import Condition
from web.core.errors import ConditionNotFound
from web.http.i18n import page_language
from web.http.templating import render

# Browsers may keep these pages for five minutes; shared caches may not, because a visitor who has
# a session (after opening a form) gets its cookie refreshed on every response.
BROWSER_CACHE = "private, max-age=300"


def _conditions(request: Request) -> dict[str, Condition]:
    by_slug: dict[str, Condition] = request.app.state.conditions[page_language(request)]
    return by_slug


def _condition(request: Request) -> Condition:
    condition = _conditions(request).get(request.path_params["slug"])
    if condition is None:
        raise ConditionNotFound
    return condition


def home(request: Request) -> Response:
    context = {"conditions": _conditions(request).values()}
    return render(request, "home.html", context, cache_control=BROWSER_CACHE)


def condition_page(request: Request) -> Response:
    condition = _condition(request)
    return _render_condition(request, condition, condition.sections[0].slug)


def condition_section(request: Request) -> Response:
    condition = _condition(request)
    section = condition.section(request.path_params["section"])
    if section is None:
        raise ConditionNotFound
    return _render_condition(request, condition, section.slug)


def _render_condition(request: Request, condition: Condition, open_slug: str) -> Response:
    context = {
        "condition": condition,
        "open_slug": open_slug,
        "section": condition.section(open_slug),
    }
    return render(
        request, "condition.html", context, partial="_section.html", cache_control=BROWSER_CACHE
    )


routes = [
    Route("/", home, name="home"),
    Route("/conditions/{slug}", condition_page, name="condition"),
    Route("/conditions/{slug}/{section}", condition_section, name="condition_section"),
]
