"""A patient's rights on request, honoured from the desk: find everything the clinic holds about a
person, correct their contact details, and erase them.

A person is who a booking names: every booking with the same phone number or the same e-mail
address (as the desk's "other bookings" list finds them), with those bookings' e-mails, notes and
audit lines, and any audit line whose text names them. Erasure keeps the rows that say something
happened (a booking held a slot, an e-mail went out, a coordinator acted) but nothing that says
who it was: the audit log stays complete, the person is gone from it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, delete, func, or_, update
from sqlmodel import Session, col, select

from web.core import audit
from web.core.audit import record
from web.core.db import session_scope
from web.core.errors import BookingNotFound
from web.core.models import (
    AuditEvent,
    Booking,
    BookingNote,
    BookingStatus,
    IntakeAnswers,
    OutboxMessage,
    PatientDetails,
)
from web.core.retention import identifiers_of

# What an erased booking shows where the name was: a dash, in every language and list.
ERASED_NAME = "—"


@dataclass(frozen=True)
class Holdings:
    """Everything held about one person, as found from one of their bookings."""

    bookings: list[Booking]
    notes: list[BookingNote]
    messages: list[OutboxMessage]
    events: list[AuditEvent]
    answers: list[IntakeAnswers]  # to the questions before the consultation

    @property
    def booking_ids(self) -> list[int]:
        return [b.id for b in self.bookings if b.id is not None]

    @property
    def identifiers(self) -> list[str]:
        """The person's names, phones and e-mail addresses, as the rows hold them."""
        return [v for v in identifiers_of(self.bookings) if v != ERASED_NAME]

    @property
    def is_empty(self) -> bool:
        return not self.bookings


def same_person(booking: Booking) -> ColumnElement[bool]:
    """The bookings of the person who made this one: the same phone, or the same e-mail in any
    case (the desk's "same patient" list and a data request both mean this)."""
    same = [col(Booking.phone) == booking.phone]
    if booking.email:
        same.append(func.lower(col(Booking.email)) == booking.email.lower())
    return or_(*same)


def _person_bookings(session: Session, booking: Booking) -> list[Booking]:
    if booking.erased_at is not None:
        return [booking]  # nothing left that names anyone: only itself
    return list(
        session.exec(
            select(Booking)
            .where(same_person(booking), col(Booking.erased_at).is_(None))
            .order_by(col(Booking.starts_at), col(Booking.id))
        ).all()
    )


def find_holdings(session: Session, booking_id: int) -> Holdings:
    """The person named by booking `booking_id`, and everything held about them."""
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise BookingNotFound
    found = _person_bookings(session, booking)
    ids = [b.id for b in found]
    notes = session.exec(
        select(BookingNote)
        .where(col(BookingNote.booking_id).in_(ids))
        .order_by(col(BookingNote.created_at), col(BookingNote.id))
    ).all()
    messages = session.exec(
        select(OutboxMessage)
        .where(col(OutboxMessage.booking_id).in_(ids))
        .order_by(col(OutboxMessage.created_at), col(OutboxMessage.id))
    ).all()
    answers = session.exec(
        select(IntakeAnswers)
        .where(col(IntakeAnswers.booking_id).in_(ids))
        .order_by(col(IntakeAnswers.answered_at), col(IntakeAnswers.id))
    ).all()
    identifiers = Holdings(found, [], [], [], []).identifiers
    events = session.exec(
        select(AuditEvent)
        .where(or_(col(AuditEvent.booking_id).in_(ids), *audit.naming(identifiers)))
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    ).all()
    return Holdings(list(found), list(notes), list(messages), list(events), list(answers))


# --- Correcting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Correction:
    name: str
    phone: str  # E.164
    email: str | None


def correct(*, engine: Engine, booking_id: int, to: Correction, who: str, now: datetime) -> int:
    """The person's name, phone and e-mail set anew on every booking of theirs. E-mails still
    waiting go to the new address (or are dropped when the address is removed); each booking's
    audit line names the fields that changed, never their old or new values. Returns how many
    bookings changed."""
    changed_count = 0
    with session_scope(engine) as session:
        held = find_holdings(session, booking_id)
        for booking in held.bookings:
            if booking.erased_at is not None:
                continue
            changed = [
                field
                for field, old, new in (
                    ("name", booking.patient_name, to.name),
                    ("phone", booking.phone, to.phone),
                    ("email", booking.email, to.email),
                )
                if old != new
            ]
            if not changed:
                continue
            old_email = booking.email
            booking.patient_name, booking.name_folded = to.name, to.name.casefold()
            booking.phone, booking.email = to.phone, to.email
            booking.updated_at = now
            session.add(booking)
            if "email" in changed and old_email:
                _readdress_waiting_mail(session, booking.id, old_email, to.email)
            record(
                session,
                coordinator=who,
                action="correct",
                now=now,
                booking_id=booking.id,
                detail=", ".join(changed),
            )
            changed_count += 1
    return changed_count


def _waiting(booking_id: int | None) -> list[object]:
    return [
        col(OutboxMessage.booking_id) == booking_id,
        col(OutboxMessage.sent_at).is_(None),
        col(OutboxMessage.failed_at).is_(None),
    ]


def _readdress_waiting_mail(
    session: Session, booking_id: int | None, old: str, new: str | None
) -> None:
    """Waiting e-mails to the patient follow their new address (alerts to the clinic stay)."""
    to_patient = func.lower(col(OutboxMessage.recipient)) == old.lower()
    if new is None:
        session.exec(delete(OutboxMessage).where(*_waiting(booking_id), to_patient))  # type: ignore[arg-type]
    else:
        session.exec(
            update(OutboxMessage)
            .where(*_waiting(booking_id), to_patient)  # type: ignore[arg-type]
            .values(recipient=new)
        )


# --- Erasing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    bookings: int
    messages_dropped: int
    notes: int
    audit_lines: int


def _dead_token_hash() -> str:
    """A token hash no manage link can match: the patient's old link stops working."""
    return hashlib.sha256(secrets.token_bytes(32)).hexdigest()


def erase(*, engine: Engine, booking_id: int, who: str, now: datetime) -> Erasure:
    """Erase the person named by booking `booking_id`: their bookings anonymised (a future one
    cancelled, so that its seat is free again), e-mails still waiting dropped and sent ones
    emptied, clinic-only notes and answers to the questions deleted, and the audit lines that
    name them anonymised. Each booking gets an "erase" line in the audit log that holds nothing
    of what was erased."""
    with session_scope(engine) as session:
        held = find_holdings(session, booking_id)
        ids = held.booking_ids
        dropped = 0
        for message in held.messages:
            if message.sent_at is None and message.failed_at is None:
                session.delete(message)
                dropped += 1
            else:  # the line that it was sent (or refused) stays, without a word of it
                message.recipient, message.subject = "", ""
                message.body_text = message.body_html = ""
                message.attachment = message.context = message.last_error = None
                message.reply_to = None
                session.add(message)
        for note in held.notes:
            session.delete(note)
        for answers in held.answers:
            session.delete(answers)
        lines = audit.anonymise(session, ids, held.identifiers)
        for booking in held.bookings:
            if booking.status == BookingStatus.CONFIRMED and booking.starts_at > now:
                booking.status = BookingStatus.CANCELLED
                booking.sequence += 1
            # Every detail the patient gave (PatientDetails: a new one too), but the way of
            # contact and the language.
            for column in PatientDetails.detail_columns():
                if column not in PatientDetails.KEPT_ON_ERASURE:
                    setattr(booking, column, None)
            booking.patient_name, booking.name_folded, booking.phone = ERASED_NAME, "", ""
            booking.cancel_reason = None
            booking.call_patient = booking.call_patient_since = None
            booking.token_hash = _dead_token_hash()
            booking.erased_at = booking.updated_at = now
            session.add(booking)
            session.flush()
            record(session, coordinator=who, action="erase", now=now, booking_id=booking.id)
        return Erasure(
            bookings=len(ids), messages_dropped=dropped, notes=len(held.notes), audit_lines=lines
        )
