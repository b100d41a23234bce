"""The audit log: who did what to which booking, written in the same transaction as the change.

Written here, in the core, because the patient's own changes belong in it too (a move or a
cancellation from the manage link); the desk reads it (desk/audit.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, or_
from sqlmodel import Session, col, select

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


# Actions whose detail is what someone typed (a note's text, a cancellation's reason), which can
# name the patient or say something about their health.
TYPED_DETAIL = ("note", "mark ")
# What stands where an erased name, phone or e-mail address was in an audit line.
ERASED = "—"
SHORTEST_IDENTIFIER = 3  # shorter strings are not looked for in text: too many false matches


def naming(identifiers: list[str]) -> list[Any]:
    """Conditions for audit lines whose text holds one of `identifiers`."""
    return [
        col(AuditEvent.detail).contains(value, autoescape=True)
        for value in identifiers
        if len(value) >= SHORTEST_IDENTIFIER
    ]


def anonymise(session: Session, booking_ids: list[int], identifiers: list[str]) -> int:
    """The audit lines about these bookings, and any that name the person, kept but emptied of
    them: typed text goes, a name, phone or address elsewhere in a line is replaced. The lines
    themselves stay (who did what, when, to booking number N). Returns how many changed."""
    typed = or_(*(col(AuditEvent.action).startswith(a) for a in TYPED_DETAIL))
    about = col(AuditEvent.booking_id).in_(booking_ids) if booking_ids else None
    conditions = [*naming(identifiers)]
    if about is not None:
        conditions.append(about & typed)
    if not conditions:
        return 0
    changed = 0
    longest_first = sorted(identifiers, key=len, reverse=True)
    for event in session.exec(select(AuditEvent).where(or_(*conditions))).all():
        detail = event.detail
        if event.booking_id in booking_ids and event.action.startswith(TYPED_DETAIL):
            detail = ""
        for value in longest_first:
            if len(value) >= SHORTEST_IDENTIFIER:
                detail = detail.replace(value, ERASED)
        if detail != event.detail:
            event.detail = detail
            session.add(event)
            changed += 1
    return changed
