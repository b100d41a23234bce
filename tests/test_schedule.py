"""Slot arithmetic: every offered slot obeys every rule, including on clock-change days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from web.core.schedule import (
    Hours,
    Interval,
    SlotRules,
    day_bounds,
    grid,
    horizon,
    is_bookable_time,
    next_day_with_slots,
    offered_by_day,
    offered_slots,
)

KYIV = ZoneInfo("Europe/Kyiv")
NEW_YORK = ZoneInfo("America/New_York")


def rules(**changes: Any) -> SlotRules:
    values: dict[str, Any] = dict(
        time_zone=KYIV,
        opens=time(9, 30),
        closes=time(15, 0),
        weekdays=frozenset({1, 2, 3, 4, 5}),
        slot_minutes=30,
        capacity=1,
        minimum_notice=timedelta(hours=2),
        horizon_days=21,
    )
    values.update(changes)
    return SlotRules(**values)


def local_clock(moment: datetime, zone: ZoneInfo = KYIV) -> str:
    return f"{moment.astimezone(zone):%H:%M}"


def test_default_day_starts_at_0930_and_last_slot_at_1430() -> None:
    slots = grid(rules(), date(2026, 12, 1))
    assert [local_clock(s.start) for s in slots] == [
        "09:30", "10:00", "10:30", "11:00", "11:30", "12:00",
        "12:30", "13:00", "13:30", "14:00", "14:30",
    ]  # fmt: skip
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)
    # Kyiv is UTC+2 in winter.
    assert slots[0].start == datetime(2026, 12, 1, 7, 30, tzinfo=UTC)


def test_weekend_has_no_slots() -> None:
    assert grid(rules(), date(2026, 12, 5)) == ()  # Saturday
    assert grid(rules(), date(2026, 12, 6)) == ()  # Sunday


def test_summer_slots_use_summer_offset() -> None:
    slots = grid(rules(), date(2026, 7, 1))
    assert slots[0].start == datetime(2026, 7, 1, 6, 30, tzinfo=UTC)  # UTC+3


def every_day() -> SlotRules:
    return rules(weekdays=frozenset(range(1, 8)))


def test_kyiv_spring_forward_day() -> None:
    # 29 March 2026: clocks go from 03:00 to 04:00; the day has 23 hours.
    day = date(2026, 3, 29)
    bounds = day_bounds(every_day(), day)
    assert bounds.end - bounds.start == timedelta(hours=23)
    slots = grid(every_day(), day)
    assert [local_clock(s.start) for s in slots][0] == "09:30"
    assert slots[0].start == datetime(2026, 3, 29, 6, 30, tzinfo=UTC)
    assert len(slots) == 11
    # The day before is still winter time.
    assert grid(every_day(), date(2026, 3, 28))[0].start == datetime(2026, 3, 28, 7, 30, tzinfo=UTC)


def test_kyiv_fall_back_day() -> None:
    # 25 October 2026: clocks go from 04:00 back to 03:00; the day has 25 hours.
    day = date(2026, 10, 25)
    bounds = day_bounds(every_day(), day)
    assert bounds.end - bounds.start == timedelta(hours=25)
    slots = grid(every_day(), day)
    assert slots[0].start == datetime(2026, 10, 25, 7, 30, tzinfo=UTC)
    assert grid(every_day(), date(2026, 10, 24))[0].start == datetime(
        2026, 10, 24, 6, 30, tzinfo=UTC
    )


def test_slots_inside_the_spring_gap_are_not_offered() -> None:
    # Reception that spans the missing hour: 03:00-04:00 never happens on that day.
    night = rules(weekdays=frozenset(range(1, 8)), opens=time(2, 0), closes=time(5, 0))
    slots = grid(night, date(2026, 3, 29))
    assert [local_clock(s.start) for s in slots] == ["02:00", "02:30", "04:00", "04:30"]
    # 02:30 lasts a real 30 minutes and ends at 04:00 on the wall clock.
    assert local_clock(slots[1].end) == "04:00"
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)


def test_new_york_zone_and_its_clock_changes() -> None:
    ny = rules(time_zone=NEW_YORK, weekdays=frozenset(range(1, 8)))
    assert grid(ny, date(2026, 12, 1))[0].start == datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
    assert grid(ny, date(2026, 7, 1))[0].start == datetime(2026, 7, 1, 13, 30, tzinfo=UTC)
    assert grid(ny, date(2026, 3, 8))[0].start == datetime(2026, 3, 8, 13, 30, tzinfo=UTC)
    assert grid(ny, date(2026, 11, 1))[0].start == datetime(2026, 11, 1, 14, 30, tzinfo=UTC)


def test_minimum_notice_hides_slots_that_are_too_soon() -> None:
    now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 10:00 in Kyiv
    slots = offered_slots(rules(), date(2026, 12, 1), now=now, blocked=[], booked={})
    assert local_clock(slots[0].start) == "12:00"


def test_horizon_is_21_days_from_today() -> None:
    now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    days = horizon(rules(), now)
    assert days[0] == date(2026, 12, 1) and days[-1] == date(2026, 12, 21) and len(days) == 21
    beyond = offered_slots(rules(), date(2026, 12, 22), now=now, blocked=[], booked={})
    assert beyond == []


def test_blocked_and_full_slots_are_not_offered() -> None:
    now = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    day = date(2026, 12, 2)
    first, second, third = grid(rules(), day)[:3]
    block = Interval(first.start, second.end)
    slots = offered_slots(rules(), day, now=now, blocked=[block], booked={third.start: 1})
    starts = {s.start for s in slots}
    assert first.start not in starts and second.start not in starts and third.start not in starts
    assert len(slots) == 8


def test_capacity_counts_seats() -> None:
    now = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    day = date(2026, 12, 2)
    first = grid(rules(), day)[0]
    slots = offered_slots(rules(capacity=2), day, now=now, blocked=[], booked={first.start: 1})
    assert slots[0].start == first.start and slots[0].free_seats == 1


def test_bookable_time_rejects_off_grid_past_and_beyond_horizon() -> None:
    now = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    good = datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
    assert is_bookable_time(rules(), good, now)
    assert not is_bookable_time(rules(), good + timedelta(minutes=10), now)  # off the grid
    assert not is_bookable_time(rules(), datetime(2026, 12, 1, 13, 0, tzinfo=UTC), now)  # 15:00
    assert not is_bookable_time(rules(), datetime(2026, 11, 27, 7, 30, tzinfo=UTC), now)  # past
    assert not is_bookable_time(rules(), datetime(2026, 12, 28, 7, 30, tzinfo=UTC), now)  # horizon
    assert not is_bookable_time(rules(), datetime(2026, 12, 5, 7, 30, tzinfo=UTC), now)  # Saturday


def test_next_day_with_slots_skips_the_weekend() -> None:
    now = datetime(2026, 12, 4, 13, 0, tzinfo=UTC)  # Friday 15:00 in Kyiv: nothing left today
    by_day = offered_by_day(rules(), now=now, blocked=[], booked={})
    assert by_day[date(2026, 12, 4)] == []
    assert next_day_with_slots(by_day, date(2026, 12, 4)) == date(2026, 12, 7)


zones = st.sampled_from(["Europe/Kyiv", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"])
instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


@st.composite
def hours_sets(draw: st.DrawFn, since: date | None = None) -> Hours:
    opens_minutes = draw(st.integers(0, 20 * 60))
    closes_minutes = draw(st.integers(opens_minutes + 15, 24 * 60 - 1))
    return Hours(
        opens=time(opens_minutes // 60, opens_minutes % 60),
        closes=time(closes_minutes // 60, closes_minutes % 60),
        weekdays=frozenset(draw(st.sets(st.integers(1, 7), min_size=1))),
        slot_minutes=draw(st.sampled_from([15, 20, 30, 45, 60])),
        capacity=draw(st.integers(1, 3)),
        since=since,
    )


@st.composite
def rule_sets(draw: st.DrawFn) -> SlotRules:
    """The first hours and, often, up to two later changes (each from a day on)."""
    first = draw(hours_sets())
    days = st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31))
    changes = [draw(hours_sets(since=draw(days))) for _ in range(draw(st.integers(0, 2)))]
    return rules(
        time_zone=ZoneInfo(draw(zones)),
        opens=first.opens,
        closes=first.closes,
        weekdays=first.weekdays,
        slot_minutes=first.slot_minutes,
        capacity=first.capacity,
        minimum_notice=timedelta(minutes=draw(st.integers(0, 48 * 60))),
        horizon_days=draw(st.integers(1, 30)),
    ).with_changes(changes)


@settings(max_examples=150, deadline=None)
@given(rule_set=rule_sets(), now=instants, data=st.data())
def test_every_offered_slot_obeys_every_rule(
    rule_set: SlotRules, now: datetime, data: st.DataObject
) -> None:
    days = horizon(rule_set, now)
    all_grid = [slot for day in days for slot in grid(rule_set, day)]
    booked = {
        slot.start: data.draw(st.integers(0, rule_set.at(slot.start).capacity), label="booked")
        for slot in all_grid[:20]
    }
    block_start = data.draw(instants, label="block start")
    blocked = [Interval(block_start, block_start + timedelta(hours=data.draw(st.integers(1, 72))))]
    by_day = offered_by_day(rule_set, now=now, blocked=blocked, booked=booked)
    zone = rule_set.time_zone
    for day, slots in by_day.items():
        hours = rule_set.on(day)  # the latest change made from that day or before it
        assert hours.since is None or hours.since <= day
        assert not [
            c
            for c in rule_set.changes
            if c.since is None or (hours.since or date.min) < c.since <= day
        ]
        for slot in slots:
            local_start, local_end = slot.start.astimezone(zone), slot.end.astimezone(zone)
            assert local_start.date() == day
            assert day.isoweekday() in hours.weekdays
            assert hours.opens <= local_start.time()
            assert local_end.replace(tzinfo=None) <= datetime.combine(day, hours.closes)
            assert slot.end - slot.start == hours.slot_length
            assert slot.start >= now + rule_set.minimum_notice
            assert day in days
            assert not any(slot.interval.overlaps(block) for block in blocked)
            assert booked.get(slot.start, 0) < hours.capacity
            assert slot.free_seats == hours.capacity - booked.get(slot.start, 0)
            assert is_bookable_time(rule_set, slot.start, now)
    # And nothing bookable was left out.
    offered = {slot.start for slots in by_day.values() for slot in slots}
    for cell in all_grid:
        if (
            cell.start >= now + rule_set.minimum_notice
            and not any(cell.overlaps(block) for block in blocked)
            and booked.get(cell.start, 0) < rule_set.at(cell.start).capacity
        ):
            assert cell.start in offered


@settings(max_examples=100, deadline=None)
@given(rule_set=rule_sets(), day=st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)))
def test_grid_slots_never_overlap_and_are_ordered(rule_set: SlotRules, day: date) -> None:
    slots = grid(rule_set, day)
    for earlier, later in zip(slots, slots[1:], strict=False):
        assert earlier.end <= later.start


def test_the_repeated_autumn_hour_is_offered_once() -> None:
    # 25 October 2026: 03:00-04:00 happens twice; each wall time is offered once (the first).
    night = rules(weekdays=frozenset(range(1, 8)), opens=time(2, 0), closes=time(5, 0))
    slots = grid(night, date(2026, 10, 25))
    assert [local_clock(s.start) for s in slots] == [
        "02:00",
        "02:30",
        "03:00",
        "03:30",
        "04:00",
        "04:30",
    ]
    assert slots[2].start == datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # 03:00 summer time, UTC+3


def test_hours_changed_from_a_day_apply_from_that_day_on() -> None:
    """From 14 December: 10:00-13:00, Monday and Wednesday only, 45 minutes, two seats."""
    change = Hours(
        opens=time(10, 0),
        closes=time(13, 0),
        weekdays=frozenset({1, 3}),
        slot_minutes=45,
        capacity=2,
        since=date(2026, 12, 14),
    )
    changed = rules().with_changes([change])
    assert len(grid(changed, date(2026, 12, 11))) == 11  # a Friday before: as before
    assert grid(changed, date(2026, 12, 18)) == ()  # a Friday after: closed now
    monday = grid(changed, date(2026, 12, 14))
    assert [local_clock(s.start) for s in monday] == ["10:00", "10:45", "11:30", "12:15"]
    now = datetime(2026, 12, 10, 8, 0, tzinfo=UTC)
    offered = offered_slots(changed, date(2026, 12, 14), now=now, blocked=[], booked={})
    assert [s.free_seats for s in offered] == [2, 2, 2, 2]
    assert changed.on(date(2026, 12, 13)).since is None and changed.on(date(2027, 1, 1)) == change
