"""Issue 24 in Chromium, on a desktop (1366x768) and a phone (390x844), against a real server on
both databases at a fixed Monday 30 November 2026, 13:40 Kyiv: the account pages (an administrator
adds a coordinator, who sets a password through the one-time link, changes it and signs out
everywhere; a coordinator is refused the accounts page), a booking's timeline and the blocks form
(a leave over a booking: the clash listed, then blocked). axe finds 0 violations on every page and
state, and nothing scrolls sideways."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from tests.conftest import BACKENDS
from tests.desk_helpers import PASSWORD, served_desk
from tests.e2e.test_front_office import (
    AFTERNOON,
    DESKTOP,
    PHONE,
    book_in_browser,
    check_page,
    new_page,
    problems_of,
)
from web.core.models import Role

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHOSEN = "the password the new coordinator chose"
LATER = "and later another one, just as long"
DEVICES = {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture(scope="module", params=BACKENDS)
def desk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    made = datetime.fromisoformat(AFTERNOON)  # the server's clock: the accounts are older
    accounts = {"olha": Role.ADMINISTRATOR, "anna": None}
    with served_desk(
        request.param, tmp_path_factory.mktemp("accounts"), accounts, now=made
    ) as base:
        yield base


def sign_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(base + "/coordinator/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/coordinator/$"))


@pytest.mark.parametrize("device", DEVICES)
def test_accounts_in_the_browser(browser: Browser, desk: str, device: str) -> None:
    newcomer = f"bohdan-{device}"
    context, page = new_page(browser, DEVICES[device])
    sign_in(page, desk, "olha")
    page.get_by_role("link", name="Accounts").click()
    page.wait_for_url(re.compile(r"/coordinator/accounts$"))
    check_page(page, "accounts")
    page.get_by_label("Username").fill(newcomer)
    page.get_by_role("button", name="Add the coordinator").click()
    page.wait_for_url(re.compile(r"/coordinator/accounts$"))  # the answer to the POST
    assert f"Account {newcomer} added" in page.locator("h1").inner_text()
    check_page(page, "the one-time link")
    link = page.get_by_label("One-time set-password link").input_value()
    assert re.fullmatch(rf"{re.escape(desk)}/coordinator/set-password/[\w-]{{43}}", link)

    # The newcomer, in their own browser, chooses a password through the link.
    other_context, other = new_page(browser, DEVICES[device])
    other.goto(link)
    check_page(other, "set password")
    other.get_by_label("New password (at least 12 characters)").fill(CHOSEN)
    other.get_by_label("New password again").fill(CHOSEN + " typo")
    other.get_by_role("button", name="Set the password").click()
    assert "The two passwords differ" in other.locator(".field-error").inner_text()
    check_page(other, "set password: the passwords differ")
    other.get_by_label("New password (at least 12 characters)").fill(CHOSEN)
    other.get_by_label("New password again").fill(CHOSEN)
    other.get_by_role("button", name="Set the password").click()
    other.wait_for_url(re.compile(r"/coordinator/login\?done=password"))
    assert "Your password is set" in other.locator("main").inner_text()
    check_page(other, "sign-in after the link")
    sign_in(other, desk, newcomer, CHOSEN)
    # A coordinator has no accounts link, and the page itself is refused.
    assert other.get_by_role("link", name="Accounts").count() == 0
    refused = other.goto(desk + "/coordinator/accounts")
    assert refused is not None and refused.status == 403
    assert "Only an administrator" in other.locator("main").inner_text()
    check_page(other, "refused")

    # Their own account: a new password (the current one required), then sign out everywhere.
    other.goto(desk + "/coordinator/")
    other.get_by_role("link", name="Your account").click()
    other.wait_for_url(re.compile(r"/coordinator/account$"))
    check_page(other, "own account")
    other.get_by_label("Current password").fill("not the password")
    other.get_by_label("New password (at least 12 characters)").fill(LATER)
    other.get_by_label("New password again").fill(LATER)
    other.get_by_role("button", name="Change the password").click()
    assert "That is not your current password" in other.locator(".field-error").inner_text()
    check_page(other, "own account: wrong current password")
    other.get_by_label("Current password").fill(CHOSEN)
    other.get_by_label("New password (at least 12 characters)").fill(LATER)
    other.get_by_label("New password again").fill(LATER)
    other.get_by_role("button", name="Change the password").click()
    other.wait_for_url(re.compile(r"/coordinator/account\?changed=1"))
    assert "Your password is changed" in other.locator("main").inner_text()
    check_page(other, "own account: changed")
    other.get_by_role("button", name="Sign out everywhere").click()
    other.wait_for_url(re.compile(r"/coordinator/login\?signed_out=everywhere"))
    assert "signed out on every device" in other.locator("main").inner_text()
    other_context.close()

    # Back on the administrator's page: the newcomer is listed, and removed.
    page.goto(desk + "/coordinator/accounts")
    page.get_by_role("button", name=f"Remove {newcomer}").click()
    page.wait_for_url(re.compile(r"/coordinator/accounts\?removed="))
    assert f"The account {newcomer} is removed" in page.locator("main").inner_text()
    check_page(page, "accounts: removed")
    page.goto(desk + "/coordinator/audit")
    check_page(page, "audit log")
    log = page.locator("main").inner_text()
    assert "added an account" in log and "removed an account" in log
    assert "was refused an administrator’s action" in log
    problems = problems_of(page).messages + problems_of(other).messages
    context.close()
    assert problems == []


@pytest.mark.parametrize("device", DEVICES)
def test_a_bookings_timeline_and_the_blocks_form(browser: Browser, desk: str, device: str) -> None:
    context, page = new_page(browser, DEVICES[device])
    sign_in(page, desk, "anna")
    day = {"desktop": ("2026-12-08", "8 December"), "phone": ("2026-12-15", "15 December")}
    iso, shown = day[device]
    booking_url = book_in_browser(
        page, desk, f"{iso}T08:30:00Z", "Тарас Timeline", "067 123 45 77", "Zoom"
    )
    page.get_by_role("textbox", name="Clinic-only note").fill("Prefers Zoom")
    page.get_by_role("button", name="Add the note").click()
    page.wait_for_url(re.compile(r"\?saved=note"))
    page.goto(booking_url)
    timeline = page.locator("ul.timeline").inner_text()
    assert "booked by anna on the phone" in timeline
    assert "anna, added a note (Prefers Zoom)" in timeline
    check_page(page, "timeline")

    # A leave of three days over that booking: the clash is listed first, then blocked.
    page.get_by_role("link", name="Blocks").click()
    page.wait_for_url(re.compile(r"/coordinator/blocks$"))
    check_page(page, "blocks form")
    first = f"{iso[:-2]}{int(iso[-2:]) - 1:02d}"
    last = f"{iso[:-2]}{int(iso[-2:]) + 1:02d}"
    page.get_by_label("First day").fill(first)
    page.get_by_label("Last day (for several whole days)").fill(last)
    page.get_by_label("Reason").fill("Leave")
    page.get_by_role("button", name="Block this time").click()
    clash = page.locator(".notice-error")
    assert "Тарас Timeline" in clash.inner_text() and shown.split()[0] in clash.inner_text()
    check_page(page, "blocks: clash listed")
    page.get_by_role("button", name="Block this time").click()
    page.wait_for_url(re.compile(r"/coordinator/blocks$"))
    assert "Leave" in page.locator(".block-list").inner_text()
    check_page(page, "blocks: blocked")
    # Edited: the form opens filled from the block; a new reason saved in its place.
    leave = page.locator(".block-list li", has_text="Leave")
    leave.get_by_role("link", name=re.compile(r"^Change ")).click()
    page.wait_for_url(re.compile(r"/coordinator/blocks/\d+/edit$"))
    assert page.get_by_label("Reason").input_value() == "Leave"
    check_page(page, "blocks: edit form")
    page.get_by_label("Reason").fill("Conference")
    page.get_by_role("button", name="Save the change").click()
    assert "This block covers 1 confirmed booking" in page.locator(".notice-error").inner_text()
    page.get_by_role("button", name="Save the change").click()
    page.wait_for_url(re.compile(r"/coordinator/blocks$"))
    listed = page.locator(".block-list").inner_text()
    assert "Conference" in listed and "Leave" not in listed
    check_page(page, "blocks: edited")

    # The patient cancels through their own link: the desk's home says so until marked seen.
    page.goto(booking_url)
    manage_url = page.locator("#manage-url").input_value()
    patient_context, patient = new_page(browser, PHONE)
    patient.goto(manage_url + "/cancel")
    patient.get_by_role("button", name="Yes, cancel it").click()
    patient.wait_for_url(re.compile(r"/bookings/[\w-]+\?done=cancelled$"))
    patient_context.close()
    page.goto(desk + "/coordinator/")
    changes = page.locator(".patient-changes")
    assert "Тарас Timeline" in changes.inner_text()
    assert "cancelled their consultation" in changes.inner_text()
    check_page(page, "home: changed by patients")
    page.get_by_role("button", name="Mark these as seen").click()
    page.wait_for_url(re.compile(r"/coordinator/$"))
    assert page.locator(".patient-changes").count() == 0
    problems = problems_of(page).messages
    context.close()
    assert problems == []
