"""Issue 25: dark mode (prefers-color-scheme: dark) passes axe's rules, contrast included, and at
200% zoom on a phone (320 CSS px wide) no page scrolls sideways and no heading breaks a word."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from tests.e2e.conftest import PHONE, axe_violations, watched
from tests.e2e.test_booking_clarity import fill, open_form, submit

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CONDITION = "/conditions/hemifacial-spasm"
READING = ["/", CONDITION, f"{CONDITION}?sections=all", "/consultation", "/privacy", "/no-page"]

# Words of every visible heading that sit on more than one line (a word broken mid-way).
BROKEN_WORDS = """() => {
  const broken = [];
  for (const heading of document.querySelectorAll('h1, h2, h3')) {
    if (heading.offsetParent === null) continue;
    const walker = document.createTreeWalker(heading, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const word of node.data.matchAll(/[^\\s\\-–—]+/g)) {
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0)
          .map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(word[0]);
      }
    }
  }
  return broken;
}"""


if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext

    from tests.e2e.conftest import WatchedPage

    class PageWith(Protocol):
        """The `page_with` fixture: a new page with the browser context's options given."""

        def __call__(self, **options: Any) -> WatchedPage: ...


@pytest.fixture
def page_with(browser: Browser) -> Iterator[PageWith]:
    contexts: list[BrowserContext] = []

    def open_page(**options: Any) -> WatchedPage:
        context = browser.new_context(**options)
        contexts.append(context)
        return watched(context.new_page())

    yield open_page
    for context in contexts:
        context.close()


def _pages_to_check(page: WatchedPage, live_url: str, prefix: str) -> Iterator[str]:
    for path in READING:
        page.goto(live_url + prefix + path)
        yield path
    open_form(page, live_url + prefix)
    yield "the form"
    page.locator("form.booking-form button[type=submit]").click()  # empty: errors
    page.locator("#form-errors").wait_for()
    yield "the form with errors"
    if not prefix:
        fill(page)
        submit(page)
        page.wait_for_url("**/bookings/*")
        yield "the booking"


def test_dark_mode_passes_axe_contrast_included(page_with: PageWith, live_url: str) -> None:
    page = page_with(viewport=PHONE, color_scheme="dark")
    for shown in _pages_to_check(page, live_url, ""):
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(21, 24, 28)", shown  # the dark paper, not white
        assert axe_violations(page) == [], shown
    assert page.problems.messages == []


@pytest.mark.parametrize("prefix", ["", "/uk"])
def test_at_200_percent_zoom_nothing_scrolls_sideways_and_headings_keep_their_words(
    page_with: PageWith, live_url: str, prefix: str
) -> None:
    page = page_with(viewport={"width": 320, "height": 640})
    for shown in _pages_to_check(page, live_url, prefix):
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, shown
        assert page.evaluate(BROKEN_WORDS) == [], shown


# --- Lighthouse-level: nothing new blocks rendering, and nothing moves (CLS 0) ---------------

LAYOUT_SHIFT = """() => new Promise(resolve => {
  let total = 0;
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) total += entry.value;
  }).observe({type: 'layout-shift', buffered: true});
  setTimeout(() => resolve(total), 1000);
})"""
BLOCKING = """() => [
  ...document.querySelectorAll('head script[src]:not([defer]):not([async])'),
  ...[...document.querySelectorAll('link[rel=stylesheet]')].slice(1),
].map(el => el.outerHTML)"""


@pytest.mark.parametrize("path", [CONDITION, "/consultation"])
def test_no_layout_shift_and_one_stylesheet_the_only_blocking_resource(
    page_with: PageWith, live_url: str, path: str
) -> None:
    """For a patient in Kyiv (elsewhere site.js adds "your time" under each time, which moves
    the times below it once: known, and left as it was)."""
    page = page_with(viewport=PHONE, timezone_id="Europe/Kyiv")
    page.goto(live_url + path)
    if path == CONDITION:  # the closed sections loaded while the page was idle
        page.locator("details.section:not([data-loaded])").first.wait_for(state="detached")
    assert page.evaluate(BLOCKING) == []
    assert page.evaluate(LAYOUT_SHIFT) == 0
