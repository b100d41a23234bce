"""Coordinator accounts: argon2 password hashes and a lock-out against password guessing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, func, or_, update
from sqlmodel import Session, col, select

from web.core.db import session_scope
from web.core.models import Coordinator, LoginAttempt

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verifying against this when the name is unknown makes both cases take the same time.
    Made on first use, not at import, so start-up and every CLI command skip the hashing."""
    return _hasher.hash("not a real password, only for timing")


class LockedOut(Exception):
    """Too many wrong passwords for this account or from this address."""


@dataclass(frozen=True)
class SignedIn:
    id: int
    username: str
    language: str | None  # the desk language this coordinator chose, if any


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")
    return _hasher.hash(password)


def save_coordinator(*, engine: Engine, username: str, password: str, now: datetime) -> bool:
    """Create the account, or set a new password if it exists; True when it was created."""
    password_hash = hash_password(password)
    with session_scope(engine) as session:
        existing = session.exec(select(Coordinator).where(Coordinator.username == username)).first()
        if existing:
            existing.password_hash = password_hash
            session.add(existing)
            return False
        session.add(Coordinator(username=username, password_hash=password_hash, created_at=now))
        return True


def _recent_failures(session: Session, *, username: str, address: str, now: datetime) -> int:
    return session.exec(
        select(func.count())
        .select_from(LoginAttempt)
        .where(col(LoginAttempt.succeeded).is_(False))
        .where(col(LoginAttempt.attempted_at) > now - LOCKOUT)
        .where(or_(col(LoginAttempt.username) == username, col(LoginAttempt.address) == address))
    ).one()


def _verify(stored_hash: str | None, password: str) -> bool:
    try:
        _hasher.verify(stored_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return stored_hash is not None


def authenticate(
    *, engine: Engine, username: str, password: str, address: str, now: datetime
) -> SignedIn | None:
    """The coordinator for a right password; None for a wrong one; LockedOut after 5 wrong ones.

    While locked, even the right password is refused, so guessing gains nothing. The attempt is
    written as a failure before the password is checked, so it counts at once; the slow argon2
    check runs outside the write transaction (SQLite has one writer at a time).
    """
    with session_scope(engine) as session:
        if _recent_failures(session, username=username, address=address, now=now) >= MAX_FAILURES:
            raise LockedOut
        account = session.exec(select(Coordinator).where(Coordinator.username == username)).first()
        stored_hash = account.password_hash if account else None
        attempt = LoginAttempt(
            username=username, address=address, succeeded=False, attempted_at=now
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
        account = session.exec(select(Coordinator).where(Coordinator.username == username)).first()
        if account is None or account.id is None:
            return None  # removed while the password was being checked
        account.last_login_at = now
        if new_hash:
            account.password_hash = new_hash
        session.add(account)
        return SignedIn(id=account.id, username=account.username, language=account.language)


def set_language(*, engine: Engine, coordinator_id: int, language: str) -> None:
    """Remember the desk's language for this coordinator, for every later sign-in."""
    with session_scope(engine) as session:
        account = session.get(Coordinator, coordinator_id)
        if account is not None:
            account.language = language
            session.add(account)
