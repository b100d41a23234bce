"""Issue 23 item 6: a patient's request honoured from the desk, on both databases. Everything
held about them is found and exported, corrected, and erased: afterwards no table holds their
name, phone or e-mail address, and the audit log still says what was done."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import Engine, update
from sqlalchemy import select as core_select
from sqlmodel import Session, SQLModel, col, select
from starlette.testclient import TestClient

from tests.booking_helpers import book
from tests.conftest import Clock, csrf_from
from web.core.models import AuditEvent, Booking, BookingNote, OutboxMessage, PatientDetails
from web.desk.accounts import save_coordinator

PASSWORD = "a long password for the desk"
OLENA = {"name": "Olena Kovalenko", "phone": "067 123 4567", "email": "olena@example.com"}
OLENA_PHONE = "+380671234567"
OTHER = {"name": "Petro Bondar", "phone": "050 765 4321", "email": "petro@example.com"}


@pytest.fixture
def desk(client: TestClient, engine: Engine, clock: Clock) -> TestClient:
    save_coordinator(engine=engine, username="anna", password=PASSWORD, now=clock.now)
    page = client.get("/coordinator/login")
    signed_in = client.post(
        "/coordinator/login",
        data={"csrf_token": csrf_from(page.text), "username": "anna", "password": PASSWORD},
    )
    assert signed_in.status_code == 303
    return client


def _ids(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.exec(select(Booking).order_by(col(Booking.id))).all()
        ids = {}
        for b in rows:
            assert b.id is not None  # a stored row has its id
            ids[f"{b.patient_name}:{b.starts_at:%d}"] = b.id
        return ids


def other_details() -> list[str]:
    """The details a patient gives (PatientDetails) beyond name, phone and e-mail that erasure
    empties: today the note; a detail added to the form later is among them too."""
    given = ("patient_name", "phone", "email", *PatientDetails.KEPT_ON_ERASURE)
    return [column for column in PatientDetails.detail_columns() if column not in given]


@pytest.fixture
def olena(desk: TestClient, engine: Engine, clock: Clock) -> dict[str, int]:
    """Olena booked twice online (one consultation is over), Petro once; the desk wrote a note
    and a cancellation reason naming her; her first confirmation went out."""
    assert book(desk, "2026-12-01T08:30:00Z", **OLENA).status_code == 303
    assert book(desk, "2026-12-02T08:30:00Z", **OLENA).status_code == 303
    assert book(desk, "2026-12-01T09:00:00Z", **OTHER).status_code == 303
    ids = _ids(engine)
    first, second = ids["Olena Kovalenko:01"], ids["Olena Kovalenko:02"]
    with Session(engine) as session:  # each other detail she may give says who she is
        session.exec(
            update(Booking)
            .where(col(Booking.id).in_([first, second]))
            .values({column: f"Olena Kovalenko's {column}" for column in other_details()})
        )
        session.commit()
    page = desk.get(f"/coordinator/bookings/{first}").text
    desk.post(
        f"/coordinator/bookings/{first}/notes",
        data={"csrf_token": csrf_from(page), "text": "Olena Kovalenko prefers Viber, 067 123 4567"},
    )
    page = desk.get(f"/coordinator/bookings/{second}").text
    cancelled = desk.post(
        f"/coordinator/bookings/{second}/status",
        data={
            "csrf_token": csrf_from(page),
            "status": "cancelled",
            "reason": "Olena asked by phone",
        },
    )
    assert cancelled.status_code == 303
    with Session(engine) as session:
        session.exec(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.booking_id) == first, col(OutboxMessage.kind) == "confirmation"
            )
            .values(sent_at=clock.now, body_text="Dear Olena Kovalenko, ...")
        )
        session.commit()
    return {"first": first, "second": second, "other": ids["Petro Bondar:01"]}


def test_the_person_page_shows_everything_held_about_her_and_nobody_else(
    desk: TestClient, olena: dict[str, int], engine: Engine
) -> None:
    page = desk.get(f"/coordinator/bookings/{olena['first']}/person")
    assert page.status_code == 200
    html = page.text
    assert html.count('class="booking-card"') == 2
    assert "Olena Kovalenko prefers Viber" in html  # the note, and its audit line
    assert "olena@example.com" in html
    assert "Petro" not in html
    with Session(engine) as session:
        looked = session.exec(select(AuditEvent).where(AuditEvent.action == "view person")).all()
    assert [(e.coordinator, e.booking_id, e.detail) for e in looked] == [
        ("anna", olena["first"], "")
    ]


def test_the_export_is_a_file_she_can_read_and_a_json_file(
    desk: TestClient, olena: dict[str, int], engine: Engine
) -> None:
    page = desk.get(f"/coordinator/bookings/{olena['first']}/person").text
    text = desk.post(
        f"/coordinator/bookings/{olena['first']}/person/export",
        data={"csrf_token": csrf_from(page), "format": "txt"},
    )
    assert text.status_code == 200
    assert text.headers["content-type"].startswith("text/plain")
    assert "attachment" in text.headers["content-disposition"]
    assert "Olena Kovalenko" in text.text and OLENA_PHONE in text.text
    assert "I agree that the clinic may process my health information" in text.text
    assert "Petro" not in text.text
    data = json.loads(
        desk.post(
            f"/coordinator/bookings/{olena['first']}/person/export",
            data={"csrf_token": csrf_from(page), "format": "json"},
        ).text
    )
    assert [b["number"] for b in data["bookings"]] == [olena["first"], olena["second"]]
    for column in other_details():  # a detail added since is in her copy too
        assert data["bookings"][0][column] == f"Olena Kovalenko's {column}"
    assert [b["call_task"] for b in data["bookings"]] == [None, None]  # she has an e-mail
    assert data["clinic_only_notes"][0]["text"].startswith("Olena Kovalenko prefers")
    assert {m["to"] for m in data["emails"]} >= {"olena@example.com"}
    refused = desk.post(
        f"/coordinator/bookings/{olena['first']}/person/export",
        data={"csrf_token": csrf_from(page), "format": "exe"},
    )
    assert refused.status_code == 400
    with Session(engine) as session:
        exports = session.exec(
            select(AuditEvent).where(AuditEvent.action.startswith("export person"))
        ).all()
    assert [(e.action, e.detail) for e in exports] == [
        ("export person txt", f"{olena['first']}, {olena['second']}"),
        ("export person json", f"{olena['first']}, {olena['second']}"),
    ]


def test_a_correction_changes_every_booking_and_waiting_mail_and_logs_no_values(
    desk: TestClient, olena: dict[str, int], engine: Engine
) -> None:
    page = desk.get(f"/coordinator/bookings/{olena['first']}/person").text
    wrong = desk.post(
        f"/coordinator/bookings/{olena['first']}/person/correct",
        data={"csrf_token": csrf_from(page), "name": "", "phone": "12", "email": "x"},
    )
    assert wrong.status_code == 422
    assert "Please enter a phone number we can call" in wrong.text
    saved = desk.post(
        f"/coordinator/bookings/{olena['first']}/person/correct",
        data={
            "csrf_token": csrf_from(page),
            "name": "Olena Kovalenko-Shevchuk",
            "phone": "067 123 4567",
            "email": "olena.k@example.com",
        },
    )
    assert saved.status_code == 303
    with Session(engine) as session:
        for number in (olena["first"], olena["second"]):
            booking = session.get(Booking, number)
            assert booking is not None
            assert (booking.patient_name, booking.name_folded, booking.email) == (
                "Olena Kovalenko-Shevchuk",
                "olena kovalenko-shevchuk",
                "olena.k@example.com",
            )
        other = session.get(Booking, olena["other"])
        assert other is not None
        assert other.patient_name == "Petro Bondar"
        waiting = session.exec(
            select(OutboxMessage.recipient).where(
                OutboxMessage.booking_id == olena["first"], col(OutboxMessage.sent_at).is_(None)
            )
        ).all()
        assert "olena@example.com" not in waiting and "olena.k@example.com" in waiting
        lines = session.exec(select(AuditEvent).where(AuditEvent.action == "correct")).all()
    assert sorted((e.booking_id, e.detail) for e in lines) == [
        (olena["first"], "name, email"),
        (olena["second"], "name, email"),
    ]


def _everything_in_the_database(engine: Engine) -> str:
    """Every value of every table, as one text to search."""
    values = []
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(core_select(table)):
                values += [str(value) for value in row]
    return "\n".join(values)


def test_erasure_leaves_her_in_no_table_and_the_audit_log_complete(
    desk: TestClient, olena: dict[str, int], engine: Engine, clock: Clock
) -> None:
    page = desk.get(f"/coordinator/bookings/{olena['first']}/person").text
    unconfirmed = desk.post(
        f"/coordinator/bookings/{olena['first']}/person/erase",
        data={"csrf_token": csrf_from(page)},
    )
    assert unconfirmed.status_code == 422
    assert "Please confirm the request and the bookings first." in unconfirmed.text
    with Session(engine) as session:
        lines_before = len(session.exec(select(AuditEvent)).all())
        booking = session.get(Booking, olena["first"])
        assert booking is not None
        manage_hash = booking.token_hash

    erased = desk.post(
        f"/coordinator/bookings/{olena['first']}/person/erase",
        data={"csrf_token": csrf_from(page), "confirm": "y"},
    )
    assert erased.status_code == 303

    everything = _everything_in_the_database(engine)
    for trace in ("Olena", "olena", "Kovalenko", "kovalenko", OLENA_PHONE, "0671234567"):
        assert trace not in everything, trace
    assert "Petro Bondar" in everything and "+380507654321" in everything  # nobody else's
    with Session(engine) as session:
        events = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
        first = session.get(Booking, olena["first"])
        assert first is not None
        notes = session.exec(select(BookingNote)).all()
        mail = session.exec(
            select(OutboxMessage).where(OutboxMessage.booking_id == olena["first"])
        ).all()
    # Every line stays (the note's and the cancellation's, emptied), and one "erase" per booking
    # that holds nothing of her.
    assert len(events) == lines_before + 2
    erase_lines = [e for e in events if e.action == "erase"]
    # An erase line always names its booking; a None among them would fail the sort just the same.
    assert sorted(e.booking_id for e in erase_lines) == [  # type: ignore[type-var]
        olena["first"],
        olena["second"],
    ]
    assert all(e.detail == "" and e.coordinator == "anna" for e in erase_lines)
    assert {e.action for e in events} >= {"note", "mark cancelled"}
    # Her future consultation gave its seat back; the sent e-mail's line stays, empty; the
    # waiting ones (her reminder) are gone; so are the notes; her old link opens nothing.
    assert first.status == "cancelled" and first.erased_at == clock.now
    assert first.token_hash != manage_hash
    assert notes == []
    assert [(m.kind, m.recipient, m.body_text) for m in mail] == [("confirmation", "", "")]
    # The desk's pages of an erased booking still open, and say what happened.
    booking_page = desk.get(f"/coordinator/bookings/{olena['first']}")
    assert booking_page.status_code == 200
    assert "personal data was erased on the patient" in booking_page.text
    assert 'href="tel:"' not in booking_page.text  # no empty call link
    person = desk.get(f"/coordinator/bookings/{olena['first']}/person")
    assert person.status_code == 200 and "Petro" not in person.text


def test_erasure_frees_her_future_seat(
    desk: TestClient, olena: dict[str, int], engine: Engine, clock: Clock
) -> None:
    clock.now += timedelta(minutes=1)
    page = desk.get(f"/coordinator/bookings/{olena['first']}/person").text
    desk.post(
        f"/coordinator/bookings/{olena['first']}/person/erase",
        data={"csrf_token": csrf_from(page), "confirm": "y"},
    )
    # Anyone may book the time she held: capacity is one per slot.
    assert book(desk, "2026-12-01T08:30:00Z", name="Ivan Melnyk").status_code == 303
