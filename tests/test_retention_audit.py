"""Issue 26 item 5 and issue 23 item 6: the retention purge keeps the audit log's lines but not the
patients in them, and keeps a cancelled booking no longer than the privacy notice says. Both
databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from tests.booking_helpers import book
from tests.conftest import Clock, csrf_from
from web.core.models import AuditEvent, Booking
from web.core.retention import purge_old_bookings
from web.desk.accounts import save_coordinator

PASSWORD = "a long password for the desk"
DAYS = 30


@pytest.fixture
def desk(client: TestClient, engine: Engine, clock: Clock) -> TestClient:
    save_coordinator(engine=engine, username="anna", password=PASSWORD, now=clock.now)
    page = client.get("/coordinator/login")
    client.post(
        "/coordinator/login",
        data={"csrf_token": csrf_from(page.text), "username": "anna", "password": PASSWORD},
    )
    return client


def _booking_ids(engine: Engine) -> list[int | None]:
    with Session(engine) as session:
        return list(session.exec(select(col(Booking.id)).order_by(col(Booking.id))).all())


def _audit(engine: Engine) -> list[tuple[str, int | None, str]]:
    with Session(engine) as session:
        events = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
        return [(e.action, e.booking_id, e.detail) for e in events]


def test_the_purge_anonymises_the_audit_lines_naming_purged_bookings(
    desk: TestClient, engine: Engine, clock: Clock
) -> None:
    assert book(desk, "2026-12-01T08:30:00Z", name="Olena Kovalenko").status_code == 303
    assert (
        book(desk, "2026-12-17T08:30:00Z", name="Petro Bondar", phone="050 765 4321").status_code
        == 303
    )
    old, recent = _booking_ids(engine)
    for number, text in ((old, "Olena Kovalenko: left eye"), (recent, "Petro Bondar: Viber")):
        page = desk.get(f"/coordinator/bookings/{number}").text
        desk.post(
            f"/coordinator/bookings/{number}/notes",
            data={"csrf_token": csrf_from(page), "text": text},
        )
    blocks = desk.get("/coordinator/blocks").text
    desk.post(
        "/coordinator/blocks",
        data={
            "csrf_token": csrf_from(blocks),
            "day": "2026-12-24",
            "reason": "Call Olena Kovalenko back",
        },
    )
    lines = len(_audit(engine))

    report = purge_old_bookings(
        engine=engine, now=clock.now + timedelta(days=DAYS + 2), older_than_days=DAYS
    )

    assert report.bookings == 1
    audit = _audit(engine)
    assert len(audit) == lines  # every line kept
    text = repr(audit)
    for trace in ("Olena", "Kovalenko", "+380671234567", "olena@example.com", "left eye"):
        assert trace not in text, trace
    assert ("note", old, "") in audit
    assert ("note", recent, "Petro Bondar: Viber") in audit  # not purged: untouched
    assert any(action == "block" and "Call — back" in detail for action, _, detail in audit)


def test_a_cancelled_booking_goes_its_retention_days_after_the_cancellation(
    client: TestClient, engine: Engine, clock: Clock
) -> None:
    """The notice: "N days after your consultation, or after you cancel it"."""
    booked = book(client, "2026-12-18T08:30:00Z")
    page = client.get(booked.headers["location"] + "/cancel").text
    client.post(booked.headers["location"] + "/cancel", data={"csrf_token": csrf_from(page)})
    assert book(client, "2026-12-18T09:00:00Z", name="Petro Bondar").status_code == 303
    # 31 days after the cancellation, the consultation (18 December) is only 13 days past.
    report = purge_old_bookings(
        engine=engine, now=clock.now + timedelta(days=DAYS + 1), older_than_days=DAYS
    )
    assert report.bookings == 1
    with Session(engine) as session:
        assert session.exec(select(Booking.patient_name)).all() == ["Petro Bondar"]
