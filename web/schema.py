"""Migrations an operator can run without fear: one at a time, with their own timeouts, and no
downgrade that would throw away data unless the operator says so.

- One at a time: two `release` runs at once (two hosts deploying) take turns on a lock, an
  advisory lock on PostgreSQL and a file lock beside a SQLite database; the second waits, then
  finds the schema at head and does nothing.
- Own timeouts: the app's 5 s statement timeout (web/core/db.py) is right for a request and wrong
  for a migration; a migration statement gets MIGRATION_STATEMENT_TIMEOUT (15 minutes) and waits
  at most MIGRATION_LOCK_TIMEOUT (30 s) for a table lock the running site holds, so a release
  never queues every request behind it for long.
- A downgrade drops columns and tables (the manage links in later e-mails, the From name, every
  desk session...). On a database holding any row it is refused unless forced:
  `python -m web downgrade REV --force` or `alembic -x force-downgrade=yes downgrade REV`.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import make_url

from web.private_files import create_private_sqlite_file
from web.settings import PROJECT_ROOT

MIGRATION_LOCK_KEY = 7_261_026  # any number no other advisory lock of the app uses
MIGRATION_STATEMENT_TIMEOUT = "15min"
MIGRATION_LOCK_TIMEOUT = "30s"
VERSION_TABLE = "alembic_version"


class DataLossRefused(RuntimeError):
    """A downgrade that would drop data, not forced."""


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def migrate(database_url: str) -> None:
    """Upgrade to head (the `release` step); a new SQLite file is created 0600."""
    create_private_sqlite_file(database_url)
    command.upgrade(alembic_config(database_url), "head")


def downgrade(database_url: str, revision: str, *, force: bool) -> None:
    config = alembic_config(database_url)
    config.attributes["force_downgrade"] = force
    command.downgrade(config, revision)


def schema_head() -> str | None:
    """The revision the code expects (one head: the migrations are a single line)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def one_migration_at_a_time(connection: Connection) -> Iterator[None]:
    """Hold the migration lock (waiting for another release to finish) with migration timeouts
    set on this connection; the caller's migrations run on it."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET statement_timeout = 0"))  # waiting for the other release
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        connection.execute(text(f"SET statement_timeout = '{MIGRATION_STATEMENT_TIMEOUT}'"))
        connection.execute(text(f"SET lock_timeout = '{MIGRATION_LOCK_TIMEOUT}'"))
        connection.commit()  # the settings and the lock belong to the session, not a transaction
        try:
            yield
        finally:
            connection.rollback()
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.execute(text("RESET statement_timeout"))
            connection.execute(text("RESET lock_timeout"))
            connection.commit()
        return
    database = make_url(str(connection.engine.url)).database
    if not database or database == ":memory:":
        yield
        return
    lock_path = Path(database).with_name(Path(database).name + ".migrate-lock")
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # released when the descriptor closes
        yield
    finally:
        os.close(descriptor)


def holds_data(connection: Connection) -> bool:
    """Any row in any of the app's tables (the version table aside)."""
    for table in inspect(connection).get_table_names():
        if table == VERSION_TABLE:
            continue
        quoted = connection.dialect.identifier_preparer.quote(table)
        if connection.execute(text(f"SELECT 1 FROM {quoted} LIMIT 1")).first():  # noqa: S608
            return True
    return False


def refuse_data_loss(connection: Connection, downgrades: Sequence[str], *, forced: bool) -> None:
    """Called before any step runs: `downgrades` are the revisions that would be undone."""
    if not downgrades or forced or not holds_data(connection):
        return
    raise DataLossRefused(
        f"refusing to downgrade past {', '.join(downgrades)}: a downgrade drops columns and "
        "tables, and this database holds data that would be lost. Take a backup first "
        "(python -m web backup DEST); to go ahead all the same, run "
        "`python -m web downgrade REVISION --force` "
        "(or `alembic -x force-downgrade=yes downgrade REVISION`)."
    )
