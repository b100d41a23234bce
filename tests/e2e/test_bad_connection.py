"""Issue 25: every htmx request on the patient pages shows that it is working and says when it
failed (a lost connection, a timeout, an answer that is not the app's), in the page's language
with the clinic's phone and a way to try again; what was typed stays.

The network is played by Playwright's request routing: a request aborted as a dropped
connection would, held as a slow server would, or answered as a plain proxy would.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from sqlmodel import Session, col, func, select

from tests.e2e.conftest import axe_violations
from tests.e2e.test_booking_clarity import TUESDAY, fill, open_form, phone_in, submit
from web.core.db import make_engine
from web.core.models import Booking

if TYPE_CHECKING:
    from playwright.sync_api import Page, Request, Route

    from tests.e2e.test_booking_clarity import PhoneIn

__all__ = ["phone_in"]  # the fixture, shared with the booking tests

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CLINIC_PHONE = "+380 44 123 45 67"
CONDITION = "/conditions/hemifacial-spasm"
WEDNESDAY = re.compile(r"/consultation/slots\?day=2026-12-02$")
PROXY_503 = (
    "<html><head><title>503 Service Temporarily Unavailable</title></head><body>"
    "<center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center>"
    "</body></html>"
)


def is_booking_post(request: Request) -> bool:
    return bool(request.method == "POST" and request.url.endswith("/consultation/book"))


def bookings_named(database_url: str, name: str) -> int:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            query = select(func.count()).where(col(Booking.patient_name) == name)
            return session.exec(query).one()
    finally:
        engine.dispose()


def assert_typed_details_kept(page: Page, name: str = "Olena Kovalenko") -> None:
    assert page.get_by_label("Your name").input_value() == name
    assert page.get_by_label("Phone number").input_value() == "067 123 4567"
    assert page.get_by_label("Email (optional)").input_value() == "olena@example.com"
    assert page.get_by_label("Telegram").is_checked()
    assert "Left eye" in page.get_by_label("Anything you want the doctor to know").input_value()
    assert page.get_by_label("I agree").is_checked()


def test_booking_with_the_connection_lost_says_so_and_keeps_what_was_typed(
    phone_in: PhoneIn, live_url: str, live_database_url: str
) -> None:
    page = phone_in()
    open_form(page, live_url)
    fill(page)
    page.route(
        "**/consultation/book",
        lambda route: (
            route.abort("internetdisconnected")
            if is_booking_post(route.request)
            else route.fallback()
        ),
    )
    submit(page)
    notice = page.locator(".booking-form .request-failed")
    notice.wait_for()
    text = notice.inner_text()
    assert "The connection was lost" in text and "What you typed is kept." in text
    assert CLINIC_PHONE in text and notice.locator("a[href='tel:+380441234567']").count() == 1
    assert page.evaluate("document.activeElement.classList.contains('request-failed')")
    assert_typed_details_kept(page)
    button = page.get_by_role("button", name="Book this consultation")
    assert button.is_enabled()  # no longer busy
    assert axe_violations(page) == []
    page.unroute("**/consultation/book")
    notice.get_by_role("button", name="Try again").click()
    page.wait_for_url("**/bookings/*")
    assert bookings_named(live_database_url, "Olena Kovalenko") >= 1


def test_the_booking_button_is_busy_and_sends_one_request(phone_in: PhoneIn, live_url: str) -> None:
    page = phone_in()
    open_form(page, live_url)
    fill(page, name="Busy Button")
    held, posts = [], []

    def hold(route: Route) -> None:
        if is_booking_post(route.request):
            posts.append(route.request)
            held.append(route)
        else:
            route.fallback()

    page.route("**/consultation/book", hold)
    submit(page)
    busy = page.get_by_role("button", name="Booking…")
    busy.wait_for()
    assert busy.is_disabled()
    assert page.locator("form.booking-form").get_attribute("aria-busy") == "true"
    # Pressing Enter in a field, or a script submitting, sends nothing more meanwhile.
    page.get_by_label("Your name").press("Enter")
    page.evaluate("document.querySelector('form.booking-form').requestSubmit()")
    page.wait_for_timeout(300)
    assert len(posts) == 1
    held[0].continue_()
    page.wait_for_url("**/bookings/*")


def test_an_answer_slower_than_the_timeout_says_pressing_again_will_not_book_twice(
    phone_in: PhoneIn, live_url: str, live_database_url: str
) -> None:
    """The server books, but its answer comes after 17 s: htmx gives up at 15 s. Pressing the
    button again sends the same form (the same key), which shows the booking made."""
    page = phone_in()
    page.clock.install()
    open_form(page, live_url)
    fill(page, name="Slow Answer")
    answered = []

    def slow(route: Route) -> None:
        if not is_booking_post(route.request):
            route.fallback()
            return
        answered.append(route.fetch(max_redirects=0))  # the booking is made now
        page.clock.run_for(17_000)  # and its answer arrives 17 s later: htmx gave up at 15 s

    page.route("**/consultation/book", slow)
    submit(page)
    notice = page.locator(".booking-form .request-failed")
    notice.wait_for()
    text = notice.inner_text()
    assert "taking too long" in text and "will not book twice" in text
    assert CLINIC_PHONE in text
    assert answered and answered[0].headers.get("hx-redirect", "").startswith("/bookings/")
    assert bookings_named(live_database_url, "Slow Answer") == 1
    assert_typed_details_kept(page, "Slow Answer")
    page.unroute("**/consultation/book")
    page.get_by_role("button", name="Book this consultation").click()
    page.wait_for_url("**/bookings/*")
    assert page.locator("h1").inner_text() == "Your consultation is booked"
    assert "Slow Answer" in page.locator(".proof").inner_text()
    assert page.url.endswith(answered[0].headers["hx-redirect"])
    assert bookings_named(live_database_url, "Slow Answer") == 1


def test_a_day_shows_it_is_loading_and_a_lost_day_says_so(phone_in: PhoneIn, live_url: str) -> None:
    page = phone_in()
    page.goto(live_url + TUESDAY)
    held = []
    page.route(WEDNESDAY, lambda route: held.append(route))
    day = page.locator("#day-2026-12-02")
    day.click()
    page.wait_for_function("document.querySelector('#day-2026-12-02.htmx-request')")
    assert day.get_attribute("aria-busy") == "true"
    assert page.locator("#picker-status").inner_text() == "Loading the free times…"
    held[0].abort("connectionreset")
    notice = page.locator(".picker .request-failed")
    notice.wait_for()
    assert "The connection was lost" in notice.inner_text() and CLINIC_PHONE in notice.inner_text()
    assert day.get_attribute("aria-busy") is None
    assert page.url == live_url + TUESDAY  # nothing was pushed into the history
    assert page.locator("#slots-title").inner_text() == "Tuesday 1 December"
    assert axe_violations(page) == []
    page.unroute(WEDNESDAY)
    notice.get_by_role("button", name="Try again").click()
    page.locator("#slots-title").filter(has_text="Wednesday 2 December").wait_for()
    assert page.locator(".request-failed").count() == 0


def test_a_section_answered_by_a_plain_proxy_says_so_in_the_pages_language(
    phone_in: PhoneIn, live_url: str
) -> None:
    page = phone_in()
    section_url = f"**/uk{CONDITION}/treatment"
    page.route(
        section_url,
        lambda route: route.fulfill(status=503, body=PROXY_503, content_type="text/html"),
    )
    page.goto(live_url + "/uk" + CONDITION)
    treatment = page.locator("details#treatment")
    treatment.locator("summary").click()
    notice = treatment.locator(".request-failed")
    notice.wait_for()
    text = notice.inner_text()
    assert "Сайт клініки зараз не зміг відповісти" in text and CLINIC_PHONE in text
    assert "Service" not in page.locator("main").inner_text()
    assert axe_violations(page) == []
    page.unroute(section_url)
    notice.get_by_role("button", name="Спробувати ще раз").click()
    treatment.locator(".section-text").wait_for()
    assert treatment.locator(".request-failed").count() == 0


# --- The language switch follows what htmx changed -------------------------------------------


def test_the_language_switch_follows_the_day_chosen_through_htmx(
    phone_in: PhoneIn, live_url: str
) -> None:
    page = phone_in()
    page.goto(live_url + TUESDAY)
    switch = page.locator("a.language-switch[hreflang=uk]")
    assert switch.get_attribute("href") == "/uk" + TUESDAY
    page.locator("#day-2026-12-02").click()
    page.wait_for_url("**/consultation/slots?day=2026-12-02")
    page.wait_for_function(
        "document.querySelector('a.language-switch[hreflang=uk]').getAttribute('href')"
        ".endsWith('day=2026-12-02')"
    )
    assert switch.get_attribute("href") == "/uk/consultation/slots?day=2026-12-02"
    switch.click()
    page.wait_for_url("**/uk/consultation/slots?day=2026-12-02")
    assert "2 грудня" in page.locator("#slots-title").inner_text()


def test_the_language_switch_follows_the_time_chosen_on_the_form(
    phone_in: PhoneIn, live_url: str
) -> None:
    page, rival = phone_in(), phone_in()
    open_form(page, live_url)
    fill(page)
    open_form(rival, live_url)  # the same slot, booked first by someone else
    fill(rival, name="Someone Else")
    submit(rival)
    rival.wait_for_url("**/bookings/*")
    submit(page)
    page.locator("#form-message").wait_for()
    switch = page.locator("a.language-switch[hreflang=uk]")
    chosen = page.locator(".alternatives input[name=start]:checked").get_attribute("value")
    expected = f"/uk/consultation/book?start={chosen}".replace(":", "%3A")
    page.wait_for_function(
        "href => document.querySelector('a.language-switch[hreflang=uk]')"
        ".getAttribute('href') === href",
        arg=expected,
    )
    other = page.locator(".alternatives input[name=start]:not(:checked)").first
    value = (other.get_attribute("value") or "").replace(":", "%3A")
    page.locator(f".alternatives input[value='{other.get_attribute('value')}']").check()
    assert switch.get_attribute("href") == f"/uk/consultation/book?start={value}"


def test_a_background_refresh_that_fails_says_nothing_and_takes_no_focus(
    phone_in: PhoneIn, live_url: str
) -> None:
    page = phone_in()
    page.goto(live_url + TUESDAY)
    page.route(
        re.compile(r"/consultation/slots\?"), lambda route: route.abort("internetdisconnected")
    )
    page.locator("#day-2026-12-02").focus()
    refresh = "new CustomEvent('refresh-slots')"
    with page.expect_event("requestfailed"):  # the refresh was sent and lost
        page.evaluate(f"document.querySelector('[data-live-refresh]').dispatchEvent({refresh})")
    page.evaluate("new Promise(requestAnimationFrame)")  # site.js has handled htmx's error
    assert page.locator(".request-failed").count() == 0
    assert page.evaluate("document.activeElement.id") == "day-2026-12-02"
    assert page.locator("button.slot").count() > 0  # the times shown stay
