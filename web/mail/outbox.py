"""Delivering the outbox: claim a due message, send it, mark it sent; retry failures with back-off.

Safe to run in every web worker and in `python -m web send-outbox` at once: a message is claimed
with a conditional UPDATE before it is sent, for longer than a delivery can take, so only one
sender holds it at a time. Delivery is at least once, never at most once: if the SMTP server took
a message but its reply was lost (or the database failed before the message was marked sent),
the message goes again with the same Message-ID. A reminder whose consultation has begun is
dropped, and a message the server refuses for good (5xx) is given up after a few tries and shown
on the desk. Logs name messages by number and kind only, never by recipient or content.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, delete, func, or_, update
from sqlmodel import Session, col, select

from web.core.db import session_scope
from web.core.models import BlockedPeriod, Booking, OutboxMessage
from web.mail.notifications import Rendered
from web.mail.smtp import SMTP_STEPS, SmtpSettings, as_email, deliver

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(hours=1)
PERMANENT_TRIES = 3  # a 5xx refusal is tried this often (it may be a passing fault), then given up
SENT_BODY = "(sent; the body is not kept because it carried the patient's private link)"
# Renders a row written without its text (Notifier.render), from the booking as it is now.
Renderer = Callable[[OutboxMessage, Booking], Rendered]


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
        col(OutboxMessage.failed_at).is_(None),
        col(OutboxMessage.send_after) <= now,
        col(OutboxMessage.next_attempt_at) <= now,
        or_(col(OutboxMessage.claimed_until).is_(None), col(OutboxMessage.claimed_until) < now),
    )


def waiting_count(engine: Engine, now: datetime) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(OutboxMessage).where(*_due(now))).one()


def claim_for(smtp: SmtpSettings) -> timedelta:
    """Longer than the longest delivery, so a claim never runs out while a sender still talks."""
    return timedelta(seconds=smtp.timeout * SMTP_STEPS) + timedelta(minutes=1)


def _claim(engine: Engine, message_id: int, now: datetime, until: datetime) -> OutboxMessage | None:
    with session_scope(engine) as session:
        claimed = session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id, *_due(now))
            .values(claimed_until=until)
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
    *,
    engine: Engine,
    smtp: SmtpSettings | None,
    now: datetime,
    render: Renderer,
    limit: int = 50,
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
    began = time.monotonic()
    for message_id in ids:
        # The round's `now` stands still; the claim also covers the time the round has taken.
        elapsed = timedelta(seconds=time.monotonic() - began)
        message = _claim(engine, message_id, now, now + elapsed + claim_for(smtp))
        if message is None:
            continue
        booking = _booking_of(engine, message)
        if message.kind == "reminder" and booking is not None and _inside_block(engine, booking):
            # The clinic blocked this time after it was booked: no reminder for a consultation
            # the desk is about to move or cancel. It waits, and goes if the booking stays.
            _finish(engine, message_id, claimed_until=None, next_attempt_at=now + HOLD)
            continue
        if _too_late(message, booking, now):
            _drop(engine, message_id)
            log.info(
                "outbox message %s (%s) dropped: its consultation has begun",
                message_id,
                message.kind,
            )
            continue
        if not message.body_text:
            if booking is None:
                _drop(engine, message_id)
                log.info(
                    "outbox message %s (%s) dropped: its booking is gone", message_id, message.kind
                )
                continue
            _fill_in(message, render(message, booking))
        try:
            deliver(smtp, as_email(message, smtp.sender, sent_at=now))
        except (smtplib.SMTPException, OSError) as error:
            failed += 1
            _record_failure(engine, message_id, message, error, now)
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


def _booking_of(engine: Engine, message: OutboxMessage) -> Booking | None:
    """The booking a message is about, read once: it decides whether and what to send."""
    if message.booking_id is None:
        return None
    with Session(engine) as session:
        return session.get(Booking, message.booking_id)


HOLD = timedelta(minutes=15)  # how long a held reminder waits before it is looked at again


def _inside_block(engine: Engine, booking: Booking) -> bool:
    with Session(engine) as session:
        found = session.exec(
            select(BlockedPeriod.id).where(
                BlockedPeriod.starts_at < booking.ends_at, BlockedPeriod.ends_at > booking.starts_at
            )
        ).first()
    return found is not None


def _too_late(message: OutboxMessage, booking: Booking | None, now: datetime) -> bool:
    """A reminder is only worth sending before its consultation begins."""
    return message.kind == "reminder" and (booking is None or booking.starts_at <= now)


def _fill_in(message: OutboxMessage, rendered: Rendered) -> None:
    """A row written without its text gets the text rendered now (never stored)."""
    message.subject = rendered.subject
    message.body_text = rendered.text
    message.body_html = rendered.html
    message.attachment = rendered.attachment


def _drop(engine: Engine, message_id: int) -> None:
    with session_scope(engine) as session:
        session.exec(delete(OutboxMessage).where(col(OutboxMessage.id) == message_id))


def smtp_code(error: Exception) -> int | None:
    """The server's reply code, if it gave one (a refused recipient carries it per address)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return max(codes) if codes else None
    code = getattr(error, "smtp_code", None)
    return code if isinstance(code, int) else None


def _record_failure(
    engine: Engine, message_id: int, message: OutboxMessage, error: Exception, now: datetime
) -> None:
    attempts = message.attempts + 1
    code = smtp_code(error)
    refused = code is not None and 500 <= code < 600
    give_up = refused and attempts >= PERMANENT_TRIES
    # The error's class and SMTP code only: server replies can quote the recipient.
    _finish(
        engine,
        message_id,
        attempts=attempts,
        next_attempt_at=now + backoff(attempts),
        claimed_until=None,
        last_error=f"{type(error).__name__} {code or ''}".strip(),
        failed_at=now if give_up else None,
    )
    if give_up:
        log.warning(
            "outbox message %s (%s) refused for good (%s): shown on the desk",
            message_id,
            message.kind,
            code,
        )
    else:
        log.warning(
            "outbox message %s (%s) not sent, attempt %d", message_id, message.kind, attempts
        )


async def run_forever(
    *,
    engine: Engine,
    smtp: SmtpSettings | None,
    clock: Callable[[], datetime],
    render: Renderer,
    interval: float = 30.0,
) -> None:
    """The sender loop used by the web process and by `python -m web send-outbox`."""
    while True:
        try:
            await asyncio.to_thread(send_due, engine=engine, smtp=smtp, now=clock(), render=render)
        except Exception:  # a database outage must not kill the loop; it retries next round
            log.exception("outbox round failed")
        await asyncio.sleep(interval)
