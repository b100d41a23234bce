"""The patient's way through booking on a phone: times said once, the chosen day in view,
section addresses that land on their section.

The live server's clock stands at Monday 30 November 2026, 08:00 in Kyiv (tests/conftest.py).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pytest

from tests.conftest import TEST_DATABASE_URL, drop_postgres_database, fresh_database, need
from tests.e2e.conftest import PHONE, axe_violations, watched
from tests.live_server import running_server
from tests.tcp_proxy import proxy_for
from web.cli import migrate

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page

    from tests.e2e.conftest import WatchedPage

    class PhoneIn(Protocol):
        """The `phone_in` fixture: a new phone page, its clock in the given time zone."""

        def __call__(self, zone: str | None = None, *, javascript: bool = True) -> WatchedPage: ...


pytestmark = [pytest.mark.browser, pytest.mark.slow]
TUESDAY = "/consultation/slots?day=2026-12-01"  # first slot 09:30 Kyiv = 23:30 Monday in LA
FAR_DAY = "/consultation/slots?day=2026-12-18"  # a Friday near the end of the 21-day strip


@pytest.fixture
def phone_in(browser: Browser) -> Iterator[PhoneIn]:
    """A phone whose clock is set to a time zone of the test's choosing."""
    contexts: list[BrowserContext] = []

    def open_page(zone: str | None = None, *, javascript: bool = True) -> WatchedPage:
        context = browser.new_context(
            viewport=PHONE, timezone_id=zone, java_script_enabled=javascript
        )
        contexts.append(context)
        page = watched(context.new_page())
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.mark.parametrize("zone", ["Europe/Kyiv", "Europe/Kiev"])
def test_a_patient_in_kyiv_sees_each_time_once(phone_in: PhoneIn, live_url: str, zone: str) -> None:
    page = phone_in(zone)
    page.goto(live_url + TUESDAY)
    # Chromium reports either name as Europe/Kiev: a name test would differ from the clinic's.
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") != "Europe/Kyiv"
    assert page.locator("button.slot").count() > 0
    assert page.locator(".local-time").count() == 0
    page.locator("button.slot").first.click()
    page.wait_for_url("**/consultation/book?start=*")
    assert page.locator(".local-time").count() == 0


def test_a_patient_in_warsaw_sees_own_time_without_a_day(phone_in: PhoneIn, live_url: str) -> None:
    page = phone_in("Europe/Warsaw")
    page.goto(live_url + TUESDAY)
    first = page.locator("button.slot").first
    assert "09:30" in first.inner_text()
    assert first.locator(".local-time").inner_text() == "your time 08:30"


def test_a_patient_in_los_angeles_sees_own_day_and_time(phone_in: PhoneIn, live_url: str) -> None:
    page = phone_in("America/Los_Angeles")
    page.goto(live_url + TUESDAY)
    own = page.locator("button.slot").first.locator(".local-time").inner_text()
    assert "Monday" in own and "November 30" in own and "23:30" in own
    assert axe_violations(page) == []


def in_view(locator: Locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


@pytest.mark.parametrize("javascript", [True, False])
def test_the_chosen_far_day_stays_in_view(
    phone_in: PhoneIn, live_url: str, javascript: bool
) -> None:
    page = phone_in(javascript=javascript)
    page.goto(live_url + "/consultation")
    page.locator(".days a.day", has_text="Friday 18 December").click()
    page.locator("#slots-title").filter(has_text="Friday 18 December").wait_for()
    assert in_view(page.locator(".days .day-current"))
    if javascript:  # an address without the fragment (a bookmark, the Back button) too
        page.goto(live_url + FAR_DAY)
        assert in_view(page.locator(".days .day-current"))


def test_closed_days_say_closed_and_a_day_link_reads_its_date_once(
    phone_in: PhoneIn, live_url: str
) -> None:
    page = phone_in()
    page.goto(live_url + "/consultation")
    saturday = page.locator(".days a.day", has_text="Saturday 5 December")
    assert "closed" in saturday.inner_text() and "none" not in saturday.inner_text()
    # Accessible name: the full date once, then what the day offers.
    strip = page.locator(".days")
    assert strip.get_by_role("link", name="Saturday 5 December, closed", exact=True).count() == 1
    assert strip.get_by_role("link", name="Tuesday 1 December, 11 free", exact=True).count() == 1


def test_one_tab_from_the_strip_reaches_the_times(phone_in: PhoneIn, live_url: str) -> None:
    page = phone_in()
    page.goto(live_url + TUESDAY)
    page.locator(".days").get_by_role("link", name="Skip to the times").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('slot')")


def test_a_section_address_lands_on_its_section(phone_in: PhoneIn, live_url: str) -> None:
    page = phone_in()
    page.goto(live_url + "/conditions/hemifacial-spasm/treatment")
    heading = page.locator("details#treatment summary")
    box = heading.bounding_box()
    assert box is not None and -2 <= box["y"] < PHONE["height"] / 2
    # The toggle is announced by its heading alone, without "+" or "−".
    name = page.locator("details#causes summary").evaluate(
        "el => getComputedStyle(el, '::before').content"
    )
    assert name.endswith('/ ""'), name


def test_without_javascript_a_section_link_lands_on_its_section(
    phone_in: PhoneIn, live_url: str
) -> None:
    page = phone_in(javascript=False)
    page.goto(live_url + "/conditions/hemifacial-spasm")
    page.locator("details#diagnosis summary").click()
    page.locator("details#diagnosis .section-body a").click()
    page.wait_for_url("**/conditions/hemifacial-spasm/diagnosis#diagnosis")
    box = page.locator("details#diagnosis").bounding_box()
    assert box is not None and -2 <= box["y"] < PHONE["height"] / 2


def test_a_missing_section_shows_a_notice_not_a_page(phone_in: PhoneIn, live_url: str) -> None:
    page = phone_in()
    # The section's request is answered by the app's answer for a section that does not exist.
    page.route(
        "**/conditions/hemifacial-spasm/causes",
        lambda route: route.fulfill(
            response=route.fetch(url=live_url + "/conditions/hemifacial-spasm/no-such-section")
        ),
    )
    page.goto(live_url + "/conditions/hemifacial-spasm")
    page.locator("details#causes summary").click()
    notice = page.locator("details#causes .htmx-error")
    notice.wait_for()
    assert "+380 44 123 45 67" in notice.inner_text()
    assert page.locator("h1").count() == 1 and page.locator("header.site-header").count() == 1


def test_a_bad_day_link_is_not_pushed_into_history(phone_in: PhoneIn, live_url: str) -> None:
    page = phone_in()
    page.goto(live_url + "/consultation")
    link = page.locator(".days a.day").nth(2)
    link.evaluate(
        "el => { el.setAttribute('data-hx-get', '/consultation/slots?day=2026-02-30');"
        " el.setAttribute('href', '/consultation/slots?day=2026-02-30'); }"
    )
    page.evaluate("htmx.process(document.body)")
    link.click()
    page.locator("#slots.htmx-error").wait_for()  # a day link asks for the day's times only
    assert page.url == live_url + "/consultation"
    assert page.locator("h1").count() == 1 and page.locator("header.site-header").count() == 1
    assert axe_violations(page) == []


def test_the_picker_survives_a_database_outage_and_recovers_by_itself(
    phone_in: PhoneIn, tmp_path: Path
) -> None:
    need(TEST_DATABASE_URL, "the outage test needs PostgreSQL (TEST_DATABASE_URL)")
    url = fresh_database("postgresql", tmp_path)
    migrate(url)
    proxy, through_proxy = proxy_for(url)
    refresh = (
        "document.querySelector('[data-live-refresh]')"
        ".dispatchEvent(new CustomEvent('refresh-slots'))"
    )
    try:
        # No kept free-slot facts: the first refresh after the cut must ask the database.
        with running_server(through_proxy, env={"AVAILABILITY_TTL": "0"}) as base:
            page = phone_in()
            page.goto(base + TUESDAY)
            assert page.locator("button.slot").count() > 0
            proxy.cut()
            page.evaluate(refresh)
            notice = page.locator("#picker.htmx-error")
            notice.wait_for()
            assert "+380 44 123 45 67" in notice.inner_text()
            assert page.locator("h1").count() == 1
            assert page.locator("header.site-header").count() == 1
            assert page.url == base + TUESDAY
            proxy.restore()
            deadline = time.monotonic() + 20
            while page.locator("button.slot").count() == 0:
                assert time.monotonic() < deadline, "the picker did not come back"
                page.evaluate(refresh)  # what the 30-second timer does
                page.wait_for_timeout(500)
            assert page.locator(".htmx-error").count() == 0
            assert page.locator("h1").count() == 1
            assert page.locator("header.site-header").count() == 1
            assert page.locator("#slots-title").inner_text() == "Tuesday 1 December"
    finally:
        proxy.close()
        drop_postgres_database(url)


# --- The form: Back, a lost time, too many tries, errors ------------------------------------


def open_form(page: Page, base: str, day: str = TUESDAY) -> str:
    page.goto(base + day)
    page.locator("button.slot").nth(2).click()
    page.wait_for_url("**/consultation/book?start=*")
    return page.url


def fill(page: Page, *, name: str = "Olena Kovalenko", phone: str = "067 123 4567") -> None:
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Phone number").fill(phone)
    page.get_by_label("Email (optional)").fill("olena@example.com")
    page.get_by_label("Telegram").check()
    page.get_by_label("Anything you want the doctor to know").fill("Left eye, a year.")
    page.get_by_label("I agree").check()


def submit(page: Page) -> None:
    page.get_by_role("button", name="Book this consultation").click()


def test_back_after_booking_says_you_have_booked_this_time(
    phone_in: PhoneIn, live_url: str
) -> None:
    page = phone_in()
    open_form(page, live_url)
    fill(page)
    submit(page)
    page.wait_for_url("**/bookings/*")
    booking_url = page.url
    page.go_back()
    page.get_by_role("heading", name="You have booked this time").wait_for()
    assert "no longer free" not in page.content()
    assert axe_violations(page) == []
    page.get_by_role("link", name="See your booking").click()
    page.wait_for_url(booking_url)


def test_a_form_with_errors_leaves_no_post_for_back_to_resend(
    phone_in: PhoneIn, live_url: str
) -> None:
    page = phone_in()
    form_url = open_form(page, live_url)
    fill(page, name="")
    submit(page)
    errors = page.locator("#form-errors")
    errors.wait_for()
    # Focus moves to the summary; the invalid field is visibly marked.
    assert page.evaluate("document.activeElement.id") == "form-errors"
    border = page.locator("#name").evaluate("el => getComputedStyle(el).borderTopColor")
    danger = page.locator("#name-error").evaluate("el => getComputedStyle(el).color")
    valid = page.locator("#email").evaluate("el => getComputedStyle(el).borderTopColor")
    assert border == danger != valid
    assert page.url == form_url
    assert axe_violations(page) == []
    # Back returns to the day's times, as a page, not the browser's resubmission page.
    response = page.go_back()
    assert response is not None and response.request.method == "GET"
    assert page.url == live_url + TUESDAY
    assert page.locator("button.slot").count() > 0


def test_an_error_link_shows_the_field_with_its_label(phone_in: PhoneIn, live_url: str) -> None:
    page = phone_in()
    open_form(page, live_url)
    fill(page, name="", phone="067 123 4567")
    page.get_by_label("I agree").uncheck()
    submit(page)
    page.locator("#form-errors").wait_for()
    page.locator("#form-errors a[href='#consent']").click()
    label = page.locator("label[for='consent']").bounding_box()
    assert label is not None and 0 <= label["y"] < PHONE["height"]
    # The phone number is shown back as it was typed, not rewritten.
    assert page.get_by_label("Phone number").input_value() == "067 123 4567"


def test_a_number_without_country_code_that_is_not_ukrainian_asks_for_it(
    phone_in: PhoneIn, live_url: str
) -> None:
    page = phone_in()
    open_form(page, live_url)
    fill(page, phone="512 345 678")
    submit(page)
    page.locator("#form-errors").wait_for()
    assert "Please add the country code, for example +48" in page.content()
    assert page.get_by_label("Phone number").input_value() == "512 345 678"


def test_a_time_taken_meanwhile_keeps_what_was_typed(phone_in: PhoneIn, live_url: str) -> None:
    page, rival = phone_in(), phone_in()
    open_form(page, live_url)
    fill(page)
    open_form(rival, live_url)  # the same slot, booked first by someone else
    fill(rival, name="Someone Else")
    submit(rival)
    rival.wait_for_url("**/bookings/*")
    submit(page)
    page.locator("#form-message").wait_for()
    assert "no longer free" in page.locator("#form-message").inner_text()
    assert page.evaluate("document.activeElement.id") == "form-message"
    assert page.get_by_label("Your name").input_value() == "Olena Kovalenko"
    assert page.get_by_label("Phone number").input_value() == "067 123 4567"
    assert page.get_by_label("Email (optional)").input_value() == "olena@example.com"
    assert page.get_by_label("Telegram").is_checked()
    assert "Left eye" in page.get_by_label("Anything you want the doctor to know").input_value()
    nearest = page.locator(".alternatives input[type=radio]")
    # The nearest free time to the lost one is chosen (issue 25), not merely the earliest.
    lost = page.url.split("start=")[1].replace("%3A", ":")
    chosen = page.locator(".alternatives input[type=radio]:checked").get_attribute("value")
    values = [radio.get_attribute("value") or "" for radio in nearest.all()]
    assert nearest.count() == 4 and chosen in values
    distance = {v: abs(datetime.fromisoformat(v) - datetime.fromisoformat(lost)) for v in values}
    assert distance[chosen] == min(distance.values())
    assert axe_violations(page) == []
    page.get_by_label("I agree").check()  # consent is asked again, never carried over silently
    submit(page)
    page.wait_for_url("**/bookings/*")


def test_too_many_tries_keeps_what_was_typed(phone_in: PhoneIn, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'limited.db'}"
    migrate(url)
    with running_server(url, env={"RATE_LIMIT_BOOKING": "1 per minute"}) as base:
        page = phone_in()
        open_form(page, base)
        fill(page, name="")
        submit(page)  # the one allowed try: answered with the missing name
        page.locator("#form-errors").wait_for()
        page.get_by_label("Your name").fill("Olena Kovalenko")
        submit(page)
        page.locator("#form-message").filter(has_text="many times").wait_for()
        assert page.get_by_label("Your name").input_value() == "Olena Kovalenko"
        assert page.get_by_label("Phone number").input_value() == "067 123 4567"
        assert "Left eye" in page.get_by_label("Anything you want the doctor to know").input_value()


# --- After booking: what happens next, the link, moving the time ----------------------------


def book_one(page: Page, base: str) -> str:
    open_form(page, base)
    fill(page)
    submit(page)
    page.wait_for_url("**/bookings/*")
    return page.url


def test_the_booking_page_says_what_happens_next_and_copies_the_link(
    browser: Browser, live_url: str
) -> None:
    context = browser.new_context(viewport=PHONE, permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    try:
        booking_url = book_one(page, live_url)
        steps = page.locator("section.next-steps").inner_text()
        assert "call or write to you in Telegram" in steps
        assert "We are sending a confirmation" in steps and "olena@example.com" in steps
        assert page.locator("#manage-url").input_value() == booking_url
        page.get_by_role("button", name="Copy the link").click()
        page.locator(".copy-status").filter(has_text="Link copied").wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == booking_url
        assert axe_violations(page) == []
    finally:
        context.close()


def test_rescheduling_asks_first_then_says_from_and_to(phone_in: PhoneIn, live_url: str) -> None:
    page = phone_in()
    booking_url = book_one(page, live_url)
    page.get_by_role("link", name="Change the time").click()
    page.goto(booking_url + "/reschedule?day=2026-12-02")
    page.locator("button.slot").first.click()
    page.wait_for_url("**/reschedule/confirm?start=*")
    assert page.get_by_role("heading", level=1).inner_text() == "Move your consultation?"
    proof = page.locator(".proof").inner_text()
    assert "Tuesday 1 December 2026" in proof and "Wednesday 2 December 2026, 09:30" in proof
    assert axe_violations(page) == []
    page.get_by_role("button", name="Move my consultation").click()
    page.wait_for_url("**/bookings/*?done=moved&from=*")
    moved = page.locator(".notice").inner_text()
    assert re.search(
        r"moved from Tuesday 1 December 2026, \d\d:\d\d to Wednesday 2 December 2026, 09:30", moved
    )
    assert axe_violations(page) == []


def test_a_cancelled_bookings_reschedule_page_says_it_is_cancelled(
    phone_in: PhoneIn, live_url: str
) -> None:
    page = phone_in()
    booking_url = book_one(page, live_url)
    page.get_by_role("link", name="Cancel the consultation").click()
    page.get_by_role("button", name="Yes, cancel it").click()
    page.wait_for_url("**?done=cancelled")
    page.goto(booking_url + "/reschedule")
    assert page.title().startswith("This consultation is cancelled")
    assert page.get_by_role("heading", level=1).inner_text() == "This consultation is cancelled"
