"""robots.txt and sitemap.xml: every public page in every language, and nothing private.

Private addresses (a booking's manage link, the desk) are kept out of robots.txt's reach and of
the sitemap; their pages also say noindex, for crawlers that arrive by a link.
"""

from __future__ import annotations

from collections.abc import Iterator
from xml.sax.saxutils import escape, quoteattr

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from web.core.clinic import Clinic
from web.core.content import Library
from web.http.language_urls import DESK_PREFIX, absolute
from web.http.state import state_of

PUBLIC_CACHE = "public, max-age=3600"
XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'
NAMESPACES = (
    'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml"'
)


def public_paths(request: Request, library: Library, language: str) -> Iterator[str]:
    """The indexable pages, as paths without a language prefix."""
    app = request.app
    yield app.url_path_for("home")
    for condition in library[language].values():
        yield app.url_path_for("condition", slug=condition.slug)
        for section in condition.sections[1:]:  # the first section is the condition page itself
            yield app.url_path_for("condition_section", slug=condition.slug, section=section.slug)
    yield app.url_path_for("consultation")
    yield app.url_path_for("privacy")


def robots(request: Request) -> Response:
    clinic: Clinic = state_of(request).clinic
    # Every manage link lives under this path, in each language's prefix.
    bookings = request.app.url_path_for("booking_page", token="-").removesuffix("-")  # noqa: S106
    lines = ["User-agent: *"]
    for language in clinic.languages:
        lines.append(f"Disallow: {clinic.path_prefix(language)}{bookings}")
    sitemap = absolute(request, str(request.app.url_path_for("sitemap")))
    lines += [f"Disallow: {DESK_PREFIX}/", "", f"Sitemap: {sitemap}"]
    return PlainTextResponse("\n".join(lines) + "\n", headers={"cache-control": PUBLIC_CACHE})


def sitemap(request: Request) -> Response:
    clinic: Clinic = state_of(request).clinic
    library: Library = state_of(request).conditions
    entries: list[str] = []
    for path in public_paths(request, library, clinic.default_language):
        urls = {
            code: absolute(request, clinic.path_prefix(code) + path) for code in clinic.languages
        }
        links = "".join(
            f'<xhtml:link rel="alternate" hreflang="{code}" href={quoteattr(url)}/>'
            for code, url in [*urls.items(), ("x-default", urls[clinic.default_language])]
        )
        entries.extend(f"<url><loc>{escape(url)}</loc>{links}</url>" for url in urls.values())
    body = f"{XML_HEADER}<urlset {NAMESPACES}>\n" + "\n".join(entries) + "\n</urlset>\n"
    return Response(body, media_type="application/xml", headers={"cache-control": PUBLIC_CACHE})


routes = [
    Route("/robots.txt", robots, name="robots"),
    Route("/sitemap.xml", sitemap, name="sitemap"),
]
