"""Browser fixtures: Debian's Chromium driven by Playwright, axe-core for accessibility.

The browser is never downloaded: it is /usr/bin/chromium (apt-get install chromium). Every page
also fails the test on a Content-Security-Policy violation or a JavaScript error.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest

from tests.conftest import BACKENDS, drop_postgres_database, fresh_database, need
from tests.live_server import running_server
from web.cli import migrate
from web.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        ConsoleMessage,
        Page,
        Response,
        ViewportSize,
    )

CHROMIUM = Path("/usr/bin/chromium")
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE: ViewportSize = {"width": 390, "height": 844}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    need(CHROMIUM.exists() or shutil.which("chromium"), "browser tests need Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module", params=BACKENDS)
def live_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh migrated database of each backend for the module's server."""
    url = fresh_database(request.param, tmp_path_factory.mktemp("live"))
    migrate(url)
    yield url
    if request.param == "postgresql":
        drop_postgres_database(url)


@pytest.fixture(scope="module")
def live_url(live_database_url: str) -> Iterator[str]:
    """A real uvicorn server on that database."""
    with running_server(live_database_url) as base:
        yield base


class PageProblems:
    """Console errors and CSP violations seen while a test drove the page."""

    def __init__(self, page: Page) -> None:
        self.messages: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.messages.append(f"page error: {error}"))
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        # A page answered with 4xx (a form with errors, a 404) is logged as a failed load; the
        # tests check those statuses themselves, and failed sub-resources are caught below.
        if message.text.startswith("Failed to load resource: the server responded with"):
            return
        if message.type == "error" or "Content Security Policy" in message.text:
            self.messages.append(f"{message.type}: {message.text}")

    def _response(self, response: Response) -> None:
        if response.request.resource_type in {"stylesheet", "script", "image", "font"} and (
            response.status >= 400
        ):
            self.messages.append(f"{response.status} for {response.url}")


if TYPE_CHECKING:

    class WatchedPage(Page):
        """For mypy only: a Playwright page that carries the problems seen on it (`watched`)."""

        problems: PageProblems


def watched(page: Page) -> WatchedPage:
    """The page, with a PageProblems that keeps what goes wrong on it as `page.problems`."""
    watched_page = cast("WatchedPage", page)
    watched_page.problems = PageProblems(page)
    return watched_page


def _new_page(
    browser: Browser, *, javascript: bool, viewport: ViewportSize
) -> tuple[BrowserContext, WatchedPage]:
    context = browser.new_context(java_script_enabled=javascript, viewport=viewport)
    context.set_default_timeout(15000)
    page = watched(context.new_page())
    return context, page


@pytest.fixture
def phone(browser: Browser) -> Iterator[WatchedPage]:
    """A phone-sized page with JavaScript on; fails the test on any console error or CSP report."""
    context, page = _new_page(browser, javascript=True, viewport=PHONE)
    yield page
    problems = page.problems.messages
    context.close()
    assert problems == [], problems


@pytest.fixture
def phone_without_js(browser: Browser) -> Iterator[WatchedPage]:
    context, page = _new_page(browser, javascript=False, viewport=PHONE)
    yield page
    context.close()


def axe_violations(page: Page) -> list[dict[str, object]]:
    """Run axe-core in the page (through the debugging protocol, so CSP does not block it)."""
    need(AXE.exists(), "axe-core is missing: run `npm ci`")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]
