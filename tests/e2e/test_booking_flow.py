"""Booking on a phone, with and without JavaScript, with axe on every step."""

from __future__ import annotations

import re
from pathlib import Path

import httpx2 as httpx
import pytest
from playwright.sync_api import Page, Request

from tests.booking_helpers import book
from tests.e2e.conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def accessible(page: Page, javascript: bool) -> bool:
    """axe needs scripts to run; the pages are the same with and without, so check them once."""
    return not javascript or axe_violations(page) == []


def choose_a_day_and_slot(page: Page, live_url: str, *, javascript: bool) -> str:
    page.goto(live_url + "/consultation")
    assert accessible(page, javascript)
    days = page.locator(".days a.day:not(.day-current):not(.day-full)")
    day = days.nth(1)
    label = day.locator(".visually-hidden").inner_text().rstrip(", ")
    day.click()
    heading = page.locator("#slots-title")
    heading.filter(has_text=label).wait_for()
    page.wait_for_url(re.compile(r"/consultation/slots\?day="))
    if javascript:
        # htmx swapped the day's times in place and moved focus to the day's heading.
        assert page.evaluate("document.activeElement.id") == "slots-title"
        assert label in page.locator("#picker-status").inner_text()
    # The strip marks the chosen day, whether it came again (no JavaScript) or not (htmx).
    chosen = page.locator('.days a.day[aria-current="date"]')
    assert chosen.count() == 1 and page.locator(".days .day-current").count() == 1
    assert chosen.locator(".visually-hidden").inner_text().rstrip(", ") == label
    assert accessible(page, javascript)
    slot = page.locator("button.slot").first
    accessible_name = " ".join(slot.inner_text().split())
    assert accessible_name.startswith(label + ", ")
    slot.click()
    page.wait_for_url(re.compile(r"/consultation/book\?start="))
    return label


ENGLISH = {
    "submit": "Book this consultation",
    "no name": "Please tell us your name.",
    "name": "Your name",
    "phone": "Phone number",
    "consent": "I agree",
    "booked": "Your consultation is booked",
}


def fill_and_book(page: Page, words: dict[str, str] = ENGLISH, *, javascript: bool = True) -> None:
    """Send the form empty, see the errors, then fill it in and book, in the page's language."""
    page.get_by_role("button", name=words["submit"]).click()
    page.locator("#form-errors").wait_for()
    assert words["no name"] in page.content()
    assert accessible(page, javascript)
    page.get_by_label(words["name"]).fill("Олена Коваленко")
    page.get_by_label(words["phone"]).fill("067 123 4567")
    page.get_by_label("Telegram").check()
    page.get_by_label(words["consent"]).check()
    page.get_by_role("button", name=words["submit"]).click()
    page.wait_for_url(re.compile(r"/bookings/[A-Za-z0-9_-]{43}$"))
    assert page.locator("h1").inner_text() == words["booked"]
    assert "Telegram" in page.content() and "Олена Коваленко" in page.content()
    assert accessible(page, javascript)


def test_booking_with_javascript(phone: Page, live_url: str) -> None:
    label = choose_a_day_and_slot(phone, live_url, javascript=True)
    fill_and_book(phone, javascript=True)
    assert label.split()[1] in phone.locator(".proof").inner_text()  # the chosen day's date


def test_booking_without_javascript(phone_without_js: Page, live_url: str) -> None:
    choose_a_day_and_slot(phone_without_js, live_url, javascript=False)
    fill_and_book(phone_without_js, javascript=False)


FAST_TIMERS_AND_VISIBILITY = """
    const realSetInterval = window.setInterval;
    window.setInterval = (fn, ms, ...rest) => realSetInterval(fn, Math.min(ms, 250), ...rest);
    window.__hidden = false;
    Object.defineProperty(document, "visibilityState", {
        configurable: true, get: () => (window.__hidden ? "hidden" : "visible"),
    });
"""


def test_slot_list_refreshes_while_visible_and_never_from_a_hidden_tab(
    phone: Page, live_url: str
) -> None:
    phone.add_init_script(FAST_TIMERS_AND_VISIBILITY)  # polls every 250 ms instead of 30 s
    polls: list[str] = []

    def note_poll(request: Request) -> None:
        if "/consultation/slots" in request.url:
            polls.append(request.url)

    phone.on("request", note_poll)
    phone.goto(live_url + "/consultation")
    day = phone.locator(".days a.day:not(.day-current):not(.day-full)").first
    day.click()
    phone.wait_for_url(re.compile(r"/consultation/slots\?day="))
    first = phone.locator("button.slot").first
    start = first.get_attribute("value")

    # Someone else books that slot; the open page drops it without being touched.
    with httpx.Client(base_url=live_url) as other_patient:
        assert book(other_patient, start).status_code == 303
    phone.locator(f'button.slot[value="{start}"]').wait_for(state="detached")
    assert "/consultation/slots?day=" in polls[-1]

    # Hidden: nothing is sent, however long it stays hidden.
    phone.evaluate("window.__hidden = true")
    phone.wait_for_timeout(400)  # let a poll that was already in flight finish
    sent_before = len(polls)
    phone.wait_for_timeout(1500)
    assert len(polls) == sent_before

    # Visible again: it refreshes at once.
    with phone.expect_request(lambda r: "/consultation/slots" in r.url):
        phone.evaluate(
            "window.__hidden = false; document.dispatchEvent(new Event('visibilitychange'))"
        )


def test_calendar_button_downloads_an_ics_file(phone: Page, live_url: str) -> None:
    with httpx.Client(base_url=live_url) as patient:
        response = book(patient)
    phone.goto(live_url + response.headers["location"])
    button = phone.get_by_role("link", name="Add to calendar (.ics)")
    box = button.bounding_box()
    assert box is not None
    assert box["height"] >= 44 and box["width"] >= 44
    with phone.expect_download() as download:
        button.click()
    assert re.fullmatch(
        r"consultation-\d{4}-\d\d-\d\d-\d{4}\.ics", download.value.suggested_filename
    )
    body = Path(download.value.path()).read_bytes()
    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and b"BEGIN:VEVENT" in body
    assert axe_violations(phone) == []


def test_back_and_forward_after_choosing_days_show_whole_pages(phone: Page, live_url: str) -> None:
    phone.goto(live_url + "/consultation")
    days = phone.locator(".days a.day:not(.day-current):not(.day-full)")
    for index in (0, 1):
        label = days.nth(index).locator(".visually-hidden").inner_text().rstrip(", ")
        days.nth(index).click()
        phone.locator("#slots-title").filter(has_text=label).wait_for()
    first_url = phone.url
    phone.go_back()
    phone.wait_for_url(lambda url: url != first_url)
    phone.wait_for_load_state()
    # A history restore must get the whole page (header, heading, picker), never a bare fragment.
    phone.locator("h1", has_text="Book an online consultation").wait_for()
    assert phone.locator(".site-header").count() == 1
    assert phone.locator("#picker").count() == 1
    phone.go_forward()
    phone.wait_for_url(first_url)
    phone.locator("h1", has_text="Book an online consultation").wait_for()
    assert phone.locator("#picker").count() == 1
