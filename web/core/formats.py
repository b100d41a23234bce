"""Reading days and slot starts from outside, and showing days, times and phone numbers to people.

One function for each: pages, e-mails, invites and the desk all use these, so a time never reads
one way on the booking page and another in the confirmation.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import phonenumbers

from web.core.errors import InvalidDay, InvalidSlot

START_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # a slot start in links and forms: 2026-12-02T08:30:00Z
# Dates outside these years are refused before any arithmetic: year 9999 plus a day overflows.
FIRST_YEAR, LAST_YEAR = 2000, 2999


def _in_range(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_YEAR


def parse_day(value: str) -> date:
    """A `?day=` value (2026-12-02); InvalidDay when it is not a usable calendar date."""
    if len(value) != 10 or not value.isascii():
        raise InvalidDay(value)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidDay(value) from None
    if not _in_range(day.year):
        raise InvalidDay(value)
    return day


def parse_start(value: str | None) -> datetime:
    """A slot start as written in our links (UTC); InvalidSlot when it cannot be read."""
    if not value or len(value) != 20 or not value.isascii():
        raise InvalidSlot(value)
    try:
        moment = datetime.strptime(value, START_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidSlot(value) from None
    if not _in_range(moment.year):
        raise InvalidSlot(value)
    return moment


def format_start(moment: datetime) -> str:
    """The inverse of parse_start; also the machine-readable time in `<time datetime>`."""
    return moment.astimezone(UTC).strftime(START_FORMAT)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def long_date(day: date) -> str:
    """Tuesday 1 December."""
    return f"{day:%A} {day.day} {day:%B}"


def short_date(day: date) -> str:
    """Tue 1 Dec."""
    return f"{day:%a} {day.day} {day:%b}"


def clock(moment: datetime, zone: ZoneInfo) -> str:
    """10:30 on the clinic's wall clock."""
    return f"{moment.astimezone(zone):%H:%M}"


def day_and_time(moment: datetime, zone: ZoneInfo) -> str:
    """Tuesday 1 December, 10:30: how a consultation's time is named in pages and e-mails."""
    return f"{long_date(local_day(moment, zone))}, {clock(moment, zone)}"


def readable_phone(e164: str) -> str:
    """+380671234567 as +380 67 123 4567: the stored form stays E.164, people read this one."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
