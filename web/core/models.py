"""All tables. Every time is an aware datetime stored in UTC (SQLModel's UTCDateTime): the same
instant compares equal on SQLite and PostgreSQL, which the unique slot index relies on."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import JSON, Index, Text, text
from sqlmodel import Field, SQLModel


def utc_now() -> datetime:
    return datetime.now(UTC)


def random_uid() -> str:
    """A calendar UID that says nothing: not the row number, never the same in two databases."""
    return secrets.token_hex(16)


class BookingStatus(StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    DONE = "done"
    NO_SHOW = "no_show"


NAME_MAX = 120
PHONE_MAX = 32
EMAIL_MAX = 254
CHANNEL_MAX = 40
NOTE_MAX = 500

# Only cancelled bookings give their seat back; done and no-show ones still happened in that slot.
ACTIVE_BOOKING = text("status <> 'cancelled'")


class Booking(SQLModel, table=True):
    __tablename__ = "booking"
    __table_args__ = (
        Index(
            "uq_booking_active_seat",
            "starts_at",
            "seat",
            unique=True,
            sqlite_where=ACTIVE_BOOKING,
            postgresql_where=ACTIVE_BOOKING,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    starts_at: datetime = Field(index=True)
    ends_at: datetime
    seat: int = 0
    status: str = Field(default=BookingStatus.CONFIRMED, max_length=16)
    patient_name: str = Field(max_length=NAME_MAX)
    phone: str = Field(max_length=PHONE_MAX, index=True)  # E.164: the desk finds by it
    email: str | None = Field(default=None, max_length=EMAIL_MAX)
    channel: str = Field(max_length=CHANNEL_MAX)
    note: str | None = Field(default=None, max_length=NOTE_MAX)
    # The page language it was booked in: its pages, e-mails and invite speak it.
    # Rows from before languages existed were booked on the English-only site (server default).
    language: str = Field(max_length=8, sa_column_kwargs={"server_default": "en"})
    # Set when the clinic cancels; a patient's own cancellation leaves it empty.
    cancel_reason: str | None = Field(default=None, max_length=200)
    consent_at: datetime
    # How consent was given (core/consent.py), which privacy notice it was given to, and for
    # consent given by phone the desk account that recorded it.
    consent_given: str = Field(
        default="online", max_length=16, sa_column_kwargs={"server_default": "online"}
    )
    consent_notice: str = Field(default="", max_length=16, sa_column_kwargs={"server_default": ""})
    consent_recorded_by: str | None = Field(default=None, max_length=80)
    # The exact consent sentence, in the booking's language, that the patient ticked online or
    # the coordinator read out on the phone (core/consent.py); None for bookings from before.
    consent_text: str | None = Field(default=None, sa_type=Text)
    # Set when the patient's personal data was erased on their request (core/personal_data.py):
    # the row stays (the slot was held, the audit log points at it), anonymised.
    erased_at: datetime | None = None
    # The condition page the patient booked from (its slug): its intake questions are asked.
    condition: str | None = Field(default=None, max_length=80)
    # Who made the booking: None for the patient online, else the desk account.
    booked_by: str | None = Field(default=None, max_length=80)
    # The name folded for search (str.casefold: Cyrillic too, which SQL's lower() is not on
    # SQLite), written with the name.
    name_folded: str = Field(
        default="", max_length=NAME_MAX, index=True, sa_column_kwargs={"server_default": ""}
    )
    # A patient the clinic could not tell by e-mail of a change it made: the desk shows "call the
    # patient" (what changed: "moved" or "cancelled") until a coordinator marks the call done.
    call_patient: str | None = Field(default=None, max_length=16, index=True)
    call_patient_since: datetime | None = None
    # sha256 of the manage token; the token itself is only ever in the patient's link.
    token_hash: str = Field(max_length=64, unique=True, index=True)
    # The invite's UID: random, so it reveals nothing and one calendar never merges two clinics.
    uid: str = Field(default_factory=random_uid, max_length=32, unique=True)
    sequence: int = 0
    created_at: datetime
    updated_at: datetime

    @property
    def is_cancelled(self) -> bool:
        return self.status == BookingStatus.CANCELLED


@dataclass(frozen=True)
class PatientDetails:
    """What the patient typed (or the coordinator typed for them) for a booking. Each field is
    the Booking column of the same name (`name` is `patient_name`), and bookings.book() stores
    them all: a new detail is a column above, a field here, a migration and the form's field
    (http/patient_details.py). Erasure empties each one but those kept below, and a person's
    copy of what is held lists each one (core/personal_data.py, desk/person_export.py)."""

    # Not personal: what erasure leaves (the way of contact, the language).
    KEPT_ON_ERASURE: ClassVar[tuple[str, ...]] = ("channel", "language")

    name: str
    phone: str  # E.164
    email: str | None
    channel: str
    note: str | None
    language: str  # the page's language: the booking's pages and e-mails speak it
    condition: str | None = None  # the condition page it was booked from: its questions follow

    def columns(self) -> dict[str, str | None]:
        values: dict[str, str | None] = asdict(self)
        values["patient_name"] = values.pop("name")
        return values

    @classmethod
    def detail_columns(cls) -> list[str]:
        """Each detail's Booking column, in the order of the fields."""
        return ["patient_name" if f.name == "name" else f.name for f in fields(cls)]


class BookingNote(SQLModel, table=True):
    """A clinic-only note on a booking ("prefers Viber after 12:00"): shown on the desk only,
    never in a patient page, e-mail, invite or the calendar feed."""

    __tablename__ = "booking_note"

    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(foreign_key="booking.id", index=True)
    author: str = Field(max_length=80)
    created_at: datetime
    text: str = Field(max_length=NOTE_MAX)


class IntakeAnswers(SQLModel, table=True):
    """The patient's answers to a condition's questions before the consultation (core/intake.py):
    shown on the desk and in the coordinator's alert, never in the patient's e-mails, the
    invite or the calendar feed. Purged and erased with the booking."""

    __tablename__ = "intake_answers"

    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(foreign_key="booking.id", unique=True)
    condition: str = Field(max_length=80)
    version: int  # of the condition's question set they answer
    answers: dict[str, str | list[str]] = Field(sa_type=JSON)
    answered_at: datetime
    updated_at: datetime


class BlockedPeriod(SQLModel, table=True):
    __tablename__ = "blocked_period"

    id: int | None = Field(default=None, primary_key=True)
    starts_at: datetime = Field(index=True)
    ends_at: datetime
    reason: str = Field(max_length=200)
    created_at: datetime
    # A weekly break is a row per day; they share a series and are removed together.
    series: str | None = Field(default=None, max_length=32, index=True)


class ReceptionHours(SQLModel, table=True):
    """Reception hours set by an administrator from a day on (clinic.toml gives the first
    ones): kept in the database so that every host books by the same rules."""

    __tablename__ = "reception_hours"

    id: int | None = Field(default=None, primary_key=True)
    since: date = Field(unique=True)  # clinic-local
    opens: time  # clinic-local wall clock
    closes: time
    weekdays: str = Field(max_length=16)  # ISO weekdays, "1,2,3,4,5"
    slot_minutes: int
    seats: int
    set_by: str = Field(max_length=80)
    set_at: datetime


class Role(StrEnum):
    """An administrator also manages the desk's accounts; a coordinator runs the day."""

    ADMINISTRATOR = "administrator"
    COORDINATOR = "coordinator"


class Coordinator(SQLModel, table=True):
    __tablename__ = "coordinator"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    created_at: datetime
    last_login_at: datetime | None = None
    language: str | None = Field(default=None, max_length=8)  # the desk's language, if chosen
    role: str = Field(
        default=Role.COORDINATOR, max_length=16, sa_column_kwargs={"server_default": "coordinator"}
    )
    # A removed account stays as a row that can never sign in: its name stays in the bookings,
    # notes and audit lines it wrote, and is never given to someone else.
    removed_at: datetime | None = None
    # The newest patient change (an audit line's id) this coordinator has marked as seen on the
    # desk's home; None: nothing seen yet (changes since the account was made are shown).
    changes_seen_id: int | None = None


class PasswordLink(SQLModel, table=True):
    """A one-time set-password link made by an administrator (a new account, or a reset). Only
    the token's hash is kept: the link is shown once and cannot be shown again."""

    __tablename__ = "password_link"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    coordinator_id: int = Field(foreign_key="coordinator.id", index=True)
    created_by: str = Field(max_length=80)
    created_at: datetime
    expires_at: datetime


class DeskSession(SQLModel, table=True):
    """A signed-in desk. The cookie holds only a random id whose hash is kept here, so deleting
    the row (sign-out, a new password, a removed account) ends that session wherever it is."""

    __tablename__ = "desk_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    coordinator_id: int = Field(foreign_key="coordinator.id", index=True)
    created_at: datetime
    last_seen_at: datetime


class LoginAttempt(SQLModel, table=True):
    """Every login try, kept to lock out password guessing by account and by address."""

    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, index=True)
    address: str = Field(max_length=64, index=True)
    # A browser that has signed in to this account before (desk/devices.py), if it was one.
    device: str | None = Field(default=None, max_length=32, index=True)
    succeeded: bool
    attempted_at: datetime = Field(index=True)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    coordinator: str = Field(max_length=80)
    action: str = Field(max_length=40)
    booking_id: int | None = Field(default=None, index=True)
    detail: str = Field(default="", max_length=500)


class FeedSecret(SQLModel, table=True):
    """The secret in one coordinator's calendar subscription URL: replacing it (a new row for
    that account) breaks no other coordinator's subscription."""

    __tablename__ = "feed_secret"

    id: int | None = Field(default=None, primary_key=True)
    secret: str = Field(max_length=64, unique=True, index=True)
    coordinator_id: int = Field(foreign_key="coordinator.id", unique=True)
    created_at: datetime


class OutboxMessage(SQLModel, table=True):
    """An e-mail to send, written in the transaction of the change that causes it.

    A row is claimed before sending (so two senders never hold it at once) and marked sent right
    after the SMTP server accepts it. Delivery is at least once: when the server took a message
    but its reply was lost, the message goes again, with the same Message-ID, which lets mail
    systems recognise the copy.
    """

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    booking_id: int | None = Field(default=None, index=True)
    recipient: str = Field(max_length=254)
    sender_name: str = Field(default="", max_length=200)  # shown in From:, the clinic's name
    reply_to: str | None = Field(default=None, max_length=254)
    subject: str = Field(max_length=200)
    body_text: str = Field(sa_type=Text)
    body_html: str = Field(sa_type=Text)
    attachment: str | None = Field(default=None, sa_type=Text)  # an .ics file, if any
    # What the sender needs besides the booking to render the message (JSON), e.g. the time a
    # moved booking had. Rows with an empty body are rendered when they are sent.
    context: str | None = Field(default=None, sa_type=Text)
    message_id: str = Field(max_length=200, unique=True, index=True)
    created_at: datetime
    send_after: datetime = Field(index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(index=True)
    claimed_until: datetime | None = None
    last_error: str | None = Field(default=None, max_length=200)
    sent_at: datetime | None = Field(default=None, index=True)
    # Set when the server refused the message for good (5xx): it is not tried again, and the
    # desk shows it so that the coordinator can call the patient instead.
    failed_at: datetime | None = Field(default=None, index=True)
