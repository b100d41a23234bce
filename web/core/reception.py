"""Reception hours changed from a day on, kept in the database so that every host and worker
books by the same rules; clinic.toml gives the first ones.

`CurrentRules` keeps them for a process: read again at once after a commit on this process's
engine (the availability's generation moves on), so that the host where an administrator saved a
change applies it at the next request, and otherwise in a thread once they are older than
AVAILABILITY_TTL, so that every other host follows within about that time (as for bookings, see
core/availability.py) and no request waits for them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col
from sqlmodel import select as select_rows

from web.core.audit import record
from web.core.availability import Availability
from web.core.db import session_scope
from web.core.errors import HoursChangeNotFound, HoursInPast
from web.core.models import Booking, BookingStatus, ReceptionHours
from web.core.schedule import Hours, SlotRules, is_on_grid, local_today

HOURS = ReceptionHours.__table__  # type: ignore[attr-defined]
log = logging.getLogger(__name__)


def _hours(row: ReceptionHours) -> Hours:
    return Hours(
        opens=row.opens,
        closes=row.closes,
        weekdays=frozenset(int(day) for day in row.weekdays.split(",")),
        slot_minutes=row.slot_minutes,
        capacity=row.seats,
        since=row.since,
    )


def load_changes(engine: Engine) -> tuple[Hours, ...]:
    with engine.connect() as connection:
        rows = connection.execute(select(HOURS).order_by(HOURS.c.since)).all()
    return tuple(_hours(ReceptionHours.model_construct(**row._mapping)) for row in rows)


class CurrentRules:
    """The slot rules in force for one app: clinic.toml's first values and the stored changes.

    Read from the database on first use and again at once after a commit on this process (the
    availability's generation moves on: the change may be ours). When they are merely older
    than `ttl`, the request goes on with them and a thread reads them again: no request waits
    for a database that has stalled because of hours that change a few times a year.
    `on_change` is told when the hours patients are told of change (pages kept with the old
    ones must go).
    """

    def __init__(
        self,
        engine: Engine,
        first: SlotRules,
        availability: Availability,
        *,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.engine = engine
        self.first = first
        self.availability = availability
        self.on_change = on_change
        self._lock = threading.Lock()
        self._changes: tuple[Hours, ...] | None = None  # None until first read
        self._generation = -1
        self._fetched = 0.0
        self._reading = False  # a thread is reading them again
        self._told: Hours | None = None

    def now(self, now: datetime) -> SlotRules:
        source = self.availability
        with self._lock:
            must_wait = self._changes is None or self._generation != source.generation
            late = self.availability.ticks() - self._fetched >= source.ttl and not self._reading
            if late and not must_wait:
                self._reading = True
        if must_wait:
            self._read()
        elif late:
            threading.Thread(target=self._read_quietly, daemon=True).start()
        rules = self.known()
        told = rules.on(local_today(rules, now))
        if self._told is not None and told != self._told:
            self.on_change()
        self._told = told
        return rules

    def known(self) -> SlotRules:
        """The rules as last read, without asking the database: for pages kept for the life of
        the process, which must render while the database is down (`on_change` drops them)."""
        return self.first.with_changes(self._changes or ())

    def _read(self) -> None:
        generation = self.availability.generation
        try:
            changes = load_changes(self.engine)
        finally:
            with self._lock:
                self._reading = False
        with self._lock:
            self._changes, self._generation = changes, generation
            self._fetched = self.availability.ticks()

    def _read_quietly(self) -> None:
        try:
            self._read()
        except SQLAlchemyError as error:  # the requests that need the database say so
            log.warning("reception hours not read again: %s", type(error).__name__)


def set_hours(*, engine: Engine, rules: SlotRules, hours: Hours, who: str, now: datetime) -> None:
    """Store hours from `hours.since` on, replacing a change made for that same day."""
    since = hours.since
    if since is None or since <= local_today(rules, now):
        raise HoursInPast
    values: dict[str, Any] = {
        "opens": hours.opens,
        "closes": hours.closes,
        "weekdays": ",".join(str(day) for day in sorted(hours.weekdays)),
        "slot_minutes": hours.slot_minutes,
        "seats": hours.capacity,
        "set_by": who,
        "set_at": now,
    }
    with session_scope(engine) as session:
        same_day = select_rows(ReceptionHours).where(col(ReceptionHours.since) == since)
        row = session.exec(same_day).first()
        if row is None:
            row = ReceptionHours(since=since, **values)
        else:
            row.sqlmodel_update(values)
        session.add(row)
        record(session, coordinator=who, action="hours", now=now, detail=describe(hours))


def remove_change(
    *, engine: Engine, rules: SlotRules, change_id: int, who: str, now: datetime
) -> None:
    """A change not yet in force can be taken back; one in force is replaced by a new one."""
    with session_scope(engine) as session:
        row = session.get(ReceptionHours, change_id)
        if row is None:
            raise HoursChangeNotFound
        if row.since <= local_today(rules, now):
            raise HoursInPast
        detail = describe(_hours(row))
        record(session, coordinator=who, action="hours_removed", now=now, detail=detail)
        session.delete(row)


def describe(hours: Hours) -> str:
    """For the audit log, on the clinic's wall clock: numbers and ISO weekdays read the same
    in every language."""
    days = ",".join(str(day) for day in sorted(hours.weekdays))
    since = hours.since.isoformat() if hours.since else "-"
    return (
        f"{since}: {hours.opens:%H:%M}–{hours.closes:%H:%M}, [{days}], "
        f"{hours.slot_minutes} min × {hours.capacity}"
    )


@dataclass(frozen=True)
class StoredHours:
    id: int
    hours: Hours

    @property
    def since(self) -> date:
        assert self.hours.since is not None  # stored changes always have their day
        return self.hours.since


def listed_changes(session: Session, rules: SlotRules, now: datetime) -> list[StoredHours]:
    """The change in force today (if any) and those ahead, as the desk lists them."""
    today = local_today(rules, now)
    rows = session.exec(select_rows(ReceptionHours).order_by(col(ReceptionHours.since))).all()
    listed = [StoredHours(row.id, _hours(row)) for row in rows if row.id is not None]
    in_force = [each for each in listed if each.since <= today][-1:]
    return in_force + [each for each in listed if each.since > today]


def stranded(session: Session, rules: SlotRules, now: datetime) -> list[Booking]:
    """Confirmed bookings ahead that the rules no longer hold: off the grid of their day (hours,
    weekdays or length changed) or in a seat beyond the day's seats."""
    ahead = session.exec(
        select_rows(Booking)
        .where(col(Booking.status) == BookingStatus.CONFIRMED.value)
        .where(col(Booking.starts_at) >= now)
        .order_by(col(Booking.starts_at), col(Booking.seat))
    ).all()
    return [booking for booking in ahead if not fits(rules, booking)]


def fits(rules: SlotRules, booking: Booking) -> bool:
    hours = rules.at(booking.starts_at)
    return (
        is_on_grid(rules, booking.starts_at)
        and booking.seat < hours.capacity
        and booking.ends_at - booking.starts_at == hours.slot_length
    )
