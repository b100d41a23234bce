"""Reading days and slot starts from outside, and showing days, times and phone numbers to people.

One function for each: pages, e-mails, invites and the desk all use these, so a time never reads
one way on the booking page and another in the confirmation.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from babel import Locale
from babel.dates import format_date, get_day_names
from babel.lists import format_list

from web.core.errors import InvalidDay, InvalidSlot
from web.core.i18n import N_, translate

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


# Babel date patterns per language; a language not listed here uses Babel's own long format.
LONG_DATE = {"en": "EEEE d MMMM", "uk": "EEEE, d MMMM"}
LONG_DATE_YEAR = {"en": "EEEE d MMMM y", "uk": "EEEE, d MMMM y 'р.'"}
SHORT_DATE = {"en": "EEE d MMM", "uk": "EEE, d MMM"}
CALENDAR_DATE = {"en": "d MMMM y", "uk": "d MMMM y 'р.'"}


# CLDR writes the Ukrainian apostrophe as ʼ (U+02BC, "пʼятниця"); the site's texts use ’ (U+2019)
# throughout, and one page must not show two kinds.
APOSTROPHES = str.maketrans({"ʼ": "’", "'": "’"})


def one_apostrophe(text: str) -> str:
    """Babel's words with the site's one apostrophe (’)."""
    return text.translate(APOSTROPHES)


# Babel parses its locale and pattern on every call; a picker names ~50 days and slots, so the
# few thousand (day, language) pairs a site shows are formatted once.
def weekday_name(iso_weekday: int, language: str) -> str:
    """Monday / понеділок, from an ISO weekday (1 = Monday)."""
    names = Locale.parse(language).days["format"]["wide"]
    return one_apostrophe(str(names[(iso_weekday - 1) % 7]))


def calendar_date(day: date, language: str) -> str:
    """7 December 2026 / 7 грудня 2026 р.: a date that names no weekday (a document's date)."""
    return one_apostrophe(format_date(day, CALENDAR_DATE.get(language, "long"), locale=language))


def month_of_year(year: int, month: int, language: str) -> str:
    """May 2019 / травень 2019: a month on its own, as a calendar names it."""
    return one_apostrophe(format_date(date(year, month, 1), "LLLL y", locale=language))


@lru_cache(maxsize=8192)
def long_date(day: date, language: str) -> str:
    """Tuesday 1 December / вівторок, 1 грудня."""
    return one_apostrophe(format_date(day, LONG_DATE.get(language, "long"), locale=language))


@lru_cache(maxsize=8192)
def long_date_year(day: date, language: str) -> str:
    """Tuesday 1 December 2026 / вівторок, 1 грудня 2026 р."""
    return one_apostrophe(format_date(day, LONG_DATE_YEAR.get(language, "full"), locale=language))


@lru_cache(maxsize=8192)
def short_date(day: date, language: str) -> str:
    """Tue 1 Dec / вт, 1 груд."""
    return one_apostrophe(format_date(day, SHORT_DATE.get(language, "medium"), locale=language))


def clock(moment: datetime, zone: ZoneInfo) -> str:
    """10:30 on the clinic's wall clock (24-hour in every language we serve)."""
    return f"{moment.astimezone(zone):%H:%M}"


def day_and_time(moment: datetime, zone: ZoneInfo, language: str) -> str:
    """Tuesday 1 December 2026, 10:30 / вівторок, 1 грудня 2026 р., 10:30: how a consultation's
    time is named in pages and e-mails. A name, not a phrase in a case: sentences put it after a
    colon ("Консультація: …"), so it reads right for every weekday and month."""
    return f"{long_date_year(local_day(moment, zone), language)}, {clock(moment, zone)}"


ZONE_LABELS = {"Europe/Kyiv": N_("Kyiv time"), "Europe/Kiev": N_("Kyiv time")}


@lru_cache(maxsize=64)
def zone_label(zone: ZoneInfo, language: str) -> str:
    """How the clinic's clock is named next to every time: "Kyiv time", "за київським часом"."""
    if zone.key in ZONE_LABELS:
        return translate(language, ZONE_LABELS[zone.key])
    city = zone.key.rsplit("/", 1)[-1].replace("_", " ")
    return translate(language, "%(city)s time") % {"city": city}


def weekdays_label(weekdays: frozenset[int], language: str) -> str:
    """Monday–Friday for a run of days, else the days listed: Monday, Wednesday and Friday."""
    names = {n: one_apostrophe(name) for n, name in get_day_names("wide", locale=language).items()}
    days = sorted(weekdays)
    named = [names[day - 1] for day in days]  # Babel counts from Monday = 0
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return f"{named[0]}–{named[-1]}"
    return format_list(named, locale=language)


def channel_list(names: list[str], *, generic: list[bool], language: str) -> str:
    """Channels joined as a sentence joins them ("…, WhatsApp або Zoom"); a generic one ("Phone
    call") in lower case, as it is mid-sentence, while brand names keep their capitals."""
    words = [
        name[:1].lower() + name[1:] if common else name
        for name, common in zip(names, generic, strict=True)
    ]
    return format_list(words, style="or", locale=language)


def readable_phone(e164: str) -> str:
    """+380671234567 as +380 67 123 4567: the stored form stays E.164, people read this one."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
