"""Delivering the outbox: claim a due message, send it, mark it sent; retry failures with back-off.

Safe to run in every web worker and in `python -m web send-outbox` at once: a message is claimed
with a conditional UPDATE before it is sent, so only one sender ever holds it. Logs name messages
by number and kind only, never by recipient or content.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, func, or_, update
from sqlmodel import Session, col, select

from web.core.db import session_scope
from web.core.models import OutboxMessage
from web.mail.smtp import SmtpSettings, as_email, deliver

log = logging.getLogger(__name__)
CLAIM_FOR = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)
SENT_BODY = "(sent; the body is not kept because it carried the patient's private link)"


@dataclass(frozen=True)
class SendReport:
    sent: int = 0
    failed: int = 0
    waiting: int = 0


def backoff(attempts: int) -> timedelta:
    delay: timedelta = timedelta(minutes=1) * 2 ** max(attempts - 1, 0)
    return min(delay, MAX_BACKOFF)


def _due(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        col(OutboxMessage.sent_at).is_(None),
        col(OutboxMessage.send_after) <= now,
        col(OutboxMessage.next_attempt_at) <= now,
        or_(col(OutboxMessage.claimed_until).is_(None), col(OutboxMessage.claimed_until) < now),
    )


def waiting_count(engine: Engine, now: datetime) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(OutboxMessage).where(*_due(now))).one()


def _claim(engine: Engine, message_id: int, now: datetime) -> OutboxMessage | None:
    with session_scope(engine) as session:
        claimed = session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id, *_due(now))
            .values(claimed_until=now + CLAIM_FOR)
        )
        if claimed.rowcount != 1:
            return None  # another sender took it
        return session.get(OutboxMessage, message_id)


def _finish(engine: Engine, message_id: int, **values: object) -> None:
    with session_scope(engine) as session:
        session.exec(
            update(OutboxMessage).where(col(OutboxMessage.id) == message_id).values(**values)
        )


def send_due(
    *, engine: Engine, smtp: SmtpSettings | None, now: datetime, limit: int = 50
) -> SendReport:
    if smtp is None:
        waiting = waiting_count(engine, now)
        if waiting:
            log.warning("%d e-mail(s) wait in the outbox: SMTP is not configured", waiting)
        return SendReport(waiting=waiting)
    with Session(engine) as session:
        ids = [
            message_id
            for message_id in session.exec(
                select(OutboxMessage.id)
                .where(*_due(now))
                .order_by(col(OutboxMessage.id))
                .limit(limit)
            ).all()
            if message_id is not None
        ]
    sent = failed = 0
    for message_id in ids:
        message = _claim(engine, message_id, now)
        if message is None:
            continue
        try:
            deliver(smtp, as_email(message, smtp.sender))
        except (smtplib.SMTPException, OSError) as error:
            failed += 1
            attempts = message.attempts + 1
            # The error's class and SMTP code only: server replies can quote the recipient.
            code = getattr(error, "smtp_code", "")
            _finish(
                engine,
                message_id,
                attempts=attempts,
                next_attempt_at=now + backoff(attempts),
                claimed_until=None,
                last_error=f"{type(error).__name__} {code}".strip(),
            )
            log.warning(
                "outbox message %s (%s) not sent, attempt %d", message_id, message.kind, attempts
            )
            continue
        sent += 1
        _finish(
            engine,
            message_id,
            sent_at=now,
            claimed_until=None,
            attempts=message.attempts + 1,
            body_text=SENT_BODY,
            body_html=SENT_BODY,
            attachment=None,
        )
        log.info("outbox message %s (%s) sent", message_id, message.kind)
    return SendReport(sent=sent, failed=failed)


async def run_forever(
    *,
    engine: Engine,
    smtp: SmtpSettings | None,
    clock: Callable[[], datetime],
    interval: float = 30.0,
) -> None:
    """The sender loop used by the web process and by `python -m web send-outbox`."""
    while True:
        try:
            await asyncio.to_thread(send_due, engine=engine, smtp=smtp, now=clock())
        except Exception:  # a database outage must not kill the loop; it retries next round
            log.exception("outbox round failed")
        await asyncio.sleep(interval)
