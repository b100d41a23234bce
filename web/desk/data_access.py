"""The desk's data access: a booking and its status changes, undelivered mail, blocks, feed secret.

Every change is recorded in the audit log inside the transaction that makes it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, delete, or_
from sqlmodel import Session, col, select

from web.core.audit import record
from web.core.bookings import OnChange, is_token, no_follow_up
from web.core.db import session_scope
from web.core.errors import (
    BlockInPast,
    BlockNotFound,
    BookingChanged,
    BookingNotActive,
    BookingNotFound,
    FeedNotFound,
    OutcomeTooEarly,
    StatusChangeNotAllowed,
)
from web.core.models import BlockedPeriod, Booking, BookingStatus, FeedSecret, OutboxMessage
from web.core.schedule import Interval, SlotRules, day_bounds, local_today

PER_PAGE = 25
# What the desk may change a status to. A cancelled booking gave its seat back (someone may have
# booked it since), so it stays cancelled; "done" and "no-show" can only correct each other.
NEXT_STATUSES: dict[str, tuple[BookingStatus, ...]] = {
    BookingStatus.CONFIRMED: (BookingStatus.DONE, BookingStatus.NO_SHOW, BookingStatus.CANCELLED),
    BookingStatus.DONE: (BookingStatus.NO_SHOW, BookingStatus.CONFIRMED),
    BookingStatus.NO_SHOW: (BookingStatus.DONE, BookingStatus.CONFIRMED),
    BookingStatus.CANCELLED: (),
}
OUTCOMES = (BookingStatus.DONE, BookingStatus.NO_SHOW)


@dataclass(frozen=True)
class BookingPage:
    bookings: list[Booking]
    total: int
    page: int
    pages: int


def start_of_today(rules: SlotRules, now: datetime) -> datetime:
    """Midnight in the clinic, where the desk's and the feed's "from today on" begin."""
    return day_bounds(rules, local_today(rules, now)).start


def get_booking(session: Session, booking_id: int) -> Booking:
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise BookingNotFound
    return booking


def set_status(
    *,
    engine: Engine,
    booking_id: int,
    status: BookingStatus,
    reason: str | None,
    who: str,
    now: datetime,
    on_change: OnChange = no_follow_up,
    seen_sequence: int | None = None,
) -> Booking:
    """Change the status if NEXT_STATUSES allows it; `on_change` runs in the same transaction
    (the e-mails of a cancellation, or dropping a reminder that is no longer wanted).
    `seen_sequence`: the booking as the coordinator saw it (BookingChanged if it moved on).
    A patient without an e-mail whose booking the clinic cancels gets a "call" task."""
    with session_scope(engine) as session:
        booking = get_booking(session, booking_id)
        if booking.status == status:
            return booking
        if seen_sequence is not None and booking.sequence != seen_sequence:
            session.expunge(booking)  # as it is now, still readable after the rollback
            raise BookingChanged(booking)
        if booking.status == BookingStatus.CANCELLED:
            raise BookingNotActive
        if status not in NEXT_STATUSES[booking.status]:
            raise StatusChangeNotAllowed
        if status in OUTCOMES and booking.starts_at > now:
            raise OutcomeTooEarly
        booking.status = status
        booking.sequence += 1
        booking.updated_at = now
        if status == BookingStatus.CANCELLED:
            booking.cancel_reason = reason
            if not booking.email:
                booking.call_patient, booking.call_patient_since = "cancelled", now
        session.add(booking)
        on_change(session.connection(), booking)
        record(
            session,
            coordinator=who,
            action=f"mark {status}",
            now=now,
            booking_id=booking.id,
            detail=f"reason: {reason}" if reason else "",
        )
        return booking


def undelivered_mail(
    session: Session, *, booking_id: int | None = None, since: datetime | None = None
) -> list[tuple[OutboxMessage, Booking]]:
    """E-mails the mail server refused for good, with their bookings, for one booking or for
    consultations from `since` on: the coordinator calls those patients instead."""
    query = (
        select(OutboxMessage, Booking)
        .join(Booking, col(Booking.id) == OutboxMessage.booking_id)
        .where(col(OutboxMessage.failed_at).is_not(None))
    )
    if booking_id is not None:
        query = query.where(Booking.id == booking_id)
    if since is not None:
        query = query.where(Booking.starts_at >= since)
    rows = session.exec(query.order_by(col(Booking.starts_at), col(OutboxMessage.id)).limit(50))
    return [(message, booking) for message, booking in rows.all()]


def upcoming_undelivered_mail(
    session: Session, *, rules: SlotRules, now: datetime
) -> list[tuple[OutboxMessage, Booking]]:
    return undelivered_mail(session, since=start_of_today(rules, now))


def bookings_in(session: Session, intervals: list[Interval]) -> list[Booking]:
    """Active bookings overlapping any of the periods: what a new block would leave stranded."""
    if not intervals:
        return []
    overlapping = or_(
        *(
            and_(col(Booking.starts_at) < period.end, col(Booking.ends_at) > period.start)
            for period in intervals
        )
    )
    return list(
        session.exec(
            select(Booking)
            .where(Booking.status == BookingStatus.CONFIRMED)
            .where(overlapping)
            .order_by(col(Booking.starts_at))
        ).all()
    )


def _block_detail(rules: SlotRules, periods: list[Interval], reason: str) -> str:
    """In clinic time, as the desk shows every time (the audit log says which zone)."""
    zone = rules.time_zone
    first, last = periods[0], periods[-1]
    stamp = "%Y-%m-%d %H:%M"
    text = f"{first.start.astimezone(zone):{stamp}}–{first.end.astimezone(zone):{stamp}}"
    if len(periods) > 1:
        text += f" … {last.start.astimezone(zone):%Y-%m-%d} ({len(periods)})"
    return f"{text}: {reason}"


def _blocks(intervals: list[Interval], reason: str, now: datetime) -> list[BlockedPeriod]:
    """The rows of one form's blocked periods; several make one series (removed together)."""
    series = secrets.token_hex(16) if len(intervals) > 1 else None
    return [
        BlockedPeriod(
            starts_at=period.start, ends_at=period.end, reason=reason, created_at=now, series=series
        )
        for period in intervals
    ]


def add_block(
    *,
    engine: Engine,
    rules: SlotRules,
    intervals: list[Interval],
    reason: str,
    who: str,
    now: datetime,
) -> list[BlockedPeriod]:
    """The blocked periods of one form, in one transaction; several make one series."""
    if not intervals or intervals[0].start < now:
        raise BlockInPast
    with session_scope(engine) as session:
        blocks = _blocks(intervals, reason, now)
        session.add_all(blocks)
        session.flush()
        record(
            session,
            coordinator=who,
            action="block",
            now=now,
            detail=_block_detail(rules, intervals, reason),
        )
        return blocks


def _with_series(session: Session, block_id: int) -> list[BlockedPeriod]:
    """The block and every other block of its series (a weekly break is one whole), in order."""
    block = session.get(BlockedPeriod, block_id)
    if block is None:
        raise BlockNotFound
    if not block.series:
        return [block]
    return list(
        session.exec(
            select(BlockedPeriod)
            .where(BlockedPeriod.series == block.series)
            .order_by(col(BlockedPeriod.starts_at))
        ).all()
    )


def remove_block(
    *, engine: Engine, rules: SlotRules, block_id: int, who: str, now: datetime
) -> None:
    """The block, and every other block of its series (a weekly break goes as a whole)."""
    with session_scope(engine) as session:
        same = _with_series(session, block_id)
        periods = [Interval(b.starts_at, b.ends_at) for b in same]
        record(
            session,
            coordinator=who,
            action="unblock",
            now=now,
            detail=_block_detail(rules, periods, same[0].reason),
        )
        for each in same:
            session.delete(each)


def replace_block(
    *,
    engine: Engine,
    rules: SlotRules,
    block_id: int,
    intervals: list[Interval],
    reason: str,
    who: str,
    now: datetime,
) -> None:
    """An edited block: in one transaction the block (its whole series) makes way for the
    periods of the edited form. Days of a series already over stay as they were: the past is
    neither blocked nor unblocked."""
    if not intervals or intervals[0].start < now:
        raise BlockInPast
    with session_scope(engine) as session:
        same = _with_series(session, block_id)
        before = [Interval(b.starts_at, b.ends_at) for b in same if b.ends_at > now]
        if not before:
            raise BlockNotFound  # wholly over meanwhile: nothing left to change
        old_reason = same[0].reason
        for each in same:
            if each.ends_at > now:
                session.delete(each)
        session.add_all(_blocks(intervals, reason, now))
        detail = (
            f"{_block_detail(rules, before, old_reason)} → "
            f"{_block_detail(rules, intervals, reason)}"
        )
        record(session, coordinator=who, action="edit block", now=now, detail=detail)


def block_as_form(session: Session, rules: SlotRules, block_id: int) -> dict[str, Any]:
    """The block's values for the blocks form, so that editing starts from what it is."""
    same = _with_series(session, block_id)
    zone = rules.time_zone
    first, last = same[0], same[-1]
    start, end = first.starts_at.astimezone(zone), first.ends_at.astimezone(zone)
    data: dict[str, Any] = {"day": start.date(), "reason": first.reason}
    if len(same) > 1:
        data["weekdays"] = sorted({b.starts_at.astimezone(zone).isoweekday() for b in same})
        data["until"] = last.starts_at.astimezone(zone).date()
        data["starts"], data["ends"] = start.time(), end.time()
    elif start == start.replace(hour=0, minute=0) and end == end.replace(hour=0, minute=0):
        data["last_day"] = (end - timedelta(days=1)).date()  # whole days: midnight to midnight
    else:
        data["starts"], data["ends"] = start.time(), end.time()
    return data


@dataclass(frozen=True)
class BlockShown:
    """A block as the desk lists it: one line for a whole weekly series."""

    first: BlockedPeriod
    last: BlockedPeriod
    count: int
    weekdays: list[int]


def upcoming_blocks(session: Session, now: datetime, rules: SlotRules) -> list[BlockShown]:
    """Blocks not yet over, a weekly series as one line (with the weekdays it covers)."""
    rows = session.exec(
        select(BlockedPeriod)
        .where(BlockedPeriod.ends_at > now)
        .order_by(col(BlockedPeriod.starts_at), col(BlockedPeriod.id))
    ).all()
    series: dict[str, list[BlockedPeriod]] = {}
    shown: list[BlockShown] = []
    for row in rows:
        if row.series is None:
            shown.append(BlockShown(row, row, 1, []))
        else:
            series.setdefault(row.series, []).append(row)
    for members in series.values():
        days = sorted({m.starts_at.astimezone(rules.time_zone).isoweekday() for m in members})
        shown.append(BlockShown(members[0], members[-1], len(members), days))
    return sorted(shown, key=lambda block: block.first.starts_at)


def feed_secret(session: Session, coordinator_id: int) -> str | None:
    """This coordinator's own calendar address secret, if they made one."""
    row = session.exec(
        select(FeedSecret).where(FeedSecret.coordinator_id == coordinator_id)
    ).first()
    return row.secret if row else None


def rotate_feed_secret(*, engine: Engine, coordinator_id: int, who: str, now: datetime) -> str:
    """A new secret for this coordinator: their old address stops working at once, and every
    other coordinator's keeps working."""
    secret = secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        session.exec(delete(FeedSecret).where(col(FeedSecret.coordinator_id) == coordinator_id))
        session.flush()
        session.add(FeedSecret(secret=secret, coordinator_id=coordinator_id, created_at=now))
        record(session, coordinator=who, action="rotate feed", now=now)
    return secret


# Cancelled bookings stay in the feed this long after the change, marked cancelled, so that a
# calendar that saw them shows them cancelled instead of losing them without a word.
CANCELLED_STAY = timedelta(days=7)


def feed_bookings(
    session: Session, secret: str, *, rules: SlotRules, now: datetime
) -> list[Booking]:
    """The bookings a coordinator's feed shows: from today on, the cancelled ones for a week
    after their cancellation; FeedNotFound for a secret that is not anyone's current one."""
    if not is_token(secret):  # the shape secrets.token_urlsafe(32) has; NUL never reaches SQL
        raise FeedNotFound
    found = session.exec(select(FeedSecret).where(FeedSecret.secret == secret)).first()
    if found is None or not secrets.compare_digest(found.secret.encode(), secret.encode()):
        raise FeedNotFound
    shown = or_(
        col(Booking.status) != BookingStatus.CANCELLED,
        col(Booking.updated_at) >= now - CANCELLED_STAY,
    )
    return list(
        session.exec(
            select(Booking)
            .where(shown)
            .where(Booking.starts_at >= start_of_today(rules, now))
            .order_by(col(Booking.starts_at), col(Booking.id))
        ).all()
    )
