"""The audit log: who did what to which booking, written in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, func, select

from web.core.models import AuditEvent


def record(
    session: Session,
    *,
    coordinator: str,
    action: str,
    now: datetime,
    booking_id: int | None = None,
    detail: str = "",
) -> None:
    session.add(
        AuditEvent(
            at=now,
            coordinator=coordinator,
            action=action,
            booking_id=booking_id,
            detail=detail[:500],
        )
    )


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
