"""Pages people can find: robots.txt, sitemap.xml, canonical links, descriptions, Open Graph.

The real profile: Ukrainian at the plain URLs, English under /en/.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import unescape

import pytest
from starlette.testclient import TestClient

from tests.booking_helpers import book, offered_starts
from tests.conftest import app_of

ORIGIN = "http://testserver"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
CONDITION = "/conditions/hemifacial-spasm"


@pytest.fixture
def site(uk_site: TestClient) -> TestClient:
    return uk_site


def meta(html: str, attribute: str, name: str) -> list[str]:
    pattern = rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">'
    return [unescape(value) for value in re.findall(pattern, html)]


def canonical(html: str) -> list[str]:
    return re.findall(r'<link rel="canonical" href="([^"]+)">', html)


def test_robots_keeps_bookings_and_the_desk_out_and_names_the_sitemap(site: TestClient) -> None:
    response = site.get("/robots.txt")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert lines[0] == "User-agent: *"
    assert {"Disallow: /bookings/", "Disallow: /en/bookings/", "Disallow: /coordinator/"} <= set(
        lines
    )
    assert f"Sitemap: {ORIGIN}/sitemap.xml" in lines
    # The rules cover the real private addresses.
    token_path = book(site).headers["location"]
    assert token_path.startswith("/bookings/")


def sitemap_entries(site: TestClient) -> dict[str, dict[str, str]]:
    response = site.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)  # noqa: S314  (our own server's answer)
    return {
        url.findtext(f"{SITEMAP}loc", default=""): {
            link.get("hreflang", ""): link.get("href", "") for link in url.findall(f"{XHTML}link")
        }
        for url in root.findall(f"{SITEMAP}url")
    }


def test_the_sitemap_lists_every_public_page_in_every_language_with_alternates(
    site: TestClient,
) -> None:
    entries = sitemap_entries(site)
    paths = {loc.removeprefix(ORIGIN) for loc in entries}
    # Every condition of the content folder, with each of its sections (the first is the page).
    library = app_of(site).state.conditions["uk"]
    conditions = [
        f"/conditions/{slug}{'/' + section.slug if index else ''}"
        for slug, condition in library.items()
        for index, section in enumerate(condition.sections)
    ]
    assert CONDITION in conditions and f"{CONDITION}/treatment" in conditions
    public = ["/", *conditions, "/consultation", "/privacy"]
    expected = set(public) | {"/en" + path for path in public}
    assert paths == expected
    for loc, alternates in entries.items():
        assert set(alternates) == {"uk", "en", "x-default"}, loc
        assert loc in alternates.values()
        assert alternates["x-default"] == alternates["uk"]
    assert not [loc for loc in entries if "/bookings/" in loc or "/coordinator" in loc]


def test_the_sitemap_lists_only_pages_that_answer_200_with_matching_hreflang(
    site: TestClient,
) -> None:
    for loc, alternates in sitemap_entries(site).items():
        page = site.get(loc)
        assert page.status_code == 200, loc
        assert canonical(page.text) == [loc]
        on_page = dict(
            re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', page.text)
        )
        assert on_page == alternates, loc


@pytest.mark.parametrize("prefix", ["", "/en"])
@pytest.mark.parametrize(
    "path", ["/", CONDITION, f"{CONDITION}/treatment", "/consultation", "/privacy"]
)
def test_every_public_page_has_canonical_description_and_open_graph(
    site: TestClient, prefix: str, path: str
) -> None:
    html = site.get(prefix + path).text
    url = ORIGIN + prefix + path
    assert canonical(html) == [url]
    [description] = meta(html, "name", "description")
    assert len(description) >= 50
    assert meta(html, "property", "og:description") == [description]
    assert meta(html, "property", "og:url") == [url]
    [title] = meta(html, "property", "og:title")
    page_title = re.search(r"<title>(.*?)</title>", html)
    assert page_title is not None
    assert title == unescape(page_title.group(1))
    assert meta(html, "property", "og:locale") == (["en_US"] if prefix else ["uk_UA"])
    assert meta(html, "property", "og:locale:alternate") == (["uk_UA"] if prefix else ["en_US"])
    assert meta(html, "property", "og:type") == ["website"]
    assert 'name="robots"' not in html


def test_the_picker_describes_itself_in_each_language(site: TestClient) -> None:
    assert (
        "Запишіться на онлайн-консультацію"
        in meta(site.get("/consultation").text, "name", "description")[0]
    )
    assert (
        "Book an online consultation"
        in meta(site.get("/en/consultation").text, "name", "description")[0]
    )


def test_the_page_with_every_section_open_points_to_the_condition_page(site: TestClient) -> None:
    html = site.get(CONDITION + "?sections=all").text
    assert canonical(html) == [ORIGIN + CONDITION]


def test_private_and_form_pages_say_noindex_and_give_no_canonical(site: TestClient) -> None:
    manage = book(site).headers["location"]
    start = offered_starts(site)[0]
    for path in [
        f"/consultation/book?start={start}",
        manage,
        "/coordinator/login",
        "/no-such-page",
    ]:
        html = site.get(path).text
        assert '<meta name="robots" content="noindex">' in html, path
        assert canonical(html) == [], path


def test_absolute_links_use_public_url_not_the_host_header(site: TestClient) -> None:
    html = site.get(CONDITION, headers={"host": "evil.example"}).text
    assert "evil.example" not in html
    assert "evil.example" not in site.get("/sitemap.xml", headers={"host": "evil.example"}).text
