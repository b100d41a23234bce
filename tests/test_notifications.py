"""E-mails through a real SMTP server on 127.0.0.1 (aiosmtpd), on both databases."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from email.message import EmailMessage

import httpx2 as httpx
import icalendar
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from tests.booking_helpers import PATIENT, book, offered_starts
from tests.conftest import Clock, csrf_from
from tests.desk_helpers import open_desk, send_outbox
from tests.live_server import free_port
from tests.mail_server import SmtpServer, body_text
from web.core.models import OutboxMessage


def outbox(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())


def token_of(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


def ics_of(message: EmailMessage) -> icalendar.Calendar:
    [attachment] = [part for part in message.iter_attachments()]
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "consultation.ics"
    payload = attachment.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return icalendar.Calendar.from_ical(payload)


def test_booking_writes_confirmation_reminder_and_alert_in_its_transaction(
    client: TestClient, engine: Engine
) -> None:
    token_of(book(client, "2026-12-03T08:30:00Z"))
    kinds = sorted(m.kind for m in outbox(engine))
    assert kinds == ["alert", "confirmation", "reminder"]
    reminder = next(m for m in outbox(engine) if m.kind == "reminder")
    assert reminder.send_after.isoformat() == "2026-12-02T08:30:00+00:00"  # 24 hours before


def test_no_email_given_means_only_the_clinic_is_told(client: TestClient, engine: Engine) -> None:
    token_of(book(client, email=""))
    assert [m.kind for m in outbox(engine)] == ["alert"]


def test_confirmation_arrives_with_a_parsable_invite(
    client: TestClient, engine: Engine, smtp: SmtpServer, clock: Clock
) -> None:
    token = token_of(book(client, "2026-12-03T08:30:00Z"))
    report = send_outbox(client, smtp.settings, clock.now, engine=engine)
    assert (report.sent, report.failed) == (2, 0)  # confirmation and alert; the reminder waits
    [confirmation] = smtp.inbox.by_subject("Your online consultation")
    assert confirmation["To"] == PATIENT["email"]
    assert (
        confirmation["Subject"]
        == "Your online consultation: Thursday 3 December 2026, 10:30 (Kyiv time)"
    )
    assert "hemifacial" not in confirmation["Subject"].lower()
    text = body_text(confirmation, "plain")
    html = body_text(confirmation, "html")
    assert f"/bookings/{token}" in text and f"/bookings/{token}" in html
    assert "Viber" in text and "Thursday 3 December 2026, 10:30" in text
    # What happens next, in the same words as the booking page.
    plan = "our specialist will call or write to you in Viber on +380 67 123 4567."
    assert plan in " ".join(text.split()) and plan in " ".join(html.split())
    event = ics_of(confirmation).walk("VEVENT")[0]
    assert event.decoded("dtstart").isoformat() == "2026-12-03T08:30:00+00:00"
    assert str(event["status"]) == "CONFIRMED"
    # After sending, the body (which holds the private link) is not kept.
    sent = next(m for m in outbox(engine) if m.kind == "confirmation")
    assert sent.sent_at == clock.now and token not in sent.body_text and sent.attachment is None


def test_coordinator_alert_carries_the_booking_details(
    client: TestClient, engine: Engine, smtp: SmtpServer, clock: Clock
) -> None:
    token_of(book(client, "2026-12-03T08:30:00Z"))
    send_outbox(client, smtp.settings, clock.now, engine=engine)
    [alert] = smtp.inbox.by_subject("New booking")
    assert alert["To"] == "coordinator@clinic.example"
    text = body_text(alert, "plain")
    for detail in [
        "Olena Kovalenko",
        "+380 67 123 4567",
        "olena@example.com",
        "Viber",
        "Twitching",
    ]:
        assert detail in text
    booking_id = outbox(engine)[0].booking_id
    assert f"/coordinator/bookings/{booking_id}" in text


def test_a_server_that_is_down_then_up_gets_every_message_exactly_once(
    client: TestClient, engine: Engine, clock: Clock
) -> None:
    server = SmtpServer(free_port())  # nothing listens yet
    for start in offered_starts(client, "/consultation/slots?day=2026-12-03")[:2]:
        token_of(book(client, start))
    down = send_outbox(client, server.settings, clock.now, engine=engine)
    assert (down.sent, down.failed) == (0, 4)
    failed = [m for m in outbox(engine) if m.kind != "reminder"]
    assert all(m.attempts == 1 and m.sent_at is None and m.last_error for m in failed)
    server.start()
    try:
        # Not before the back-off has passed...
        assert send_outbox(client, server.settings, clock.now, engine=engine).sent == 0
        later = clock.now + timedelta(minutes=1)
        assert send_outbox(client, server.settings, later, engine=engine).sent == 4
        # ...and never again.
        assert (
            send_outbox(client, server.settings, later + timedelta(hours=1), engine=engine).sent
            == 0
        )
    finally:
        server.stop()
    ids = [m["Message-ID"] for m in server.inbox.messages]
    assert len(ids) == 4 and len(set(ids)) == 4


def test_two_senders_at_once_never_send_a_message_twice(
    client: TestClient, engine: Engine, smtp: SmtpServer, clock: Clock
) -> None:
    for start in offered_starts(client)[:5]:
        token_of(book(client, start))
    barrier = threading.Barrier(2)
    reports = []

    def sender() -> None:
        barrier.wait()
        reports.append(send_outbox(client, smtp.settings, clock.now, engine=engine))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.sent for r in reports) == 10
    ids = [m["Message-ID"] for m in smtp.inbox.messages]
    assert len(ids) == 10 and len(set(ids)) == 10


def test_reminder_goes_once_at_the_right_time(
    client: TestClient, engine: Engine, smtp: SmtpServer, clock: Clock
) -> None:
    token_of(book(client, "2026-12-03T08:30:00Z"))
    send_outbox(client, smtp.settings, clock.now, engine=engine)
    due = clock.now.replace(year=2026, month=12, day=2, hour=8, minute=30)
    assert send_outbox(client, smtp.settings, due - timedelta(seconds=1), engine=engine).sent == 0
    assert smtp.inbox.by_subject("Reminder") == []
    assert send_outbox(client, smtp.settings, due, engine=engine).sent == 1
    assert send_outbox(client, smtp.settings, due + timedelta(hours=2), engine=engine).sent == 0
    [reminder] = smtp.inbox.by_subject("Reminder")
    assert (
        reminder["Subject"]
        == "Reminder: your online consultation on Thursday 3 December 2026, 10:30 (Kyiv time)"
    )


def test_reschedule_and_cancel_send_notices_and_move_the_reminder(
    client: TestClient, engine: Engine, smtp: SmtpServer, clock: Clock
) -> None:
    token = token_of(book(client, "2026-12-03T08:30:00Z"))
    picker = client.get(f"/bookings/{token}/cancel").text
    moved = client.post(
        f"/bookings/{token}/reschedule",
        data={"csrf_token": csrf_from(picker), "start": "2026-12-04T09:00:00Z"},
    )
    assert moved.status_code == 303
    reminders = [m for m in outbox(engine) if m.kind == "reminder"]
    assert [r.send_after.isoformat() for r in reminders] == ["2026-12-03T09:00:00+00:00"]
    send_outbox(client, smtp.settings, clock.now, engine=engine)
    [notice] = smtp.inbox.by_subject("has moved")
    assert (
        notice["Subject"].strip()  # a long subject is folded onto the header's next line
        == "Your consultation has moved to Friday 4 December 2026, 11:00 (Kyiv time)"
    )
    moved_text = " ".join(body_text(notice, "plain").split())
    assert (
        "has moved from Thursday 3 December 2026, 10:30 to Friday 4 December 2026, 11:00 "
        "(Kyiv time)" in moved_text
    )
    event = ics_of(notice).walk("VEVENT")[0]
    assert (
        int(event.decoded("sequence")) == 1
        and event.decoded("dtstart").isoformat() == "2026-12-04T09:00:00+00:00"
    )
    assert smtp.inbox.by_subject("Booking moved")

    confirm = client.get(f"/bookings/{token}/cancel").text
    client.post(f"/bookings/{token}/cancel", data={"csrf_token": csrf_from(confirm)})
    assert [
        m for m in outbox(engine) if m.kind == "reminder"
    ] == []  # never sent for a cancelled one
    send_outbox(client, smtp.settings, clock.now, engine=engine)
    [cancelled] = smtp.inbox.by_subject("is cancelled")
    assert str(ics_of(cancelled).walk("VEVENT")[0]["status"]) == "CANCELLED"
    assert smtp.inbox.by_subject("Booking cancelled")


def test_clinic_cancellation_tells_the_patient_the_reason(
    client: TestClient, engine: Engine, smtp: SmtpServer, clock: Clock
) -> None:
    token_of(book(client))
    open_desk(client, engine, clock.now)
    booking_id = outbox(engine)[0].booking_id
    page = client.get(f"/coordinator/bookings/{booking_id}").text
    client.post(
        f"/coordinator/bookings/{booking_id}/status",
        data={"csrf_token": csrf_from(page), "status": "cancelled", "reason": "The doctor is ill"},
    )
    send_outbox(client, smtp.settings, clock.now, engine=engine)
    [notice] = smtp.inbox.by_subject("is cancelled")
    assert "The doctor is ill" in body_text(notice, "plain")


def test_without_smtp_messages_wait_and_the_log_says_so(
    client: TestClient, engine: Engine, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    token_of(book(client))
    with caplog.at_level(logging.INFO):
        report = send_outbox(client, None, clock.now, engine=engine)
    assert report.waiting == 2 and report.sent == 0
    assert "2 e-mail(s) wait in the outbox: SMTP is not configured" in caplog.text
    assert all(m.sent_at is None for m in outbox(engine))


def test_no_patient_data_in_the_logs_of_a_full_flow(
    client: TestClient,
    engine: Engine,
    smtp: SmtpServer,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secrets_of_patient = [
        PATIENT["name"],
        "067 123 4567",
        "380671234567",
        PATIENT["email"],
        "Twitching",
    ]
    with caplog.at_level(logging.DEBUG):
        token = token_of(book(client, "2026-12-03T08:30:00Z"))
        client.get(f"/bookings/{token}")
        client.get(f"/bookings/{token}/invite.ics")
        picker = client.get(f"/bookings/{token}/cancel").text
        client.post(
            f"/bookings/{token}/reschedule",
            data={"csrf_token": csrf_from(picker), "start": "2026-12-04T09:00:00Z"},
        )
        send_outbox(client, SmtpServer(free_port()).settings, clock.now, engine=engine)  # failures
        send_outbox(client, smtp.settings, clock.now + timedelta(hours=1), engine=engine)
        confirm = client.get(f"/bookings/{token}/cancel").text
        client.post(f"/bookings/{token}/cancel", data={"csrf_token": csrf_from(confirm)})
    # Everything the app, its libraries and the HTTP client logged; not the test's own SMTP
    # server ("mail.log"), which stands for the outside mail system and prints what it receives.
    records = [r for r in caplog.records if not r.name.startswith("mail.log")]
    assert records, "nothing was logged at all: the capture is not working"
    logged = "\n".join(record.getMessage() for record in records)
    assert "outbox message" in logged
    for secret in secrets_of_patient:
        assert secret not in logged
