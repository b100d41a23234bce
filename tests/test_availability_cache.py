"""Issue 15: the picker's facts, and its rendered answer, are kept for a few seconds; a booking
written by this process shows at once (its commit forgets them), one written elsewhere within the
time-to-live."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import Connection, Engine, event
from sqlmodel import Session
from starlette.testclient import TestClient

from tests.booking_helpers import book, form_fields, offered_starts, open_form
from tests.conftest import Clock, Ticks, app_of
from web.core.models import Booking

SLOTS = "/consultation/slots?day=2026-12-02"
BROTLI = {"Accept-Encoding": "br"}


def test_a_booking_through_this_process_disappears_at_once(client: TestClient) -> None:
    app_of(client).state.availability.ttl = 60
    first = offered_starts(client, SLOTS)
    assert book(client, first[0]).status_code == 303
    assert first[0] not in offered_starts(client, SLOTS)


def test_a_booking_written_elsewhere_shows_within_the_time_to_live(
    client: TestClient, engine: Engine, clock: Clock
) -> None:
    availability = app_of(client).state.availability
    availability.ticks = ticks = Ticks()
    availability.ttl = 60
    before = offered_starts(client, SLOTS)
    taken = before[0]
    start = datetime.strptime(taken, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    with Session(engine) as session:  # another worker or host: a different engine
        capacity = app_of(client).state.clinic.rules.capacity
        for seat in range(capacity):
            session.add(
                Booking(
                    starts_at=start, ends_at=start + timedelta(minutes=30), seat=seat,
                    patient_name="Elsewhere", phone="+380671234567", channel="Zoom",
                    language="en", consent_at=clock.now, token_hash=f"{seat:064d}",
                    created_at=clock.now, updated_at=clock.now,
                )
            )  # fmt: skip
        session.commit()
    assert taken in offered_starts(client, SLOTS)  # still the kept facts: the cache serves
    ticks.advance(59)
    assert taken in offered_starts(client, SLOTS)  # 59 s on: still kept
    ticks.advance(2)
    assert taken not in offered_starts(client, SLOTS)


# --- The picker's answer, kept while its slots are current --------------------------------


def varies(response: httpx.Response) -> set[str]:
    return {name.strip().lower() for name in response.headers["vary"].split(",")}


@contextmanager
def work_done(client: TestClient) -> Iterator[tuple[list[str], list[str]]]:
    """The queries and the templates a request costs the app."""
    queries: list[str] = []
    rendered: list[str] = []
    engine = app_of(client).state.engine
    listener = lambda *args: queries.append(args[2])  # noqa: E731
    templates = app_of(client).state.templates
    original = templates.TemplateResponse

    def counting(*args: Any, **kwargs: Any) -> Any:  # TemplateResponse's own, passed on
        rendered.append(args[1])
        return original(*args, **kwargs)

    event.listen(engine, "before_cursor_execute", listener)
    templates.TemplateResponse = counting
    try:
        yield queries, rendered
    finally:
        event.remove(engine, "before_cursor_execute", listener)
        del templates.TemplateResponse


@pytest.mark.parametrize(
    "headers",
    [{}, {"HX-Request": "true"}, {"HX-Request": "true", "HX-Target": "section#slots"}],
    ids=["page", "picker", "slots"],
)
def test_the_picker_is_answered_from_memory_while_its_slots_are_current(
    client: TestClient, headers: dict[str, str]
) -> None:
    app_of(client).state.availability.ttl = 60
    first = client.get(SLOTS, headers={**BROTLI, **headers})
    with work_done(client) as (queries, rendered):
        again = client.get(SLOTS, headers={**BROTLI, **headers})
    assert queries == [] and rendered == []  # neither the database nor a template
    assert again.status_code == 200 and again.text == first.text
    assert again.headers["content-encoding"] == "br"
    # Still private to browsers and proxies, and the same headers as the first answer.
    assert again.headers["cache-control"] == "no-store" and "set-cookie" not in again.headers
    for name in ("content-security-policy", "content-language", "content-type"):
        assert again.headers[name] == first.headers[name]
    assert varies(again) == varies(first)
    # A booking made through this process: the next answer is worked out afresh without it.
    taken = offered_starts(client, SLOTS)[0]
    assert book(client, taken).status_code == 303
    with work_done(client) as (queries, rendered):
        after = client.get(SLOTS, headers={**BROTLI, **headers})
    assert queries and rendered and taken not in after.text


def test_nothing_is_kept_without_a_time_to_live(client: TestClient) -> None:
    app_of(client).state.availability.ttl = 0
    client.get(SLOTS)
    with work_done(client) as (queries, rendered):
        client.get(SLOTS)
    assert queries and rendered


def test_only_the_pickers_own_addresses_are_kept_and_only_so_many(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_of(client).state.availability.ttl = 60
    kept = app_of(client).state.stored_pages.by_address
    before = len(kept)
    for number in range(1, 29):  # valid days past the horizon, and made-up queries
        assert client.get(f"/consultation/slots?day=2030-02-{number:02d}").status_code == 200
        client.get(f"/consultation?utm_source=x{number}")
        client.get(SLOTS, headers={"HX-Request": "true", "HX-Target": f"div#x{number}"})
    assert len(kept) == before + 1  # the last line's one address: the whole picker's partial
    monkeypatch.setattr("web.http.stored_pages.MAX_KEPT_WHILE_CURRENT", before + 3)
    for day in range(7, 12):
        client.get(f"/consultation/slots?day=2026-12-{day:02d}")
    assert len(kept) == before + 3
    app_of(client).state.availability.ttl = 0  # all of them stale: dropped, and new ones kept
    app_of(client).state.availability.ttl = 60
    app_of(client).state.availability._forget()
    client.get("/consultation/slots?day=2026-12-14")
    assert len(kept) <= before + 1


# --- Issue 21.4: forgotten after the commit, not before ---------------------------------------


def test_a_picker_read_while_a_commit_is_on_its_way_is_not_kept(client: TestClient) -> None:
    """The engine's commit event fires before the COMMIT reaches the database: a picker read
    in between sees the slot still free. Its answer must not outlive the commit."""
    app_of(client).state.availability.ttl = 60
    taken = offered_starts(client, SLOTS)[0]
    form = form_fields(open_form(client, taken))
    committing, read_done = threading.Event(), threading.Event()

    # Listens after the Availability: runs after it has moved on.
    def hold_commit(_connection: Connection) -> None:
        if not committing.is_set():
            committing.set()
            read_done.wait(10)

    event.listen(app_of(client).state.engine, "commit", hold_commit)
    try:
        with ThreadPoolExecutor(1) as pool:
            booked = pool.submit(client.post, "/consultation/book", data=form)
            assert committing.wait(10)
            assert taken in offered_starts(client, SLOTS)  # read before the COMMIT landed
            read_done.set()
            assert booked.result(timeout=30).status_code == 303
    finally:
        read_done.set()
        event.remove(app_of(client).state.engine, "commit", hold_commit)
    for headers in ({}, {"HX-Request": "true"}, {"HX-Request": "true", "HX-Target": "#slots"}):
        assert taken not in client.get(SLOTS, headers=headers).text
