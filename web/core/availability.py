"""What a patient can book: the free slots of every day in the horizon.

The facts behind it (booked seats per slot start and the blocked periods) come from two Core
queries and are kept for a few seconds: every commit on this process's engine forgets them at
once, and another worker's or host's writes show within `ttl` seconds. A slot shown as free
that was just taken is harmless: the unique index decides, and the patient is told.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, event, func, select
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import col

from web.core.models import BlockedPeriod, Booking, BookingStatus
from web.core.schedule import Interval, Slot, SlotRules, horizon_interval, offered_by_day

COMMITTED = "availability:committed"  # on a pooled connection whose commit is under way


@dataclass(frozen=True)
class _Facts:
    span: Interval
    fetched: float  # the Availability's ticks()
    generation: int  # the Availability's generation when the queries began
    booked: dict[datetime, int]
    blocked: list[Interval]


@dataclass(frozen=True)
class Offer:
    """The free slots by day, and whether what they were worked out from is still current: an
    answer built from them (a rendered picker) may be kept exactly as long."""

    by_day: dict[date, list[Slot]]
    _source: Availability
    _generation: int
    _fetched: float  # the Availability's ticks()

    def is_current(self) -> bool:
        source = self._source
        fresh = source.ticks() - self._fetched < source.ttl
        return fresh and source.generation == self._generation


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
    """The free slots for one engine; `ttl` 0 disables the cache. `ticks` measures the ttl
    (seconds, monotonic; tests pass one they move by hand)."""

    def __init__(
        self, engine: Engine, *, ttl: float = 2.0, ticks: Callable[[], float] = time.monotonic
    ) -> None:
        self.engine = engine
        self.ttl = ttl
        self.ticks = ticks
        self.generation = 0  # moves on at every commit: whatever was kept before is stale
        self._facts: _Facts | None = None
        # The engine's "commit" event fires before the COMMIT reaches the database: facts read
        # between the two do not hold the write yet. So the generation moves on twice, before
        # the commit and again when its connection goes back to the pool, after it.
        event.listen(engine, "commit", self._committing)
        event.listen(engine, "checkin", self._checked_in)

    def _committing(self, connection: Connection) -> None:
        connection.connection.info[COMMITTED] = True
        self._forget()

    def _checked_in(self, _dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        if record.info.pop(COMMITTED, False):
            self._forget()

    def _forget(self) -> None:
        self.generation += 1
        self._facts = None

    def offer(self, rules: SlotRules, now: datetime) -> Offer:
        span = horizon_interval(rules, now)
        facts = self._facts
        if (
            facts is None
            or facts.generation != self.generation  # kept just as a commit moved it on
            or facts.span != span
            or self.ticks() - facts.fetched > self.ttl
        ):
            generation, fetched = self.generation, self.ticks()
            booked, blocked = _fetch(self.engine, span)
            facts = _Facts(span, fetched, generation, booked, blocked)
            # A commit during the queries may not be in their answer: keep nothing then.
            if self.ttl > 0 and generation == self.generation:
                self._facts = facts
        by_day = offered_by_day(rules, now=now, blocked=facts.blocked, booked=facts.booked)
        return Offer(by_day, self, facts.generation, facts.fetched)

    def by_day(self, rules: SlotRules, now: datetime) -> dict[date, list[Slot]]:
        return self.offer(rules, now).by_day
