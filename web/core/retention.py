"""Keeping patient data no longer than needed: past bookings and their traces are deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, update
from sqlmodel import col, select

from web.core.db import session_scope
from web.core.models import AuditEvent, Booking, BookingNote, LoginAttempt, OutboxMessage


@dataclass(frozen=True)
class PurgeReport:
    bookings: int
    messages: int
    login_attempts: int


def purge_old_bookings(*, engine: Engine, now: datetime, older_than_days: int) -> PurgeReport:
    """Delete bookings that ended more than `older_than_days` ago, with their e-mails.

    The audit log keeps its lines (who did what, when, to booking number N) but holds no name,
    phone or note; login attempts older than the cut-off go too.
    """
    if older_than_days < 1:
        raise ValueError("--older-than must be at least 1 day")
    cutoff = now - timedelta(days=older_than_days)
    with session_scope(engine) as session:
        ids = list(session.exec(select(Booking.id).where(Booking.ends_at < cutoff)).all())
        messages = (
            session.exec(
                delete(OutboxMessage).where(col(OutboxMessage.booking_id).in_(ids))
            ).rowcount
            if ids
            else 0
        )
        if ids:
            # Clinic-only notes are patient data too: they go, and so does their text in the
            # audit log (the line that a note was written stays).
            session.exec(delete(BookingNote).where(col(BookingNote.booking_id).in_(ids)))
            session.exec(
                update(AuditEvent)
                .where(col(AuditEvent.booking_id).in_(ids), col(AuditEvent.action) == "note")
                .values(detail="")
            )
        bookings = (
            session.exec(delete(Booking).where(col(Booking.id).in_(ids))).rowcount if ids else 0
        )
        attempts = session.exec(
            delete(LoginAttempt).where(col(LoginAttempt.attempted_at) < cutoff)
        ).rowcount
    return PurgeReport(bookings=bookings, messages=messages, login_attempts=attempts)
