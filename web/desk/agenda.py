"""The clinic's day and week as the desk sees them: every slot of reception hours, with its
bookings, free seats or block; who is next; which consultation has ended without an outcome.

Two queries per view whatever the range (bookings by start, blocks by overlap), both on indexed
columns, so a day or a week reads the same few rows with a hundred thousand bookings stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from web.core.models import BlockedPeriod, Booking, BookingStatus
from web.core.reception import fits
from web.core.schedule import Interval, SlotRules, day_bounds, grid


@dataclass(frozen=True)
class Entry:
    """A booking on the agenda, with what the desk should notice about it."""

    booking: Booking
    is_next: bool  # the next consultation (or the one going on now)
    needs_outcome: bool  # ended, still "confirmed": done or no-show?
    is_past: bool  # ended: dimmed
    in_block: bool  # inside blocked time: to move or cancel (its reminder waits meanwhile)
    off_hours: bool  # the reception hours changed since it was booked: to move or cancel


@dataclass(frozen=True)
class Row:
    """One slot of the day (or a booking at a time off today's grid)."""

    start: datetime
    end: datetime
    entries: list[Entry]
    free_seats: int
    blocked: bool
    is_past: bool


@dataclass(frozen=True)
class Day:
    day: date
    rows: list[Row]
    cancelled: list[Booking]  # listed apart, so they never stand between the coordinator and next

    @property
    def is_working(self) -> bool:
        return bool(self.rows)

    @property
    def booked(self) -> int:
        return sum(len(row.entries) for row in self.rows)


def week_of(day: date) -> list[date]:
    """Monday to Sunday of the week that holds `day`."""
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=offset) for offset in range(7)]


def days(session: Session, *, rules: SlotRules, now: datetime, wanted: list[date]) -> list[Day]:
    """The agenda of consecutive clinic days `wanted`."""
    span = Interval(day_bounds(rules, wanted[0]).start, day_bounds(rules, wanted[-1]).end)
    bookings = session.exec(
        select(Booking)
        .where(Booking.starts_at >= span.start, Booking.starts_at < span.end)
        .order_by(col(Booking.starts_at), col(Booking.seat), col(Booking.id))
    ).all()
    blocks = [
        Interval(start, end)
        for start, end in session.exec(
            select(BlockedPeriod.starts_at, BlockedPeriod.ends_at).where(
                BlockedPeriod.starts_at < span.end, BlockedPeriod.ends_at > span.start
            )
        ).all()
    ]
    upcoming = [b for b in bookings if b.status == BookingStatus.CONFIRMED and b.ends_at > now]
    next_id = upcoming[0].id if upcoming else None
    by_day: dict[date, list[Booking]] = {d: [] for d in wanted}
    for booking in bookings:
        local = booking.starts_at.astimezone(rules.time_zone).date()
        if local in by_day:
            by_day[local].append(booking)
    return [_day(rules, now, d, by_day[d], blocks, next_id) for d in wanted]


def _day(
    rules: SlotRules,
    now: datetime,
    day: date,
    bookings: list[Booking],
    blocks: list[Interval],
    next_id: int | None,
) -> Day:
    active = [b for b in bookings if b.status != BookingStatus.CANCELLED]
    slots = {slot.start: slot for slot in grid(rules, day)}
    for booking in active:  # a booking off today's grid (hours changed since) still shows
        slots.setdefault(booking.starts_at, Interval(booking.starts_at, booking.ends_at))
    rows = []
    for start in sorted(slots):
        slot = slots[start]
        blocked = any(slot.overlaps(block) for block in blocks)
        entries = [
            Entry(
                booking=b,
                is_next=b.id == next_id,
                needs_outcome=b.status == BookingStatus.CONFIRMED and b.ends_at <= now,
                is_past=b.ends_at <= now,
                in_block=blocked and b.status == BookingStatus.CONFIRMED and b.ends_at > now,
                off_hours=b.status == BookingStatus.CONFIRMED
                and b.ends_at > now
                and not fits(rules, b),
            )
            for b in active
            if b.starts_at == start
        ]
        rows.append(
            Row(
                start=start,
                end=slot.end,
                entries=entries,
                free_seats=max(0, rules.at(start).capacity - len(entries)),
                blocked=blocked,
                is_past=slot.end <= now,
            )
        )
    cancelled = [b for b in bookings if b.status == BookingStatus.CANCELLED]
    return Day(day=day, rows=rows, cancelled=cancelled)
