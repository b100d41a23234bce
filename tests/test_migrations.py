"""Migrations go up, down and up again cleanly on both databases, and match the models."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from tests.conftest import BACKENDS, drop_postgres_database, fresh_database
from web.core.db import make_engine
from web.schema import alembic_config


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_downgrade_upgrade(backend: str, tmp_path: Path) -> None:
    url = fresh_database(backend, tmp_path)
    config = alembic_config(url)
    engine = make_engine(url)
    try:
        command.upgrade(config, "head")
        assert {"booking", "blocked_period"} <= set(inspect(engine).get_table_names())
        command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        command.upgrade(config, "head")
        tables = inspect(engine).get_table_names()
        assert {"booking", "blocked_period"} <= set(tables)
        indexes = {ix["name"]: ix for ix in inspect(engine).get_indexes("booking")}
        assert indexes["uq_booking_active_seat"]["unique"]
        # The migrations describe exactly the models: nothing for autogenerate to add.
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
        assert diff == []
    finally:
        engine.dispose()
        if backend == "postgresql":
            drop_postgres_database(url)


@pytest.mark.parametrize("backend", BACKENDS)
def test_bookings_from_before_get_a_random_invite_uid(backend: str, tmp_path: Path) -> None:
    url = fresh_database(backend, tmp_path)
    config = alembic_config(url)
    engine = make_engine(url)
    try:
        command.upgrade(config, "0004")
        with engine.begin() as connection:
            for number in range(2):
                connection.execute(
                    text(
                        "INSERT INTO booking (starts_at, ends_at, seat, status, patient_name,"
                        " phone, channel, language, consent_at, token_hash, sequence, created_at,"
                        " updated_at) VALUES (:at, :at, :seat, 'confirmed', 'P', '+380671234567',"
                        " 'Zoom', 'uk', :at, :hash, 0, :at, :at)"
                    ),
                    {"at": "2026-12-01 08:30:00+00:00", "seat": number, "hash": f"{number:064d}"},
                )
        command.upgrade(config, "head")
        with engine.connect() as connection:
            uids: Sequence[str] = (
                connection.execute(text("SELECT uid FROM booking")).scalars().all()
            )
        assert len(set(uids)) == 2 and all(len(uid) == 32 for uid in uids)
    finally:
        engine.dispose()
        if backend == "postgresql":
            drop_postgres_database(url)


@pytest.mark.parametrize("backend", BACKENDS)
def test_this_rounds_migrations_keep_bookings_blocks_and_accounts(
    backend: str, tmp_path: Path
) -> None:
    """0006-0009 upgrade a database as the site holds it today: bookings get a folded name for
    search, blocks and accounts stay, the one shared calendar address is retired."""
    url = fresh_database(backend, tmp_path)
    config = alembic_config(url)
    engine = make_engine(url)
    at = "2026-12-01 08:30:00+00:00"
    try:
        command.upgrade(config, "0005")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO booking (starts_at, ends_at, seat, status, patient_name, phone,"
                    " channel, language, consent_at, token_hash, uid, sequence, created_at,"
                    " updated_at) VALUES (:at, :at, 0, 'confirmed', 'Ганна КОВАЛЕНКО',"
                    " '+380671234567', 'Zoom', 'uk', :at, :hash, :uid, 0, :at, :at)"
                ),
                {"at": at, "hash": "0" * 64, "uid": "a" * 32},
            )
            connection.execute(
                text(
                    "INSERT INTO blocked_period (starts_at, ends_at, reason, created_at)"
                    " VALUES (:at, :at, 'Holiday', :at)"
                ),
                {"at": at},
            )
            connection.execute(
                text(
                    "INSERT INTO coordinator (username, password_hash, created_at)"
                    " VALUES ('anna', 'x', :at)"
                ),
                {"at": at},
            )
            connection.execute(
                text("INSERT INTO feed_secret (secret, created_at) VALUES ('shared', :at)"),
                {"at": at},
            )
        command.upgrade(config, "head")
        with engine.connect() as connection:
            booking = connection.execute(
                text("SELECT name_folded, consent_given, booked_by, call_patient FROM booking")
            ).one()
            assert tuple(booking) == ("ганна коваленко", "online", None, None)
            assert connection.execute(text("SELECT reason, series FROM blocked_period")).one() == (
                "Holiday",
                None,
            )
            assert connection.execute(text("SELECT username FROM coordinator")).scalar() == "anna"
            assert connection.execute(text("SELECT count(*) FROM feed_secret")).scalar() == 0
    finally:
        engine.dispose()
        if backend == "postgresql":
            drop_postgres_database(url)


@pytest.mark.parametrize("backend", BACKENDS)
def test_0010_gives_accounts_roles_and_keeps_bookings_blocks_and_accounts(
    backend: str, tmp_path: Path
) -> None:
    """Accounts from before roles: the earliest (the first the engineer made) becomes the
    administrator, every later one a coordinator; bookings and blocks are untouched. Down and up
    again keeps a removed account's row (it cannot sign in: its hash matches no password)."""
    url = fresh_database(backend, tmp_path)
    config = alembic_config(url)
    engine = make_engine(url)
    at = "2026-12-01 08:30:00+00:00"
    try:
        command.upgrade(config, "0009")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO booking (starts_at, ends_at, seat, status, patient_name, phone,"
                    " channel, language, consent_at, token_hash, uid, sequence, created_at,"
                    " updated_at, booked_by) VALUES (:at, :at, 0, 'confirmed', 'Ганна',"
                    " '+380671234567', 'Zoom', 'uk', :at, :hash, :uid, 0, :at, :at, 'bohdan')"
                ),
                {"at": at, "hash": "0" * 64, "uid": "a" * 32},
            )
            connection.execute(
                text(
                    "INSERT INTO blocked_period (starts_at, ends_at, reason, created_at, series)"
                    " VALUES (:at, :at, 'Holiday', :at, NULL)"
                ),
                {"at": at},
            )
            for name in ("olha", "bohdan", "anna"):
                connection.execute(
                    text(
                        "INSERT INTO coordinator (username, password_hash, created_at)"
                        " VALUES (:name, 'x', :at)"
                    ),
                    {"name": name, "at": at},
                )
        command.upgrade(config, "head")
        with engine.connect() as connection:
            roles: dict[str, str] = dict(
                connection.execute(text("SELECT username, role FROM coordinator")).all()
            )
            assert roles == {
                "olha": "administrator",
                "bohdan": "coordinator",
                "anna": "coordinator",
            }
            assert (
                connection.execute(
                    text("SELECT count(*) FROM coordinator WHERE removed_at IS NOT NULL")
                ).scalar()
                == 0
            )
            assert connection.execute(text("SELECT booked_by FROM booking")).scalar() == "bohdan"
            assert connection.execute(text("SELECT reason FROM blocked_period")).scalar() == (
                "Holiday"
            )
            assert connection.execute(text("SELECT count(*) FROM password_link")).scalar() == 0
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE coordinator SET removed_at = :at WHERE username = 'anna'"), {"at": at}
            )
        config.attributes["force_downgrade"] = True  # it holds data: refused unless forced
        command.downgrade(config, "0009")
        command.upgrade(config, "head")
        with engine.connect() as connection:
            names: Sequence[str] = (
                connection.execute(text("SELECT username FROM coordinator")).scalars().all()
            )
            assert sorted(names) == ["anna", "bohdan", "olha"]
            removed = "SELECT removed_at IS NOT NULL FROM coordinator WHERE username = 'anna'"
            assert not connection.execute(text(removed)).scalar()  # removal was lost going down
    finally:
        engine.dispose()
        if backend == "postgresql":
            drop_postgres_database(url)


@pytest.mark.parametrize("backend", BACKENDS)
def test_0012_keeps_old_bookings_with_no_consent_text_and_nothing_erased(
    backend: str, tmp_path: Path
) -> None:
    """Issue 23: consent text and erasure columns. A booking from before keeps its notice version
    and gets no text (the desk says "not recorded": nobody knows now what it said exactly)."""
    url = fresh_database(backend, tmp_path)
    config = alembic_config(url)
    engine = make_engine(url)
    at = "2026-12-01 08:30:00+00:00"
    try:
        command.upgrade(config, "0009")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO booking (starts_at, ends_at, seat, status, patient_name, phone,"
                    " channel, language, consent_at, consent_notice, token_hash, uid, sequence,"
                    " created_at, updated_at) VALUES (:at, :at, 0, 'confirmed', 'Ганна',"
                    " '+380671234567', 'Zoom', 'uk', :at, '2026-11-20', :hash, :uid, 0, :at, :at)"
                ),
                {"at": at, "hash": "0" * 64, "uid": "a" * 32},
            )
        command.upgrade(config, "head")
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT patient_name, consent_notice, consent_text, erased_at FROM booking")
            ).one()
        assert tuple(row) == ("Ганна", "2026-11-20", None, None)
    finally:
        engine.dispose()
        if backend == "postgresql":
            drop_postgres_database(url)
