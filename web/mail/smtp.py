"""Turning an outbox row into an e-mail and handing it to an SMTP server (standard library only)."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, formatdate

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


# Longest time one delivery can take: every SMTP step (connect, greeting, STARTTLS, login, the
# envelope, the data, its reply, quit) may wait up to the timeout. A claim lasts longer than
# this, so no second sender takes a message that is still being handed over.
SMTP_STEPS = 10


def as_email(message: OutboxMessage, sender: str, *, sent_at: datetime) -> EmailMessage:
    """`sent_at` is the Date: a reminder queued weeks ago must not sort weeks down the inbox."""
    email = EmailMessage()
    email["From"] = formataddr((message.sender_name, sender)) if message.sender_name else sender
    email["To"] = message.recipient
    if message.reply_to:
        email["Reply-To"] = message.reply_to
    email["Subject"] = message.subject
    email["Date"] = formatdate(sent_at.timestamp(), usegmt=True)
    # The same Message-ID on every retry lets mail systems drop a duplicate.
    email["Message-ID"] = message.message_id
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
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
