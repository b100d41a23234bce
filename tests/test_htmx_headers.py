"""Issue 21.1: one reading of htmx's headers. A request that repeats HX-Request, HX-Request-Type
or HX-Target is refused (400) before anything reads it, so it can never leave a fragment stored
as the full page (or the reverse) for the visitors after it: on every stored page and on the
kept picker, in both orders, each attack on an app that has kept nothing yet."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.conftest import Clock, make_settings
from tests.crawl import CONDITION
from web.app import create_app

PICKER_DAY = "/consultation/slots?day=2026-12-01"  # the Tuesday after DEFAULT_NOW: kept too
PAGES = [
    "/",
    CONDITION,
    f"{CONDITION}/causes",
    "/privacy",
    "/uk/",
    f"/uk{CONDITION}",
    f"/uk{CONDITION}/treatment",
    "/consultation",
    PICKER_DAY,
]
ATTACKS = {
    "hx-request true, false": [("HX-Request", "true"), ("HX-Request", "false")],
    "hx-request false, true": [("HX-Request", "false"), ("HX-Request", "true")],
    "hx-request-type partial, full": [
        ("HX-Request", "true"),
        ("HX-Request-Type", "partial"),
        ("HX-Request-Type", "full"),
    ],
    "hx-request-type full, partial": [
        ("HX-Request", "true"),
        ("HX-Request-Type", "full"),
        ("HX-Request-Type", "partial"),
    ],
    "hx-target slots, picker": [
        ("HX-Request", "true"),
        ("HX-Target", "section#slots"),
        ("HX-Target", "div#picker"),
    ],
    "hx-target picker, slots": [
        ("HX-Request", "true"),
        ("HX-Target", "div#picker"),
        ("HX-Target", "section#slots"),
    ],
}
# The visitors after the attack: a plain one, and htmx asking for the page's partial and for
# the picker's smaller part.
VISITORS = {
    "plain": [],
    "htmx": [("HX-Request", "true"), ("HX-Target", "div#picker")],
    "htmx slots": [("HX-Request", "true"), ("HX-Target", "section#slots")],
}


@pytest.fixture
def fresh_app(
    engine: Engine, database_url: str, clock: Clock
) -> Iterator[Callable[[], TestClient]]:
    """An app with nothing kept yet, as a worker is just after a deploy."""
    made: list[Starlette] = []

    def make() -> TestClient:
        app = create_app(make_settings(database_url), clock=clock)
        made.append(app)
        return TestClient(app, follow_redirects=False)

    yield make
    for app in made:
        app.state.engine.dispose()


def answers(client: TestClient, path: str) -> dict[str, tuple[int, str]]:
    return {
        name: (response.status_code, response.text)
        for name, headers in VISITORS.items()
        if (response := client.get(path, headers=headers))
    }


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("path", PAGES)
def test_a_repeated_htmx_header_is_refused_and_poisons_nothing(
    fresh_app: Callable[[], TestClient], path: str, attack: str
) -> None:
    expected = answers(fresh_app(), path)  # what an app no one attacked answers
    assert expected["plain"][0] == 200 and "<html" in expected["plain"][1]
    client = fresh_app()
    refused = client.get(path, headers=ATTACKS[attack])
    assert refused.status_code == 400
    assert refused.headers["cache-control"] == "no-store"
    assert answers(client, path) == expected
    assert "<html" not in answers(client, path)["htmx"][1] or path in ("/", "/privacy", "/uk/")


def test_a_single_value_of_each_header_still_works(fresh_app: Callable[[], TestClient]) -> None:
    client = fresh_app()
    partial = client.get(CONDITION + "/causes", headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.text
    part = client.get(PICKER_DAY, headers={"HX-Request": "true", "HX-Target": "section#slots"})
    assert part.status_code == 200 and 'id="slots"' in part.text and 'id="picker"' not in part.text
