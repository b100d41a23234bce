"""The audit log as the desk reads it (core/audit.py writes it)."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from web.core.models import AuditEvent


def recent_events(session: Session, *, page: int, per_page: int) -> tuple[list[AuditEvent], int]:
    total = session.exec(select(func.count()).select_from(AuditEvent)).one()
    events = session.exec(
        select(AuditEvent)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(events), total
