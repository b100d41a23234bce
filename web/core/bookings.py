"""Writing bookings: book, reschedule, cancel, and finding a booking by its manage token.

The database, not this code, is what forbids a double booking (the unique index over active
bookings of a slot and seat); this code turns the index's refusal into SlotUnavailable.

A booking's manage token is an HMAC of its random UID with SECRET_KEY: the database keeps only
the token's hash, yet the e-mail sender can put the link in a message long after the request.
The UID itself comes from the booking form's one-time key (also through the HMAC), so the same
form sent twice finds the booking it already made.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    Connection,
    Engine,
    Insert,
    Subquery,
    and_,
    bindparam,
    func,
    insert,
    literal,
    union_all,
)
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from web.core.consent import PRIVACY_NOTICE_VERSION, ConsentGiven, consent_text
from web.core.db import session_scope, transaction
from web.core.errors import BookingChanged, BookingNotActive, BookingNotFound, SlotUnavailable
from web.core.models import BlockedPeriod, Booking, BookingStatus
from web.core.models import PatientDetails as PatientDetails  # where the pages know it from
from web.core.schedule import SlotRules, is_bookable_time

Handle = TypeVar("Handle", Session, Connection)
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


# Called inside the transaction that changes a booking, to write what must follow (e-mails).
OnChange = Callable[[Connection, Booking], None]


def no_follow_up(connection: Connection, booking: Booking) -> None:
    pass


def new_token() -> str:
    return secrets.token_urlsafe(32)


def _mac(secret: bytes, purpose: str, value: str) -> bytes:
    return hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).digest()


def booking_uid(secret: bytes, form_key: str) -> str:
    """The UID of the booking a form makes: 32 hex digits that say nothing about the key."""
    return _mac(secret, "booking-uid", form_key).hex()[:32]


def manage_token(secret: bytes, uid: str) -> str:
    """The booking's manage token (43 URL-safe characters, like a random token)."""
    return base64.urlsafe_b64encode(_mac(secret, "manage", uid)).decode().rstrip("=")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_token(value: str) -> bool:
    return bool(TOKEN_PATTERN.match(value))


BOOKING = Booking.__table__  # type: ignore[attr-defined]
BLOCKED = BlockedPeriod.__table__  # type: ignore[attr-defined]


def _param(name: str) -> BindParameter[object]:
    """A placeholder for the booking column `name`, typed like it (times are kept in UTC)."""
    return bindparam(name, type_=BOOKING.c[name].type)


def _lowest_free_seat(capacity: int) -> Subquery:
    """One row: the lowest seat below `capacity` that no active booking of :starts_at holds
    (NULL when the slot is full), or no row when a blocked period covers the slot. The seats
    worth trying are 0 and the one after each taken seat, so this needs no list of seats."""
    start, end = _param("starts_at"), _param("ends_at")
    active = and_(BOOKING.c.starts_at == start, BOOKING.c.status != BookingStatus.CANCELLED.value)
    candidates = union_all(
        core_select(literal(0).label("seat")),
        core_select((BOOKING.c.seat + 1).label("seat")).where(active),
    ).subquery()
    lowest = core_select(func.min(candidates.c.seat).label("seat")).where(
        candidates.c.seat < capacity,
        candidates.c.seat.not_in(core_select(BOOKING.c.seat).where(active)),
    )
    blocked = core_select(BLOCKED.c.id).where(BLOCKED.c.starts_at < end, BLOCKED.c.ends_at > start)
    return lowest.where(~blocked.exists()).subquery()


# The columns the booking INSERT binds (the seat comes from the SELECT, the id from the database).
INSERTED_COLUMNS = tuple(column.name for column in BOOKING.c if column.name not in ("id", "seat"))


def with_model_defaults(values: dict[str, Any]) -> dict[str, Any]:
    """A value for every inserted column: those given, and the model's default for the rest, so
    that a new Booking column with a default needs no edit in book()."""
    row = dict(values)
    for name in INSERTED_COLUMNS:
        if name not in row:
            field = Booking.model_fields[name]
            if field.is_required():
                raise TypeError(f"a new booking needs a value for the column {name!r}")
            row[name] = field.get_default(call_default_factory=True)
    return row


@lru_cache(maxsize=8)
def _insert_into_free_seat(capacity: int) -> Insert:
    """The booking row in the lowest free seat, in one statement (no row when there is none).
    Built once per capacity; every value is a bound parameter named after its column."""
    seat = _lowest_free_seat(capacity)
    columns = [BOOKING.c[name] for name in INSERTED_COLUMNS]
    values = [_param(column.name).label(column.name) for column in columns]
    source = core_select(*values, seat.c.seat).where(seat.c.seat.is_not(None))
    names = [column.name for column in columns] + ["seat"]
    return insert(BOOKING).from_select(names, source).returning(BOOKING.c.id, BOOKING.c.seat)


def _free_seat(connection: Connection, rules: SlotRules, start: datetime, now: datetime) -> int:
    """The lowest free seat of a bookable slot, or SlotUnavailable."""
    if not is_bookable_time(rules, start, now):
        raise SlotUnavailable
    hours = rules.at(start)
    seat = _lowest_free_seat(hours.capacity)
    params = {"starts_at": start, "ends_at": start + hours.slot_length}
    found = connection.execute(core_select(seat.c.seat), params).scalar()
    if found is None:
        raise SlotUnavailable
    return int(found)


def find_booking(session: Session, token: str) -> Booking | None:
    if not is_token(token):
        return None
    wanted = hash_token(token)
    booking = session.exec(select(Booking).where(Booking.token_hash == wanted)).first()
    # The lookup is by hash, so timing says nothing about the token; compare_digest keeps it so.
    if booking is None or not hmac.compare_digest(booking.token_hash, wanted):
        return None
    return booking


@dataclass(frozen=True)
class Ledger:
    """Where bookings are written and under which slot rules: one per app."""

    engine: Engine
    rules: SlotRules
    secret: bytes  # SECRET_KEY: manage tokens are derived from booking UIDs with it

    def manage_token(self, booking: Booking) -> str:
        return manage_token(self.secret, booking.uid)

    def for_desk(self) -> Ledger:
        """The same ledger under the desk's rules (SlotRules.for_desk)."""
        return replace(self, rules=self.rules.for_desk())


def book(
    *,
    ledger: Ledger,
    now: datetime,
    start: datetime,
    patient: PatientDetails,
    form_key: str,
    on_booked: OnChange = no_follow_up,
    booked_by: str | None = None,
) -> Booking:
    """Create a booking, or return the one this same form (same key) already created.

    `booked_by` is the desk account that took the patient's call (None: the patient online);
    then the patient's consent was given by phone and recorded by that account.

    The common case is two statements and a commit: the row, inserted into the lowest free seat
    by one INSERT ... SELECT, and its e-mails (see `on_booked`). Looking for the form's earlier
    booking happens only when the insert could not go ahead."""
    if not is_bookable_time(ledger.rules, start, now):
        raise SlotUnavailable
    uid = booking_uid(ledger.secret, form_key)
    hours = ledger.rules.at(start)
    consent = ConsentGiven.ONLINE if booked_by is None else ConsentGiven.BY_PHONE
    # Only what a new booking does not take from the model's defaults (with_model_defaults).
    values = with_model_defaults(
        {
            "uid": uid,
            "starts_at": start,
            "ends_at": start + hours.slot_length,
            "status": BookingStatus.CONFIRMED.value,
            **patient.columns(),
            "consent_at": now,
            "consent_given": consent.value,
            "consent_notice": PRIVACY_NOTICE_VERSION,
            "consent_recorded_by": booked_by,
            "consent_text": consent_text(patient.language),
            "booked_by": booked_by,
            "name_folded": patient.name.casefold(),
            "token_hash": hash_token(manage_token(ledger.secret, uid)),
            "created_at": now,
            "updated_at": now,
        }
    )
    statement = _insert_into_free_seat(hours.capacity)

    def attempt(connection: Connection, retried: bool) -> Booking:
        # A retry follows a unique-index refusal: a racing request took the seat, or this same
        # form's other request made the booking.
        earlier = _booking_with_uid(connection, uid) if retried else None
        if earlier is not None:
            return earlier
        row = connection.execute(statement, values).first()
        if row is None:  # full or blocked, unless this form already holds a seat of it
            earlier = _booking_with_uid(connection, uid)
            if earlier is None:
                raise SlotUnavailable
            return earlier
        booking = _record(id=row.id, seat=row.seat, **values)
        on_booked(connection, booking)
        return booking

    return _until_no_conflict(ledger, transaction, attempt, seats=hours.capacity)


def _record(**columns: Any) -> Booking:
    """The row as a Booking for reading only (never added to a session): made without
    validation, as it comes from our own values or the database (a seventh of the cost)."""
    return Booking.model_construct(**columns)


def _booking_with_uid(connection: Connection, uid: str) -> Booking | None:
    row = connection.execute(core_select(BOOKING).where(BOOKING.c.uid == uid)).first()
    return None if row is None else _record(**row._mapping)


def _until_no_conflict(
    ledger: Ledger,
    scope: Callable[[Engine], AbstractContextManager[Handle]],
    attempt: Callable[[Handle, bool], Booking],
    *,
    seats: int,
) -> Booking:
    """Run `attempt` in a transaction (`scope`: a session or a plain connection); when the
    unique index refuses it, look again with fresh data (`attempt` is told it is a retry): the
    next try takes the next free seat. One try more than there are seats."""
    for tries in range(seats + 1):
        try:
            with scope(ledger.engine) as handle:
                return attempt(handle, tries > 0)
        except IntegrityError:
            continue
    raise SlotUnavailable


def reschedule(
    *, ledger: Ledger, now: datetime, token: str, start: datetime, on_moved: OnChange = no_follow_up
) -> Booking:
    """The patient moves their own booking (found by its manage token)."""
    return _move(ledger, now, start, lambda session: get_booking(session, token), on_moved)


def move(
    *,
    ledger: Ledger,
    now: datetime,
    booking_id: int,
    start: datetime,
    seen_sequence: int,
    on_moved: OnChange = no_follow_up,
) -> Booking:
    """The clinic moves a booking, as the coordinator saw it (`seen_sequence`): BookingChanged
    when it changed meanwhile. A patient without an e-mail hears of it from nobody, so the
    booking gets a "call the patient" task."""

    def find(session: Session) -> Booking:
        booking = session.get(Booking, booking_id)
        if booking is None:
            raise BookingNotFound
        if booking.sequence != seen_sequence:
            session.expunge(booking)  # as it is now, still readable after the rollback
            raise BookingChanged(booking)
        return booking

    def then(connection: Connection, booking: Booking) -> None:
        if not booking.email:
            booking.call_patient, booking.call_patient_since = "moved", now
        on_moved(connection, booking)

    return _move(ledger, now, start, find, then)


def _move(
    ledger: Ledger,
    now: datetime,
    start: datetime,
    find: Callable[[Session], Booking],
    on_moved: OnChange,
) -> Booking:
    """Move a booking; the old seat is freed in the same transaction that takes the new one."""

    def attempt(session: Session, retried: bool) -> Booking:
        booking = find(session)
        if booking.starts_at == start and booking.status == BookingStatus.CONFIRMED:
            return booking  # a resubmitted form: already done
        if booking.status != BookingStatus.CONFIRMED:
            raise BookingNotActive
        booking.seat = _free_seat(session.connection(), ledger.rules, start, now)
        booking.starts_at = start
        booking.ends_at = start + ledger.rules.at(start).slot_length
        booking.sequence += 1
        booking.updated_at = now
        session.add(booking)
        session.flush()
        on_moved(session.connection(), booking)  # changes it makes are flushed at the commit
        return booking

    seats = ledger.rules.at(start).capacity
    return _until_no_conflict(ledger, session_scope, attempt, seats=seats)


def cancel(
    *, engine: Engine, now: datetime, token: str, on_cancelled: OnChange = no_follow_up
) -> Booking:
    with session_scope(engine) as session:
        booking = get_booking(session, token)
        if booking.status == BookingStatus.CONFIRMED:
            booking.status = BookingStatus.CANCELLED
            booking.sequence += 1
            booking.updated_at = now
            session.add(booking)
            on_cancelled(session.connection(), booking)
        return booking


def get_booking(session: Session, token: str) -> Booking:
    booking = find_booking(session, token)
    if booking is None:
        raise BookingNotFound
    return booking


def booking_for_token(engine: Engine, token: str) -> Booking:
    """The booking behind a manage link; BookingNotFound when there is none."""
    with Session(engine) as session:
        return get_booking(session, token)
