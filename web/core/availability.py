"""What a patient can book: the free slots of every day in the horizon.

The facts behind it (booked seats per slot start and the blocked periods) come from two Core
queries and are kept for a few seconds: every commit on this process's engine forgets them at
once, and another worker's or host's writes show within `ttl` seconds. A slot shown as free
that was just taken is harmless: the unique index decides, and the patient is told.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, event, func, select
from sqlmodel import col

from web.core.models import BlockedPeriod, Booking, BookingStatus
from web.core.schedule import Interval, Slot, SlotRules, horizon_interval, offered_by_day


@dataclass(frozen=True)
class _Facts:
    span: Interval
    fetched: float  # time.monotonic()
    booked: dict[datetime, int]
    blocked: list[Interval]


def _fetch(engine: Engine, span: Interval) -> tuple[dict[datetime, int], list[Interval]]:
    """Two queries on a plain connection: no ORM session, no objects, just the numbers."""
    starts = col(Booking.starts_at)
    with engine.connect() as connection:
        booked = connection.execute(
            select(starts, func.count())
            .where(col(Booking.status) != BookingStatus.CANCELLED.value)
            .where(starts >= span.start, starts < span.end)
            .group_by(starts)
        ).all()
        blocked = connection.execute(
            select(col(BlockedPeriod.starts_at), col(BlockedPeriod.ends_at)).where(
                col(BlockedPeriod.starts_at) < span.end, col(BlockedPeriod.ends_at) > span.start
            )
        ).all()
    counts = {start: count for start, count in booked}
    periods = [Interval(start, end) for start, end in blocked]
    return counts, periods


class Availability:
    """The free slots for one engine; `ttl` 0 disables the cache."""

    def __init__(self, engine: Engine, *, ttl: float = 2.0) -> None:
        self.engine = engine
        self.ttl = ttl
        self._facts: _Facts | None = None
        event.listen(engine, "commit", self._forget)

    def _forget(self, *_: Any) -> None:
        self._facts = None

    def by_day(self, rules: SlotRules, now: datetime) -> dict[date, list[Slot]]:
        span = horizon_interval(rules, now)
        facts = self._facts
        if facts is None or facts.span != span or time.monotonic() - facts.fetched > self.ttl:
            fetched = time.monotonic()
            booked, blocked = _fetch(self.engine, span)
            facts = _Facts(span, fetched, booked, blocked)
            if self.ttl > 0:
                self._facts = facts
        return offered_by_day(rules, now=now, blocked=facts.blocked, booked=facts.booked)
