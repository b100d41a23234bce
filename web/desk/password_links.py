"""One-time set-password links: an administrator makes one for a new account or a reset, the
link is shown once (only its token's hash is kept) and works once, for a limited time."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from web.core.bookings import hash_token, is_token
from web.core.db import session_scope
from web.core.models import Coordinator, DeskSession, PasswordLink

LINK_LIFETIME = timedelta(hours=48)


class LinkNotValid(Exception):
    """Unknown, used, expired, or for an account removed since: the same answer for all, so the
    page says nothing about which accounts exist."""


def issue(*, engine: Engine, coordinator_id: int, created_by: str, now: datetime) -> str:
    """A new link for the account; any earlier one of that account stops working. The returned
    token is shown once and never stored."""
    token = secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        session.exec(delete(PasswordLink).where(col(PasswordLink.coordinator_id) == coordinator_id))
        session.add(
            PasswordLink(
                token_hash=hash_token(token),
                coordinator_id=coordinator_id,
                created_by=created_by,
                created_at=now,
                expires_at=now + LINK_LIFETIME,
            )
        )
    return token


def holder(session: Session, token: str, now: datetime) -> Coordinator:
    """The account a live link sets the password of."""
    if not is_token(token):  # the shape first: nothing odd reaches a query
        raise LinkNotValid
    found = session.exec(
        select(PasswordLink, Coordinator)
        .join(Coordinator, col(Coordinator.id) == PasswordLink.coordinator_id)
        .where(PasswordLink.token_hash == hash_token(token))
    ).first()
    if found is None:
        raise LinkNotValid
    link, account = found
    if link.expires_at <= now or account.removed_at is not None:
        raise LinkNotValid
    return account


def use(*, engine: Engine, token: str, password_hash: str, now: datetime) -> str:
    """Sets the password and spends the link, in one transaction (two tabs cannot both use it);
    every desk session of the account ends. Returns the account's name."""
    with session_scope(engine) as session:
        account = holder(session, token, now)
        deleted = session.exec(
            delete(PasswordLink).where(col(PasswordLink.token_hash) == hash_token(token))
        )
        if deleted.rowcount != 1:
            raise LinkNotValid  # spent by a simultaneous use
        account.password_hash = password_hash
        session.add(account)
        session.exec(delete(DeskSession).where(col(DeskSession.coordinator_id) == account.id))
        return account.username
