"""The condition page in a phone-sized Chromium: sections loaded on opening, no-JS links, axe,
layout."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CONDITION = "/conditions/hemifacial-spasm"


def test_sections_load_through_htmx_once_each(phone: Page, live_url: str) -> None:
    """htmx fetches each closed section once (when opened, or when the page is idle so that
    printing has it), with its own headers; site.js has no loader of its own."""
    section_requests = []
    phone.on(
        "request",
        lambda r: section_requests.append(r) if f"{CONDITION}/" in r.url else None,
    )
    phone.goto(live_url + CONDITION)
    treatment = phone.locator("details#treatment")
    assert not treatment.evaluate("el => el.open")
    treatment.locator("summary").click()
    body = treatment.locator(".section-text")
    body.wait_for()
    assert "Teflon" in body.inner_text()
    assert "85–95%" in body.inner_text()
    assert phone.url == live_url + CONDITION  # the page stayed; only the section arrived
    phone.locator("details.section:not([data-loaded])").first.wait_for(state="detached")
    closed = ["causes", "symptoms", "diagnosis", "treatment", "consultation"]
    assert sorted(r.url.rsplit("/", 1)[1] for r in section_requests) == sorted(closed)
    for request in section_requests:
        assert request.headers.get("hx-request") == "true"
        assert request.headers.get("hx-request-type") == "partial"
    # Closing and opening again loads nothing more.
    treatment.locator("summary").click()
    treatment.locator("summary").click()
    assert len(section_requests) == len(closed)
    assert axe_violations(phone) == []
    script = phone.evaluate(
        "fetch(document.querySelector('script[src*=\"/js/site.\"]').src).then(r => r.text())"
    )
    assert "XMLHttpRequest" not in script and "fetch(" not in script


def test_every_section_is_reachable_without_javascript(
    phone_without_js: Page, live_url: str
) -> None:
    page = phone_without_js
    page.goto(live_url + CONDITION)
    assert "one side of the face" in page.locator("details#what-it-is").inner_text()
    expected = {
        "causes": "97%",
        "symptoms": "contracture",
        "diagnosis": "MRI",
        "treatment": "microvascular decompression",
        "consultation": "online consultation",
    }
    for slug, fact in expected.items():
        page.goto(live_url + CONDITION)
        page.locator(f"details#{slug} summary").click()
        page.locator(f"details#{slug} .section-body a").click()
        page.wait_for_url(f"**{CONDITION}/{slug}#{slug}")
        assert fact in page.locator(f"details#{slug}").inner_text()


@pytest.mark.parametrize("path", ["/", CONDITION, f"{CONDITION}/causes"])
def test_pages_fit_a_320px_screen_and_have_large_tap_targets(
    browser: Browser, live_url: str, path: str
) -> None:
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


SECTION_FACTS = {
    "what-it-is": "fires by itself",
    "causes": "97%",
    "symptoms": "contracture",
    "diagnosis": "special sequences",
    "treatment": "Teflon",
    "consultation": "online",
}


def test_a_link_to_a_section_opens_and_loads_it(phone: Page, live_url: str) -> None:
    phone.goto(live_url + CONDITION + "#treatment")
    treatment = phone.locator("details#treatment")
    treatment.locator(".section-text").wait_for()
    assert treatment.evaluate("el => el.open")
    assert "general anaesthetic" in treatment.inner_text()
    assert treatment.locator(".section-text").is_visible()
    # A later jump within the page (a link in a message, the back button) opens its section too.
    phone.evaluate("location.hash = '#diagnosis'")
    phone.locator("details#diagnosis .section-text").wait_for()
    assert "special sequences" in phone.locator("details#diagnosis").inner_text()
    assert axe_violations(phone) == []


def test_open_all_sections_makes_every_section_findable(phone: Page, live_url: str) -> None:
    phone.goto(live_url + CONDITION)
    phone.get_by_role("link", name="Open all sections").click()
    for slug, fact in SECTION_FACTS.items():
        section = phone.locator(f"details#{slug}")
        section.locator(".section-text").wait_for()
        assert fact in section.inner_text(), slug
    # In place: the page did not change, and the browser's find-in-page sees the text.
    assert phone.url == live_url + CONDITION
    assert phone.evaluate("window.find('Teflon pad')")
    assert axe_violations(phone) == []


def test_open_all_sections_without_javascript_is_a_page_with_every_section_open(
    phone_without_js: Page, live_url: str
) -> None:
    page = phone_without_js
    page.goto(live_url + CONDITION)
    page.get_by_role("link", name="Open all sections").click()
    page.wait_for_url("**?sections=all")
    for slug, fact in SECTION_FACTS.items():
        assert fact in page.locator(f"details#{slug}").inner_text(), slug


def test_printing_prints_every_section(phone: Page, live_url: str) -> None:
    """The closed sections were loaded while the page was idle (no synchronous request when
    printing); printing opens them, shows no open/closed markers, and closes them again."""
    phone.goto(live_url + CONDITION)
    phone.locator("details.section:not([data-loaded])").first.wait_for(state="detached")
    phone.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    phone.emulate_media(media="print")
    for slug, fact in SECTION_FACTS.items():
        section = phone.locator(f"details#{slug}")
        assert section.evaluate("el => el.open"), slug
        assert fact in section.inner_text(), slug
        marker = section.locator("summary").evaluate(
            "el => getComputedStyle(el, '::before').content"
        )
        assert marker in ("none", "normal"), slug
    assert not phone.locator(".open-all").is_visible()
    assert not phone.locator(".print-hint").is_visible()
    assert phone.locator(".not-printed:visible").count() == 0
    phone.emulate_media(media="screen")
    phone.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert not phone.locator("details#causes").evaluate("el => el.open")


def test_printing_without_javascript_says_which_sections_are_left_out(
    phone_without_js: Page, live_url: str
) -> None:
    page = phone_without_js
    page.goto(live_url + CONDITION)
    page.emulate_media(media="print")
    hint = page.locator(".print-hint")
    assert hint.is_visible()
    assert f"{CONDITION}?sections=all" in hint.inner_text()
    left_out = page.locator(".not-printed:visible")
    assert left_out.count() == 5  # every section but the first
    assert not page.locator("details#what-it-is .not-printed").count()
    page.goto(live_url + CONDITION + "?sections=all")
    assert not page.locator(".print-hint").count()


def test_open_all_becomes_close_all(phone: Page, live_url: str) -> None:
    phone.goto(live_url + CONDITION)
    phone.get_by_role("link", name="Open all sections").click()
    close = phone.get_by_role("link", name="Close all sections")
    close.wait_for()
    close.click()
    assert phone.locator("details.section[open]").count() == 0
    phone.get_by_role("link", name="Open all sections").wait_for()
    # Opening every section by hand counts too.
    for summary in phone.locator("details.section summary").all():
        summary.click()
    close.wait_for()


@pytest.mark.parametrize("path", ["/consultation", "/consultation/book"])
def test_the_urgent_card_is_on_the_picker_and_the_form(
    phone: Page, live_url: str, path: str
) -> None:
    phone.goto(live_url + "/consultation")
    if path == "/consultation/book":
        phone.locator("button.slot").first.click()
        phone.wait_for_url("**/consultation/book?start=*")
    card = phone.locator("aside.urgent")
    assert card.is_visible()
    text = card.inner_text()
    assert "103" in text and "112" in text and "stroke" in text and "72 hours" in text
    # 103 leads the card, and is the number to call when in doubt or after injections.
    assert phone.locator("aside.urgent a").first.get_attribute("href") == "tel:103"
    assert phone.locator("aside.urgent a[href='tel:103']").count() == 3
    assert axe_violations(phone) == []


def test_the_privacy_notice_is_reachable_and_accessible(phone: Page, live_url: str) -> None:
    phone.goto(live_url + "/")
    phone.locator(".site-footer").get_by_role("link", name="Privacy notice").click()
    phone.wait_for_url("**/privacy")
    assert phone.get_by_role("heading", level=1).inner_text() == "Privacy notice"
    assert axe_violations(phone) == []
