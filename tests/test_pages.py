"""HTTP tests of the content pages, health checks, static files and response headers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

CONDITION = "/conditions/hemifacial-spasm"
SECTIONS = ["what-it-is", "causes", "symptoms", "diagnosis", "treatment", "consultation"]
HX = {"HX-Request": "true"}


def test_home_lists_conditions_and_the_call_to_action(site_client: TestClient) -> None:
    response = site_client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'href="/conditions/hemifacial-spasm"' in response.text
    assert 'href="/consultation"' in response.text
    assert "Book an online consultation" in response.text


def test_condition_page_has_sections_first_open_and_the_rest_lazy(site_client: TestClient) -> None:
    response = site_client.get(CONDITION)
    assert response.status_code == 200
    # The same bytes for everyone and no cookie: shared caches may keep it.
    assert response.headers["cache-control"] == "public, max-age=300, stale-while-revalidate=86400"
    assert "set-cookie" not in response.headers
    assert "HX-Request" in response.headers["vary"]
    details = re.findall(r"<details [^>]*>", response.text)
    assert len(details) == len(SECTIONS)
    assert " open" in details[0] and "data-hx-get" not in details[0]
    for tag, slug in zip(details[1:], SECTIONS[1:], strict=True):
        assert " open" not in tag
        # htmx loads it when it opens (or when the page is idle), into its body.
        assert f'data-hx-get="{CONDITION}/{slug}"' in tag
        assert 'data-hx-target="find .section-body"' in tag
    # The first section's text is on the page; a later one's is only linked.
    assert "one side of the face" in response.text
    assert "Teflon" not in response.text
    assert f'<a href="{CONDITION}/treatment#treatment">' in response.text


def test_condition_page_has_review_dates_contact_urgent_card_and_json_ld(
    site_client: TestClient,
) -> None:
    text = site_client.get(CONDITION).text
    main = text[text.index("<main") : text.index("</main>")]
    assert "Last updated on 20 November 2026." in main and "Next review due:" in main
    # No named specialist has reviewed the page yet, and it says so rather than naming a team.
    assert "A named specialist has not yet reviewed this page." in main
    assert 'href="tel:+380441234567"' in text
    assert "Reception hours: 09:30–15:00" in text
    # Inside a sentence, joined as English joins a list; brands keep their capitals.
    assert "Online consultation by: phone call, Viber, Telegram, WhatsApp, or Zoom." in text
    assert 'href="tel:112"' in text and "Get help urgently" in text
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)
    assert script is not None
    blob = script.group(1)
    data = json.loads(blob)
    assert data["@type"] == "MedicalWebPage"
    # Not reviewed by a named person yet: no review is claimed, only when the page changed.
    assert "lastReviewed" not in data and data["dateModified"] == "2026-11-20"
    assert data["about"]["name"] == "Hemifacial spasm"
    assert "reviewedBy" not in data  # only a named person may appear here
    assert "https://pubmed.ncbi.nlm.nih.gov/22168965/" in data["citation"]


@pytest.mark.parametrize("slug", SECTIONS)
def test_section_is_a_partial_for_htmx(site_client: TestClient, slug: str) -> None:
    response = site_client.get(f"{CONDITION}/{slug}", headers=HX)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["vary"]
    assert "<html" not in response.text and "<details" not in response.text
    assert response.text.strip().startswith('<div class="section-text">')


@pytest.mark.parametrize("slug", SECTIONS)
def test_section_is_a_full_page_with_that_section_open(site_client: TestClient, slug: str) -> None:
    response = site_client.get(f"{CONDITION}/{slug}")
    assert response.status_code == 200
    assert "HX-Request" in response.headers["vary"]
    assert response.text.startswith("<!doctype html>")
    open_tags = [t for t in re.findall(r"<details [^>]*>", response.text) if " open" in t]
    assert open_tags == [f'<details id="{slug}" class="section" open data-loaded>']


def test_treatment_section_carries_the_figures(site_client: TestClient) -> None:
    text = site_client.get(f"{CONDITION}/treatment", headers=HX).text
    for fact in ["85–95%", "3–4 months", "8–10", "Teflon"]:
        assert fact in text


def test_htmx_history_restore_gets_the_full_page(site_client: TestClient) -> None:
    headers = {"HX-Request": "true", "HX-Request-Type": "full"}
    response = site_client.get(f"{CONDITION}/causes", headers=headers)
    assert response.text.startswith("<!doctype html>")


@pytest.mark.parametrize(
    "path",
    [
        "/conditions/no-such-condition",
        f"{CONDITION}/no-such-section",
        "/nowhere",
        "/conditions/x/y",
    ],
)
def test_unknown_pages_get_a_friendly_404(site_client: TestClient, path: str) -> None:
    response = site_client.get(path)
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert 'href="/"' in response.text and "tel:" in response.text


def test_unknown_section_404_for_htmx_too(site_client: TestClient) -> None:
    response = site_client.get(f"{CONDITION}/nope", headers=HX)
    assert response.status_code == 404
    assert "no such section" in response.text


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").text == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.text == "ready"


def test_readyz_fails_without_a_database(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from tests.conftest import make_settings
    from web.app import create_app

    missing = tmp_path / "no-such-dir" / "clinic.db"
    app = create_app(make_settings(f"sqlite:///{missing}"))
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200


def test_static_files_are_fingerprinted_and_immutable(site_client: TestClient) -> None:
    page = site_client.get("/consultation").text
    urls = re.findall(r'(?:href|src)="(/static/[^"]+\.[0-9a-f]{12}\.(?:css|js))"', page)
    assert len(urls) == 3  # stylesheet, htmx, site.js: each named with its content hash
    assert any(re.fullmatch(r"/static/vendor/htmx-4\.0\.1\.min\.[0-9a-f]{12}\.js", u) for u in urls)
    for url in urls:
        response = site_client.get(url)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    # An older hash (a page cached before a deploy) and the plain name still work, revalidated.
    for stale_url in ["/static/css/site.000000000000.css", "/static/css/site.css"]:
        stale = site_client.get(stale_url)
        assert stale.status_code == 200
        assert "immutable" not in stale.headers["cache-control"]


def test_html_and_assets_are_compressed(site_client: TestClient) -> None:
    page = site_client.get(CONDITION, headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    link = re.search(r'href="(/static/css/site\.\w+\.css)"', page.text)
    assert link is not None
    css = link.group(1)
    assert (
        site_client.get(css, headers={"Accept-Encoding": "gzip"}).headers["content-encoding"]
        == "gzip"
    )


def test_security_headers_on_pages_partials_and_errors(site_client: TestClient) -> None:
    for response in [
        site_client.get("/"),
        site_client.get(f"{CONDITION}/causes", headers=HX),
        site_client.get("/nowhere"),
    ]:
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"]


def test_no_inline_scripts_or_styles_and_no_cdn(site_client: TestClient) -> None:
    for path in ["/", CONDITION, "/consultation"]:
        text = site_client.get(path).text
        for tag in re.findall(r"<script[^>]*>", text):
            assert 'src="/static/' in tag or 'type="application/ld+json"' in tag
        assert "<style" not in text and " style=" not in text
        # Nothing is loaded from another site (links to sources are only links).
        assert re.findall(r'\ssrc="(?!/static/)[^"]*"', text) == []
        loaded = re.findall(
            r'<link rel="(?:stylesheet|preload|icon|modulepreload)" href="([^"]+)"', text
        )
        assert [href for href in loaded if href.startswith(("http:", "https:", "//"))] == []
