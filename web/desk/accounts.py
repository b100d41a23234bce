"""Coordinator accounts: argon2 password hashes, sign-in limits against guessing, and desk
sessions kept on the server so that they can be ended."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, func, update
from sqlmodel import Session, col, select

from web.core.bookings import hash_token
from web.core.db import serialise, session_scope
from web.core.models import (
    Coordinator,
    DeskSession,
    FeedSecret,
    LoginAttempt,
    PasswordLink,
    Role,
)

MIN_PASSWORD_LENGTH = 12

# Wrong passwords count for 15 minutes. One address may try one account 5 times and all accounts
# 20 times; that stops a guesser without letting a stranger lock the coordinator out. Only after
# 50 wrong passwords from everywhere is the account itself slowed: each further try must wait
# twice as long as the one before, up to 5 minutes, which holds a spread-out attack to a crawl
# while the coordinator can still get in.
WINDOW = timedelta(minutes=15)
PER_ACCOUNT_AND_ADDRESS = 5
PER_ADDRESS = 20
ACCOUNT_SLOWDOWN_AFTER = 50
LONGEST_DELAY = timedelta(minutes=5)
# A browser that has signed in to the account before (a signed device cookie, desk/devices.py)
# is limited on its own, 5 wrong passwords in the window, and not by the address or the
# account-wide slowdown: guessers elsewhere cannot keep the coordinator out of their own desk.
PER_DEVICE = 5

# A desk session ends after 8 hours unused or 12 hours after sign-in, whichever comes first.
SESSION_IDLE = timedelta(hours=8)
SESSION_LIFETIME = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=5)  # last use is written at most this often, not on every page

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verifying against this when the name is unknown makes both cases take the same time.
    Made on first use, not at import, so start-up and every CLI command skip the hashing."""
    return _hasher.hash("not a real password, only for timing")


class LockedOut(Exception):
    """Too many wrong passwords: this try is refused unchecked. `wait` says for how long."""

    def __init__(self, wait: timedelta, *, slowed: bool) -> None:
        super().__init__(wait)
        self.wait = wait
        self.slowed = slowed  # the whole account is slowed down, not just this address

    @property
    def seconds(self) -> int:
        return max(1, math.ceil(self.wait.total_seconds()))


# What a removed account's password hash becomes: no password ever verifies against it.
LOCKED_HASH = "!"


@dataclass(frozen=True)
class SignedIn:
    id: int
    username: str
    language: str | None  # the desk language this coordinator chose, if any
    role: str = Role.COORDINATOR

    @property
    def is_administrator(self) -> bool:
        return self.role == Role.ADMINISTRATOR


def _signed_in(account: Coordinator) -> SignedIn:
    assert account.id is not None
    return SignedIn(
        id=account.id, username=account.username, language=account.language, role=account.role
    )


def _active(session: Session, username: str) -> Coordinator | None:
    """The account of that name, unless it has been removed."""
    return session.exec(
        select(Coordinator)
        .where(Coordinator.username == username)
        .where(col(Coordinator.removed_at).is_(None))
    ).first()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")
    return _hasher.hash(password)


def save_coordinator(
    *,
    engine: Engine,
    username: str,
    password: str,
    now: datetime,
    role: Role | None = None,
) -> bool:
    """Create the account, or set a new password if it exists (a removed one comes back);
    True when it was created. A new password ends every desk session of that account. `role`
    None keeps an existing account's role and makes a new one a coordinator."""
    password_hash = hash_password(password)
    with session_scope(engine) as session:
        existing = session.exec(select(Coordinator).where(Coordinator.username == username)).first()
        if existing:
            existing.password_hash = password_hash
            existing.removed_at = None
            if role is not None:
                existing.role = role
            session.add(existing)
            _end_sessions(session, existing.id)
            return False
        session.add(
            Coordinator(
                username=username,
                password_hash=password_hash,
                created_at=now,
                role=role or Role.COORDINATOR,
            )
        )
        return True


def _end_sessions(session: Session, coordinator_id: int | None) -> None:
    """Every desk session of the account ends, wherever it is open."""
    session.exec(delete(DeskSession).where(col(DeskSession.coordinator_id) == coordinator_id))


def _end_feed(session: Session, coordinator_id: int | None) -> None:
    """A removed account's calendar address stops working with it."""
    session.exec(delete(FeedSecret).where(col(FeedSecret.coordinator_id) == coordinator_id))


def _end_password_links(session: Session, coordinator_id: int | None) -> None:
    session.exec(delete(PasswordLink).where(col(PasswordLink.coordinator_id) == coordinator_id))


def remove_coordinator(*, engine: Engine, username: str, now: datetime) -> bool:
    """Close the account: its sessions, calendar address and set-password links end, and no
    password opens it again. The row stays, so that the name in the bookings, notes and audit
    lines it wrote keeps meaning that person and is never given to another account. False when
    there was no such (open) account."""
    with session_scope(engine) as session:
        account = _active(session, username)
        if account is None:
            return False
        _end_sessions(session, account.id)
        _end_feed(session, account.id)
        _end_password_links(session, account.id)
        account.removed_at = now
        account.password_hash = LOCKED_HASH
        session.add(account)
        return True


def _failures(
    session: Session, since: datetime, *conditions: object
) -> tuple[int, datetime | None]:
    count, last = session.exec(
        select(func.count(), func.max(LoginAttempt.attempted_at))
        .where(col(LoginAttempt.succeeded).is_(False))
        .where(col(LoginAttempt.attempted_at) > since)
        .where(*conditions)  # type: ignore[arg-type]
    ).one()
    return count, last


def _refusal(
    session: Session, *, username: str, address: str, device: str | None, now: datetime
) -> LockedOut | None:
    """Why this try may not be checked, if it may not."""
    since = now - WINDOW
    if device is not None:
        by_device, last = _failures(
            session, since, LoginAttempt.username == username, LoginAttempt.device == device
        )
        if by_device >= PER_DEVICE and last is not None:
            return LockedOut(last + WINDOW - now, slowed=False)
        return None
    by_pair, last = _failures(
        session, since, LoginAttempt.username == username, LoginAttempt.address == address
    )
    by_address, last_here = _failures(session, since, LoginAttempt.address == address)
    if by_pair >= PER_ACCOUNT_AND_ADDRESS or by_address >= PER_ADDRESS:
        newest = max(moment for moment in (last, last_here) if moment is not None)
        return LockedOut(newest + WINDOW - now, slowed=False)
    by_account, last_anywhere = _failures(session, since, LoginAttempt.username == username)
    if by_account >= ACCOUNT_SLOWDOWN_AFTER and last_anywhere is not None:
        steps = by_account - ACCOUNT_SLOWDOWN_AFTER
        delay = min(timedelta(seconds=2 ** min(steps, 20)), LONGEST_DELAY)
        if now < last_anywhere + delay:
            return LockedOut(last_anywhere + delay - now, slowed=True)
    return None


def _verify(stored_hash: str | None, password: str) -> bool:
    try:
        _hasher.verify(stored_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return stored_hash is not None


def authenticate(
    *,
    engine: Engine,
    username: str,
    password: str,
    address: str,
    now: datetime,
    device: str | None = None,
) -> SignedIn | None:
    """The coordinator for a right password; None for a wrong one; LockedOut when the limits say
    this try may not be checked at all (then even the right password is refused). `device` is
    the browser's id when it has signed in to this account before (see PER_DEVICE).

    Counting the failures and writing this try happen in one serialised transaction, so that
    simultaneous tries cannot all see the same count: the try is written as a failure before the
    password is checked, and becomes a success only afterwards. The slow argon2 check runs
    outside that transaction.
    """
    with session_scope(engine) as session:
        serialise(session, f"sign-in:account:{username}", f"sign-in:address:{address}")
        refusal = _refusal(session, username=username, address=address, device=device, now=now)
        if refusal is not None:
            raise refusal
        account = _active(session, username)
        stored_hash = account.password_hash if account else None
        attempt = LoginAttempt(
            username=username, address=address, device=device, succeeded=False, attempted_at=now
        )
        session.add(attempt)
        session.flush()
        attempt_id = attempt.id
    if not _verify(stored_hash, password):
        return None
    assert stored_hash is not None
    new_hash = _hasher.hash(password) if _hasher.check_needs_rehash(stored_hash) else None
    with session_scope(engine) as session:
        session.exec(
            update(LoginAttempt).where(col(LoginAttempt.id) == attempt_id).values(succeeded=True)
        )
        account = _active(session, username)
        if account is None or account.id is None or account.password_hash != stored_hash:
            return None  # removed, or given a new password, while this one was being checked
        account.last_login_at = now
        if new_hash:
            account.password_hash = new_hash
        session.add(account)
        return _signed_in(account)


def start_session(*, engine: Engine, coordinator_id: int, now: datetime) -> str:
    """A new desk session; the returned id goes into the cookie, only its hash is stored."""
    token = secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        session.exec(
            delete(DeskSession)
            .where(col(DeskSession.coordinator_id) == coordinator_id)
            .where(
                (col(DeskSession.created_at) <= now - SESSION_LIFETIME)
                | (col(DeskSession.last_seen_at) <= now - SESSION_IDLE)
            )
        )
        session.add(
            DeskSession(
                token_hash=hash_token(token),
                coordinator_id=coordinator_id,
                created_at=now,
                last_seen_at=now,
            )
        )
    return token


def current_session(*, engine: Engine, token: str, now: datetime) -> SignedIn | None:
    """Who holds this session id, if the session is still alive; an expired one is deleted."""
    with Session(engine) as session:
        found = session.exec(
            select(DeskSession, Coordinator)
            .join(Coordinator, col(Coordinator.id) == DeskSession.coordinator_id)
            .where(DeskSession.token_hash == hash_token(token))
        ).first()
    if found is None:
        return None
    desk_session, account = found
    expired = (
        desk_session.created_at <= now - SESSION_LIFETIME
        or desk_session.last_seen_at <= now - SESSION_IDLE
    )
    if expired or now - desk_session.last_seen_at >= TOUCH_EVERY:
        with session_scope(engine) as session:
            row = col(DeskSession.token_hash) == desk_session.token_hash
            if expired:
                session.exec(delete(DeskSession).where(row))
            else:
                session.exec(update(DeskSession).where(row).values(last_seen_at=now))
    if expired or account.id is None or account.removed_at is not None:
        return None
    return _signed_in(account)


def end_session(*, engine: Engine, token: str) -> None:
    with session_scope(engine) as session:
        session.exec(delete(DeskSession).where(col(DeskSession.token_hash) == hash_token(token)))


def end_every_session(*, engine: Engine, coordinator_id: int) -> None:
    """Sign out everywhere: every desk session of the account, this browser's included."""
    with session_scope(engine) as session:
        _end_sessions(session, coordinator_id)


class WrongPassword(Exception):
    """The current password given to change it was not the account's."""


def change_password(
    *, engine: Engine, coordinator_id: int, current: str, new: str, keep_token: str
) -> None:
    """A new password for one's own account, the current one required: every other desk session
    of the account ends (a leaked password stops working everywhere), this one goes on."""
    new_hash = hash_password(new)
    with Session(engine) as session:
        account = session.get(Coordinator, coordinator_id)
        stored_hash = account.password_hash if account else None
    if not _verify(stored_hash, current):
        raise WrongPassword
    with session_scope(engine) as session:
        account = session.get(Coordinator, coordinator_id)
        if account is None or account.password_hash != stored_hash:
            raise WrongPassword  # changed meanwhile elsewhere
        account.password_hash = new_hash
        session.add(account)
        session.exec(
            delete(DeskSession)
            .where(col(DeskSession.coordinator_id) == coordinator_id)
            .where(col(DeskSession.token_hash) != hash_token(keep_token))
        )


def set_language(*, engine: Engine, coordinator_id: int, language: str) -> None:
    """Remember the desk's language for this coordinator, for every later sign-in."""
    with session_scope(engine) as session:
        account = session.get(Coordinator, coordinator_id)
        if account is not None:
            account.language = language
            session.add(account)


def purge_expired_sessions(*, engine: Engine, now: datetime) -> int:
    """Delete every desk session that has ended (idle or past its lifetime): an ended session
    is otherwise only removed when its account signs in again. Run by the purge process."""
    with session_scope(engine) as session:
        return session.exec(
            delete(DeskSession).where(
                (col(DeskSession.created_at) <= now - SESSION_LIFETIME)
                | (col(DeskSession.last_seen_at) <= now - SESSION_IDLE)
            )
        ).rowcount
