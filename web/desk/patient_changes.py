"""What patients changed themselves (moved or cancelled through their link) since this
coordinator last marked them seen: the desk's home lists them, so that nobody learns of a
cancellation only when the patient fails to appear."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from web.core.audit import PATIENT
from web.core.db import session_scope
from web.core.errors import InvalidSlot
from web.core.formats import parse_start
from web.core.models import AuditEvent, Booking, Coordinator

PATIENT_ACTIONS = ("move", "mark cancelled")
SHOWN_AT_MOST = 20


@dataclass(frozen=True)
class PatientChange:
    at: datetime
    action: str  # "move" or "mark cancelled"
    booking: Booking
    moved: tuple[datetime, datetime] | None  # from and to, for a move


def moved_times(detail: str) -> tuple[datetime, datetime] | None:
    """A move's audit detail ("<from> → <to>", UTC starts) read back; None if not that shape."""
    before, arrow, after = detail.partition(" → ")
    try:
        return (parse_start(before), parse_start(after)) if arrow else None
    except InvalidSlot:
        return None


@dataclass(frozen=True)
class PatientChanges:
    changes: list[PatientChange]  # newest first
    more: bool  # there are more than are shown
    newest_id: int | None  # what "seen" marks seen: changes after the page was shown stay new


def unseen(session: Session, coordinator_id: int) -> PatientChanges:
    """Patients' own changes after the newest this coordinator marked seen (or, for an account
    that never marked any, since the account was made)."""
    account = session.get(Coordinator, coordinator_id)
    if account is None:
        return PatientChanges([], False, None)
    query = (
        select(AuditEvent, Booking)
        .join(Booking, col(Booking.id) == AuditEvent.booking_id)  # purged bookings drop out
        .where(AuditEvent.coordinator == PATIENT)
        .where(col(AuditEvent.action).in_(PATIENT_ACTIONS))
    )
    if account.changes_seen_id is not None:
        query = query.where(col(AuditEvent.id) > account.changes_seen_id)
    else:
        query = query.where(AuditEvent.at >= account.created_at)
    rows = session.exec(query.order_by(col(AuditEvent.id).desc()).limit(SHOWN_AT_MOST + 1))
    found = list(rows.all())
    newest = found[0][0].id if found else None
    changes = [
        PatientChange(event.at, event.action, booking, moved_times(event.detail))
        for event, booking in found[:SHOWN_AT_MOST]
    ]
    return PatientChanges(changes, len(found) > SHOWN_AT_MOST, newest)


def mark_seen(*, engine: Engine, coordinator_id: int, up_to: int) -> None:
    """Everything up to `up_to` (the newest shown) is seen; the marker never goes back."""
    with session_scope(engine) as session:
        account = session.get(Coordinator, coordinator_id)
        if account is None:
            return
        session.exec(
            update(Coordinator)
            .where(col(Coordinator.id) == coordinator_id)
            .where(
                col(Coordinator.changes_seen_id).is_(None)
                | (col(Coordinator.changes_seen_id) < up_to)
            )
            .values(changes_seen_id=up_to)
        )
