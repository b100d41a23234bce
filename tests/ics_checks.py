"""Checks of .ics bytes shared by the invite and feed tests: raw format and two parsers."""

from __future__ import annotations

from typing import Any

import icalendar
import vobject  # type: ignore[import-untyped]  # vobject ships no type hints


def check_raw_bytes(raw: bytes) -> None:
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b""), "a bare LF line ending"
    assert b"\r" not in raw.replace(b"\r\n", b""), "a bare CR"
    for line in raw.split(b"\r\n")[:-1]:
        assert len(line) <= 75, line
        line.decode("utf-8")  # raises if a fold split a multi-byte character
    assert raw.count(b"BEGIN:VCALENDAR") == 1
    assert b"\r\nVERSION:2.0\r\n" in raw and b"\r\nPRODID:" in raw
    assert b"METHOD" not in raw and b"ATTENDEE" not in raw and b"webcal" not in raw


def parse_all(raw: bytes) -> tuple[list[icalendar.Component], list[Any]]:
    """Every event as icalendar and as vobject (an independent implementation) read them."""
    events = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    others = vobject.readOne(raw.decode("utf-8")).contents.get("vevent", [])
    assert len(events) == len(others)
    return events, others


def parse_both(raw: bytes) -> tuple[icalendar.Component, Any]:
    """The single event of an invite, as each parser reads it."""
    events, others = parse_all(raw)
    assert len(events) == 1
    return events[0], others[0]
