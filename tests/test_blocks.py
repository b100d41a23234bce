"""Issue 24, blocks: a leave of several days in one submission, a weekly break, a booking inside a
new block flagged and its reminder held, and no block in the past. Both databases."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx2 as httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from tests.booking_helpers import book
from tests.conftest import Clock, csrf_from
from tests.desk_helpers import open_desk, send_outbox, sign_in
from web.core.models import AuditEvent, BlockedPeriod

if TYPE_CHECKING:
    from tests.mail_server import SmtpServer

SLOT = re.compile(r'name="start" value="([0-9TZ:-]+)"')


@pytest.fixture
def desk(client: TestClient, engine: Engine, clock: Clock) -> TestClient:
    return open_desk(client, engine, clock.now)


def block(desk: TestClient, **fields: str | list[str]) -> httpx.Response:
    page = desk.get("/coordinator/blocks").text
    data = {"csrf_token": csrf_from(page), "reason": "Leave", **fields}
    return desk.post("/coordinator/blocks", data=data)


def free_times(client: TestClient, day: str) -> list[str]:
    return SLOT.findall(client.get(f"/consultation/slots?day={day}").text)


def test_a_three_day_leave_in_one_submission(desk: TestClient, engine: Engine) -> None:
    assert len(free_times(desk, "2026-12-03")) == 11
    done = block(desk, day="2026-12-02", last_day="2026-12-04")
    assert done.status_code == 303
    for day in ("2026-12-02", "2026-12-03", "2026-12-04"):
        assert free_times(desk, day) == [], day
    assert len(free_times(desk, "2026-12-01")) == 11 and len(free_times(desk, "2026-12-07")) == 11
    with Session(engine) as session:
        assert len(session.exec(select(BlockedPeriod)).all()) == 1
        [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "block")).all()
    assert event.detail.startswith("2026-12-02 00:00–2026-12-05 00:00")  # clinic time


def test_a_weekly_lunch_break_until_a_date(desk: TestClient, engine: Engine) -> None:
    done = block(
        desk, day="2026-12-01", starts="12:00", ends="13:00", weekdays=["1", "3"],
        until="2026-12-09", reason="Lunch",
    )  # fmt: skip
    assert done.status_code == 303
    lunch = {"2026-12-01T10:00:00Z", "2026-12-01T10:30:00Z"}  # 12:00 and 12:30 in Kyiv
    for day, weekday_blocked in [
        ("2026-12-01", False),  # Tuesday
        ("2026-12-02", True),  # Wednesday
        ("2026-12-07", True),  # Monday
        ("2026-12-08", False),  # Tuesday
        ("2026-12-09", True),  # Wednesday, the last day
        ("2026-12-14", False),  # Monday after the end date
    ]:
        times = free_times(desk, day)
        noon = {start.replace("2026-12-01", day) for start in lunch}
        assert (noon.isdisjoint(times)) is weekday_blocked, day
        assert len(times) == (9 if weekday_blocked else 11), day
    page = desk.get("/coordinator/blocks").text
    assert "Every week on Monday, Wednesday, 12:00–13:00" in page and "(3 days)" in page
    found = re.search(r'action="/coordinator/blocks/(\d+)/delete"', page)
    assert found is not None
    first = found.group(1)
    removed = desk.post(f"/coordinator/blocks/{first}/delete", data={"csrf_token": csrf_from(page)})
    assert removed.status_code == 303
    assert len(free_times(desk, "2026-12-09")) == 11  # the whole series went
    with Session(engine) as session:
        assert session.exec(select(BlockedPeriod)).all() == []


def test_a_block_in_the_past_is_refused(desk: TestClient, engine: Engine, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # Monday, 12:00 in Kyiv
    for fields in (
        {"day": "2026-11-27"},
        {"day": "2026-11-27", "last_day": "2026-12-02"},  # begins on a day gone by
        {"day": "2026-11-30", "starts": "09:30", "ends": "11:00"},
    ):
        refused = block(desk, **fields)
        assert refused.status_code == 422 and "the past cannot be blocked" in refused.text
    assert block(desk, day="2026-11-30", starts="13:00", ends="14:00").status_code == 303
    assert block(desk, day="2026-12-01").status_code == 303
    rest_of_today = block(desk, day="2026-11-30", reason="Doctor went home")  # begins now
    assert rest_of_today.status_code == 303
    with Session(engine) as session:
        starts = sorted(b.starts_at for b in session.exec(select(BlockedPeriod)).all())
    assert starts[0] == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def test_a_booking_inside_a_new_block_is_flagged_and_its_reminder_waits(
    desk: TestClient, engine: Engine, clock: Clock, smtp: SmtpServer
) -> None:
    assert book(desk, "2026-12-03T08:30:00Z").status_code == 303
    send_outbox(desk, smtp.settings, clock.now, engine=engine)
    smtp.inbox.messages.clear()  # the confirmation and the alert went; the reminder waits
    warned = block(desk, day="2026-12-03", reason="Doctor away")
    assert warned.status_code == 409 and "cancel and tell the patient" in warned.text
    confirmed = block(desk, day="2026-12-03", reason="Doctor away", confirm="yes")
    assert confirmed.status_code == 303
    day = desk.get("/coordinator/?day=2026-12-03").text
    assert "Inside blocked time: move or cancel" in day
    clock.now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # the reminder is due
    report = send_outbox(desk, smtp.settings, clock.now, engine=engine)
    assert report.sent == 0 and smtp.inbox.messages == []


# --- Issue 24, item 1: blocks can be edited ---------------------------------------------------


def test_a_block_is_edited_in_place_and_the_form_starts_from_what_it_is(
    desk: TestClient, engine: Engine
) -> None:
    assert block(desk, day="2026-12-02", last_day="2026-12-03").status_code == 303
    page = desk.get("/coordinator/blocks").text
    found = re.search(r'href="/coordinator/blocks/(\d+)/edit"', page)
    assert found is not None
    block_id = found.group(1)
    form = desk.get(f"/coordinator/blocks/{block_id}/edit").text
    assert 'value="2026-12-02"' in form and 'value="2026-12-03"' in form  # first and last day
    assert 'value="Leave"' in form and "Save the change" in form
    # A longer leave: one day more, a new reason.
    saved = desk.post(
        f"/coordinator/blocks/{block_id}/edit",
        data={
            "csrf_token": csrf_from(form),
            "day": "2026-12-02",
            "last_day": "2026-12-04",
            "reason": "Conference",
        },
    )
    assert saved.status_code == 303
    assert free_times(desk, "2026-12-04") == [] and len(free_times(desk, "2026-12-07")) == 11
    with Session(engine) as session:
        [edited] = session.exec(select(BlockedPeriod)).all()
        [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "edit block")).all()
    assert edited.reason == "Conference"
    assert event.detail == (
        "2026-12-02 00:00–2026-12-04 00:00: Leave → 2026-12-02 00:00–2026-12-05 00:00: Conference"
    )
    assert "changed blocked time" in desk.get("/coordinator/audit").text


def test_a_weekly_break_is_edited_as_a_whole_and_an_edit_over_a_booking_asks_first(
    desk: TestClient, engine: Engine, clock: Clock
) -> None:
    done = block(
        desk, day="2026-12-01", starts="12:00", ends="13:00", weekdays=["1", "3"],
        until="2026-12-09", reason="Lunch",
    )  # fmt: skip
    assert done.status_code == 303
    page = desk.get("/coordinator/blocks").text
    found = re.search(r'href="/coordinator/blocks/(\d+)/edit"', page)
    assert found is not None
    block_id = found.group(1)
    form = desk.get(f"/coordinator/blocks/{block_id}/edit").text
    assert 'value="12:00"' in form and 'value="13:00"' in form and 'value="2026-12-09"' in form
    assert re.search(r'value="1"[^>]*checked|checked[^>]*value="1"', form)  # Monday ticked
    book(desk, "2026-12-02T11:00:00Z")  # Wednesday 13:00 in Kyiv
    fields = {
        "csrf_token": csrf_from(form), "day": "2026-12-01", "starts": "12:30", "ends": "13:30",
        "weekdays": ["1", "3"], "until": "2026-12-09", "reason": "Lunch",
    }  # fmt: skip
    asked = desk.post(f"/coordinator/blocks/{block_id}/edit", data=fields)
    assert asked.status_code == 409 and "This block covers 1 confirmed booking" in asked.text
    assert "Save the change" in asked.text
    confirmed = desk.post(
        f"/coordinator/blocks/{block_id}/edit",
        data={**fields, "csrf_token": csrf_from(asked.text), "confirm": "yes"},
    )
    assert confirmed.status_code == 303
    with Session(engine) as session:
        rows = session.exec(select(BlockedPeriod)).all()
    assert len(rows) == 3 and {r.starts_at.hour for r in rows} == {10}  # 12:30 Kyiv = 10:30 UTC
    assert {r.starts_at.minute for r in rows} == {30} and len({r.series for r in rows}) == 1
    # Once the days have gone by, an edit (a hand-made post) is refused: the past stays.
    clock.now = datetime(2026, 12, 10, 8, 0, tzinfo=UTC)
    sign_in(desk)  # a new day: sign in again
    stale = desk.post(
        f"/coordinator/blocks/{rows[0].id}/edit",
        data={**fields, "csrf_token": csrf_from(desk.get("/coordinator/blocks").text)},
    )
    assert stale.status_code == 422 and "the past cannot be blocked" in stale.text
