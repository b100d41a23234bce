"""The audit log: who did what to which booking, written in the same transaction as the change.

Written here, in the core, because the patient's own changes belong in it too (a move or a
cancellation from the manage link); the desk reads it (desk/audit.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert
from sqlmodel import Session

from web.core.models import AuditEvent

# Who a patient's own change is recorded as: no desk account has an empty name.
PATIENT = ""


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
