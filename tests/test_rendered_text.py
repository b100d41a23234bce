"""Every page, e-mail and invite, in Ukrainian and English, for bookings on every weekday and in
every month, reads without the faults a native reader notices at once (tests/rendered_text.py):
fused sentences, a stray apostrophe, untranslated text, a date in the wrong case."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.booking_helpers import book, offered_starts
from tests.conftest import DEFAULT_NOW, Clock, app_of, csrf_from
from tests.crawl import every_page
from tests.rendered_text import faults, visible_text
from tests.test_languages import english_phrases
from web.core.invites import build_invite
from web.core.models import Booking, BookingStatus, OutboxMessage

KYIV_MORNING = timedelta(hours=7)  # 09:00 in Kyiv in winter, 10:00 in summer


def every_weekday_of_every_month(year: int = 2027) -> list[date]:
    """The first seven days of each month: every weekday, in every month's own name."""
    return [date(year, month, day) for month in range(1, 13) for day in range(1, 8)]


def a_booking(day: date, language: str, **changes: object) -> Booking:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) + KYIV_MORNING
    # Any: each column has its own type, which Booking(**values) takes field by field.
    values: dict[str, Any] = {
        "id": 7,
        "starts_at": start,
        "ends_at": start + timedelta(minutes=30),
        "patient_name": "Олена Коваленко" if language == "uk" else "Olena Kovalenko",
        "phone": "+380671234567",
        "email": "olena@example.com",
        "channel": "Viber",
        "note": "Посмикується повіка." if language == "uk" else "My eyelid twitches.",
        "language": language,
        "consent_at": start - timedelta(days=3),
        "consent_notice": "2026-12-07",
        "token_hash": "0" * 64,
        "uid": "a" * 32,
        "created_at": start - timedelta(days=3),
        "updated_at": start - timedelta(days=3),
    }
    values.update(changes)
    return Booking(**values)


def messages_for(
    day: date, language: str
) -> list[tuple[str, dict[str, object], dict[str, object]]]:
    """(kind, outbox context, booking changes) for every e-mail a booking on `day` can send."""
    earlier = (datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(days=3)).isoformat()
    cancelled: dict[str, object] = {"status": BookingStatus.CANCELLED}
    uk = language == "uk"
    message, reason = ("Лікар хворіє.", "хвороба лікаря") if uk else ("Sorry.", "illness")
    return [
        ("confirmation", {}, {}),
        ("confirmation", {}, {"booked_by": "vnu", "consent_given": "phone"}),
        ("reminder", {}, {}),
        ("rescheduled", {"previous_start": earlier}, {}),
        (
            "rescheduled",
            {"previous_start": earlier, "moved_by_clinic": True, "message": message},
            {},
        ),
        ("cancelled", {}, cancelled),
        ("cancelled", {"by_clinic": True}, {**cancelled, "cancel_reason": reason}),
        ("alert", {"change": "new"}, {}),
        ("alert", {"change": "rescheduled", "previous_start": earlier}, {}),
        ("alert", {"change": "cancelled"}, cancelled),
    ]


def invite_text(ics: bytes) -> str:
    event = Calendar.from_ical(ics).walk("VEVENT")[0]
    return f"{event.get('summary')}\n{event.get('description')}"


@pytest.mark.parametrize("language", ["uk", "en"])
def test_every_email_and_invite_reads_right_on_every_weekday_and_month(
    uk_site: TestClient, language: str
) -> None:
    notifier = app_of(uk_site).state.notifier
    clinic = app_of(uk_site).state.clinic
    phrases = english_phrases()
    problems: dict[str, str] = {}  # each fault once, with the first place it was seen
    rendered = 0
    for day in every_weekday_of_every_month():
        for kind, context, changes in messages_for(day, language):
            booking = a_booking(day, language, **changes)
            # Only what the renderer reads: the rest of the row is what it writes.
            message = OutboxMessage(  # type: ignore[call-arg]
                kind=kind, context=json.dumps(context), recipient="x@y.z"
            )
            mail = notifier.render(message, booking)
            # Alerts go in the clinic's first language (Ukrainian) whatever the booking's.
            said_in = clinic.default_language if kind == "alert" else language
            for part, text in {
                "subject": mail.subject,
                "text": mail.text,
                "html": visible_text(mail.html),
            }.items():
                for fault in faults(text, said_in, phrases):
                    problems.setdefault(fault, f"{kind} {part} {context} {day}")
            rendered += 1
        for status in (BookingStatus.CONFIRMED, BookingStatus.CANCELLED):
            booking = a_booking(day, language, status=status)
            ics = build_invite(clinic, booking, manage_url="https://clinic.example/bookings/t")
            for fault in faults(invite_text(ics), language, phrases):
                problems.setdefault(fault, f"invite {status} {day}")
    assert rendered == 84 * 10
    assert problems == {}


def sign_in_to_desk(client: TestClient) -> None:
    """As the account every_page made."""
    login = client.get("/coordinator/login").text
    client.post(
        "/coordinator/login",
        data={"csrf_token": csrf_from(login), "username": "vnu", "password": "a long password!"},
    )


def pages_over_a_year(client: TestClient, clock: Clock) -> dict[str, str]:
    """A booking in each month of 2027 (so on several weekdays): its pages from booking to
    cancellation, the picker's days with no free time and the desk's day list. The client is
    signed in to the desk (every_page does it)."""
    pages = {}

    def grab(name: str, path: str, expected: int = 200) -> str:
        response = client.get(path)
        assert response.status_code == expected, (path, response.status_code)
        pages[name] = response.text
        return response.text

    for month in range(1, 13):
        clock.now = datetime(2027, month, 1, 6, tzinfo=UTC)
        first = date(2027, month, 1)
        for offset in range(7):  # the weekend days say "no free times", in their own case
            day = (first + timedelta(days=offset)).isoformat()
            grab(f"{month}-slots-{day}", f"/consultation/slots?day={day}")
        start, later = offered_starts(client)[:2]
        token = book(client, start).headers["location"].rsplit("/", 1)[1]
        grab(f"{month}-booking", f"/bookings/{token}")
        grab(f"{month}-reschedule", f"/bookings/{token}/reschedule")
        confirm = grab(f"{month}-confirm", f"/bookings/{token}/reschedule/confirm?start={later}")
        moved = client.post(
            f"/bookings/{token}/reschedule", data={"csrf_token": csrf_from(confirm), "start": later}
        )
        assert moved.status_code == 303, moved.text
        grab(f"{month}-moved", moved.headers["location"])
        cancel = grab(f"{month}-cancel", f"/bookings/{token}/cancel")
        client.post(f"/bookings/{token}/cancel", data={"csrf_token": csrf_from(cancel)})
        grab(f"{month}-cancelled", f"/bookings/{token}")
        sign_in_to_desk(client)  # a month later the desk session has ended
        grab(f"{month}-desk-day", f"/coordinator/?day={later[:10]}")
        grab(f"{month}-desk-find", f"/coordinator/bookings?from={later[:10]}&to={later[:10]}")
    clock.now = DEFAULT_NOW
    return pages


@pytest.mark.parametrize("language", ["uk", "en"])
def test_every_page_reads_right_on_every_weekday_and_month(
    request: pytest.FixtureRequest, engine: Engine, clock: Clock, language: str
) -> None:
    """uk_client serves Ukrainian at the plain addresses, client (English first) English."""
    client = request.getfixturevalue("uk_client" if language == "uk" else "client")
    pages = every_page(client) | pages_over_a_year(client, clock)
    phrases = english_phrases()
    problems: dict[str, str] = {}  # each fault once, with the first page it was seen on
    for name, page in pages.items():
        for fault in faults(visible_text(page), language, phrases):
            problems.setdefault(fault, name)
    assert problems == {}


@pytest.mark.parametrize(
    ("language", "contact", "cancelled"),
    [
        ("uk", "клініка зв’яжеться з вами", "СКАСОВАНО"),
        ("en", "The clinic will contact you", "CANCELLED"),
    ],
)
def test_a_cancelled_invite_does_not_say_the_clinic_will_contact_you(
    uk_site: TestClient, language: str, contact: str, cancelled: str
) -> None:
    clinic = app_of(uk_site).state.clinic
    day = date(2027, 3, 3)
    confirmed = invite_text(build_invite(clinic, a_booking(day, language), manage_url="https://x/"))
    assert contact in confirmed
    gone = a_booking(day, language, status=BookingStatus.CANCELLED)
    text = invite_text(build_invite(clinic, gone, manage_url="https://x/"))
    assert cancelled in text and contact not in text
    # Nor how to change or cancel a consultation that will not happen, nor "running late".
    assert "https://x/" in text and "+380 44 123 45 67" in text
    assert not any(word in text for word in ("Перенести", "запізнюєтеся", "To change", "late"))


@pytest.mark.parametrize(
    ("text", "language", "fault"),
    [
        ("Вільного часу немає.Найближчий вільний день", "uk", "no space after a sentence"),
        ("Free times: none.Next free day", "en", "no space after a sentence"),
        ("Симптоми м'язів обличчя", "uk", "apostrophe"),
        ("Бал пʼятниця", "uk", "apostrophe"),
        ("Bell's palsy", "en", "apostrophe"),
        ("Редакція від 8 грудня 2026 р.. У кожному", "uk", "two full stops"),
        ("На субота, 12 грудня вільного часу немає.", "uk", "date in the nominative"),
        ("Вашу консультацію четвер, 10 грудня 2026 р., 13:30 заплановано.", "uk", "nominative"),
        ("Добрий день, Олена Коваленко!", "uk", "greeting by name"),
        ("Перенести або скасувати: Change or cancel your consultation", "uk", "English"),
        ("Your consultation is booked. Коли", "en", "Ukrainian on an English page"),
    ],
)
def test_the_checker_finds_each_kind_of_fault(text: str, language: str, fault: str) -> None:
    assert any(fault in found for found in faults(text, language)), faults(text, language)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Консультація: четвер, 10 грудня 2026 р., 13:30 (за київським часом).", "uk"),
        ("Години прийому: 09:30–15:00. Добрий день!", "uk"),
        ("Write to coordinator@clinic.example or see https://x.example/a.b (.ics).", "en"),
        ("Bell’s palsy, 5,685 patients, 0.5 mm.", "en"),
    ],
)
def test_the_checker_leaves_right_text_alone(text: str, language: str) -> None:
    assert faults(text, language) == []
