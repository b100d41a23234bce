"""Liveness and readiness for the platform's health checks and the rolling restart.

/healthz: the process answers. /readyz: this host can serve bookings: the database answers, its
schema is the one the code expects (a host started before `release` ran, or after a downgrade,
is not ready), and a configured Redis answers a PING within REDIS_READY_TIMEOUT.
"""

from __future__ import annotations

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from web.http.state import state_of

NO_STORE = {"cache-control": "no-store"}


def healthz(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok", headers=NO_STORE)


def _schema_revision(request: Request) -> str | None:
    with state_of(request).engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        try:
            row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
        except SQLAlchemyError:
            return None  # no version table: never migrated
    return None if row is None else str(row[0])


def _redis_answers(url: str, timeout: float) -> bool:
    client = Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return bool(client.ping())
    except (RedisError, OSError):
        return False
    finally:
        client.close()


def readyz(request: Request) -> PlainTextResponse:
    """Runs in a worker thread (a plain function), so a slow check holds up no other request."""
    try:
        revision = _schema_revision(request)
    except SQLAlchemyError:
        return PlainTextResponse("database unavailable", status_code=503, headers=NO_STORE)
    expected = state_of(request).schema_head
    if revision != expected:
        return PlainTextResponse(
            f"database schema at {revision or 'nothing'}, the code expects {expected}",
            status_code=503,
            headers=NO_STORE,
        )
    settings = state_of(request).settings
    if settings.redis_url and not _redis_answers(settings.redis_url, settings.redis_ready_timeout):
        return PlainTextResponse("redis unavailable", status_code=503, headers=NO_STORE)
    return PlainTextResponse("ready", headers=NO_STORE)


routes = [
    Route("/healthz", healthz, name="healthz"),
    Route("/readyz", readyz, name="readyz"),
]
