"""Slot arithmetic: pure functions of the clinic's rules, the time now and what is taken.

No I/O and no web framework here, so every rule can be tested directly. Slots are laid out on the
clinic's local wall clock (that is what "reception 09:30-15:00" means), then converted to UTC,
which is what the database stores and the calendar invites carry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Hours:
    """Reception hours as they stand from a day on: when, on which weekdays, how long a
    consultation is and how many are held at once."""

    opens: time
    closes: time
    weekdays: frozenset[int]  # ISO weekdays, 1 = Monday
    slot_minutes: int
    capacity: int  # consultations per slot
    since: date | None = None  # the first day they apply; None: from the beginning

    @property
    def slot_length(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)

    def works_on(self, day: date) -> bool:
        return day.isoweekday() in self.weekdays


@dataclass(frozen=True)
class SlotRules:
    """The clinic's booking rules. The hours fields are the first values (clinic.toml); an
    administrator's later changes, each from a day on, are in `changes`: ask `on(day)`."""

    time_zone: ZoneInfo
    opens: time
    closes: time
    weekdays: frozenset[int]  # ISO weekdays, 1 = Monday
    slot_minutes: int
    capacity: int  # consultations per slot
    minimum_notice: timedelta
    horizon_days: int
    changes: tuple[Hours, ...] = ()  # sorted by `since`, every one with a day

    @property
    def first_hours(self) -> Hours:
        return Hours(self.opens, self.closes, self.weekdays, self.slot_minutes, self.capacity)

    def on(self, day: date) -> Hours:
        """The hours in force on a clinic-local day: the latest change made from it or before."""
        hours = self.first_hours
        for change in self.changes:
            if change.since is not None and change.since <= day:
                hours = change
        return hours

    def at(self, start: datetime) -> Hours:
        """The hours in force at an instant (on its clinic-local day)."""
        return self.on(start.astimezone(self.time_zone).date())

    def with_changes(self, changes: Iterable[Hours]) -> SlotRules:
        ordered = sorted(changes, key=lambda hours: hours.since or date.min)
        return replace(self, changes=tuple(ordered))

    def for_desk(self) -> SlotRules:
        """The coordinator books callers inside the minimum notice (at 13:40 for 14:00), never
        a time that has begun; blocks, seats and the horizon apply as to patients."""
        return replace(self, minimum_notice=timedelta(0))


@dataclass(frozen=True)
class Interval:
    """A half-open span of UTC time, [start, end)."""

    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Slot:
    start: datetime  # UTC
    end: datetime  # UTC
    free_seats: int

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)


def local_today(rules: SlotRules, now: datetime) -> date:
    return now.astimezone(rules.time_zone).date()


def horizon(rules: SlotRules, now: datetime) -> list[date]:
    """The clinic-local days a patient may book on: today and the next horizon_days - 1 days."""
    today = local_today(rules, now)
    return [today + timedelta(days=offset) for offset in range(rules.horizon_days)]


def in_horizon(rules: SlotRules, day: date, now: datetime) -> bool:
    """`day in horizon(...)` without building the list (asked once per day of the horizon)."""
    today = local_today(rules, now)
    return today <= day < today + timedelta(days=rules.horizon_days)


def horizon_interval(rules: SlotRules, now: datetime) -> Interval:
    days = horizon(rules, now)
    return Interval(day_bounds(rules, days[0]).start, day_bounds(rules, days[-1]).end)


def day_bounds(rules: SlotRules, day: date) -> Interval:
    """The UTC span of one clinic-local calendar day (23 or 25 hours long on clock-change days)."""
    start = datetime.combine(day, time(0), rules.time_zone)
    end = datetime.combine(day + timedelta(days=1), time(0), rules.time_zone)
    return Interval(start.astimezone(UTC), end.astimezone(UTC))


def _existing_utc(day: date, wall: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a local wall-clock time, or None when that wall time never happens.

    zoneinfo maps a wall time inside a spring-forward gap to a real instant with a different wall
    time; a round trip exposes it. In the autumn overlap the first occurrence (fold=0) is used.
    """
    local = datetime.combine(day, wall, zone)
    instant = local.astimezone(UTC)
    back = instant.astimezone(zone)
    if (back.date(), back.time()) != (day, wall):
        return None
    return instant


@lru_cache(maxsize=4096)
def grid(rules: SlotRules, day: date) -> tuple[Interval, ...]:
    """Every slot of a working day, before notice, horizon, blocks and bookings are considered.

    Cached: it depends only on the rules and the day, and the slot list asks for every day of
    the horizon on each request.
    """
    hours = rules.on(day)
    if not hours.works_on(day):
        return ()
    slots = []
    length = hours.slot_length
    wall = datetime.combine(day, hours.opens)
    closing = datetime.combine(day, hours.closes)
    while wall + length <= closing:
        start = _existing_utc(day, wall.time(), rules.time_zone)
        if start is not None:
            end = start + length
            local_end = end.astimezone(rules.time_zone).replace(tzinfo=None)
            # Elapsed time, not wall time, decides the end: a slot that a clock change stretches
            # past closing is not inside reception hours.
            if local_end <= closing:
                slots.append(Interval(start, end))
        wall += length
    return tuple(slots)


def is_on_grid(rules: SlotRules, start: datetime) -> bool:
    local_day = start.astimezone(rules.time_zone).date()
    return any(slot.start == start for slot in grid(rules, local_day))


def is_bookable_time(rules: SlotRules, start: datetime, now: datetime) -> bool:
    """On the grid, after the minimum notice and inside the horizon (ignores blocks and seats)."""
    if not is_on_grid(rules, start):
        return False
    if start < now + rules.minimum_notice:
        return False
    return in_horizon(rules, start.astimezone(rules.time_zone).date(), now)


def offered_slots(
    rules: SlotRules,
    day: date,
    *,
    now: datetime,
    blocked: Sequence[Interval],
    booked: Mapping[datetime, int],
) -> list[Slot]:
    """The slots of one clinic-local day that a patient can book now.

    `booked` maps a slot's UTC start to how many active bookings it holds.
    """
    if not in_horizon(rules, day, now):
        return []
    offered = []
    earliest = now + rules.minimum_notice
    capacity = rules.on(day).capacity
    for interval in grid(rules, day):
        if interval.start < earliest:
            continue
        if any(interval.overlaps(block) for block in blocked):
            continue
        free = capacity - booked.get(interval.start, 0)
        if free > 0:
            offered.append(Slot(interval.start, interval.end, free))
    return offered


def offered_by_day(
    rules: SlotRules,
    *,
    now: datetime,
    blocked: Sequence[Interval],
    booked: Mapping[datetime, int],
) -> dict[date, list[Slot]]:
    return {
        day: offered_slots(rules, day, now=now, blocked=blocked, booked=booked)
        for day in horizon(rules, now)
    }


def next_day_with_slots(by_day: Mapping[date, Iterable[Slot]], after: date) -> date | None:
    return next((day for day, slots in sorted(by_day.items()) if day > after and list(slots)), None)
