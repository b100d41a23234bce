"""Calendar invites: raw bytes, two independent parsers, headers and the Google/Outlook links."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlparse

import httpx2 as httpx
import pytest
from icalendar import Component
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from tests.booking_helpers import book, offered_starts
from tests.conftest import Clock, csrf_from
from tests.ics_checks import check_raw_bytes, parse_both
from web.core.models import Booking

LONG_NAME = "Олександра-Вікторія Ковальчук-Шевченко"
LONG_NOTE = (
    "Посмикування повіки зліва вже другий рік, посилюється під час розмови та їжі. Ще є питання."
)


def sequence(event: Component) -> int:
    """An event's SEQUENCE (icalendar types a property as any of its value types)."""
    value = event["sequence"]
    assert isinstance(value, int)
    return int(value)


def token_of(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


def invite(client: TestClient, token: str) -> bytes:
    response = client.get(f"/bookings/{token}/invite.ics")
    assert response.status_code == 200
    assert response.content.count(b"BEGIN:VEVENT") == 1
    return response.content


def utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def assert_times(raw: bytes, start: str, end: str) -> None:
    first, second = parse_both(raw)
    assert first.decoded("dtstart") == utc(start) and first.decoded("dtend") == utc(end)
    assert second.dtstart.value == utc(start) and second.dtend.value == utc(end)
    assert f"DTSTART:{utc(start):%Y%m%dT%H%M%SZ}".encode() in raw  # written in UTC, no TZID
    assert b"VTIMEZONE" not in raw and b"TZID" not in raw


def test_winter_slot_invite(client: TestClient) -> None:
    token = token_of(book(client, "2026-12-01T08:30:00Z"))
    raw = invite(client, token)
    check_raw_bytes(raw)
    assert_times(raw, "2026-12-01T08:30:00Z", "2026-12-01T09:00:00Z")
    event, other = parse_both(raw)
    assert str(event["status"]) == "CONFIRMED" and sequence(event) == 0
    assert str(event["summary"]) == "Online consultation – Neurosurgery Clinic"
    assert "hemifacial" not in raw.decode().lower()  # no condition in the file
    description = str(event["description"])
    assert "How: Viber." in description and f"/bookings/{token}" in description
    assert str(event["url"]).endswith(f"/bookings/{token}")
    assert other.uid.value == str(event["uid"]) and "@" in other.uid.value
    assert event.decoded("dtstamp").tzinfo is not None
    alarms = event.walk("VALARM")
    assert len(alarms) == 1 and str(alarms[0]["action"]) == "DISPLAY"


def test_summer_slot_invite(client: TestClient, clock: Clock) -> None:
    clock.now = datetime(2027, 6, 1, 5, 0, tzinfo=UTC)  # Tuesday 08:00 in Kyiv (UTC+3)
    start = offered_starts(client, "/consultation/slots?day=2027-06-02")[0]
    assert start == "2027-06-02T06:30:00Z"  # 09:30 summer time
    raw = invite(client, token_of(book(client, start)))
    check_raw_bytes(raw)
    assert_times(raw, "2027-06-02T06:30:00Z", "2027-06-02T07:00:00Z")


def test_the_patients_invite_has_no_phone_and_no_note(client: TestClient) -> None:
    token = token_of(book(client, name=LONG_NAME, note="Private note; about my eye"))
    raw = invite(client, token)
    check_raw_bytes(raw)
    unfolded = raw.replace(b"\r\n ", b"").decode("utf-8")
    # A calendar is often shared: neither the phone nor the note, nor the name, goes in.
    for private in ("380671234567", "+380 67", "067 123", "Private note", LONG_NAME):
        assert private not in unfolded


def test_an_unchanged_booking_gives_the_same_file(client: TestClient, clock: Clock) -> None:
    token = token_of(book(client))
    first = invite(client, token)
    clock.now += timedelta(hours=3)
    assert invite(client, token) == first  # DTSTAMP is the booking's last change, not "now"
    event, _ = parse_both(first)
    assert event.decoded("dtstamp").isoformat() == "2026-11-30T06:00:00+00:00"


def test_rescheduled_invite_keeps_uid_and_raises_sequence(client: TestClient) -> None:
    old, new = offered_starts(client)[:2]
    token = token_of(book(client, old))
    before, _ = parse_both(invite(client, token))
    picker = client.get(f"/bookings/{token}/reschedule/confirm?start={new}").text
    moved = client.post(
        f"/bookings/{token}/reschedule", data={"csrf_token": csrf_from(picker), "start": new}
    )
    assert moved.status_code == 303
    raw = invite(client, token)
    check_raw_bytes(raw)
    after, other = parse_both(raw)
    assert after["uid"] == before["uid"]
    assert sequence(after) == sequence(before) + 1 == 1
    assert after.decoded("dtstart") == utc(new) and other.dtstart.value == utc(new)


def test_each_booking_has_a_random_uid_that_reveals_nothing(
    client: TestClient, engine: Engine
) -> None:
    first, second = offered_starts(client)[:2]
    uids = []
    for start in (first, second):
        event, _ = parse_both(invite(client, token_of(book(client, start))))
        uids.append(str(event["uid"]))
    with Session(engine) as session:
        ids = session.exec(select(Booking.id)).all()
    assert len(set(uids)) == 2
    for uid in uids:
        assert re.fullmatch(r"[0-9a-f]{32}@[a-z0-9.-]+", uid), uid
        assert not any(f"-{number}@" in uid or uid.startswith(f"{number}@") for number in ids)


def test_cancelled_invite_says_cancelled(client: TestClient) -> None:
    token = token_of(book(client))
    confirm = client.get(f"/bookings/{token}/cancel").text
    assert (
        client.post(
            f"/bookings/{token}/cancel", data={"csrf_token": csrf_from(confirm)}
        ).status_code
        == 303
    )
    raw = invite(client, token)
    check_raw_bytes(raw)
    event, other = parse_both(raw)
    assert str(event["status"]) == "CANCELLED" and other.status.value == "CANCELLED"
    assert str(event["summary"]).startswith("Cancelled: ")
    assert sequence(event) == 1
    assert event.walk("VALARM") == []
    page = client.get(f"/bookings/{token}").text
    assert "please delete the event there" in page
    assert f'href="/bookings/{token}/invite.ics"' in page


def test_invite_headers(client: TestClient) -> None:
    token = token_of(book(client, "2026-12-01T08:30:00Z"))
    response = client.get(f"/bookings/{token}/invite.ics")
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert (
        response.headers["content-disposition"]
        == 'attachment; filename="consultation-2026-12-01-1030.ics"'
    )
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("token", ["x" * 43, "bad"])
def test_invite_for_unknown_booking_is_404(client: TestClient, token: str) -> None:
    assert client.get(f"/bookings/{token}/invite.ics").status_code == 404


def links_on_booking_page(client: TestClient, token: str) -> dict[str, str]:
    page = client.get(f"/bookings/{token}").text
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]
    return {
        "google": next(h for h in hrefs if h.startswith("https://calendar.google.com/")),
        "outlook": next(h for h in hrefs if h.startswith("https://outlook.live.com/")),
        "office": next(h for h in hrefs if h.startswith("https://outlook.office.com/")),
        "ics": next(h for h in hrefs if h.endswith("/invite.ics")),
    }


def test_google_and_outlook_links_carry_the_same_utc_times(client: TestClient) -> None:
    token = token_of(book(client, "2026-12-01T08:30:00Z", name="Private Person"))
    links = links_on_booking_page(client, token)
    google = parse_qs(urlparse(links["google"]).query)
    assert urlparse(links["google"]).path == "/calendar/render"
    assert google["action"] == ["TEMPLATE"]
    assert google["dates"] == ["20261201T083000Z/20261201T090000Z"]
    assert "Neurosurgery Clinic" in google["text"][0]
    for key in ("outlook", "office"):
        query = parse_qs(urlparse(links[key]).query)
        assert urlparse(links[key]).path == "/calendar/0/action/compose"
        assert utc(query["startdt"][0]) == utc("2026-12-01T08:30:00Z")
        assert utc(query["enddt"][0]) == utc("2026-12-01T09:00:00Z")
    # Links go to other companies' servers: no name or phone in them, and no manage link.
    for link in links.values():
        assert "Private" not in link and "380671234567" not in link
    for key in ("google", "outlook", "office"):
        assert token not in links[key] and "bookings" not in unquote(links[key])
    assert links["ics"] == f"/bookings/{token}/invite.ics"
