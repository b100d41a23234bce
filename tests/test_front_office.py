"""Issue 22: the coordinator's front office over HTTP, on both databases. A caller booked inside
the minimum notice, a booking moved, clinic-only notes, the "call the patient" task, finding a
patient, the day view, and nothing typed lost (a booking changed meanwhile, a session that ended).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx2 as httpx
import icalendar
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from tests.booking_helpers import book
from tests.conftest import Clock, csrf_from, hidden_value
from tests.desk_helpers import PASSWORD, send_outbox, sign_in
from tests.mail_server import SmtpServer, body_text
from web.core.consent import PRIVACY_NOTICE_VERSION
from web.core.models import AuditEvent, Booking, BookingStatus, OutboxMessage
from web.desk.accounts import save_coordinator

# Monday 30 November 2026, 13:40 in Kyiv: a patient can book nothing today (two hours' notice).
AFTERNOON = datetime(2026, 11, 30, 11, 40, tzinfo=UTC)
TWO_PM = "2026-11-30T12:00:00Z"  # 14:00 Kyiv
HALF_ONE = "2026-11-30T11:30:00Z"  # 13:30 Kyiv: begun ten minutes ago
CALLER = {
    "name": "Ганна Коваленко-Шевчук",
    "phone": "067 123 45 01",
    "email": "hanna@example.com",
    "channel": "Viber",
    "language": "uk",
    "note": "Смикання повіки",
    "consent": "y",
}


@pytest.fixture
def desk(client: TestClient, engine: Engine, clock: Clock) -> TestClient:
    save_coordinator(engine=engine, username="anna", password=PASSWORD, now=clock.now)
    sign_in(client)
    return client


def booking_id_of(response: httpx.Response) -> int:
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/coordinator/bookings/(\d+)\?saved=\w+", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


def book_caller(desk: TestClient, start: str, **changes: str | None) -> httpx.Response:
    form = desk.get(f"/coordinator/new/details?start={start}")
    assert form.status_code == 200, form.text
    fields = {
        "csrf_token": csrf_from(form.text),
        "key": hidden_value(form.text, "key"),
        "start": start,
        **CALLER,
        **changes,
    }
    return desk.post("/coordinator/new", data={k: v for k, v in fields.items() if v is not None})


def stored(engine: Engine, booking_id: int) -> Booking:
    with Session(engine) as session:
        booking = session.get(Booking, booking_id)
        assert booking is not None
        return booking


def audit_actions(engine: Engine, booking_id: int) -> list[tuple[str, str]]:
    with Session(engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.booking_id == booking_id)).all()
        return [(event.coordinator, event.action) for event in events]


def outbox(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())


# --- Book a caller ----------------------------------------------------------------------------


def test_a_caller_is_booked_at_1340_for_1400_with_consent_by_phone(
    desk: TestClient, engine: Engine, clock: Clock
) -> None:
    clock.now = AFTERNOON
    assert TWO_PM not in desk.get("/consultation").text  # patients: two hours' notice
    picker = desk.get("/coordinator/new").text
    assert TWO_PM in picker and HALF_ONE not in picker  # the desk: up to the slot's start
    booking_id = booking_id_of(book_caller(desk, TWO_PM))
    booking = stored(engine, booking_id)
    assert booking.starts_at == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert (booking.booked_by, booking.consent_given, booking.consent_recorded_by) == (
        "anna",
        "phone",
        "anna",
    )
    assert booking.consent_notice == PRIVACY_NOTICE_VERSION and booking.consent_at == AFTERNOON
    assert booking.phone == "+380671234501" and booking.language == "uk"
    assert ("anna", "book") in audit_actions(engine, booking_id)
    page = desk.get(f"/coordinator/bookings/{booking_id}?saved=booked").text
    assert 'id="saved"' in page and "autofocus" in page
    assert "by anna on the phone" in page and "given by phone at 13:40, recorded by anna" in page
    assert re.search(r'id="manage-url"[^>]*value="http://testserver/uk/bookings/[\w-]{43}"', page)
    assert sorted(m.kind for m in outbox(engine)) == ["alert", "confirmation"]  # no reminder


def test_the_confirmation_says_who_booked_and_how_consent_was_given(
    desk: TestClient, engine: Engine, clock: Clock, smtp: SmtpServer
) -> None:
    clock.now = AFTERNOON
    booking_id_of(book_caller(desk, TWO_PM, language="en"))
    send_outbox(desk, smtp.settings, clock.now, engine=engine)
    [confirmation] = smtp.inbox.by_subject("Your online consultation")
    text = body_text(confirmation, "plain")
    assert "Our coordinator (anna) booked this consultation for you by phone" in text
    assert "you agreed that the clinic may process your health information" in text
    assert "privacy notice of 9 December 2026" in text and "http://testserver/privacy" in text


def test_the_desk_never_books_a_begun_blocked_or_full_time(
    desk: TestClient, engine: Engine, clock: Clock
) -> None:
    clock.now = AFTERNOON
    assert book_caller(desk, TWO_PM).status_code == 303
    form = desk.get(f"/coordinator/new/details?start={TWO_PM}")
    assert form.status_code == 409 and "no longer free" in form.text  # full
    begun = desk.get(f"/coordinator/new/details?start={HALF_ONE}")
    assert begun.status_code == 409
    page = desk.get("/coordinator/blocks").text
    desk.post(
        "/coordinator/blocks",
        data={"csrf_token": csrf_from(page), "day": "2026-12-01", "reason": "Holiday"},
    )
    blocked = desk.get("/coordinator/new/details?start=2026-12-01T08:00:00Z")
    assert blocked.status_code == 409
    # A form opened before the block: the same index and rules refuse it, what was typed stays.
    with Session(engine) as session:
        count = len(session.exec(select(Booking)).all())
    key = "x" * 43
    refused = desk.post(
        "/coordinator/new",
        data={
            "csrf_token": csrf_from(page),
            "key": key,
            "start": "2026-12-01T08:00:00Z",
            **CALLER,
        },
    )
    assert refused.status_code == 409 and CALLER["name"] in refused.text
    with Session(engine) as session:
        assert len(session.exec(select(Booking)).all()) == count


def test_the_caller_form_says_what_is_missing(desk: TestClient) -> None:
    response = book_caller(desk, "2026-12-01T08:00:00Z", name="", phone="12", consent=None)
    assert response.status_code == 422
    assert "Please check these fields" in response.text
    assert "Please ask the patient for their consent first." in response.text


# --- Move a booking ---------------------------------------------------------------------------


def move(
    desk: TestClient, booking_id: int, start: str, message: str | None = "See you then."
) -> httpx.Response:
    page = desk.get(f"/coordinator/bookings/{booking_id}/move/confirm?start={start}")
    assert page.status_code == 200, page.text
    fields = {
        "csrf_token": csrf_from(page.text),
        "start": start,
        "seen": hidden_value(page.text, "seen"),
        "seen_status": hidden_value(page.text, "seen_status"),
        "seen_start": hidden_value(page.text, "seen_start"),
    }
    if message is not None and 'name="message"' in page.text:
        fields["message"] = message
    return desk.post(f"/coordinator/bookings/{booking_id}/move", data=fields)


def test_a_desk_move_sends_one_moved_email_with_the_same_uid_and_a_higher_sequence(
    desk: TestClient, engine: Engine, clock: Clock, smtp: SmtpServer
) -> None:
    booking_id = booking_id_of(book_caller(desk, "2026-12-01T08:00:00Z", language="en"))
    before = stored(engine, booking_id)
    send_outbox(desk, smtp.settings, clock.now, engine=engine)
    smtp.inbox.messages.clear()
    assert booking_id_of(move(desk, booking_id, "2026-12-02T09:00:00Z")) == booking_id
    after = stored(engine, booking_id)
    assert after.starts_at == datetime(2026, 12, 2, 9, 0, tzinfo=UTC) and after.uid == before.uid
    send_outbox(desk, smtp.settings, clock.now, engine=engine)
    moved = smtp.inbox.by_subject("moved")
    patient = [m for m in moved if m["To"] == CALLER["email"]]
    assert len(patient) == 1
    text = body_text(patient[0], "plain")
    assert "The clinic has moved your online consultation" in text and "See you then." in text
    [attachment] = list(patient[0].iter_attachments())
    payload = attachment.get_payload(decode=True)
    assert isinstance(payload, bytes)
    event = icalendar.Calendar.from_ical(payload).walk("VEVENT")[0]
    assert str(event["uid"]).startswith(before.uid)
    assert int(event.decoded("sequence")) > before.sequence
    assert event.decoded("dtstart") == after.starts_at
    assert ("anna", "move") in audit_actions(engine, booking_id)
    reminders = [m for m in outbox(engine) if m.kind == "reminder" and m.sent_at is None]
    assert [r.send_after for r in reminders] == [after.starts_at - timedelta(hours=24)]


def test_a_patient_without_email_gets_a_call_task_when_moved_or_cancelled(
    desk: TestClient, engine: Engine
) -> None:
    moved_id = booking_id_of(book_caller(desk, "2026-12-01T08:00:00Z", email=""))
    assert booking_id_of(move(desk, moved_id, "2026-12-01T09:00:00Z")) == moved_id
    assert stored(engine, moved_id).call_patient == "moved"
    day = desk.get("/coordinator/?day=2026-12-01").text
    assert "Patients to call" in day and "Call the patient" in day
    page = desk.get(f"/coordinator/bookings/{moved_id}").text
    assert "nobody has told them yet" in page
    called = desk.post(
        f"/coordinator/bookings/{moved_id}/called", data={"csrf_token": csrf_from(page)}
    )
    assert booking_id_of(called) == moved_id
    assert stored(engine, moved_id).call_patient is None
    assert ("anna", "called") in audit_actions(engine, moved_id)
    assert "Patients to call" not in desk.get("/coordinator/?day=2026-12-01").text

    cancelled_id = booking_id_of(book_caller(desk, "2026-12-01T10:00:00Z", email=""))
    page = desk.get(f"/coordinator/bookings/{cancelled_id}").text
    desk.post(
        f"/coordinator/bookings/{cancelled_id}/status",
        data={"csrf_token": csrf_from(page), "status": "cancelled", "reason": "Doctor ill"},
    )
    assert stored(engine, cancelled_id).call_patient == "cancelled"


# --- Notes ------------------------------------------------------------------------------------

NOTE = "Prefers Viber after 12:00 <script>alert(1)</script> NOTE-MARKER"


def test_a_note_stays_on_the_desk(
    desk: TestClient, engine: Engine, clock: Clock, smtp: SmtpServer
) -> None:
    rotate = desk.get("/coordinator/calendar").text
    desk.post("/coordinator/calendar/rotate", data={"csrf_token": csrf_from(rotate)})
    response = book(desk, "2026-12-01T08:30:00Z")
    token = response.headers["location"].rsplit("/", 1)[1]
    with Session(engine) as session:
        booking_id = session.exec(select(Booking.id)).one()
    page = desk.get(f"/coordinator/bookings/{booking_id}").text
    added = desk.post(
        f"/coordinator/bookings/{booking_id}/notes",
        data={"csrf_token": csrf_from(page), "text": NOTE},
    )
    assert booking_id_of(added) == booking_id
    shown = desk.get(f"/coordinator/bookings/{booking_id}").text
    assert "Prefers Viber after 12:00 &lt;script&gt;" in shown and "<script>alert" not in shown
    assert ("anna", "note") in audit_actions(engine, booking_id)
    assert "NOTE-MARKER" in desk.get("/coordinator/audit").text
    assert booking_id_of(move(desk, booking_id, "2026-12-02T08:30:00Z")) == booking_id
    feed_url = re.search(
        r'value="http://testserver(/coordinator/feed/[^"]+)"',
        desk.get("/coordinator/calendar").text,
    )
    assert feed_url is not None
    send_outbox(desk, smtp.settings, clock.now, engine=engine)
    patient_side = [
        desk.get(f"/bookings/{token}").text,
        desk.get(f"/bookings/{token}/invite.ics").text,
        desk.get(f"/bookings/{token}/reschedule").text,
        desk.get(feed_url.group(1)).text,
        *(message.as_string() for message in smtp.inbox.messages),
    ]
    assert len(smtp.inbox.messages) >= 4
    for text in patient_side:
        assert "NOTE-MARKER" not in text and "Prefers Viber" not in text


# --- Find a patient ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "067 123 45 01",
        "0671234501",
        "+380671234501",
        "+380 (67) 123-45-01",
        "ковал",
        "КОВАЛЕНКО",
        "ганна шевчук",
        "HANNA@example",
    ],
)
def test_search_finds_one_person_by_any_phone_form_or_part_of_a_name(
    desk: TestClient, query: str
) -> None:
    booking_id_of(book_caller(desk, "2026-12-01T08:00:00Z"))
    booking_id_of(
        book_caller(
            desk,
            "2026-12-01T09:00:00Z",
            name="Petro Bondar",
            phone="0501112233",
            email="petro@example.com",
        )
    )
    found = desk.get("/coordinator/bookings", params={"q": query}).text
    assert "1 booking found" in found, query
    assert CALLER["name"] in found and "Petro Bondar" not in found


def test_search_with_dates_and_status_covers_past_and_future(
    desk: TestClient, engine: Engine, clock: Clock
) -> None:
    first = booking_id_of(book_caller(desk, "2026-12-01T08:00:00Z"))
    booking_id_of(book_caller(desk, "2026-12-08T08:00:00Z"))
    clock.now = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)  # the first one is in the past now
    sign_in(desk)  # the desk session of four days ago has ended
    both = desk.get("/coordinator/bookings", params={"q": "Ганна"}).text
    assert "2 bookings found" in both
    first_week = desk.get(
        "/coordinator/bookings", params={"q": "ганна", "from": "2026-11-30", "to": "2026-12-06"}
    ).text
    assert "1 booking found" in first_week and "Tue 1 Dec" in first_week
    assert (
        "0 bookings found"
        in desk.get("/coordinator/bookings", params={"q": "ганна", "status": "done"}).text
    )
    page = desk.get(f"/coordinator/bookings/{first}").text
    assert "This patient’s other bookings" in page
    assert "Tue 8 Dec" in page
    assert desk.get("/coordinator/bookings", params={"q": "%"}).status_code == 200  # not a wildcard


# --- The day at a glance ----------------------------------------------------------------------


def test_the_day_marks_the_next_consultation_and_the_one_that_needs_an_outcome(
    desk: TestClient, clock: Clock
) -> None:
    clock.now = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    ended = booking_id_of(book_caller(desk, "2026-11-30T08:00:00Z", name="Ended Patient"))
    nxt = booking_id_of(book_caller(desk, "2026-11-30T09:30:00Z", name="Next Patient"))
    later = booking_id_of(book_caller(desk, "2026-11-30T11:00:00Z", name="Later Patient"))
    clock.now = datetime(2026, 11, 30, 9, 10, tzinfo=UTC)  # 11:10 Kyiv
    day = desk.get("/coordinator/").text
    assert "Today, Monday 30 November" in day
    card = re.compile(
        r'<article class="booking-card([^"]*)"[^>]*>.*?/coordinator/bookings/(\d+)', re.S
    )
    by_id = {int(number): classes for classes, number in card.findall(day)}
    assert "needs-outcome" in by_id[ended] and "is-past" in by_id[ended]
    assert "is-next" in by_id[nxt] and "is-past" not in by_id[nxt]
    assert by_id[later].strip() == ""
    assert day.count("Needs an outcome") == 1 and day.count(">Next<") == 1
    partial = desk.get("/coordinator/?day=2026-12-01", headers={"HX-Request": "true"})
    assert (
        partial.status_code == 200 and "<html" not in partial.text and 'id="agenda"' in partial.text
    )
    week = desk.get("/coordinator/week?day=2026-12-02").text
    assert "Ended Patient" in week and "Week of" in week


# --- Nothing typed is lost --------------------------------------------------------------------


def test_a_booking_changed_meanwhile_answers_with_the_booking_now_and_the_typed_reason(
    desk: TestClient, engine: Engine
) -> None:
    booking_id = booking_id_of(book_caller(desk, "2026-12-01T08:00:00Z"))
    stale = desk.get(f"/coordinator/bookings/{booking_id}").text
    assert (
        booking_id_of(move(desk, booking_id, "2026-12-01T09:00:00Z")) == booking_id
    )  # another desk
    conflict = desk.post(
        f"/coordinator/bookings/{booking_id}/status",
        data={
            "csrf_token": csrf_from(stale),
            "status": "cancelled",
            "reason": "Typed before the move",
            "seen": hidden_value(stale, "seen"),
            "seen_status": hidden_value(stale, "seen_status"),
            "seen_start": hidden_value(stale, "seen_start"),
        },
    )
    assert conflict.status_code == 409
    assert "changed while you had it open" in conflict.text
    assert (
        "Time: was Tuesday 1 December 2026, 10:00, now Tuesday 1 December 2026, 11:00."
        in conflict.text
    )
    assert 'value="Typed before the move"' in conflict.text
    assert 'class="desk"' in conflict.text  # the desk's own layout
    assert stored(engine, booking_id).status == BookingStatus.CONFIRMED
    again = desk.post(
        f"/coordinator/bookings/{booking_id}/status",
        data={
            "csrf_token": csrf_from(conflict.text),
            "status": "cancelled",
            "reason": "Typed before the move",
            "seen": hidden_value(conflict.text, "seen"),
        },
    )
    assert booking_id_of(again) == booking_id
    assert stored(engine, booking_id).status == BookingStatus.CANCELLED


def test_a_session_that_ended_keeps_the_typed_text_through_the_sign_in(
    desk: TestClient, engine: Engine
) -> None:
    booking_id = booking_id_of(book_caller(desk, "2026-12-01T08:00:00Z"))
    page = desk.get(f"/coordinator/bookings/{booking_id}").text
    desk.post("/coordinator/logout", data={"csrf_token": csrf_from(page)})
    note = "Typed while the session ran out"
    ended = desk.post(
        f"/coordinator/bookings/{booking_id}/notes",
        data={"csrf_token": csrf_from(page), "text": note},
    )
    assert ended.status_code == 401 and "Your session has ended" in ended.text
    assert f'value="{note}"' in ended.text
    action = re.search(r'<form method="post" action="(/coordinator/login[^"]+)"', ended.text)
    assert action is not None
    kept = dict(
        re.findall(r'<input type="hidden" name="(kept-[\w-]+)" value="([^"]*)">', ended.text)
    )
    assert kept["kept-text"] == note and "kept-csrf_token" not in kept
    signed_in = desk.post(
        action.group(1).replace("&amp;", "&"),
        data={
            "csrf_token": csrf_from(ended.text),
            "username": "anna",
            "password": PASSWORD,
            **kept,
        },
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == f"/coordinator/bookings/{booking_id}"
    back = desk.get(signed_in.headers["location"]).text
    assert "You were signed out before this was saved" in back and note in back
    assert "You were signed out" not in desk.get(signed_in.headers["location"]).text  # once


# --- Issue 24, the timeline -------------------------------------------------------------------


def test_the_timeline_shows_who_booked_the_patients_own_changes_and_the_emails(
    desk: TestClient, engine: Engine, clock: Clock, smtp: SmtpServer
) -> None:
    response = book(desk, "2026-12-01T08:30:00Z")
    token = response.headers["location"].rsplit("/", 1)[1]
    send_outbox(desk, smtp.settings, clock.now, engine=engine)
    page = desk.get(f"/bookings/{token}/reschedule/confirm?start=2026-12-02T09:00:00Z").text
    moved = desk.post(
        f"/bookings/{token}/reschedule",
        data={"csrf_token": csrf_from(page), "start": "2026-12-02T09:00:00Z"},
    )
    assert moved.status_code == 303
    with Session(engine) as session:
        booking_id = session.exec(select(Booking.id)).one()
    shown = desk.get(f"/coordinator/bookings/{booking_id}")
    assert shown.status_code == 200, shown.text[-3000:]
    history = shown.text.split(">History<", 1)[1]
    assert "booked by the patient online" in history
    assert 'the patient, <span data-action="move">moved the booking</span>' in history
    assert "Tue 1 Dec 10:30 → Wed 2 Dec 11:00" in history  # clinic time, not the stored UTC
    assert "e-mail sent: booking confirmation" in history
    with Session(engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "move")).all()
    assert [(e.coordinator, e.booking_id) for e in events] == [("", booking_id)]


def test_the_audit_log_speaks_the_desks_language_in_clinic_time(
    desk: TestClient, engine: Engine
) -> None:
    """Details written in a fixed form (a reason, a move's times, consent by phone, a call)
    are shown in the desk's language and in clinic time, on the log and on the timeline."""
    called_id = booking_id_of(book_caller(desk, "2026-12-01T10:00:00Z", email=""))
    page = desk.get(f"/coordinator/bookings/{called_id}").text
    cancelled = desk.post(
        f"/coordinator/bookings/{called_id}/status",
        data={
            "csrf_token": csrf_from(page),
            "status": "cancelled",
            "reason": "Лікар захворів",
            "seen": hidden_value(page, "seen"),
        },
    )
    assert cancelled.status_code == 303
    response = book(desk, "2026-12-02T08:30:00Z")
    token = response.headers["location"].rsplit("/", 1)[1]
    page = desk.get(f"/bookings/{token}/reschedule/confirm?start=2026-12-02T09:00:00Z").text
    desk.post(
        f"/bookings/{token}/reschedule",
        data={"csrf_token": csrf_from(page), "start": "2026-12-02T09:00:00Z"},
    )
    home = desk.get("/coordinator/").text
    switched = desk.post(
        "/coordinator/language",
        data={"csrf_token": csrf_from(home), "language": "uk", "next": "/coordinator/audit"},
    )
    assert switched.status_code == 303
    log = desk.get("/coordinator/audit").text
    assert "причина: Лікар захворів" in log and "reason:" not in log
    assert "12:00, згоду надано телефоном" in log and "consent by phone" not in log
    assert "10:30 → " in log and "11:00" in log
    assert "T08:30:00Z" not in log and "T10:00:00Z" not in log
    timeline = desk.get(f"/coordinator/bookings/{called_id}").text.split('class="timeline"')[1]
    assert "причина: Лікар захворів" in timeline


def test_an_outcome_set_by_another_coordinator_meanwhile_is_not_overwritten(
    desk: TestClient, engine: Engine, clock: Clock
) -> None:
    """Issue 24, item 3: two desks had the booking open after it began; one marked it done, the
    other's no-show is refused with what changed, and done stays (then, seen, it may be changed)."""
    booking_id = booking_id_of(book_caller(desk, "2026-12-01T08:00:00Z"))
    clock.now = datetime(2026, 12, 1, 8, 40, tzinfo=UTC)  # the consultation has begun
    sign_in(desk)  # the next morning: yesterday's session has ended
    first = desk.get(f"/coordinator/bookings/{booking_id}").text
    second = desk.get(f"/coordinator/bookings/{booking_id}").text

    def outcome(page: str, status: str) -> httpx.Response:
        return desk.post(
            f"/coordinator/bookings/{booking_id}/status",
            data={
                "csrf_token": csrf_from(page),
                "status": status,
                "seen": hidden_value(page, "seen"),
                "seen_status": hidden_value(page, "seen_status"),
                "seen_start": hidden_value(page, "seen_start"),
            },
        )

    assert outcome(first, "done").status_code == 303
    conflict = outcome(second, "no_show")
    assert conflict.status_code == 409
    assert "changed while you had it open, so nothing was saved" in conflict.text
    assert "Status: was" in conflict.text and "now Done" in conflict.text
    assert stored(engine, booking_id).status == BookingStatus.DONE
    # The conflict page shows the booking as it is now: saving from it is a deliberate change.
    assert outcome(conflict.text, "no_show").status_code == 303
    assert stored(engine, booking_id).status == BookingStatus.NO_SHOW
