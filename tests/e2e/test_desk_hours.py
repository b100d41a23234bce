"""Issue 24, item 2, in Chromium on a desktop (1366x768) and a phone (390x844), against a real
server on both databases at a fixed Monday 30 November 2026, 13:40 Kyiv: an administrator changes
the reception hours from 14 December over a booking the new hours would not hold (listed first,
then saved when asked again, then still listed); a coordinator sees the hours and no form. axe
finds 0 violations on every page and state, and nothing scrolls sideways."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser

from tests.booking_helpers import book
from tests.conftest import BACKENDS
from tests.desk_helpers import served_desk
from tests.e2e.test_desk_accounts import sign_in
from tests.e2e.test_front_office import AFTERNOON, DESKTOP, PHONE, check_page, new_page
from web.core.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DEVICES = {"desktop": DESKTOP, "phone": PHONE}
TUESDAY_LATE = "2026-12-15T12:30:00Z"  # 14:30 in Kyiv: after the new hours close


@pytest.fixture(params=BACKENDS)
def desk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    accounts = {"olha": Role.ADMINISTRATOR, "anna": None}
    now = datetime.fromisoformat(AFTERNOON)
    with served_desk(request.param, tmp_path_factory.mktemp("hours"), accounts, now=now) as base:
        with httpx.Client(base_url=base, timeout=30) as patient:
            assert book(patient, TUESDAY_LATE, name="Iryna Bondar").status_code == 303
        yield base


@pytest.mark.parametrize("device", DEVICES)
def test_an_administrator_changes_the_hours_over_a_booking(
    browser: Browser, desk: str, device: str
) -> None:
    context, page = new_page(browser, DEVICES[device])
    sign_in(page, desk, "olha")
    page.get_by_role("link", name="Hours").click()
    page.wait_for_url(re.compile(r"/coordinator/hours$"))
    check_page(page, "hours")
    page.get_by_label("First day of the new hours").fill("2026-12-14")
    page.get_by_label("Reception opens").fill("10:00")
    page.get_by_label("Reception closes").fill("13:00")
    for day in ("Tue", "Thu", "Fri"):  # Monday to Friday before: keep Monday and Wednesday
        page.get_by_label(day, exact=True).uncheck()
    page.get_by_label("A consultation lasts (minutes)").fill("45")
    page.get_by_label("Consultations at the same time").fill("2")
    page.get_by_role("button", name="Save the new hours").click()
    alert = page.get_by_role("alert")
    assert "Iryna Bondar" in alert.inner_text()
    check_page(page, "hours: a booking the new hours would not hold")
    page.get_by_role("button", name="Save the new hours").click()  # the form kept everything
    page.wait_for_url(re.compile(r"/coordinator/hours$"))
    listed = page.locator("main").inner_text()
    assert "10:00–13:00" in listed and "45 minutes, 2 at the same time" in listed
    assert "outside the reception hours" in listed and "Iryna Bondar" in listed
    check_page(page, "hours: saved, the booking still listed")
    page.get_by_role("link", name="move").first.click()
    page.wait_for_url(re.compile(r"/coordinator/bookings/\d+/move"))
    context.close()


@pytest.mark.parametrize("device", DEVICES)
def test_a_coordinator_sees_the_hours_without_the_form(
    browser: Browser, desk: str, device: str
) -> None:
    context, page = new_page(browser, DEVICES[device])
    sign_in(page, desk, "anna")
    page.get_by_role("link", name="Hours").click()
    page.wait_for_url(re.compile(r"/coordinator/hours$"))
    assert "09:30–15:00" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Save the new hours").count() == 0
    check_page(page, "hours for a coordinator")
    context.close()
