"""No double booking, ever: simultaneous requests against uvicorn with two worker processes.

The unique index over active bookings is what decides; these tests race real HTTP requests from
many threads at one slot and count what the database holds afterwards.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlmodel import Session, func, select

from tests.conftest import (
    BACKENDS,
    DEFAULT_NOW,
    csrf_from,
    drop_postgres_database,
    fresh_database,
    hidden_value,
)
from tests.desk_helpers import PASSWORD as DESK_PASSWORD
from tests.desk_helpers import booking_form, race, race_one_slot, slots_ahead
from tests.live_server import running_server
from web.cli import migrate
from web.core.db import make_engine
from web.core.models import Booking, BookingStatus, LoginAttempt
from web.desk import accounts
from web.desk.accounts import save_coordinator

pytestmark = pytest.mark.slow

RACERS = 20


@pytest.fixture(params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    url = fresh_database(request.param, tmp_path)
    migrate(url)
    with running_server(url, workers=2) as base:
        yield base, url
    if request.param == "postgresql":
        drop_postgres_database(url)


def count_active(url: str, start: str | None = None) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        stamps = session.exec(
            select(Booking.starts_at).where(Booking.status != BookingStatus.CANCELLED)
        ).all()
    engine.dispose()
    if start is None:
        return len(stamps)
    return sum(1 for s in stamps if s.strftime("%Y-%m-%dT%H:%M:%SZ") == start)


def test_twenty_simultaneous_bookings_of_one_slot_make_exactly_one(server: tuple[str, str]) -> None:
    base, url = server
    start, responses = race_one_slot(base, RACERS)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [303] + [409] * (RACERS - 1), statuses
    assert all("no longer free" in r.text for r in responses if r.status_code == 409)
    assert count_active(url, start) == 1
    assert count_active(url) == 1


def test_racing_reschedules_into_one_slot_move_exactly_one(server: tuple[str, str]) -> None:
    base, url = server
    clients = [httpx.Client(base_url=base, timeout=60) for _ in range(10)]
    try:
        *starts, target = slots_ahead(clients[0], len(clients) + 1)
        tokens = []
        for client, start in zip(clients, starts, strict=True):
            form = {**booking_form(client, start), "key": secrets.token_urlsafe(32)}
            response = client.post("/consultation/book", data=form)
            assert response.status_code == 303
            tokens.append(response.headers["location"].rsplit("/", 1)[1])
        csrf = [
            csrf_from(client.get(f"/bookings/{token}/cancel").text)
            for client, token in zip(clients, tokens, strict=True)
        ]
        calls = [
            lambda c=client, t=token, k=key: c.post(
                f"/bookings/{t}/reschedule", data={"csrf_token": k, "start": target}
            )
            for client, token, key in zip(clients, tokens, csrf, strict=True)
        ]
        responses = race(calls)
    finally:
        for client in clients:
            client.close()
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [303] + [409] * (len(clients) - 1), statuses
    assert count_active(url, target) == 1
    assert count_active(url) == len(clients)  # the losers kept their own slots
    moved = starts[[r.status_code for r in responses].index(303)]
    assert count_active(url, moved) == 0  # the winner's old slot is free again


def test_twenty_simultaneous_wrong_passwords_check_at_most_the_limit(
    server: tuple[str, str],
) -> None:
    """Counting the failures and recording the try are one serialised step: simultaneous guesses
    from one address cannot all see "4 failures so far"."""
    base, url = server
    engine = make_engine(url)
    save_coordinator(engine=engine, username="anna", password=DESK_PASSWORD, now=DEFAULT_NOW)
    clients = [httpx.Client(base_url=base, timeout=60) for _ in range(RACERS)]
    try:
        tokens = [csrf_from(client.get("/coordinator/login").text) for client in clients]
        calls = [
            lambda c=client, t=token, n=number: c.post(
                "/coordinator/login",
                data={"csrf_token": t, "username": "anna", "password": f"guess {n}"},
            )
            for number, (client, token) in enumerate(zip(clients, tokens, strict=True))
        ]
        responses = race(calls)
        statuses = sorted(r.status_code for r in responses)
        limit = accounts.PER_ACCOUNT_AND_ADDRESS
        assert statuses == [401] * limit + [429] * (RACERS - limit), statuses
        with Session(engine) as session:
            checked = session.exec(select(func.count()).select_from(LoginAttempt)).one()
        assert checked == limit
        right = clients[0].post(
            "/coordinator/login",
            data={"csrf_token": tokens[0], "username": "anna", "password": DESK_PASSWORD},
        )
        assert right.status_code == 429
    finally:
        for client in clients:
            client.close()
        engine.dispose()


# --- Issue 22: the desk races the patients through the same unique index ----------------------


def signed_in_desk(base: str, url: str) -> httpx.Client:
    engine = make_engine(url)
    save_coordinator(engine=engine, username="desk", password=DESK_PASSWORD, now=DEFAULT_NOW)
    engine.dispose()
    desk = httpx.Client(base_url=base, timeout=60)
    page = desk.get("/coordinator/login").text
    signed = desk.post(
        "/coordinator/login",
        data={"csrf_token": csrf_from(page), "username": "desk", "password": DESK_PASSWORD},
    )
    assert signed.status_code == 303
    return desk


def desk_form(desk: httpx.Client, start: str) -> dict[str, str]:
    html = desk.get(f"/coordinator/new/details?start={start}").text
    return {
        "csrf_token": csrf_from(html),
        "key": hidden_value(html, "key"),
        "start": start,
        "name": "Desk Caller",
        "phone": "0671234567",
        "channel": "Zoom",
        "language": "en",
        "consent": "y",
    }


def test_a_desk_booking_and_twenty_patients_race_for_the_last_seat(server: tuple[str, str]) -> None:
    base, url = server
    desk = signed_in_desk(base, url)
    clients = [httpx.Client(base_url=base, timeout=60) for _ in range(RACERS)]
    try:
        start = slots_ahead(clients[0], 1)[0]
        forms = [booking_form(client, start) for client in clients]
        desk_fields = desk_form(desk, start)
        calls: list[Callable[[], httpx.Response]] = [
            lambda: desk.post("/coordinator/new", data=desk_fields)
        ]

        def patient_books(c: httpx.Client, f: dict[str, str]) -> Callable[[], httpx.Response]:
            return lambda: c.post(
                "/consultation/book", data={**f, "key": secrets.token_urlsafe(32)}
            )

        calls += [patient_books(client, form) for client, form in zip(clients, forms, strict=True)]
        responses = race(calls)
    finally:
        for client in [desk, *clients]:
            client.close()
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [303] + [409] * RACERS, statuses
    assert count_active(url, start) == 1 and count_active(url) == 1


def test_a_desk_move_and_a_patient_booking_race_for_one_seat(server: tuple[str, str]) -> None:
    base, url = server
    desk = signed_in_desk(base, url)
    patient = httpx.Client(base_url=base, timeout=60)
    try:
        start, target = slots_ahead(patient, 2)
        made = desk.post("/coordinator/new", data=desk_form(desk, start))
        booking_path = made.headers["location"].partition("?")[0]
        confirm = desk.get(f"{booking_path}/move/confirm?start={target}").text
        move = {
            "csrf_token": csrf_from(confirm),
            "start": target,
            "seen": hidden_value(confirm, "seen"),
        }
        form = {**booking_form(patient, target), "key": secrets.token_urlsafe(32)}
        responses = race(
            [
                lambda: desk.post(f"{booking_path}/move", data=move),
                lambda: patient.post("/consultation/book", data=form),
            ]
        )
    finally:
        desk.close()
        patient.close()
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [303, 409], statuses
    assert count_active(url, target) == 1
    desk_won = responses[0].status_code == 303
    assert count_active(url, start) == (0 if desk_won else 1)  # moved, or left where it was
    assert count_active(url) == (1 if desk_won else 2)
