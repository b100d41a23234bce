"""Coordinator accounts: argon2 password hashes and a lock-out against password guessing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, func, or_
from sqlmodel import Session, col, select

from web.db import session_scope
from web.models import Coordinator, LoginAttempt

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
        .where(LoginAttempt.attempted_at > now - LOCKOUT)
        .where(or_(LoginAttempt.username == username, LoginAttempt.address == address))
    ).one()


def authenticate(
    *, engine: Engine, username: str, password: str, address: str, now: datetime
) -> SignedIn | None:
    """The coordinator for a right password; None for a wrong one; LockedOut after 5 wrong ones.

    While locked, even the right password is refused, so guessing gains nothing.
    """
    with session_scope(engine) as session:
        if _recent_failures(session, username=username, address=address, now=now) >= MAX_FAILURES:
            raise LockedOut
        account = session.exec(select(Coordinator).where(Coordinator.username == username)).first()
        try:
            _hasher.verify(account.password_hash if account else _dummy_hash(), password)
            ok = account is not None
        except (VerificationError, InvalidHashError):
            ok = False
        session.add(
            LoginAttempt(username=username, address=address, succeeded=ok, attempted_at=now)
        )
        if not ok:
            return None
        if _hasher.check_needs_rehash(account.password_hash):
            account.password_hash = _hasher.hash(password)
        account.last_login_at = now
        session.add(account)
        return SignedIn(id=account.id, username=account.username)
