"""`python -m web backup DEST` and `python -m web restore SOURCE`.

A backup is consistent while the site takes bookings: SQLite's online backup API copies the
database as one transaction sees it, the write-ahead log included (a plain copy of the file
misses every booking still in `clinic.db-wal`); PostgreSQL's is `pg_dump --format=custom`, one
snapshot. Every file written is readable by its owner only (0600): it holds patients' data.

A restore puts the backup in place of the database, brings its schema to head, and then marks
sent every e-mail the database it replaces had sent (matched by Message-ID): without that, a
restored site sends again every message that went out after the backup was taken.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, inspect, text, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from web.core.db import make_engine, session_scope
from web.core.models import OutboxMessage
from web.mail.outbox import SENT_BODY
from web.private_files import (
    PRIVATE,
    create_private_file,
    create_private_sqlite_file,
    sqlite_path,
)
from web.schema import migrate


class BackupError(RuntimeError):
    """pg_dump or pg_restore failed, or a file is missing: the message says which."""


def backup_name(database_url: str, now: datetime) -> str:
    kind = "db" if sqlite_path(database_url) else "dump"
    return f"clinic-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.{kind}"


def backup(database_url: str, destination: Path, *, now: datetime) -> Path:
    """Write a backup to `destination` (a file, or a folder to name one in); return its path."""
    if destination.is_dir():
        destination = destination / backup_name(database_url, now)
    create_private_file(destination)
    path = sqlite_path(database_url)
    if path is not None:
        if not path.exists():
            raise BackupError(f"there is no database at {path}")
        with (
            sqlite3.connect(f"file:{path}?mode=ro", uri=True) as source,
            sqlite3.connect(destination) as copy,
        ):
            source.backup(copy)
        source.close()
        copy.close()
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(destination)], database_url)
    destination.chmod(PRIVATE)
    return destination


@dataclass(frozen=True)
class RestoreReport:
    carried_sent: int  # e-mails the replaced database had sent, marked sent in the restored one
    replaced_readable: bool  # False: no database with an outbox was there to read


def restore(database_url: str, source: Path, *, now: datetime) -> RestoreReport:
    """Replace the database with the backup in `source`. Stop the site's processes first."""
    if not source.is_file():
        raise BackupError(f"there is no backup at {source}")
    sent, readable = _sent_message_ids(database_url)
    path = sqlite_path(database_url)
    if path is not None:
        create_private_sqlite_file(database_url)
        with sqlite3.connect(source) as backup_copy, sqlite3.connect(path) as live:
            backup_copy.backup(live)
        backup_copy.close()
        live.close()
        path.chmod(PRIVATE)
    else:
        _run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction"],
            database_url,
            str(source),
        )
    migrate(database_url)  # the backup may be older than the code
    engine = make_engine(database_url)
    try:
        carried = _mark_sent(engine, sent, now)
    finally:
        engine.dispose()
    return RestoreReport(carried_sent=carried, replaced_readable=readable)


def _sent_message_ids(database_url: str) -> tuple[list[str], bool]:
    """What the database about to be replaced has sent (or given up), by Message-ID; and
    whether there was such a database to read (a new file or an empty database: a scratch
    restore, or one whose database was lost, and then nothing tells what went out)."""
    path = sqlite_path(database_url)
    if path is not None and not path.exists():
        return [], False
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("outbox_message"):
                return [], False
            rows = connection.execute(
                text(
                    "SELECT message_id FROM outbox_message "
                    "WHERE sent_at IS NOT NULL OR failed_at IS NOT NULL"
                )
            ).all()
        return [row[0] for row in rows], True
    except SQLAlchemyError:
        return [], False
    finally:
        engine.dispose()


def _mark_sent(engine: Engine, message_ids: list[str], now: datetime) -> int:
    if not message_ids:
        return 0
    marked = 0
    with session_scope(engine) as session:
        for start in range(0, len(message_ids), 500):
            chunk = message_ids[start : start + 500]
            result = session.exec(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.message_id).in_(chunk),
                    col(OutboxMessage.sent_at).is_(None),
                    col(OutboxMessage.failed_at).is_(None),
                )
                .values(
                    sent_at=now,
                    claimed_until=None,
                    body_text=SENT_BODY,
                    body_html=SENT_BODY,
                    attachment=None,
                )
            )
            marked += result.rowcount
    return marked


def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """The URL as pg_dump reads it, and the password in the environment (not on the command
    line, where every user of the machine could read it)."""
    url: URL = make_url(database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], database_url: str, *after: str) -> None:
    conninfo, env = _libpq(database_url)
    done = subprocess.run(  # noqa: S603  (our own command, the URL as one argument)
        [*command, "--dbname", conninfo, *after], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-500:]}")
