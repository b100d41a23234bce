"""The condition page in a phone-sized Chromium: htmx sections, no-JS links, axe, layout."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CONDITION = "/conditions/hemifacial-spasm"


def test_expanding_a_section_loads_its_text_through_htmx(phone, live_url):
    phone.goto(live_url + CONDITION)
    assert axe_violations(phone) == []
    treatment = phone.locator("details#treatment")
    assert not treatment.evaluate("el => el.open")
    with phone.expect_request(lambda r: r.url.endswith(f"{CONDITION}/treatment")) as request:
        treatment.locator("summary").click()
    assert request.value.headers.get("hx-request") == "true"
    body = treatment.locator(".section-text")
    body.wait_for()
    assert "Teflon" in body.inner_text()
    assert "85-95%" in body.inner_text()
    assert phone.url == live_url + CONDITION  # the page stayed; only the section arrived
    assert axe_violations(phone) == []


def test_every_section_is_reachable_without_javascript(phone_without_js, live_url):
    page = phone_without_js
    page.goto(live_url + CONDITION)
    assert "one side of the face" in page.locator("details#what-it-is").inner_text()
    expected = {
        "causes": "97%",
        "symptoms": "keratitis",
        "diagnosis": "MRI",
        "treatment": "microvascular decompression",
        "consultation": "online consultation",
    }
    for slug, fact in expected.items():
        page.goto(live_url + CONDITION)
        page.locator(f"details#{slug} summary").click()
        page.locator(f"details#{slug} .section-body a").click()
        page.wait_for_url(f"**{CONDITION}/{slug}")
        assert fact in page.locator(f"details#{slug}").inner_text()


@pytest.mark.parametrize("path", ["/", CONDITION, f"{CONDITION}/causes"])
def test_pages_fit_a_320px_screen_and_have_large_tap_targets(browser, live_url, path):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(live_url + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    small = page.evaluate(
        """() => [...document.querySelectorAll(
                'main a.button, main button, summary, .site-header a, .contact a')]
            .filter(el => el.offsetParent !== null)
            .map(el => [el.textContent.trim().slice(0, 30), el.getBoundingClientRect().height])
            .filter(([, height]) => height < 44)"""
    )
    context.close()
    assert small == []
