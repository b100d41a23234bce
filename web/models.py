"""All tables. Every time is an aware datetime stored in UTC (SQLModel's UTCDateTime): the same
instant compares equal on SQLite and PostgreSQL, which the unique slot index relies on."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel


def utc_now() -> datetime:
    return datetime.now(UTC)


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
    phone: str = Field(max_length=PHONE_MAX)
    email: str | None = Field(default=None, max_length=EMAIL_MAX)
    channel: str = Field(max_length=CHANNEL_MAX)
    note: str | None = Field(default=None, max_length=NOTE_MAX)
    consent_at: datetime
    # sha256 of the manage token; the token itself is only ever in the patient's link.
    token_hash: str = Field(max_length=64, unique=True, index=True)
    sequence: int = 0
    created_at: datetime
    updated_at: datetime

    @property
    def start(self) -> datetime:
        return self.starts_at

    @property
    def end(self) -> datetime:
        return self.ends_at

    @property
    def is_cancelled(self) -> bool:
        return self.status == BookingStatus.CANCELLED


class BlockedPeriod(SQLModel, table=True):
    __tablename__ = "blocked_period"

    id: int | None = Field(default=None, primary_key=True)
    starts_at: datetime = Field(index=True)
    ends_at: datetime
    reason: str = Field(max_length=200)
    created_at: datetime
