"""The home page and condition pages, with each section also served alone for htmx."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.core.clinic import Clinic
from web.core.content import Condition
from web.core.errors import ConditionNotFound
from web.http.htmx import is_partial_request
from web.http.language_urls import absolute, page_language, route_path, same_page_in
from web.http.page_cache import cached_page
from web.http.state import state_of
from web.http.templating import render


def page_key(request: Request) -> tuple[str, str]:
    """What one of these pages depends on: its language and path (nothing else in the URL)."""
    return page_language(request), route_path(request.scope)


def condition_key(request: Request) -> tuple[str, str, bool, bool]:
    """A condition page also depends on ?sections=all and on htmx asking for the section only."""
    all_open = request.query_params.get("sections") == "all"
    return (*page_key(request), all_open, is_partial_request(request))


def _conditions(request: Request) -> dict[str, Condition]:
    by_slug: dict[str, Condition] = state_of(request).conditions[page_language(request)]
    return by_slug


def _condition(request: Request) -> Condition:
    condition = _conditions(request).get(request.path_params["slug"])
    if condition is None:
        raise ConditionNotFound
    return condition


@cached_page(page_key)
def home(request: Request) -> Response:
    context = {"conditions": _conditions(request).values()}
    return render(request, "home.html", context)


@cached_page(condition_key)
def condition_page(request: Request) -> Response:
    condition = _condition(request)
    return _render_condition(request, condition, condition.sections[0].slug)


@cached_page(condition_key)
def condition_section(request: Request) -> Response:
    condition = _condition(request)
    section = condition.section(request.path_params["section"])
    if section is None:
        raise ConditionNotFound
    return _render_condition(request, condition, section.slug)


def structured_data(condition: Condition, clinic: Clinic) -> dict[str, Any]:
    """schema.org MedicalWebPage: who reviewed it and when (only a named person), its sources."""
    reviewer = condition.reviewer
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "name": condition.title,
        "description": condition.summary,
        "about": {"@type": "MedicalCondition", "name": condition.title},
        "citation": [source.url for source in condition.sources if source.url],
        "publisher": {
            "@type": "MedicalClinic",
            "name": clinic.name,
            "telephone": clinic.coordinator_phone,
        },
        "audience": {"@type": "Patient"},
        "inLanguage": condition.language,
    }
    # A review is claimed only when the content file names who did it, with a date; otherwise the
    # date is only when the page last changed (the footer says it has not been reviewed).
    if reviewer.name:
        data["lastReviewed"] = reviewer.date.isoformat()
        data["reviewedBy"] = {"@type": "Person", "name": reviewer.name, "jobTitle": reviewer.role}
    else:
        data["dateModified"] = reviewer.date.isoformat()
    return data


def _whole_page(request: Request, condition: Condition) -> str:
    path = str(request.app.url_path_for("condition", slug=condition.slug))
    return same_page_in(request, condition.language, path) + "?sections=all"


def _render_condition(request: Request, condition: Condition, open_slug: str) -> Response:
    # ?sections=all: every section open, for reading, searching and printing without JavaScript.
    all_open = request.query_params.get("sections") == "all"
    page = route_path(request.scope)
    clinic: Clinic = state_of(request).clinic
    context = {
        "condition": condition,
        "open_slug": open_slug,
        "all_open": all_open,
        "section": condition.section(open_slug),
        "structured_data": structured_data(condition, clinic.localized(condition.language)),
        # The page with every section open is the same page for search engines.
        "canonical": absolute(request, same_page_in(request, condition.language, page)),
        # Printed without JavaScript, the page names where every section can be read.
        "all_sections_url": absolute(request, _whole_page(request, condition)),
    }
    return render(request, "condition.html", context, partial="_section.html")


routes = [
    Route("/", home, name="home"),
    Route("/conditions/{slug}", condition_page, name="condition"),
    Route("/conditions/{slug}/{section}", condition_section, name="condition_section"),
]
