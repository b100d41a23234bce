"""The site in Ukrainian, its default language, on a phone: read, open a section, switch language,
book through the picker, and download an invite whose text is Ukrainian; axe on every step."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import vobject  # type: ignore[import-untyped]  # vobject ships no type hints
from icalendar import Calendar

from tests.conftest import REAL_CLINIC
from tests.e2e.conftest import axe_violations
from tests.e2e.test_booking_flow import fill_and_book
from tests.live_server import running_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from tests.e2e.conftest import WatchedPage

pytestmark = [pytest.mark.browser, pytest.mark.slow]

UKRAINIAN = {
    "submit": "Записатися на цю консультацію",
    "no name": "Укажіть, будь ласка, своє ім’я.",
    "name": "Ваше ім’я",
    "phone": "Номер телефону",
    "consent": "Я даю згоду",
    "booked": "Вас записано на консультацію",
}


@pytest.fixture(scope="module")
def uk_live_url(live_database_url: str) -> Iterator[str]:
    """A real server with the real clinic profile: Ukrainian at the plain URLs."""
    with running_server(live_database_url, env={"CLINIC_FILE": str(REAL_CLINIC)}) as base:
        yield base


def test_read_a_section_and_switch_language(phone: WatchedPage, uk_live_url: str) -> None:
    phone.goto(uk_live_url + "/conditions/hemifacial-spasm")
    assert phone.locator("html").get_attribute("lang") == "uk"
    assert phone.locator("h1").inner_text() == "Геміфаціальний спазм"
    assert axe_violations(phone) == []
    section = phone.locator("details#symptoms")
    section.locator("summary").click()
    section.get_by_text("коловий м’яз ока").wait_for()  # loaded by htmx when opened
    assert axe_violations(phone) == []

    phone.get_by_role("link", name="English").click()
    phone.wait_for_url(re.compile(r"/en/conditions/hemifacial-spasm$"))
    assert phone.locator("html").get_attribute("lang") == "en"
    assert phone.locator("h1").inner_text() == "Hemifacial spasm"
    phone.get_by_role("link", name="Українська").click()
    phone.wait_for_url(re.compile(r"/conditions/hemifacial-spasm$"))
    assert phone.locator("h1").inner_text() == "Геміфаціальний спазм"


def test_book_in_ukrainian_and_download_a_ukrainian_invite(
    phone: WatchedPage, uk_live_url: str
) -> None:
    phone.goto(uk_live_url + "/consultation")
    assert axe_violations(phone) == []
    day = phone.locator(".days a.day:not(.day-current):not(.day-full)").nth(1)
    label = day.locator(".visually-hidden").inner_text().rstrip(", ")
    day.click()
    phone.locator("#slots-title").filter(has_text=label).wait_for()
    assert "варіант" in phone.locator(".slots .hint").inner_text()
    phone.locator("button.slot").first.click()
    phone.wait_for_url(re.compile(r"/consultation/book\?start="))
    # The language switch keeps the chosen slot.
    switch = phone.get_by_role("link", name="English").get_attribute("href")
    assert switch is not None
    assert re.fullmatch(r"/en/consultation/book\?start=[0-9TZ:%A-]+", switch)

    fill_and_book(phone, UKRAINIAN)

    with phone.expect_download() as download:
        phone.get_by_role("link", name="Додати до календаря (.ics)").click()
    assert re.fullmatch(
        r"консультація-\d{4}-\d\d-\d\d-\d{4}\.ics", download.value.suggested_filename
    )
    body = Path(download.value.path()).read_bytes()
    event = Calendar.from_ical(body).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Онлайн-консультація — Клініка нейрохірургії"
    assert "Як: Telegram" in str(event["DESCRIPTION"])
    parsed = vobject.readOne(body.decode("utf-8"))
    assert parsed.vevent.summary.value == "Онлайн-консультація — Клініка нейрохірургії"


@pytest.mark.parametrize("path", ["/", "/conditions/hemifacial-spasm", "/consultation"])
def test_ukrainian_pages_fit_a_320px_screen(browser: Browser, uk_live_url: str, path: str) -> None:
    """Ukrainian words run longer than English ones: the header must wrap, not overflow."""
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(uk_live_url + path)
    width = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert width <= 320
