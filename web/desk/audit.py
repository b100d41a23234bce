"""The audit log as the desk reads it (core/audit.py writes it)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, func, select

from web.core.errors import InvalidSlot
from web.core.formats import parse_start
from web.core.models import AuditEvent
from web.desk.patient_changes import moved_times


def recent_events(session: Session, *, page: int, per_page: int) -> tuple[list[AuditEvent], int]:
    total = session.exec(select(func.count()).select_from(AuditEvent)).one()
    events = session.exec(
        select(AuditEvent)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(events), total


def read_detail(action: str, detail: str) -> dict[str, Any]:
    """An audit line's detail as the desk shows it: the parts the app wrote in a fixed form
    (times as UTC starts, English connecting words) read back, so that the page can say them in
    the desk's language and in clinic time (templates/_audit.html). `kind` says which; "text" is
    shown as written (a note, a block's times and reason, a username)."""
    if action.startswith("mark ") and detail.startswith("reason: "):
        return {"kind": "reason", "reason": detail.removeprefix("reason: ")}
    if action == "move" and (moved := moved_times(detail)) is not None:
        return {"kind": "moved", "before": moved[0], "after": moved[1]}
    if action == "book" and detail.endswith(", consent by phone"):
        try:
            start = parse_start(detail.removesuffix(", consent by phone"))
        except InvalidSlot:
            return {"kind": "text", "text": detail}
        return {"kind": "booked by phone", "start": start}
    if action == "called" and detail in ("moved", "cancelled"):
        return {"kind": "called", "what": detail}
    return {"kind": "text", "text": detail}
