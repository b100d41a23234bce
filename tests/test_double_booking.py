"""No double booking, decided by the database whatever the timing, on both backends.

The HTTP race tests (test_concurrency.py) show it under real load but depend on the scheduler;
these tests build the worst timing by hand: both writers believe the seat is free.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, literal
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.selectable import Subquery
from sqlmodel import Session, select

from tests.conftest import DEFAULT_NOW
from web.core import bookings
from web.core.clinic import load_clinic
from web.core.errors import SlotUnavailable
from web.core.models import Booking, BookingStatus
from web.settings import PROJECT_ROOT

RULES = load_clinic(PROJECT_ROOT / "clinic.toml").rules
START = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
PATIENT = bookings.PatientDetails(
    name="Olena", phone="+380671234567", email=None, channel="Zoom", note=None, language="uk"
)


def a_booking(token: str, status: str = BookingStatus.CONFIRMED) -> Booking:
    return Booking(
        starts_at=START,
        ends_at=START + timedelta(minutes=30),
        seat=0,
        status=status,
        patient_name="Olena",
        phone="+380671234567",
        channel="Zoom",
        language="uk",
        consent_at=DEFAULT_NOW,
        token_hash=bookings.hash_token(token),
        created_at=DEFAULT_NOW,
        updated_at=DEFAULT_NOW,
    )


def test_two_sessions_writing_one_seat_the_second_is_refused(engine: Engine) -> None:
    with Session(engine) as first, Session(engine) as second:
        first.add(a_booking("first"))
        first.commit()
        second.add(a_booking("second"))
        with pytest.raises(IntegrityError):
            second.commit()


def test_a_cancelled_booking_gives_its_seat_back(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(a_booking("first", status=BookingStatus.CANCELLED))
        session.add(a_booking("second"))
        session.commit()


@pytest.fixture
def stale_seat_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every booking's INSERT ... SELECT reads "seat 0 is free", as if each request had read the
    slot before any other wrote it: only the unique index stands between them."""

    def seat_zero_looks_free(capacity: int) -> Subquery:
        return core_select(literal(0).label("seat")).subquery()

    bookings._insert_into_free_seat.cache_clear()
    monkeypatch.setattr(bookings, "_lowest_free_seat", seat_zero_looks_free)
    yield
    monkeypatch.undo()
    bookings._insert_into_free_seat.cache_clear()  # the next test builds the real statement


def test_book_answers_slot_taken_when_its_read_was_stale(
    engine: Engine, stale_seat_reads: None
) -> None:
    """Both requests read "seat 0 is free" before either wrote: the index decides."""
    ledger = bookings.Ledger(engine, RULES, b"test-secret")

    def book(form_key: str) -> Booking:
        return bookings.book(
            ledger=ledger, now=DEFAULT_NOW, start=START, patient=PATIENT, form_key=form_key
        )

    key_a, key_b = bookings.new_token(), bookings.new_token()
    kept = book(key_a)
    with pytest.raises(SlotUnavailable):
        book(key_b)
    again = book(key_a)
    assert again.id == kept.id  # the same form sent twice is the same booking
    with Session(engine) as session:
        assert [b.id for b in session.exec(select(Booking)).all()] == [kept.id]
