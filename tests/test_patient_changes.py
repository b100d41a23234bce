"""Issue 24, item 7: the desk's home lists what patients changed themselves (moved or cancelled
through their link) since this coordinator last marked the list seen; each coordinator has their
own marker; a change after the page was shown stays new. On both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.booking_helpers import book
from tests.conftest import Clock, csrf_from, hidden_value
from web.desk.accounts import save_coordinator

PASSWORD = "a long password for the desk"


def sign_in(client: TestClient, username: str) -> None:
    page = client.get("/coordinator/login").text
    response = client.post(
        "/coordinator/login",
        data={"csrf_token": csrf_from(page), "username": username, "password": PASSWORD},
    )
    assert response.status_code == 303


@pytest.fixture
def desks(
    client: TestClient, engine: Engine, clock: Clock
) -> Iterator[tuple[TestClient, TestClient]]:
    for name in ("anna", "olha"):
        save_coordinator(engine=engine, username=name, password=PASSWORD, now=clock.now)
    sign_in(client, "anna")
    with TestClient(client.app, follow_redirects=False) as second:
        sign_in(second, "olha")
        yield client, second


def patient_moves(client: TestClient, token: str, start: str) -> None:
    page = client.get(f"/bookings/{token}/reschedule/confirm?start={start}").text
    moved = client.post(
        f"/bookings/{token}/reschedule", data={"csrf_token": csrf_from(page), "start": start}
    )
    assert moved.status_code == 303


def patient_cancels(client: TestClient, token: str) -> None:
    page = client.get(f"/bookings/{token}/cancel").text
    cancelled = client.post(f"/bookings/{token}/cancel", data={"csrf_token": csrf_from(page)})
    assert cancelled.status_code == 303


def changes(client: TestClient) -> str:
    home = client.get("/coordinator/").text
    if "Changed by patients since you last looked" not in home:
        return ""
    return home.split('id="patient-changes-title"', 1)[1].split("</section>", 1)[0]


def test_the_home_lists_patients_own_changes_until_marked_seen(
    desks: tuple[TestClient, TestClient], clock: Clock
) -> None:
    anna, olha = desks
    assert changes(anna) == ""
    clock.now += timedelta(minutes=1)
    first = book(anna, "2026-12-01T08:30:00Z", name="Ганна Перша")
    second = book(anna, "2026-12-01T09:00:00Z", name="Петро Другий")
    first_token = first.headers["location"].rsplit("/", 1)[1]
    second_token = second.headers["location"].rsplit("/", 1)[1]
    assert changes(anna) == ""  # booking online is not a change: it is on the day view anyway
    patient_moves(anna, first_token, "2026-12-02T09:00:00Z")
    patient_cancels(anna, second_token)
    listed = changes(anna)
    # In clinic time (Kyiv, UTC+2 in December): 10:30 on 1 December became 11:00 on 2 December.
    assert "Ганна Перша" in listed and "10:30 → " in listed and "11:00" in listed
    assert "Петро Другий" in listed and "cancelled their consultation" in listed
    assert "T08:30:00Z" not in listed
    # Anna marks them seen; a change made after her page was shown stays new.
    home = anna.get("/coordinator/").text
    up_to = hidden_value(home, "up_to")
    third = book(anna, "2026-12-03T08:30:00Z", name="Олег Третій")
    patient_cancels(anna, third.headers["location"].rsplit("/", 1)[1])
    seen = anna.post(
        "/coordinator/changes/seen", data={"csrf_token": csrf_from(home), "up_to": up_to}
    )
    assert seen.status_code == 303
    listed = changes(anna)
    assert "Олег Третій" in listed and "Ганна Перша" not in listed and "Петро" not in listed
    # Olha has her own marker: she still sees all three.
    theirs = changes(olha)
    assert all(name in theirs for name in ("Ганна Перша", "Петро Другий", "Олег Третій"))
    # The marker never goes back; a hand-made post with nonsense is refused.
    home = anna.get("/coordinator/").text
    back = anna.post(
        "/coordinator/changes/seen", data={"csrf_token": csrf_from(home), "up_to": "0"}
    )
    assert back.status_code == 303
    listed = changes(anna)
    assert "Олег Третій" in listed and "Ганна Перша" not in listed
    bad = anna.post("/coordinator/changes/seen", data={"csrf_token": csrf_from(home), "up_to": "x"})
    assert bad.status_code == 400
