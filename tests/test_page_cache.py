"""Issue 15: pages that never change are stored bytes, compressed once, with a strong ETag and
304; public pages set no cookie; static files come precompressed from memory."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, cast

import brotli  # type: ignore[import-untyped]  # brotli ships no type hints
import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.testclient import TestClient

from tests.booking_helpers import open_form
from tests.crawl import CONDITION
from web.http.encoded import Encoded

PUBLIC_PAGES = ["/", CONDITION, f"{CONDITION}/causes", "/privacy", "/uk/", f"/uk{CONDITION}"]
HX = {"HX-Request": "true"}


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_public_page_is_the_same_bytes_in_every_encoding_with_one_etag(
    site_client: TestClient, path: str
) -> None:
    plain = site_client.get(path, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert plain.headers["cache-control"] == "public, max-age=300, stale-while-revalidate=86400"
    assert "Accept-Encoding" in plain.headers["vary"]
    with site_client.stream("GET", path, headers={"Accept-Encoding": "br, gzip"}) as compressed:
        raw = b"".join(compressed.iter_raw())
        assert compressed.headers["content-encoding"] == "br"
    assert brotli.decompress(raw) == plain.content
    gzipped = site_client.get(path, headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["content-encoding"] == "gzip" and gzipped.content == plain.content
    etags = {r.headers["etag"] for r in (plain, compressed, gzipped)}
    assert len(etags) == 3 and all(tag.startswith('"') for tag in etags)  # strong, per encoding
    for etag in etags:
        again = site_client.get(path, headers={"If-None-Match": etag, "Accept-Encoding": "br"})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["cache-control"].startswith("public")
    assert site_client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_a_page_is_rendered_once_whatever_the_query(
    site_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = cast(Starlette, site_client.app)  # TestClient keeps it as a bare ASGI callable
    templates = app.state.templates
    calls: list[str] = []
    original = templates.TemplateResponse

    def counting(*args: Any, **kwargs: Any) -> Response:
        calls.append(args[1])
        response: Response = original(*args, **kwargs)
        return response

    monkeypatch.setattr(templates, "TemplateResponse", counting)
    first = site_client.get(f"{CONDITION}/treatment").content
    for number in range(50):
        assert site_client.get(f"{CONDITION}/treatment?utm_source=x{number}").content == first
    assert len(calls) <= 1  # none when another test already stored it
    partial = site_client.get(f"{CONDITION}/treatment", headers=HX)
    assert partial.content != first and "<html" not in partial.text
    everything = site_client.get(f"{CONDITION}?sections=all").text
    assert everything.count("<details") == site_client.get(CONDITION).text.count("<details")
    before = len(app.state.page_cache)
    for number in range(20):
        site_client.get(f"{CONDITION}?junk={number}")
    assert len(app.state.page_cache) == before  # keys never come from raw queries


def test_public_pages_set_no_cookie_even_for_a_visitor_with_a_session(client: TestClient) -> None:
    form = client.get("/consultation/book", params={"start": "2026-12-01T08:30:00Z"})
    assert "set-cookie" in form.headers  # the booking form needs its session (CSRF)
    assert client.cookies.get("clinic_session")
    for path in [*PUBLIC_PAGES, "/robots.txt", "/sitemap.xml", "/static/css/site.css"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "set-cookie" not in response.headers, path
    assert open_form(client, "2026-12-01T08:30:00Z")  # the session still works on forms


def test_static_files_come_precompressed_with_an_etag(site_client: TestClient) -> None:
    page = site_client.get(CONDITION).text
    css = page.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
    plain = site_client.get(css, headers={"Accept-Encoding": "identity"})
    assert plain.headers["content-type"] == "text/css; charset=utf-8"
    with site_client.stream("GET", css, headers={"Accept-Encoding": "br"}) as compressed:
        raw = b"".join(compressed.iter_raw())
    assert brotli.decompress(raw) == plain.content
    revalidated = site_client.get(css, headers={"If-None-Match": compressed.headers["etag"]})
    assert revalidated.status_code == 304
    assert site_client.get("/static/css/nothing.css").status_code == 404
    assert site_client.post("/static/css/site.css").status_code in {403, 405}


def test_a_stored_address_is_answered_before_the_app_with_every_security_header(
    site_client: TestClient,
) -> None:
    cache = cast(Starlette, site_client.app).state.page_cache
    stored = cast(Starlette, site_client.app).state.stored_pages
    first = site_client.get(f"{CONDITION}/diagnosis", headers={"Accept-Encoding": "br"})
    assert (f"{CONDITION}/diagnosis", b"", None) in stored.by_address  # None: the full page
    calls: list[Hashable] = []
    original = cache.stored

    def counting_lookup(key: Hashable) -> Encoded | None:  # the app's own lookup, counted
        calls.append(key)
        found: Encoded | None = original(key)
        return found

    cache.stored = counting_lookup
    try:
        again = site_client.get(f"{CONDITION}/diagnosis", headers={"Accept-Encoding": "br"})
        with_query = site_client.get(f"{CONDITION}/diagnosis?utm_source=mail")
    finally:
        del cache.stored
    assert calls == [calls[0]] and len(calls) == 1  # only the unusual query reached the app
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    for name in ("content-security-policy", "x-content-type-options", "referrer-policy"):
        assert again.headers[name] == first.headers[name]
    assert with_query.status_code == 200
    before = len(stored.by_address)
    for number in range(20):  # made-up htmx header values add no addresses
        site_client.get(f"{CONDITION}/diagnosis", headers={"HX-Request": f"x{number}"})
        site_client.get(f"{CONDITION}/diagnosis", headers={**HX, "HX-Request-Type": f"y{number}"})
        site_client.get(f"{CONDITION}/diagnosis", headers={**HX, "HX-Target": f"div#z{number}"})
    assert len(stored.by_address) <= before + 1  # at most the partial's own address
    https = site_client.get(f"https://testserver{CONDITION}/diagnosis")
    assert "strict-transport-security" in https.headers
