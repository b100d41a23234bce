"""The audit log: who did what to which booking, written in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert
from sqlmodel import Session, col, func, select

from web.core.models import AuditEvent

AUDIT = AuditEvent.__table__  # type: ignore[attr-defined]


def record(
    session: Session | Connection,
    *,
    coordinator: str,
    action: str,
    now: datetime,
    booking_id: int | None = None,
    detail: str = "",
) -> None:
    """One line, in the transaction of the change: an ORM session's, or a plain connection's
    (the booking writes in core/bookings.py run on one)."""
    values: dict[str, Any] = {
        "at": now,
        "coordinator": coordinator,
        "action": action,
        "booking_id": booking_id,
        "detail": detail[:500],
    }
    if isinstance(session, Connection):
        session.execute(insert(AUDIT).values(**values))
    else:
        session.add(AuditEvent(**values))


def recent_events(session: Session, *, page: int, per_page: int) -> tuple[list[AuditEvent], int]:
    total = session.exec(select(func.count()).select_from(AuditEvent)).one()
    events = session.exec(
        select(AuditEvent)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(events), total


def events_for_booking(session: Session, booking_id: int) -> list[AuditEvent]:
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.booking_id == booking_id)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    ).all()
    return list(events)
