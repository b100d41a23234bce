"""What to tell whom when a booking changes: patient e-mails and the coordinator's alerts.

A change writes its outbox rows (what to send, to whom, when) in the caller's transaction, so a
booking and its e-mails are saved together or not at all; nothing is rendered then. The sender
renders each message when it goes out (`render`), from the booking as it is at that moment; the
patient's manage link is derived from the booking's UID with SECRET_KEY (see core/bookings.py).
Every link is a named route's path (`Paths`, given by whoever builds the Notifier from the route
table) on PUBLIC_URL, so renaming a route's path changes the e-mails' links with it.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import Connection, delete, insert

from web.core import formats, i18n
from web.core.bookings import hash_token, manage_token
from web.core.clinic import Clinic
from web.core.i18n import N_
from web.core.invites import build_invite
from web.core.models import Booking, OutboxMessage
from web.core.next_steps import contact_plan
from web.core.schedule import SlotRules

log = logging.getLogger(__name__)

# A reminder goes a day ahead; a booking made less than a day ahead gets one 2 hours before.
REMINDER_BEFORE = timedelta(hours=24)
LATE_REMINDER_BEFORE = timedelta(hours=2)
ALERT_HEADLINES = {
    "new": N_("New booking"),
    "rescheduled": N_("Booking moved to a new time"),
    "cancelled": N_("Booking cancelled"),
    "answered": N_("The patient answered the questions before the consultation"),
    "answers_changed": N_("The patient changed their answers before the consultation"),
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


OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


def _write(connection: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        connection.execute(insert(OUTBOX), rows)


def _drop_reminders(connection: Connection, booking: Booking) -> None:
    """A reminder for a time that changed or was cancelled must never go out."""
    connection.execute(
        delete(OUTBOX).where(
            OUTBOX.c.booking_id == booking.id,
            OUTBOX.c.kind == "reminder",
            OUTBOX.c.sent_at.is_(None),
        )
    )


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    attachment: str | None  # an .ics file, if any


PATIENT_KINDS_WITH_INVITE = frozenset({"confirmation", "rescheduled", "cancelled"})

# The path of a named route with its path parameters: ("desk_booking", {"booking_id": 7}) ->
# "/coordinator/bookings/7". Built from the route table outside this layer (mail knows no web
# framework).
Paths = Callable[[str, dict[str, Any]], str]


class Notifier:
    """Patients get mail in the language they booked in; the clinic's alerts come in the desk's
    default language (the clinic's first language)."""

    def __init__(
        self,
        clinic: Clinic,
        public_url: str,
        *,
        templates: Path,
        secret_key: str,
        paths: Paths,
    ) -> None:
        """`templates` is the folder of the e-mail templates (templates/email); `paths` gives
        the path of each route the e-mails link to."""
        self.clinic = clinic
        self.public_url = public_url.rstrip("/")
        self.paths = paths
        self.templates = templates
        self.secret = secret_key.encode()
        self._environments: dict[str, Environment] = {}
        # The reception hours in force (stored in the database): the e-mails' footer names them.
        # Unset, clinic.toml's are named.
        self.current_rules: Callable[[], SlotRules] | None = None

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
                clinic_clock=lambda moment: formats.clock(moment, zone),
                phone=formats.readable_phone,
                notice_date=lambda version: formats.calendar_date(
                    date.fromisoformat(version), language
                ),
            )
            env.globals.update(
                clinic=self.clinic.localized(language),
                lang=language,
                contact_plan=contact_plan,
                privacy_url=self.page_url("privacy", language),
            )
            self._environments[language] = env
        return self._environments[language]

    # --- Events: rows only, written in the caller's transaction -----------------------------
    # Each event writes all its rows with one statement (one round trip).

    def booked(self, connection: Connection, booking: Booking, *, now: datetime) -> None:
        rows = []
        if booking.email:
            rows.append(self._row(booking, "confirmation", now=now))
            rows += self._reminder(booking, now=now)
        rows.append(self._alert(booking, "new", now=now))
        _write(connection, rows)

    def rescheduled(
        self,
        connection: Connection,
        booking: Booking,
        *,
        now: datetime,
        previous_start: datetime,
        by_clinic: bool = False,
        message: str | None = None,
    ) -> None:
        """`by_clinic`: the desk moved it, with an optional `message` to the patient."""
        _drop_reminders(connection, booking)
        moved: dict[str, Any] = {"previous_start": previous_start.isoformat()}
        if by_clinic:
            moved |= {"moved_by_clinic": True, "message": message}
        rows = []
        if booking.email:
            rows.append(self._row(booking, "rescheduled", now=now, context=moved))
            rows += self._reminder(booking, now=now)
        rows.append(self._alert(booking, "rescheduled", now=now, context=moved))
        _write(connection, rows)

    def cancelled(
        self, connection: Connection, booking: Booking, *, by_clinic: bool, now: datetime
    ) -> None:
        """When the clinic cancels, the patient's mail links the site to book again."""
        _drop_reminders(connection, booking)
        rows = []
        if booking.email:
            by = {"by_clinic": by_clinic}
            rows.append(self._row(booking, "cancelled", now=now, context=by))
        rows.append(self._alert(booking, "cancelled", now=now))
        _write(connection, rows)

    def answered(
        self,
        connection: Connection,
        booking: Booking,
        *,
        answers: list[tuple[str, str]],
        changed: bool,
        now: datetime,
    ) -> None:
        """The intake answers (question, answer), already in the desk's language, go to the
        coordinator only: the patient's e-mails never carry them."""
        context = {"answers": [list(line) for line in answers]}
        change = "answers_changed" if changed else "answered"
        _write(connection, [self._alert(booking, change, now=now, context=context)])

    def closed(self, connection: Connection, booking: Booking) -> None:
        """Marked done or no-show: a reminder still waiting would be about the past."""
        _drop_reminders(connection, booking)

    def reopened(self, connection: Connection, booking: Booking, *, now: datetime) -> None:
        """An outcome taken back: the reminder returns if it is still ahead."""
        _drop_reminders(connection, booking)
        if booking.email:
            _write(connection, self._reminder(booking, now=now))

    def _reminder(self, booking: Booking, *, now: datetime) -> list[dict[str, Any]]:
        due = booking.starts_at - REMINDER_BEFORE
        if due <= now:
            due = booking.starts_at - LATE_REMINDER_BEFORE
        if due <= now:
            return []
        return [self._row(booking, "reminder", now=now, send_after=due)]

    def _alert(
        self,
        booking: Booking,
        change: str,
        *,
        now: datetime,
        context: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        return self._row(
            booking,
            "alert",
            now=now,
            recipient=self.clinic.email,
            language=self.clinic.default_language,
            reply_to=booking.email,  # the coordinator can answer the patient directly
            context={"change": change, **(context or {})},
        )

    def _row(
        self,
        booking: Booking,
        kind: str,
        *,
        now: datetime,
        recipient: str | None = None,
        language: str | None = None,
        reply_to: str | None = None,
        send_after: datetime | None = None,
        context: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One outbox row; every row has the same keys, so an event's rows go in one statement."""
        address = recipient or booking.email
        assert address, "patient e-mails go only to bookings with an address"
        language = language or booking.language
        domain = self.clinic.email.rsplit("@", 1)[-1]
        return {
            "kind": kind,
            "booking_id": booking.id,
            "recipient": address,
            "sender_name": self.clinic.localized(language).name,
            # A patient's reply reaches the coordinator, not a no-reply box.
            "reply_to": reply_to if recipient else self.clinic.email,
            "subject": "",  # rendered by the sender (render below)
            "body_text": "",
            "body_html": "",
            "context": json.dumps(context) if context else None,
            "message_id": f"<{uuid.uuid4().hex}@{domain}>",
            "created_at": now,
            "send_after": send_after or now,
            "next_attempt_at": send_after or now,
        }

    # --- Rendering, by the sender -----------------------------------------------------------

    def page_url(self, name: str, language: str, **params: Any) -> str:
        """A patient page's full URL in `language` (/privacy or /en/privacy on PUBLIC_URL)."""
        path = self.paths(name, params)
        return self.public_url + self.clinic.path_prefix(language) + path

    def desk_url(self, name: str, **params: Any) -> str:
        """A desk page's full URL: the desk has no language prefix (see http/language_urls.py)."""
        return self.public_url + self.paths(name, params)

    def manage_url(self, booking: Booking | None, language: str) -> str:
        """The patient's link in their language (/bookings/... or /en/bookings/...); the site's
        booking page when there is no booking to link or its token is not derived (a booking
        made before tokens were derived keeps its own, which only the patient holds)."""
        if booking is not None:
            token = manage_token(self.secret, booking.uid)
            if hash_token(token) == booking.token_hash:
                return self.page_url("booking_page", language, token=token)
        return self.page_url("consultation", language)

    def render(self, message: OutboxMessage, booking: Booking) -> Rendered:
        """The message as it goes out now, from the booking as it is now."""
        extra: dict[str, Any] = json.loads(message.context) if message.context else {}
        previous = extra.get("previous_start")
        context: dict[str, Any] = {
            "booking": booking,
            "previous_start": datetime.fromisoformat(previous) if previous else None,
            "moved_by_clinic": bool(extra.get("moved_by_clinic")),
            "clinic_message": extra.get("message"),
            "answers": extra.get("answers") or [],
        }
        if message.kind == "alert":
            language = self.clinic.default_language
            context |= {
                "headline": ALERT_HEADLINES[extra.get("change", "new")],
                "desk_url": self.desk_url("desk_booking", booking_id=booking.id),
            }
            attachment = None
        else:
            language = booking.language
            link_to = None if extra.get("by_clinic") else booking
            manage = self.manage_url(link_to, language)
            context["manage_url"] = manage
            attachment = None
            if message.kind in PATIENT_KINDS_WITH_INVITE:
                attachment = build_invite(self.clinic, booking, manage_url=manage).decode()
        env = self.env(language)
        if self.current_rules is not None:
            rules = self.current_rules()
            written = message.created_at or booking.starts_at  # (a message not yet stored)
            today = written.astimezone(rules.time_zone).date()
            context["clinic"] = self.clinic.localized(language).as_of(rules, today)
        subject = env.get_template(f"{message.kind}.subject.txt").render(context).strip()
        return Rendered(
            subject=subject[:200],
            text=env.get_template(f"{message.kind}.txt").render(context),
            html=env.get_template(f"{message.kind}.html").render(context),
            attachment=attachment,
        )
