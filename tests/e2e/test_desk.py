"""The desk in a desktop-sized Chromium: sign in, find a booking, cancel it; axe on each page."""

from __future__ import annotations

import re

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, ViewportSize

from tests.booking_helpers import book
from tests.e2e.conftest import axe_violations
from web.core.db import make_engine
from web.core.models import utc_now
from web.desk.accounts import save_coordinator

pytestmark = [pytest.mark.browser, pytest.mark.slow]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def test_sign_in_find_the_booking_and_cancel_it(
    browser: Browser, live_url: str, live_database_url: str
) -> None:
    engine = make_engine(live_database_url)
    save_coordinator(
        engine=engine, username="desk-e2e", password="a long test password", now=utc_now()
    )
    engine.dispose()
    with httpx.Client(base_url=live_url) as patient:
        assert book(patient, name="Browser Patient").status_code == 303

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    console_errors: list[str] = []

    def keep_error(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(message.text)

    page.on("console", keep_error)
    page.goto(live_url + "/coordinator/")
    page.wait_for_url(re.compile(r"/coordinator/login"))
    assert axe_violations(page) == []
    page.get_by_label("Username").fill("desk-e2e")
    page.get_by_label("Password").fill("a long test password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/coordinator/$"))
    assert axe_violations(page) == []
    card = page.locator("article.booking-card", has_text="Browser Patient")
    assert "Next" in (card.text_content() or "")  # today's first consultation
    card.get_by_role("link", name="Browser Patient").click()
    page.wait_for_url(re.compile(r"/coordinator/bookings/\d+$"))
    assert axe_violations(page) == []
    # Not begun yet (10:00, the server's clock says 08:00): no outcome is offered, only cancel.
    assert page.get_by_label("Done: the consultation took place").count() == 0
    page.get_by_label("Cancelled by the clinic").check()
    page.get_by_label(re.compile("Reason")).fill("The doctor is ill")
    page.get_by_role("button", name="Save status").click()
    page.wait_for_url(re.compile(r"\?saved=status"))
    assert "Cancelled" in page.locator(".proof").inner_text()
    for path in ["/coordinator/blocks", "/coordinator/calendar", "/coordinator/audit"]:
        page.goto(live_url + path)
        assert axe_violations(page) == [], path
    assert "mark cancelled" in page.content()
    context.close()
    assert console_errors == []
