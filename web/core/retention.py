"""Keeping patient data no longer than needed: past bookings and their traces are deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, delete, or_
from sqlmodel import col, select

from web.core import audit
from web.core.db import session_scope
from web.core.models import (
    Booking,
    BookingNote,
    BookingStatus,
    IntakeAnswers,
    LoginAttempt,
    OutboxMessage,
)


@dataclass(frozen=True)
class PurgeReport:
    bookings: int
    messages: int
    login_attempts: int


def identifiers_of(bookings: list[Booking]) -> list[str]:
    """The names, phones and e-mail addresses these bookings hold."""
    found = {v for b in bookings for v in (b.patient_name, b.phone, b.email) if v}
    return sorted(found, key=len, reverse=True)


def purge_old_bookings(*, engine: Engine, now: datetime, older_than_days: int) -> PurgeReport:
    """Delete bookings that ended, or were cancelled, more than `older_than_days` ago, with
    their e-mails, notes and answers to the questions before the consultation.

    The audit log keeps its lines (who did what, when, to booking number N) but holds no name,
    phone, address, note or typed reason of theirs; login attempts older than the cut-off go too.
    """
    if older_than_days < 1:
        raise ValueError("--older-than must be at least 1 day")
    cutoff = now - timedelta(days=older_than_days)
    with session_scope(engine) as session:
        # As the privacy notice says: N days after the consultation, or after the patient (or
        # the clinic) cancelled it, whichever comes first. A cancelled booking's last change is
        # its cancellation (or a later correction of its details, which keeps it no longer).
        cancelled_long_ago = and_(
            col(Booking.status) == BookingStatus.CANCELLED, col(Booking.updated_at) < cutoff
        )
        old = list(
            session.exec(
                select(Booking).where(or_(col(Booking.ends_at) < cutoff, cancelled_long_ago))
            ).all()
        )
        ids = [booking.id for booking in old if booking.id is not None]
        messages = (
            session.exec(
                delete(OutboxMessage).where(col(OutboxMessage.booking_id).in_(ids))
            ).rowcount
            if ids
            else 0
        )
        if ids:
            # Clinic-only notes are patient data too: they go. The audit log keeps its lines
            # but not the patient in them: typed text about these bookings (a note, a reason)
            # and their name, phone or address anywhere in a line (a block's reason).
            session.exec(delete(BookingNote).where(col(BookingNote.booking_id).in_(ids)))
            session.exec(delete(IntakeAnswers).where(col(IntakeAnswers.booking_id).in_(ids)))
            audit.anonymise(session, ids, identifiers_of(old))
        bookings = (
            session.exec(delete(Booking).where(col(Booking.id).in_(ids))).rowcount if ids else 0
        )
        attempts = session.exec(
            delete(LoginAttempt).where(col(LoginAttempt.attempted_at) < cutoff)
        ).rowcount
    return PurgeReport(bookings=bookings, messages=messages, login_attempts=attempts)
