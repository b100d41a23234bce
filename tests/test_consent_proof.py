"""Issue 23 item 5: each booking keeps the exact consent sentence its patient agreed to (online)
or the coordinator read out (by phone), in the booking's language, with the notice version; the
desk shows both. Both databases."""

from __future__ import annotations

from sqlalchemy import Engine, update
from sqlmodel import Session, select
from starlette.testclient import TestClient

from tests.booking_helpers import book
from tests.conftest import Clock, csrf_from, hidden_value
from web.core.consent import CONSENT_TEXT, PRIVACY_NOTICE_VERSION, consent_text
from web.core.models import Booking
from web.desk.accounts import save_coordinator

PASSWORD = "a long password for the desk"


def _sign_in(client: TestClient, engine: Engine, clock: Clock) -> None:
    save_coordinator(engine=engine, username="anna", password=PASSWORD, now=clock.now)
    page = client.get("/coordinator/login")
    client.post(
        "/coordinator/login",
        data={"csrf_token": csrf_from(page.text), "username": "anna", "password": PASSWORD},
    )


def _only_booking(engine: Engine) -> Booking:
    with Session(engine) as session:
        return session.exec(select(Booking)).one()


def test_the_ukrainian_form_shows_the_sentence_the_booking_stores(
    uk_client: TestClient, engine: Engine
) -> None:
    form = uk_client.get("/consultation/book?start=2026-12-01T08:30:00Z").text
    ukrainian = consent_text("uk")
    assert ukrainian != CONSENT_TEXT  # translated
    assert ukrainian in form
    response = uk_client.post(
        "/consultation/book",
        data={
            "csrf_token": csrf_from(form),
            "start": hidden_value(form, "start"),
            "key": hidden_value(form, "key"),
            "name": "Ганна Коваленко",
            "phone": "067 123 4567",
            "channel": "Viber",
            "consent": "y",
        },
    )
    assert response.status_code == 303, response.text
    booking = _only_booking(engine)
    assert (booking.consent_given, booking.consent_notice, booking.consent_text) == (
        "online",
        PRIVACY_NOTICE_VERSION,
        ukrainian,
    )


def test_the_desk_reads_out_the_sentence_and_shows_what_each_booking_stored(
    client: TestClient, engine: Engine, clock: Clock
) -> None:
    _sign_in(client, engine, clock)
    start = "2026-12-01T08:30:00Z"
    form = client.get(f"/coordinator/new/details?start={start}").text
    assert consent_text("uk") in form and consent_text("en") in form  # in either language
    booked = client.post(
        "/coordinator/new",
        data={
            "csrf_token": csrf_from(form),
            "key": hidden_value(form, "key"),
            "start": start,
            "name": "Ганна Коваленко",
            "phone": "067 123 4567",
            "channel": "Viber",
            "language": "uk",
            "consent": "y",
        },
    )
    assert booked.status_code == 303, booked.text
    booking = _only_booking(engine)
    assert (booking.consent_given, booking.consent_recorded_by, booking.consent_text) == (
        "phone",
        "anna",
        consent_text("uk"),
    )
    page = client.get(f"/coordinator/bookings/{booking.id}").text
    assert f"<q>{consent_text('uk')}</q>" in page
    # A booking from before the text was kept says so, not a guess.
    with Session(engine) as session:
        session.exec(update(Booking).values(consent_text=None))
        session.commit()
    page = client.get(f"/coordinator/bookings/{booking.id}").text
    assert "Consent text</dt><dd>not recorded</dd>" in page


def test_an_english_booking_stores_the_english_sentence(client: TestClient, engine: Engine) -> None:
    assert book(client, "2026-12-01T08:30:00Z").status_code == 303
    assert _only_booking(engine).consent_text == CONSENT_TEXT
