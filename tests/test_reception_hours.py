"""Issue 24, item 2: reception hours changed in the desk from a day on, stored in the database
(so a second app process books by them too); a change that would strand a booking lists it
first; today and the past cannot be changed. Both databases, at a fixed clock (Monday
30 November 2026, 08:00 in Kyiv)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx2 as httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from tests.booking_helpers import book, offered_starts
from tests.conftest import Clock, csrf_from
from tests.desk_helpers import PASSWORD, SLOT, USERNAME, open_desk, sign_in
from tests.live_server import running_server
from tests.test_blocks import free_times
from web.core.models import AuditEvent, ReceptionHours, Role
from web.desk.accounts import save_coordinator

NEW_HOURS: dict[str, str | list[str]] = {
    "since": "2026-12-14",
    "opens": "10:00",
    "closes": "13:00",
    "weekdays": ["1", "3"],  # Monday and Wednesday
    "slot_minutes": "45",
    "seats": "2",
}


@pytest.fixture
def desk(client: TestClient, engine: Engine, clock: Clock) -> TestClient:
    """An administrator's desk: only an administrator changes the hours."""
    save_coordinator(
        engine=engine, username=USERNAME, password=PASSWORD, now=clock.now, role=Role.ADMINISTRATOR
    )
    assert sign_in(client).status_code == 303
    return client


def change_hours(desk: httpx.Client, **fields: str | list[str]) -> httpx.Response:
    page = desk.get("/coordinator/hours").text
    data = {"csrf_token": csrf_from(page), **NEW_HOURS, **fields}
    return desk.post("/coordinator/hours", data=data)


def stored(engine: Engine) -> list[ReceptionHours]:
    with Session(engine) as session:
        return list(session.exec(select(ReceptionHours)).all())


def test_new_hours_change_the_picker_from_their_first_day_on(
    desk: TestClient, engine: Engine
) -> None:
    assert len(free_times(desk, "2026-12-18")) == 11
    assert change_hours(desk).status_code == 303
    assert len(free_times(desk, "2026-12-11")) == 11  # the Friday before: as it was
    assert free_times(desk, "2026-12-18") == []  # the Friday after: not a working day now
    monday = offered_starts(desk, "/consultation/slots?day=2026-12-14")
    assert monday == [
        "2026-12-14T08:00:00Z",
        "2026-12-14T08:45:00Z",
        "2026-12-14T09:30:00Z",
        "2026-12-14T10:15:00Z",
    ]  # fmt: skip  (10:00, 10:45, 11:30, 12:15 in Kyiv)
    # Two seats: two patients at 10:45, a third is refused; each booking lasts 45 minutes.
    assert book(desk, monday[1]).status_code == 303
    assert book(desk, monday[1], name="Petro Shevchenko").status_code == 303
    assert monday[1] not in offered_starts(desk, "/consultation/slots?day=2026-12-14")
    with Session(engine) as session:
        [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "hours")).all()
    assert event.coordinator == "anna"
    assert event.detail == "2026-12-14: 10:00–13:00, [1,3], 45 min × 2"
    page = desk.get("/coordinator/hours").text
    assert "10:00–13:00" in page and "45" in page


def test_a_change_that_strands_a_booking_lists_it_before_saving(
    desk: TestClient, engine: Engine
) -> None:
    late = offered_starts(desk, "/consultation/slots?day=2026-12-15")[-1]  # Tuesday 14:30
    assert book(desk, late, name="Iryna Bondar").status_code == 303
    asked = change_hours(desk)
    assert asked.status_code == 409
    assert "Iryna Bondar" in asked.text and "/move" in asked.text
    assert stored(engine) == []  # nothing saved yet
    again = change_hours(desk, confirm="yes")
    assert again.status_code == 303
    assert len(stored(engine)) == 1
    page = desk.get("/coordinator/hours").text
    assert "Iryna Bondar" in page  # still listed until it is moved or cancelled
    assert "outside the reception hours" in page


@pytest.mark.parametrize("since", ["2026-11-30", "2026-11-01"])
def test_today_and_the_past_keep_their_hours(desk: TestClient, engine: Engine, since: str) -> None:
    refused = change_hours(desk, since=since)
    assert refused.status_code == 422
    assert "only be changed from tomorrow on" in refused.text
    assert stored(engine) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"closes": "09:00"}, "must close later than it opens"),
        ({"slot_minutes": "500"}, "Between 10 and 240 minutes"),
        ({"opens": "12:00", "closes": "12:30", "slot_minutes": "45"}, "Not one consultation"),
        ({"seats": "0"}, "Between 1 and 20"),
        ({"weekdays": []}, "at least one working day"),
        ({"since": "tomorrow"}, "Not a valid date value"),
    ],
)
def test_hours_that_cannot_work_are_refused_with_a_message(
    desk: TestClient, engine: Engine, fields: dict[str, str | list[str]], message: str
) -> None:
    refused = change_hours(desk, **fields)
    assert refused.status_code == 422
    assert message in refused.text
    assert stored(engine) == []


def test_a_change_ahead_can_be_taken_back(desk: TestClient, engine: Engine) -> None:
    assert change_hours(desk).status_code == 303
    assert free_times(desk, "2026-12-18") == []
    [change] = stored(engine)
    page = desk.get("/coordinator/hours").text
    taken = desk.post(
        f"/coordinator/hours/{change.id}/delete", data={"csrf_token": csrf_from(page)}
    )
    assert taken.status_code == 303
    assert stored(engine) == [] and len(free_times(desk, "2026-12-18")) == 11
    with Session(engine) as session:
        actions = session.exec(select(AuditEvent.action)).all()
    assert actions.count("hours") == 1 and actions.count("hours_removed") == 1


def test_a_second_app_process_books_by_the_new_hours(
    desk: TestClient, engine: Engine, database_url: str
) -> None:
    """Another host or worker reads the stored hours: no restart, no clinic.toml edit."""
    with (
        running_server(database_url, env={"AVAILABILITY_TTL": "0"}) as base,
        httpx.Client(base_url=base, timeout=30) as other,
    ):

        def times_there(day: str) -> list[str]:
            return SLOT.findall(other.get(f"/consultation/slots?day={day}").text)

        assert len(times_there("2026-12-18")) == 11
        assert change_hours(desk).status_code == 303
        # The other process reads the hours again in a thread after this request: wait for it
        # (a bounded poll for that thread, not for a time window).
        for _ in range(100):
            if times_there("2026-12-18") == []:
                break
            time.sleep(0.05)
        assert times_there("2026-12-18") == []
        assert len(times_there("2026-12-14")) == 4


def test_pages_kept_in_memory_name_the_hours_in_force(
    desk: TestClient, engine: Engine, clock: Clock
) -> None:
    """The condition page is rendered once and kept; when new hours come into force, the next
    page that reads the rules drops it, and it names the new hours."""
    page = desk.get("/conditions/hemifacial-spasm").text
    assert "Reception hours: 09:30–15:00" in page
    assert change_hours(desk).status_code == 303
    assert "Reception hours: 09:30–15:00" in desk.get("/conditions/hemifacial-spasm").text
    clock.now = datetime(2026, 12, 14, 6, 0, tzinfo=UTC)  # the first day of the new hours
    assert desk.get("/consultation").status_code == 200  # reads the rules
    page = desk.get("/conditions/hemifacial-spasm").text
    assert "Reception hours: 10:00–13:00" in page and "Monday and Wednesday" in page


def test_a_coordinator_sees_the_hours_but_cannot_change_them(
    client: TestClient, engine: Engine, clock: Clock
) -> None:
    """Changing the hours is an administrator's: a coordinator's try is refused and audited."""
    desk = open_desk(client, engine, clock.now)  # a coordinator's account
    page = desk.get("/coordinator/hours")
    assert page.status_code == 200 and "09:30–15:00" in page.text
    assert "Save the new hours" not in page.text
    assert change_hours(desk).status_code == 403
    assert stored(engine) == []
    with Session(engine) as session:
        [refused] = session.exec(select(AuditEvent).where(AuditEvent.action == "refused")).all()
    assert refused.detail == "POST /coordinator/hours"
