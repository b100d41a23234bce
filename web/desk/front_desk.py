"""The coordinator's front office, the data side: a caller booked, a booking moved, a clinic-only
note, the "call the patient" task done, and finding a patient.

Booking and moving go through the same core functions as the patient's (core/bookings.py): the
same unique index decides every race, the same notifier writes the same e-mails. What the desk
adds (the audit line, the call task) is written in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import phonenumbers
from sqlalchemy import ColumnElement, Connection, Engine, and_, func, or_
from sqlmodel import Session, col, select

from web.core import bookings
from web.core.audit import PATIENT, record
from web.core.bookings import Ledger, OnChange, PatientDetails
from web.core.db import session_scope
from web.core.errors import BookingChanged, BookingNotFound
from web.core.formats import format_start
from web.core.models import AuditEvent, Booking, BookingNote, OutboxMessage
from web.core.personal_data import same_person
from web.core.schedule import SlotRules, day_bounds
from web.desk.data_access import PER_PAGE, BookingPage, start_of_today

# --- Booking a caller and moving a booking ---------------------------------------------------


def book_caller(
    *,
    ledger: Ledger,
    now: datetime,
    start: datetime,
    patient: PatientDetails,
    form_key: str,
    who: str,
    on_booked: OnChange,
) -> Booking:
    """A caller's booking, made by the desk account `who` (consent given to them by phone), in
    a free slot by the desk's rules (inside the minimum notice, never a time that has begun)."""

    def then(connection: Connection, booking: Booking) -> None:
        on_booked(connection, booking)
        record(
            connection,
            coordinator=who,
            action="book",
            now=now,
            booking_id=booking.id,
            detail=f"{format_start(booking.starts_at)}, consent by phone",
        )

    return bookings.book(
        ledger=ledger.for_desk(),
        now=now,
        start=start,
        patient=patient,
        form_key=form_key,
        on_booked=then,
        booked_by=who,
    )


def move_booking(
    *,
    ledger: Ledger,
    now: datetime,
    booking_id: int,
    start: datetime,
    previous_start: datetime,
    seen_sequence: int,
    who: str,
    on_moved: OnChange,
) -> Booking:
    """The booking moved by the desk, as the coordinator saw it: `previous_start` is its time
    on the coordinator's page, which `seen_sequence` vouches for (BookingChanged otherwise)."""

    def then(connection: Connection, booking: Booking) -> None:
        on_moved(connection, booking)
        detail = f"{format_start(previous_start)} → {format_start(booking.starts_at)}"
        record(
            connection, coordinator=who, action="move", now=now, booking_id=booking.id,
            detail=detail,
        )  # fmt: skip

    return bookings.move(
        ledger=ledger.for_desk(),
        now=now,
        booking_id=booking_id,
        start=start,
        seen_sequence=seen_sequence,
        on_moved=then,
    )


# --- Notes and the call task ------------------------------------------------------------------


def add_note(*, engine: Engine, booking_id: int, text: str, who: str, now: datetime) -> None:
    """A clinic-only note; its text is in the audit log too (and purged with the booking)."""
    with session_scope(engine) as session:
        if session.get(Booking, booking_id) is None:
            raise BookingNotFound
        session.add(BookingNote(booking_id=booking_id, author=who, created_at=now, text=text))
        record(session, coordinator=who, action="note", now=now, booking_id=booking_id, detail=text)


def notes_for(session: Session, booking_id: int) -> list[BookingNote]:
    return list(
        session.exec(
            select(BookingNote)
            .where(BookingNote.booking_id == booking_id)
            .order_by(col(BookingNote.created_at).desc(), col(BookingNote.id).desc())
        ).all()
    )


def patient_called(*, engine: Engine, booking_id: int, who: str, now: datetime) -> None:
    """The coordinator has told the patient by phone: the task is done."""
    with session_scope(engine) as session:
        booking = session.get(Booking, booking_id)
        if booking is None:
            raise BookingNotFound
        if booking.call_patient is None:
            return  # done already, by this coordinator or another
        record(
            session,
            coordinator=who,
            action="called",
            now=now,
            booking_id=booking_id,
            detail=booking.call_patient,
        )
        booking.call_patient = booking.call_patient_since = None
        session.add(booking)


def calls_to_make(session: Session) -> list[Booking]:
    """Every booking whose patient the clinic still has to call, oldest task first."""
    return list(
        session.exec(
            select(Booking)
            .where(col(Booking.call_patient).is_not(None))
            .order_by(col(Booking.call_patient_since), col(Booking.id))
            .limit(50)
        ).all()
    )


def check_unchanged(booking: Booking, seen_sequence: int | None) -> None:
    """BookingChanged when the booking moved on since the coordinator's page showed it."""
    if seen_sequence is not None and booking.sequence != seen_sequence:
        raise BookingChanged(booking)


# --- Finding a patient ------------------------------------------------------------------------

SEPARATORS = re.compile(r"[\s().\-/]+")


@dataclass(frozen=True)
class Search:
    text: str = ""
    first: date | None = None
    last: date | None = None
    status: str | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.text or self.first or self.last)


def _phone_digits(text: str) -> str | None:
    """The digits of something typed as a phone number (at least 5 of them), else None."""
    compact = SEPARATORS.sub("", text)
    if compact.startswith("+"):
        compact = compact[1:]
    return compact if compact.isdigit() and len(compact) >= 5 else None


def _whole_number(text: str, phone_region: str) -> str | None:
    """The number in E.164, as bookings store it, when `text` is a whole valid number."""
    try:
        number = phonenumbers.parse(text, phone_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _matching(text: str, phone_region: str) -> ColumnElement[bool]:
    """What a search box's text matches: an e-mail, a phone in any usual form, or a name."""
    if "@" in text:
        return func.lower(col(Booking.email)).contains(text.lower(), autoescape=True)
    digits = _phone_digits(text)
    if digits is not None:
        e164 = _whole_number(text, phone_region)
        if e164 is not None:  # a whole number: the same person however it was typed (indexed)
            return col(Booking.phone) == e164
        return col(Booking.phone).contains(digits.lstrip("0") or digits, autoescape=True)
    words = text.casefold().split()
    return and_(*(col(Booking.name_folded).contains(word, autoescape=True) for word in words))


def find(
    session: Session,
    *,
    rules: SlotRules,
    now: datetime,
    search: Search,
    phone_region: str,
    page: int,
) -> BookingPage:
    """Bookings matching the search, past and future together, by time; with nothing to search
    for, those from today on."""
    query = select(Booking)
    if search.text:
        query = query.where(_matching(search.text, phone_region))
    if search.first:
        query = query.where(Booking.starts_at >= day_bounds(rules, search.first).start)
    if search.last:
        query = query.where(Booking.starts_at < day_bounds(rules, search.last).end)
    if search.is_empty:
        query = query.where(Booking.starts_at >= start_of_today(rules, now))
    if search.status:
        query = query.where(Booking.status == search.status)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    rows = session.exec(
        query.order_by(col(Booking.starts_at), col(Booking.id))
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    return BookingPage(bookings=list(rows), total=total, page=page, pages=pages)


def same_patient(session: Session, booking: Booking) -> list[Booking]:
    """The same person's other bookings: the same phone, or the same e-mail (none for an
    erased booking: nothing of it names anyone any more)."""
    if booking.erased_at is not None:
        return []
    return list(
        session.exec(
            select(Booking)
            .where(same_person(booking), Booking.id != booking.id)
            .order_by(col(Booking.starts_at))
            .limit(50)
        ).all()
    )


# --- A booking's timeline ---------------------------------------------------------------------


@dataclass(frozen=True)
class Happened:
    """One line of a booking's timeline, newest first on the page."""

    at: datetime
    who: str | None  # a desk account; PATIENT ("") the patient; None the site (its e-mails)
    action: str  # an audit action, "booked", "mail sent" or "mail failed"
    detail: str


def timeline(session: Session, booking: Booking) -> list[Happened]:
    """Everything that happened to a booking: made (by whom), the desk's and the patient's
    changes and notes (the audit log), and every e-mail sent or refused."""
    made_by = booking.booked_by if booking.booked_by is not None else PATIENT
    lines = [Happened(booking.created_at, made_by, "booked", "")]
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.booking_id == booking.id)
        .where(AuditEvent.action != "book")  # the booking's own line says it
    ).all()
    lines += [Happened(e.at, e.coordinator, e.action, e.detail) for e in events]
    mails = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.booking_id == booking.id)
        .where(col(OutboxMessage.kind) != "alert")
        .where(
            or_(col(OutboxMessage.sent_at).is_not(None), col(OutboxMessage.failed_at).is_not(None))
        )
    ).all()
    for mail in mails:
        if mail.sent_at is not None:
            lines.append(Happened(mail.sent_at, None, "mail sent", mail.kind))
        elif mail.failed_at is not None:
            lines.append(Happened(mail.failed_at, None, "mail failed", mail.kind))
    return sorted(lines, key=lambda line: line.at, reverse=True)
