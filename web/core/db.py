"""The engine and a session scope: one engine per app (tests build theirs on both databases)."""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, TypeVar

from anyio import to_thread
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import configure_mappers
from sqlmodel import Session, create_engine

import web.core.models  # noqa: F401  (every mapper exists before it is configured)

T = TypeVar("T")


def _tune_sqlite(dbapi_connection: Any, _record: object) -> None:
    # WAL lets readers and one writer work at once across worker processes; the busy timeout makes
    # a racing writer wait for the lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


# PostgreSQL fails fast rather than queueing requests behind a sick database: 3 s to connect,
# 5 s per statement (the server cancels it), 3 s to wait for a pooled connection. A request then
# gets its 503 within about 10 s (see web/http/deadline.py for a connection that stalls).
CONNECT_TIMEOUT = 3
STATEMENT_TIMEOUT_MS = 5000
POOL_TIMEOUT = 3


def make_engine(url: str) -> Engine:
    """The process's engine, made at start-up. The ORM's mappers are configured here, once, in
    the starting thread: left to the first query, configuration happens in whichever request
    thread gets there first, and a booking read back without a query (a detached record) on a
    fresh worker found its attributes not yet built (a 500). SQL parameters never appear in
    errors or logs (`hide_parameters`): they hold patients' names, phones and notes."""
    configure_mappers()
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 15}, hide_parameters=True
        )
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    return create_engine(
        url,
        hide_parameters=True,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        pool_timeout=POOL_TIMEOUT,
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT,
            "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
        },
    )


_sqlite_writers: dict[str, threading.Lock] = {}


def _writer_lock(engine: Engine) -> AbstractContextManager[object]:
    """SQLite takes one writer at a time; queueing our own threads here is cheaper than letting
    them spin in SQLite's busy handler, whose sleeps grow to 100 ms. Other processes still wait
    on busy_timeout; PostgreSQL needs no such lock."""
    if engine.dialect.name != "sqlite":
        return nullcontext()
    return _sqlite_writers.setdefault(str(engine.url), threading.Lock())


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on any error."""
    with _writer_lock(engine), Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


_write_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


async def write_in_thread(engine: Engine, work: Callable[[], T]) -> T:
    """Run a write transaction in a worker thread. SQLite takes one writer at a time, so there
    the requests wait their turn here, in the event loop, instead of as up to forty threads
    blocked on the write lock (handing the lock and the GIL between them cost about a tenth of
    a booking's CPU under 50 connections). PostgreSQL writers run side by side."""
    if engine.dialect.name != "sqlite":
        return await to_thread.run_sync(work)
    gates = _write_gates.setdefault(asyncio.get_running_loop(), {})
    async with gates.setdefault(str(engine.url), asyncio.Lock()):
        return await to_thread.run_sync(work)


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction on a plain connection (no ORM session): for the hot write paths."""
    with _writer_lock(engine), engine.begin() as connection:
        yield connection


def serialise(session: Session, *keys: str) -> None:
    """Make transactions that count and then write for the same keys run one after another,
    across threads and processes, so a decision made on a count still holds at its write.

    Call first in the transaction. PostgreSQL takes transaction-scoped advisory locks (in sorted
    order, so two callers never deadlock); SQLite takes its one write lock now (BEGIN IMMEDIATE)
    rather than at the first write, which serialises every writer anyway.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        return
    for key in sorted(set(keys)):
        session.connection().execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
        )
