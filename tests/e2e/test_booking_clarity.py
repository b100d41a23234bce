"""The patient's way through booking on a phone: times said once, the chosen day in view,
section addresses that land on their section.

The live server's clock stands at Monday 30 November 2026, 08:00 in Kyiv (tests/conftest.py).
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import TEST_DATABASE_URL, drop_postgres_database, fresh_database, need
from tests.e2e.conftest import PHONE, PageProblems, axe_violations
from tests.live_server import running_server
from tests.tcp_proxy import TcpProxy
from web.cli import migrate

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TUESDAY = "/consultation/slots?day=2026-12-01"  # first slot 09:30 Kyiv = 23:30 Monday in LA
FAR_DAY = "/consultation/slots?day=2026-12-18"  # a Friday near the end of the 21-day strip


@pytest.fixture
def phone_in(browser):
    """A phone whose clock is set to a time zone of the test's choosing."""
    contexts = []

    def open_page(zone: str | None = None, *, javascript: bool = True):
        context = browser.new_context(
            viewport=PHONE, timezone_id=zone, java_script_enabled=javascript
        )
        contexts.append(context)
        page = context.new_page()
        page.problems = PageProblems(page)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.mark.parametrize("zone", ["Europe/Kyiv", "Europe/Kiev"])
def test_a_patient_in_kyiv_sees_each_time_once(phone_in, live_url, zone):
    page = phone_in(zone)
    page.goto(live_url + TUESDAY)
    # Chromium reports either name as Europe/Kiev: a name test would differ from the clinic's.
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") != "Europe/Kyiv"
    assert page.locator("button.slot").count() > 0
    assert page.locator(".local-time").count() == 0
    page.locator("button.slot").first.click()
    page.wait_for_url("**/consultation/book?start=*")
    assert page.locator(".local-time").count() == 0


def test_a_patient_in_warsaw_sees_own_time_without_a_day(phone_in, live_url):
    page = phone_in("Europe/Warsaw")
    page.goto(live_url + TUESDAY)
    first = page.locator("button.slot").first
    assert "09:30" in first.inner_text()
    assert first.locator(".local-time").inner_text() == "your time 08:30"


def test_a_patient_in_los_angeles_sees_own_day_and_time(phone_in, live_url):
    page = phone_in("America/Los_Angeles")
    page.goto(live_url + TUESDAY)
    own = page.locator("button.slot").first.locator(".local-time").inner_text()
    assert "Monday" in own and "November 30" in own and "23:30" in own
    assert axe_violations(page) == []


@pytest.mark.parametrize("javascript", [True, False])
def test_the_chosen_far_day_stays_in_view(phone_in, live_url, javascript):
    page = phone_in(javascript=javascript)
    page.goto(live_url + FAR_DAY)
    current = page.locator(".days .day-current")
    box = current.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_closed_days_say_closed_and_a_day_link_reads_its_date_once(phone_in, live_url):
    page = phone_in()
    page.goto(live_url + "/consultation")
    saturday = page.locator(".days a.day", has_text="Saturday 5 December")
    assert "closed" in saturday.inner_text() and "none" not in saturday.inner_text()
    # Accessible name: the full date once, then what the day offers.
    strip = page.locator(".days")
    assert strip.get_by_role("link", name="Saturday 5 December, closed", exact=True).count() == 1
    assert strip.get_by_role("link", name="Tuesday 1 December, 11 free", exact=True).count() == 1


def test_one_tab_from_the_strip_reaches_the_times(phone_in, live_url):
    page = phone_in()
    page.goto(live_url + TUESDAY)
    page.locator(".days").get_by_role("link", name="Skip to the times").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('slot')")


def test_a_section_address_lands_on_its_section(phone_in, live_url):
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


def test_without_javascript_a_section_link_lands_on_its_section(phone_in, live_url):
    page = phone_in(javascript=False)
    page.goto(live_url + "/conditions/hemifacial-spasm")
    page.locator("details#diagnosis summary").click()
    page.locator("details#diagnosis .section-body a").click()
    page.wait_for_url("**/conditions/hemifacial-spasm/diagnosis#diagnosis")
    box = page.locator("details#diagnosis").bounding_box()
    assert box is not None and -2 <= box["y"] < PHONE["height"] / 2


def test_a_missing_section_shows_a_notice_not_a_page(phone_in, live_url):
    page = phone_in()
    page.goto(live_url + "/conditions/hemifacial-spasm")
    page.locator("details#causes").evaluate(
        "el => el.setAttribute('data-hx-get', '/conditions/hemifacial-spasm/no-such-section')"
    )
    page.evaluate("htmx.process(document.body)")
    page.locator("details#causes summary").click()
    notice = page.locator("details#causes .htmx-error")
    notice.wait_for()
    assert "+380 44 123 45 67" in notice.inner_text()
    assert page.locator("h1").count() == 1 and page.locator("header.site-header").count() == 1


def test_a_bad_day_link_is_not_pushed_into_history(phone_in, live_url):
    page = phone_in()
    page.goto(live_url + "/consultation")
    link = page.locator(".days a.day").nth(2)
    link.evaluate(
        "el => { el.setAttribute('data-hx-get', '/consultation/slots?day=2026-02-30');"
        " el.setAttribute('href', '/consultation/slots?day=2026-02-30'); }"
    )
    page.evaluate("htmx.process(document.body)")
    link.click()
    page.locator("#picker.htmx-error").wait_for()
    assert page.url == live_url + "/consultation"
    assert page.locator("h1").count() == 1 and page.locator("header.site-header").count() == 1
    assert axe_violations(page) == []


def test_the_picker_survives_a_database_outage_and_recovers_by_itself(phone_in, tmp_path):
    need(TEST_DATABASE_URL, "the outage test needs PostgreSQL (TEST_DATABASE_URL)")
    url = fresh_database("postgresql", tmp_path)
    migrate(url)
    direct = make_url(url)
    proxy = TcpProxy(direct.host or "127.0.0.1", direct.port or 5432)
    through_proxy = direct.set(host="127.0.0.1", port=proxy.port).render_as_string(
        hide_password=False
    )
    refresh = (
        "document.querySelector('[data-live-refresh]')"
        ".dispatchEvent(new CustomEvent('refresh-slots'))"
    )
    try:
        with running_server(through_proxy) as base:
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
