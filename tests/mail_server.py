"""An SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it is given, for the mail tests."""

from __future__ import annotations

import email
import email.policy
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from web.mail.smtp import SmtpSettings


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802  (aiosmtpd's name)
        assert isinstance(envelope.content, bytes)  # aiosmtpd's default: decode_data=False
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(parsed)
        return "250 OK"

    def by_subject(self, text: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if text in m["Subject"]]


def body_text(message: email.message.EmailMessage, subtype: str = "plain") -> str:
    """The text of a message's plain or html body; a message without one fails the test."""
    part = message.get_body((subtype,))
    assert part is not None, f"no {subtype} body"
    text: str = part.get_content()
    return text


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller: Controller | None = None
        self.settings = SmtpSettings(
            host="127.0.0.1", port=port, security="none", username="", password="",
            sender="clinic@clinic.example", timeout=5,
        )  # fmt: skip

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None
