"""How the outbox stands: what waits, what keeps failing, what was given up. Read by the sender's
report, the metrics and the desk's warning, so they all count the same way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from web.core.models import OutboxMessage


@dataclass(frozen=True)
class OutboxState:
    waiting: int  # due and not sent, including messages backing off after a failure
    failing: int  # of those, the ones that have failed at least once
    failed: int  # refused for good (5xx): listed on the desk
    oldest_waiting_seconds: float  # 0 when nothing waits


def outbox_state(engine: Engine, now: datetime) -> OutboxState:
    unsent = (
        col(OutboxMessage.sent_at).is_(None),
        col(OutboxMessage.failed_at).is_(None),
        col(OutboxMessage.send_after) <= now,
    )
    with Session(engine) as session:
        waiting, failing, oldest = session.exec(
            select(
                func.count(),
                func.count().filter(col(OutboxMessage.attempts) > 0),
                func.min(OutboxMessage.send_after),
            ).where(*unsent)
        ).one()
        failed = session.exec(
            select(func.count()).where(col(OutboxMessage.failed_at).is_not(None))
        ).one()
    age = (now - oldest).total_seconds() if isinstance(oldest, datetime) else 0.0
    return OutboxState(
        waiting=waiting, failing=failing, failed=failed, oldest_waiting_seconds=max(age, 0.0)
    )
