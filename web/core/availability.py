"""What a patient can book: the free slots of every day in the horizon."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from web.core.models import BlockedPeriod, Booking, BookingStatus
from web.core.schedule import Interval, Slot, SlotRules, horizon_interval, offered_by_day


def availability(session: Session, rules: SlotRules, now: datetime) -> dict[date, list[Slot]]:
    """Free slots of every day in the horizon, from two queries whatever the horizon's length."""
    span = horizon_interval(rules, now)
    booked_rows = session.exec(
        select(Booking.starts_at, func.count())
        .where(Booking.status != BookingStatus.CANCELLED)
        .where(Booking.starts_at >= span.start, Booking.starts_at < span.end)
        .group_by(col(Booking.starts_at))
    ).all()
    block_rows = session.exec(
        select(BlockedPeriod.starts_at, BlockedPeriod.ends_at).where(
            BlockedPeriod.starts_at < span.end, BlockedPeriod.ends_at > span.start
        )
    ).all()
    booked = dict(booked_rows)
    blocked = [Interval(start, end) for start, end in block_rows]
    return offered_by_day(rules, now=now, blocked=blocked, booked=booked)
