"""Issue 23 item 6 in Chromium: a coordinator honours a patient's request from the desk (sees
everything held, corrects the name, erases), on a phone-sized screen; axe checks every page and
state, and nothing scrolls sideways."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from tests.conftest import BACKENDS
from tests.desk_helpers import served_desk
from tests.e2e.test_front_office import (
    AFTERNOON,
    PHONE,
    book_in_browser,
    check_page,
    new_page,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module", params=BACKENDS)
def desk_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    now = datetime.fromisoformat(AFTERNOON)
    with served_desk(
        request.param, tmp_path_factory.mktemp("privacy"), {"olha": None}, now=now
    ) as base:
        yield base


def test_see_correct_and_erase_a_patients_data(browser: Browser, desk_server: str) -> None:
    base = desk_server
    context, page = new_page(browser, PHONE)
    try:
        sign_in(page, base)
        booking = book_in_browser(
            page, base, "2026-12-01T09:00:00Z", "Марта Приватна", "067 123 45 77", "Viber"
        )
        page.goto(booking)
        page.get_by_role("link", name=re.compile("The patient’s data")).click()
        page.wait_for_url(re.compile(r"/person$"))
        check_page(page, "person: everything held")
        assert "Марта Приватна" in page.locator(".result-cards").inner_text()

        page.get_by_label("Patient’s name").fill("Марта Приватна-Коваль")
        page.get_by_role("button", name="Save the corrected details").click()
        page.wait_for_url(re.compile(r"saved=corrected"))
        check_page(page, "person: corrected")
        assert "Марта Приватна-Коваль" in page.locator(".result-cards").inner_text()

        page.get_by_role("button", name="Erase", exact=True).click()
        page.locator(".field-error").wait_for()
        check_page(page, "person: erase not confirmed")
        page.get_by_label(re.compile("The patient has asked for their data to be erased")).check()
        page.get_by_role("button", name="Erase", exact=True).click()
        page.wait_for_url(re.compile(r"saved=erased"))
        check_page(page, "person: erased")
        assert "Марта" not in page.content()
        page.goto(booking)
        check_page(page, "booking: erased")
        assert "Марта" not in page.content()
    finally:
        context.close()
