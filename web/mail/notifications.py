"""What to tell whom when a booking changes: patient e-mails and the coordinator's alerts.

Messages are rendered now and written to the outbox in the caller's transaction, so a booking
and its e-mails are saved together or not at all. They are rendered now because the patient's
manage link exists only while we hold the raw token (the database keeps just its hash).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlmodel import Session, col, select

from web.core import formats, i18n
from web.core.clinic import Clinic
from web.core.i18n import N_
from web.core.invites import build_invite
from web.core.models import Booking, OutboxMessage
from web.core.next_steps import contact_plan

log = logging.getLogger(__name__)

# A reminder goes a day ahead; a booking made less than a day ahead gets one 2 hours before.
REMINDER_BEFORE = timedelta(hours=24)
LATE_REMINDER_BEFORE = timedelta(hours=2)
ALERT_HEADLINES = {
    "new": N_("New booking"),
    "rescheduled": N_("Booking moved to a new time"),
    "cancelled": N_("Booking cancelled"),
}


def warn_if_links_lead_nowhere(public_url: str, *, sending: bool, local_default: str) -> None:
    """E-mails carry absolute links; with PUBLIC_URL left at the local default they would point
    every patient at their own computer."""
    if sending and public_url.rstrip("/") == local_default.rstrip("/"):
        log.warning(
            "SMTP is configured but PUBLIC_URL is still %s: the links in every e-mail would "
            "point there. Set PUBLIC_URL to the site's public address.",
            local_default,
        )


class Notifier:
    """Patients get mail in the language they booked in; the clinic's alerts come in the desk's
    default language (the clinic's first language)."""

    def __init__(self, clinic: Clinic, public_url: str, *, templates: Path) -> None:
        """`templates` is the folder of the e-mail templates (templates/email)."""
        self.clinic = clinic
        self.public_url = public_url.rstrip("/")
        self.templates = templates
        self._environments: dict[str, Environment] = {}

    def env(self, language: str) -> Environment:
        """One environment per language, its catalog and date formats bound in."""
        if language not in self._environments:
            zone = self.clinic.rules.time_zone
            env = Environment(
                loader=FileSystemLoader(self.templates),
                autoescape=select_autoescape(["html"]),  # the .txt parts are plain text
                undefined=StrictUndefined,
                lstrip_blocks=True,  # no trim_blocks: the plain-text parts keep their blank lines
                extensions=["jinja2.ext.i18n"],
            )
            catalog = i18n.translations(language)
            env.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
            env.policies["ext.i18n.trimmed"] = True
            env.filters.update(
                translated=catalog.gettext,
                when=lambda moment: formats.day_and_time(moment, zone, language),
                # Subjects stand alone, so they name the clock too: "… 2026, 10:30 (Kyiv time)".
                when_zoned=lambda moment: (
                    f"{formats.day_and_time(moment, zone, language)} "
                    f"({formats.zone_label(zone, language)})"
                ),
                clock=lambda moment: formats.clock(moment, zone),
                phone=formats.readable_phone,
            )
            env.globals.update(
                clinic=self.clinic.localized(language), lang=language, contact_plan=contact_plan
            )
            self._environments[language] = env
        return self._environments[language]

    # --- Events -----------------------------------------------------------------------------

    def booked(self, session: Session, booking: Booking, *, token: str, now: datetime) -> None:
        if booking.email:
            self._to_patient(session, booking, "confirmation", token=token, now=now, ics=True)
            self._queue_reminder(session, booking, token=token, now=now)
        self._alert(session, booking, "new", now=now)

    def rescheduled(
        self,
        session: Session,
        booking: Booking,
        *,
        token: str,
        now: datetime,
        previous_start: datetime,
    ) -> None:
        self._drop_reminders(session, booking)
        moved = {"previous_start": previous_start}
        if booking.email:
            self._to_patient(
                session, booking, "rescheduled", token=token, now=now, ics=True, extra=moved
            )
            self._queue_reminder(session, booking, token=token, now=now)
        self._alert(session, booking, "rescheduled", now=now, extra=moved)

    def cancelled(
        self, session: Session, booking: Booking, *, token: str | None, now: datetime
    ) -> None:
        """`token` is None when the clinic cancels: the patient's mail then links the site."""
        self._drop_reminders(session, booking)
        if booking.email:
            self._to_patient(session, booking, "cancelled", token=token, now=now, ics=True)
        self._alert(session, booking, "cancelled", now=now)

    def closed(self, session: Session, booking: Booking) -> None:
        """Marked done or no-show: a reminder still waiting would be about the past."""
        self._drop_reminders(session, booking)

    # --- Building blocks -------------------------------------------------------------------

    def manage_url(self, token: str | None, language: str) -> str:
        """The patient's link in their language: /bookings/... or /en/bookings/..."""
        base = self.public_url + self.clinic.path_prefix(language)
        return f"{base}/bookings/{token}" if token else f"{base}/consultation"

    def _queue_reminder(
        self, session: Session, booking: Booking, *, token: str, now: datetime
    ) -> None:
        due = booking.start - REMINDER_BEFORE
        if due <= now:
            due = booking.start - LATE_REMINDER_BEFORE
        if due > now:
            self._to_patient(session, booking, "reminder", token=token, now=now, send_after=due)

    def _drop_reminders(self, session: Session, booking: Booking) -> None:
        """A reminder for a time that changed or was cancelled must never go out."""
        pending = session.exec(
            select(OutboxMessage).where(
                OutboxMessage.booking_id == booking.id,
                OutboxMessage.kind == "reminder",
                col(OutboxMessage.sent_at).is_(None),
            )
        ).all()
        for message in pending:
            session.delete(message)

    def _to_patient(
        self,
        session: Session,
        booking: Booking,
        kind: str,
        *,
        token: str | None,
        now: datetime,
        ics: bool = False,
        send_after: datetime | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        manage = self.manage_url(token, booking.language)
        attachment = (
            build_invite(self.clinic, booking, manage_url=manage).decode("utf-8") if ics else None
        )
        context = {
            "booking": booking,
            "manage_url": manage,
            "previous_start": None,
            **(extra or {}),
        }
        assert booking.email, "patient e-mails go only to bookings with an address"
        self._enqueue(
            session,
            booking,
            kind,
            booking.email,
            context,
            language=booking.language,
            now=now,
            attachment=attachment,
            send_after=send_after,
            reply_to=self.clinic.email,  # a reply reaches the coordinator, not a no-reply box
        )

    def _alert(
        self,
        session: Session,
        booking: Booking,
        change: str,
        *,
        now: datetime,
        extra: dict[str, Any] | None = None,
    ) -> None:
        context = {
            "booking": booking,
            "headline": ALERT_HEADLINES[change],
            "desk_url": f"{self.public_url}/coordinator/bookings/{booking.id}",
            "previous_start": None,
            **(extra or {}),
        }
        language = self.clinic.default_language
        self._enqueue(
            session,
            booking,
            "alert",
            self.clinic.email,
            context,
            language=language,
            now=now,
            reply_to=booking.email,  # the coordinator can answer the patient directly
        )

    def _enqueue(
        self,
        session: Session,
        booking: Booking,
        kind: str,
        recipient: str,
        context: dict[str, Any],
        *,
        language: str,
        now: datetime,
        attachment: str | None = None,
        send_after: datetime | None = None,
        reply_to: str | None = None,
    ) -> None:
        env = self.env(language)
        subject = env.get_template(f"{kind}.subject.txt").render(context).strip()
        domain = self.clinic.email.rsplit("@", 1)[-1]
        session.add(
            OutboxMessage(
                kind=kind,
                booking_id=booking.id,
                recipient=recipient,
                sender_name=self.clinic.localized(language).name,
                reply_to=reply_to,
                subject=subject[:200],
                body_text=env.get_template(f"{kind}.txt").render(context),
                body_html=env.get_template(f"{kind}.html").render(context),
                attachment=attachment,
                message_id=f"<{uuid.uuid4().hex}@{domain}>",
                created_at=now,
                send_after=send_after or now,
                next_attempt_at=send_after or now,
            )
        )
