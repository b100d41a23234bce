"""Turning an outbox row into an e-mail and handing it to an SMTP server (standard library only)."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from web.core.models import OutboxMessage


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # "starttls", "tls" or "none"
    username: str
    password: str
    sender: str
    timeout: float = 15.0


def as_email(message: OutboxMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(message.created_at.timestamp(), usegmt=True)
    # The same Message-ID on every retry lets mail systems drop a duplicate.
    email["Message-ID"] = message.message_id
    email.set_content(message.body_text)
    email.add_alternative(message.body_html, subtype="html")
    if message.attachment:
        email.add_attachment(
            message.attachment.encode("utf-8"),
            maintype="text",
            subtype="calendar",
            filename="consultation.ics",
            params={"charset": "utf-8"},
        )
    return email


def deliver(smtp: SmtpSettings, email: EmailMessage) -> None:
    """Send one message; raises smtplib/OSError errors for the caller to retry later."""
    context = ssl.create_default_context()
    if smtp.security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout, context=context
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    with client:
        if smtp.security == "starttls":
            client.starttls(context=context)
        if smtp.username:
            client.login(smtp.username, smtp.password)
        client.send_message(email)
