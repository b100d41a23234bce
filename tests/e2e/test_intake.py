"""Issue 27 in Chromium on a 390x844 phone, in Ukrainian and English, with JavaScript and
without: a patient books from the condition page, answers the questions (one refused answer
first: everything chosen is kept), changes an answer through the manage link, and the desk shows
the summary on the day and the answers on the booking. axe finds nothing on any of those pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from tests.conftest import BACKENDS
from tests.desk_helpers import served_desk
from tests.e2e.conftest import PHONE, watched
from tests.e2e.test_front_office import AFTERNOON, sign_in
from tests.e2e.test_front_office import check_page as check_with_scripts

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HFS = "hemifacial-spasm"
PREFIX = {"en": "", "uk": "/uk"}  # the test profile: English first, Ukrainian under /uk/
SENT = {"en": "your answers have been sent", "uk": "Ваші відповіді надіслано"}


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    now = datetime.fromisoformat(AFTERNOON)
    with served_desk(
        request.param, tmp_path_factory.mktemp("intake"), {"olha": None}, now=now
    ) as base:
        yield base


def check_page(page: Page, where: str, javascript: bool) -> None:
    """axe and the sideways-scroll check run as scripts in the page: with JavaScript off they
    cannot (axe would wait for ever), and the pages are the same, so the JavaScript runs check
    them."""
    if javascript:
        check_with_scripts(page, where)


def book_from_the_condition_page(
    page: Page, base: str, language: str, name: str
) -> tuple[str, str]:
    """The condition page's booking button, the first free time, the form: the booking page's
    address and the consultation's day (in the clinic, as in UTC within reception hours)."""
    page.goto(base + PREFIX[language] + f"/conditions/{HFS}")
    page.locator(f"a.button[href$='?about={HFS}']").click()
    slot = page.locator("button.slot").first
    start = slot.get_attribute("value") or ""
    slot.click()
    page.wait_for_url(re.compile(r"/consultation/book\?"))
    page.locator("input[name=name]").fill(name)
    page.locator("input[name=phone]").fill("067 765 43 21")
    page.locator("input[name=channel]").first.check()
    page.locator("input[name=consent]").check()
    page.locator("form.booking-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/bookings/[A-Za-z0-9_-]{43}$"))
    return page.url, start[:10]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("language", ["uk", "en"])
def test_answer_after_booking_change_through_the_link_and_the_desk_sees_it(
    browser: Browser, server: str, language: str, javascript: bool
) -> None:
    base = server
    name = f"Intake {language} {'js' if javascript else 'plain'}"
    context = browser.new_context(java_script_enabled=javascript, viewport=PHONE)
    context.set_default_timeout(15000)
    page = watched(context.new_page())
    try:
        booking, day = book_from_the_condition_page(page, base, language, name)
        check_page(page, "booking page offers the questions", javascript)
        page.locator(".intake-offer a.button").click()
        page.wait_for_url(re.compile(r"/questions$"))
        check_page(page, "the questions", javascript)
        assert page.locator("html").get_attribute("lang") == language

        page.locator("#q-side-left").check()
        page.select_option("#q-since-year", "2019")
        page.select_option("#q-since-month", "5")
        page.locator("#q-treatments-botulinum_toxin").check()
        page.locator("#q-injections-two_to_five").check()
        page.locator("#q-medicines").fill("Карбамазепін <b>200</b>")
        page.select_option("#q-last_injection-year", "2026")
        page.select_option("#q-last_injection-month", "12")  # still to come on 30 November
        page.locator("#q-mri_done-yes").check()
        page.locator(".intake-form button[type=submit]").click()
        page.locator("#q-last_injection-error").wait_for()
        check_page(page, "a refused answer", javascript)
        assert page.locator("#q-side-left").is_checked()
        assert page.locator("#q-treatments-botulinum_toxin").is_checked()
        assert page.locator("#q-medicines").input_value() == "Карбамазепін <b>200</b>"
        assert page.locator("#q-since-year").input_value() == "2019"

        page.select_option("#q-last_injection-month", "9")
        page.locator(".intake-form button[type=submit]").click()
        page.wait_for_url(re.compile(r"\?done=answered$"))
        assert SENT[language] in page.locator(".notice").first.inner_text()
        check_page(page, "answered", javascript)

        page.goto(booking)  # the manage link, later
        page.locator(".intake-offer a").click()
        assert page.locator("#q-side-left").is_checked()
        page.locator("#q-side-right").check()
        page.locator(".intake-form button[type=submit]").click()
        page.wait_for_url(re.compile(r"\?done=answered$"))
        assert page.problems.messages == [], page.problems.messages
    finally:
        context.close()

    desk = browser.new_context(java_script_enabled=javascript, viewport=PHONE)
    desk.set_default_timeout(15000)
    page = watched(desk.new_page())
    try:
        sign_in(page, base)
        page.goto(f"{base}/coordinator/?day={day}")
        card = page.locator("article.booking-card", has_text=name)
        summary = card.locator(".card-intake").inner_text()  # the desk speaks English here
        assert "Side: Right; Since: May 2019" in summary, summary
        check_page(page, "the day with the summary", javascript)
        card.locator(".card-name a").click()
        page.locator("#intake dl").wait_for()
        answers = page.locator("#intake dl").inner_text()
        assert "Карбамазепін <b>200</b>" in answers and "2019" in answers
        check_page(page, "the desk's booking with the answers", javascript)
        assert page.problems.messages == [], page.problems.messages
    finally:
        desk.close()
