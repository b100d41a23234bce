"""Issue 14's mail: reminders on time or not at all, honest at-least-once delivery, permanent
refusals shown on the desk, and messages a person reads once and understands. A real SMTP server
on 127.0.0.1 (aiosmtpd); both databases."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from typing import TYPE_CHECKING

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from tests.booking_helpers import PATIENT, book
from tests.conftest import Clock, csrf_from, make_settings
from tests.desk_helpers import open_desk, send_outbox
from tests.live_server import free_port
from tests.mail_server import Inbox, SmtpServer
from tests.test_notifications import outbox, token_of
from web.app import create_app
from web.core.models import Booking, OutboxMessage
from web.mail import outbox as sender
from web.mail.outbox import SendReport
from web.mail.smtp import SmtpSettings
from web.settings import DEFAULT_PUBLIC_URL

if TYPE_CHECKING:
    from tests.mail_server import SmtpServer

THURSDAY = "2026-12-03T08:30:00Z"  # 10:30 in Kyiv, three days after the tests' Monday


def plain_text(message: EmailMessage) -> str:
    """The plain-text part of a message as it was received."""
    part = message.get_body(("plain",))
    assert part is not None, "the message has no plain-text part"
    return str(part.get_content())


def reminders(engine: Engine) -> list[OutboxMessage]:
    return [m for m in outbox(engine) if m.kind == "reminder"]


# --- Reminders on time or not at all -------------------------------------------------------


def test_a_reminders_date_is_the_moment_it_is_sent(
    client: TestClient, engine: Engine, smtp: SmtpServer, clock: Clock
) -> None:
    token_of(book(client, THURSDAY))
    due = datetime(2026, 12, 2, 8, 30, tzinfo=UTC)
    assert send_outbox(client, smtp.settings, due, engine=engine).sent == 3
    [reminder] = smtp.inbox.by_subject("Reminder")
    assert parsedate_to_datetime(reminder["Date"]) == due
    [confirmation] = smtp.inbox.by_subject("Your online consultation")
    assert parsedate_to_datetime(confirmation["Date"]) == due  # sent late: dated when sent


def test_a_reminder_whose_consultation_has_begun_is_dropped(
    client: TestClient,
    engine: Engine,
    smtp: SmtpServer,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token_of(book(client, THURSDAY))
    after_an_outage = datetime(2026, 12, 3, 8, 31, tzinfo=UTC)
    with caplog.at_level(logging.INFO):
        report = send_outbox(client, smtp.settings, after_an_outage, engine=engine)
    assert report.sent == 2  # the confirmation and the clinic's alert, late; no reminder
    assert smtp.inbox.by_subject("Reminder") == []
    assert reminders(engine) == []
    assert "dropped: its consultation has begun" in caplog.text


def test_a_booking_less_than_a_day_ahead_gets_a_reminder_two_hours_before(
    client: TestClient, engine: Engine
) -> None:
    # The tests' clock: Monday 08:00 in Kyiv. 14:00 is six hours ahead.
    token_of(book(client, "2026-11-30T12:00:00Z"))
    [reminder] = reminders(engine)
    assert reminder.send_after == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def test_no_reminder_when_even_two_hours_before_has_passed(
    client: TestClient, engine: Engine
) -> None:
    token_of(book(client, "2026-11-30T08:00:00Z"))  # 10:00, the first bookable time: 2 h ahead
    assert reminders(engine) == []


@pytest.mark.parametrize("status", ["done", "no_show"])
def test_marking_done_or_no_show_drops_a_pending_reminder(
    client: TestClient, engine: Engine, clock: Clock, status: str
) -> None:
    token_of(book(client, THURSDAY))
    assert len(reminders(engine)) == 1
    clock.now = datetime(2026, 12, 3, 8, 35, tzinfo=UTC)  # begun; its reminder never went out
    open_desk(client, engine, clock.now)
    booking_id = outbox(engine)[0].booking_id
    page = client.get(f"/coordinator/bookings/{booking_id}").text
    marked = client.post(
        f"/coordinator/bookings/{booking_id}/status",
        data={"csrf_token": csrf_from(page), "status": status},
    )
    assert marked.status_code == 303
    assert reminders(engine) == []


# --- At least once, with a stable Message-ID ------------------------------------------------


class StallingInbox(Inbox):
    """Stores the message, then keeps the client waiting for the reply past its timeout."""

    def __init__(self, stall: float) -> None:
        super().__init__()
        self.stall = stall

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:  # noqa: N802
        reply = await super().handle_DATA(server, session, envelope)
        if self.stall:
            await asyncio.sleep(self.stall)
        return reply


def test_a_server_that_stores_then_stalls_gets_the_same_message_id_again(
    client: TestClient, engine: Engine, clock: Clock
) -> None:
    token_of(book(client, THURSDAY, email=""))  # one message: the clinic's alert
    inbox = StallingInbox(stall=3)
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings = SmtpSettings(
        host="127.0.0.1", port=port, security="none", username="", password="",
        sender="clinic@clinic.example", timeout=1,
    )  # fmt: skip
    try:
        first: list[SendReport] = []
        thread = threading.Thread(
            target=lambda: first.append(send_outbox(client, settings, clock.now, engine=engine))
        )
        thread.start()
        deadline = time.monotonic() + 5
        while not inbox.messages:
            assert time.monotonic() < deadline, "the server never received the message"
            time.sleep(0.05)
        # While the first sender still waits for the reply, its claim keeps others away.
        assert send_outbox(client, settings, clock.now, engine=engine).sent == 0
        thread.join()
        assert (first[0].sent, first[0].failed) == (0, 1)  # the reply never came in time
        [message] = outbox(engine)
        assert message.sent_at is None and message.claimed_until is None
        assert message.claimed_until is None and sender.claim_for(settings) > timedelta(
            seconds=settings.timeout * 8
        )
        inbox.stall = 0
        later = clock.now + timedelta(minutes=1)
        assert send_outbox(client, settings, later, engine=engine).sent == 1
    finally:
        controller.stop()
    ids = [m["Message-ID"] for m in inbox.messages]
    assert len(ids) == 2 and ids[0] == ids[1]  # at least once: the copy is recognisable


# --- Permanent refusals --------------------------------------------------------------------


class RefusingInbox(Inbox):
    async def handle_RCPT(  # noqa: N802  (aiosmtpd's name)
        self,
        server: SMTP,
        session: SmtpSession,
        envelope: Envelope,
        address: str,
        options: list[str],
    ) -> str:
        return "550 5.1.1 mailbox unavailable"


def test_a_permanent_refusal_stops_after_a_few_tries_and_shows_on_the_desk(
    client: TestClient, engine: Engine, clock: Clock
) -> None:
    token_of(book(client, THURSDAY))
    port = free_port()
    controller = Controller(RefusingInbox(), hostname="127.0.0.1", port=port)
    controller.start()
    settings = SmtpSettings(
        host="127.0.0.1", port=port, security="none", username="", password="",
        sender="clinic@clinic.example", timeout=5,
    )  # fmt: skip
    moment = clock.now
    try:
        for _ in range(sender.PERMANENT_TRIES):
            report = send_outbox(client, settings, moment, engine=engine)
            assert report.failed == 2  # confirmation and alert; the reminder is not due
            moment += timedelta(hours=2)
        assert send_outbox(client, settings, moment + timedelta(days=1), engine=engine).failed == 0
    finally:
        controller.stop()
    confirmation = next(m for m in outbox(engine) if m.kind == "confirmation")
    assert confirmation.failed_at is not None and confirmation.attempts == 3
    assert confirmation.last_error == "SMTPRecipientsRefused 550"
    open_desk(client, engine, clock.now)
    desk = client.get("/coordinator/").text
    assert "could not be sent" in desk and PATIENT["email"] in desk
    page = client.get(f"/coordinator/bookings/{confirmation.booking_id}").text
    assert f"booking confirmation to {PATIENT['email']}: could not be sent" in page


def test_a_passing_fault_is_retried_without_limit(
    client: TestClient, engine: Engine, clock: Clock
) -> None:
    token_of(book(client, THURSDAY, email=""))
    settings = SmtpServer(free_port()).settings  # nothing listens: a connection error
    moment = clock.now
    for _ in range(sender.PERMANENT_TRIES + 2):
        assert send_outbox(client, settings, moment, engine=engine).failed == 1
        moment += timedelta(hours=2)
    [message] = outbox(engine)
    assert message.failed_at is None and message.attempts == sender.PERMANENT_TRIES + 2


# --- Messages a person reads once and understands ------------------------------------------


def test_sender_reply_to_and_auto_submitted(
    client: TestClient, engine: Engine, smtp: SmtpServer, clock: Clock
) -> None:
    token_of(book(client, THURSDAY))
    send_outbox(client, smtp.settings, clock.now, engine=engine)
    [confirmation] = smtp.inbox.by_subject("Your online consultation")
    assert parseaddr(confirmation["From"]) == ("Neurosurgery Clinic", "clinic@clinic.example")
    assert confirmation["Reply-To"] == "coordinator@clinic.example"
    assert confirmation["Auto-Submitted"] == "auto-generated"
    [alert] = smtp.inbox.by_subject("New booking")
    assert alert["Reply-To"] == PATIENT["email"]  # the coordinator answers the patient directly
    assert "(Kyiv time)" in alert["Subject"] and "2026" in alert["Subject"]


def test_the_plain_text_part_keeps_its_paragraphs(
    client: TestClient, engine: Engine, smtp: SmtpServer, clock: Clock
) -> None:
    token_of(book(client, THURSDAY))
    send_outbox(client, smtp.settings, clock.now, engine=engine)
    [confirmation] = smtp.inbox.by_subject("Your online consultation")
    text = plain_text(confirmation).replace("\r\n", "\n")
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    assert paragraphs[0].strip() == f"Hello {PATIENT['name']},"
    assert any(p.startswith("When: Thursday 3 December 2026, 10:30") for p in paragraphs)
    assert len(paragraphs) >= 6


def test_a_default_public_url_with_smtp_warns_at_start_up(
    database_url: str, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    smtp = SmtpServer(free_port()).settings
    with caplog.at_level(logging.WARNING):
        create_app(make_settings(database_url, smtp=smtp, public_url=DEFAULT_PUBLIC_URL))
    assert "PUBLIC_URL is still http://127.0.0.1:8000" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        create_app(make_settings(database_url, smtp=smtp, public_url="https://clinic.example"))
        create_app(make_settings(database_url, public_url=DEFAULT_PUBLIC_URL))  # no SMTP
    assert "PUBLIC_URL" not in caplog.text


# --- The booking request only books; the sender renders --------------------------------------


def test_the_booking_request_writes_rows_without_text_or_link(
    client: TestClient, engine: Engine, smtp: SmtpServer, clock: Clock
) -> None:
    token = token_of(book(client, THURSDAY))
    rows = outbox(engine)
    assert sorted(row.kind for row in rows) == ["alert", "confirmation", "reminder"]
    for row in rows:
        stored = " ".join(str(value) for value in row.model_dump().values())
        assert row.body_text == row.body_html == row.subject == "" and row.attachment is None
        assert token not in stored  # the manage link is derived when the message is sent
    send_outbox(client, smtp.settings, clock.now, engine=engine)
    [confirmation] = smtp.inbox.by_subject("Your online consultation")
    link = f"http://testserver/bookings/{token}"
    assert link in plain_text(confirmation)
    assert client.get(link.removeprefix("http://testserver")).status_code == 200


def test_a_message_whose_booking_is_gone_is_dropped(
    client: TestClient, engine: Engine, smtp: SmtpServer, clock: Clock
) -> None:
    token_of(book(client, THURSDAY, email=""))
    with Session(engine) as session:
        [row] = session.exec(select(OutboxMessage)).all()
        session.delete(session.get(Booking, row.booking_id))
        session.commit()
    report = send_outbox(client, smtp.settings, clock.now, engine=engine)
    assert report.sent == 0 and outbox(engine) == [] and smtp.inbox.messages == []


def test_a_message_written_with_its_text_goes_as_written(
    client: TestClient, engine: Engine, smtp: SmtpServer, clock: Clock
) -> None:
    """Rows queued before the sender rendered messages carry their text: it is sent as is."""
    token_of(book(client, THURSDAY, email=""))
    with Session(engine) as session:
        [row] = session.exec(select(OutboxMessage)).all()
        row.subject, row.body_text, row.body_html = (
            "Queued earlier",
            "As written.",
            "<p>As written.</p>",
        )
        session.add(row)
        session.commit()
    send_outbox(client, smtp.settings, clock.now, engine=engine)
    [message] = smtp.inbox.messages
    assert message["Subject"] == "Queued earlier"
    assert "As written." in plain_text(message)
