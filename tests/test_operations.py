"""Issue 26: what an operator relies on. Releases take turns and a data-losing downgrade is
refused; /readyz tells a host that cannot serve bookings; /metrics answers only its addresses;
each answer carries its request id; `send-outbox --once` counts what waits; ended desk sessions
are purged; the purge process carries on through a database outage."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.booking_helpers import book
from tests.conftest import (
    BACKENDS,
    DEFAULT_NOW,
    ENGLISH_FIRST_CLINIC,
    TEST_DATABASE_URL,
    Clock,
    csrf_from,
    drop_postgres_database,
    fresh_database,
    make_settings,
    need,
)
from tests.live_server import free_port
from tests.tcp_proxy import TcpProxy
from web import cli, schema
from web.app import create_app
from web.core.db import make_engine
from web.core.models import Coordinator, DeskSession, OutboxMessage
from web.desk.accounts import SESSION_IDLE, purge_expired_sessions, save_coordinator
from web.http.metrics import Network, parse_allowed
from web.settings import PROJECT_ROOT

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
DESK_PASSWORD = "a long password for the desk"


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    url = fresh_database(request.param, tmp_path)
    yield url
    if request.param == "postgresql":
        drop_postgres_database(url)


def revision_of(url: str) -> str | None:
    engine = make_engine(url)
    with engine.connect() as connection:
        revision = schema.current_revision(connection)
    engine.dispose()
    return revision


def test_two_releases_at_once_both_succeed(empty_database: str) -> None:
    env = {**os.environ, "DATABASE_URL": empty_database, "SECRET_KEY": "release-test"}
    releases = [
        subprocess.Popen(
            [sys.executable, "-m", "web", "migrate"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(2)
    ]
    outputs = [release.communicate(timeout=120)[0].decode() for release in releases]
    assert [release.returncode for release in releases] == [0, 0], outputs
    assert revision_of(empty_database) == schema.schema_head()


def test_a_migration_runs_with_its_own_timeouts_under_the_lock(tmp_path: Path) -> None:
    """The app's 5 s statement timeout is not a migration's; the lock is held meanwhile
    (statement and lock timeouts are PostgreSQL's; SQLite's lock is the two-releases test's)."""
    need(TEST_DATABASE_URL, "migration timeouts are PostgreSQL's (TEST_DATABASE_URL)")
    empty_database = fresh_database("postgresql", tmp_path)
    try:
        _check_lock_and_timeouts(empty_database)
    finally:
        drop_postgres_database(empty_database)


def _check_lock_and_timeouts(empty_database: str) -> None:
    engine = make_engine(empty_database)
    with engine.connect() as connection, schema.one_migration_at_a_time(connection):
        assert connection.execute(text("SHOW statement_timeout")).scalar() == "15min"
        assert connection.execute(text("SHOW lock_timeout")).scalar() == "30s"
        other = make_engine(empty_database)
        with other.connect() as second:
            taken = second.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": schema.MIGRATION_LOCK_KEY}
            ).scalar()
        other.dispose()
        assert taken is False  # a second release would wait here
    engine.dispose()


def test_a_downgrade_that_would_lose_data_is_refused_unless_forced(
    empty_database: str, tmp_path: Path
) -> None:
    cli.migrate(empty_database)
    head = schema.schema_head()
    engine = make_engine(empty_database)
    with Session(engine) as session:
        session.add(Coordinator(username="anna", password_hash="x", created_at=DEFAULT_NOW))
        session.commit()
    with pytest.raises(schema.DataLossRefused, match="backup"):
        schema.downgrade(empty_database, "-1", force=False)
    assert revision_of(empty_database) == head
    with Session(engine) as session:
        assert session.exec(select(Coordinator.username)).all() == ["anna"]
    engine.dispose()
    schema.downgrade(empty_database, "-1", force=True)  # the operator insists
    assert revision_of(empty_database) != head
    cli.migrate(empty_database)
    assert revision_of(empty_database) == head


def test_the_downgrade_command_says_why_it_refused(
    empty_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.migrate(empty_database)
    engine = make_engine(empty_database)
    with Session(engine) as session:
        session.add(Coordinator(username="anna", password_hash="x", created_at=DEFAULT_NOW))
        session.commit()
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", empty_database)
    monkeypatch.setenv("SECRET_KEY", "downgrade-test")
    assert cli.main(["downgrade", "-1"]) == 2
    assert "refusing to downgrade" in capsys.readouterr().err
    assert revision_of(empty_database) == schema.schema_head()


def test_readyz_is_503_while_the_schema_is_behind_the_code(
    client: TestClient, engine: Engine
) -> None:
    assert client.get("/readyz").status_code == 200
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        behind = client.get("/readyz")
        assert behind.status_code == 503 and "schema" in behind.text
    finally:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE alembic_version SET version_num = :head"),
                {"head": schema.schema_head()},
            )
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_while_redis_stalls(engine: Engine, database_url: str, clock: Clock) -> None:
    need(TEST_REDIS_URL, "the Redis readiness test needs Redis (TEST_REDIS_URL)")
    proxy = TcpProxy("127.0.0.1", 6379)
    settings = make_settings(
        database_url, redis_url=f"redis://127.0.0.1:{proxy.port}/0", redis_ready_timeout=0.3
    )
    app = create_app(settings, clock=clock)
    try:
        with TestClient(app) as client:
            assert client.get("/readyz").status_code == 200
            proxy.stall()
            stalled = client.get("/readyz")
            assert stalled.status_code == 503 and "redis" in stalled.text
            proxy.restore()
            assert client.get("/readyz").status_code == 200
    finally:
        proxy.close()
        app.state.engine.dispose()


def metrics_client(app: Starlette, host: str) -> TestClient:
    return TestClient(app, client=(host, 50000), follow_redirects=False)


def test_metrics_answer_the_configured_address_and_refuse_others(
    engine: Engine, database_url: str, clock: Clock
) -> None:
    settings = make_settings(database_url, metrics_allow=cli_networks("10.0.0.0/24"))
    app = create_app(settings, clock=clock)
    with metrics_client(app, "10.0.0.7") as allowed, metrics_client(app, "203.0.113.9") as other:
        assert book(allowed).status_code == 303
        allowed.get("/conditions/hemifacial-spasm")
        answer = allowed.get("/metrics")
        assert answer.status_code == 200
        body = answer.text
        assert (
            'clinic_http_requests_total{method="POST",route="/consultation/book",status="303"}'
            in body
        )
        assert "clinic_http_request_duration_seconds_bucket" in body
        assert 'clinic_bookings_made_total{by="patient"}' in body
        assert "clinic_outbox_waiting 2.0" in body  # the confirmation and the clinic's alert
        assert "clinic_outbox_oldest_waiting_seconds 0.0" in body
        assert "clinic_outbox_failed 0.0" in body
        refused = other.get("/metrics")
        assert refused.status_code == 403 and "clinic_" not in refused.text
    app.state.engine.dispose()


def cli_networks(*texts: str) -> tuple[Network, ...]:
    return parse_allowed(",".join(texts))


def test_every_answer_carries_its_request_id_and_an_error_page_shows_it(client: TestClient) -> None:
    first, second = client.get("/"), client.get("/")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    missing = client.get("/bookings/" + secrets.token_urlsafe(32))
    assert missing.status_code == 404
    assert missing.headers["x-request-id"] in missing.text
    given = client.get("/", headers={"X-Request-ID": "abcdef0123456789abcdef0123456789"})
    assert given.headers["x-request-id"] == "abcdef0123456789abcdef0123456789"  # nginx's id
    forged = client.get("/", headers={"X-Request-ID": "<script>"})
    assert forged.headers["x-request-id"] != "<script>"


def test_send_outbox_once_counts_what_waits_after_failures(
    client: TestClient,
    engine: Engine,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert book(client).status_code == 303  # a confirmation and an alert
    port = free_port()  # nothing listens there: every delivery fails
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "CLINIC_FILE": str(ENGLISH_FIRST_CLINIC),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_SECURITY": "none",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["send-outbox", "--once"]) == 0
    printed = capsys.readouterr().out
    assert "sent 0, failed 2, waiting 2 (2 after a failed attempt), given up 0" in printed
    with Session(engine) as session:
        assert all(m.attempts == 1 for m in session.exec(select(OutboxMessage)).all())


def test_ended_desk_sessions_are_purged(engine: Engine) -> None:
    with Session(engine) as session:
        account = Coordinator(username="anna", password_hash="x", created_at=DEFAULT_NOW)
        session.add(account)
        session.flush()
        assert account.id is not None
        for number, seen in enumerate(
            (DEFAULT_NOW, DEFAULT_NOW - SESSION_IDLE - timedelta(minutes=1))
        ):
            session.add(
                DeskSession(
                    token_hash=f"{number:064d}",
                    coordinator_id=account.id,
                    created_at=seen,
                    last_seen_at=seen,
                )
            )
        session.commit()
    assert purge_expired_sessions(engine=engine, now=DEFAULT_NOW) == 1
    with Session(engine) as session:
        assert session.exec(select(DeskSession.token_hash)).all() == [f"{0:064d}"]


def test_the_purge_process_carries_on_through_a_database_outage(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A round that fails is logged and tried again; the process does not exit."""
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    cli.migrate(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "purge-test")
    rounds: list[str] = []

    def flaky_round(engine: Engine, older_than: int) -> None:
        rounds.append("round")
        if len(rounds) == 1:
            raise OperationalError("SELECT", {}, Exception("the database is down"))
        if len(rounds) == 3:
            raise KeyboardInterrupt  # ends the test's loop

    monkeypatch.setattr(cli, "purge_round", flaky_round)
    monkeypatch.setattr("web.cli.time.sleep", lambda seconds: None)
    with pytest.raises(KeyboardInterrupt):
        cli.purge(older_than=180, every_hours=24)
    assert len(rounds) == 3  # the failed round was followed by more


def test_the_desk_home_warns_while_emails_keep_failing(
    client: TestClient, engine: Engine, clock: Clock
) -> None:
    save_coordinator(engine=engine, username="anna", password=DESK_PASSWORD, now=clock.now)
    login = client.get("/coordinator/login").text
    signed_in = client.post(
        "/coordinator/login",
        data={"csrf_token": csrf_from(login), "username": "anna", "password": DESK_PASSWORD},
    )
    assert signed_in.status_code == 303
    assert book(client).status_code == 303  # a confirmation and an alert wait
    assert 'id="mail-failing"' not in client.get("/coordinator/").text  # waiting is normal
    with Session(engine) as session:
        for message in session.exec(select(OutboxMessage)).all():
            message.attempts = 4  # the mail server has refused every try for a while
            message.next_attempt_at = clock.now + timedelta(minutes=8)
            session.add(message)
        session.commit()
    home = client.get("/coordinator/").text
    assert 'id="mail-failing"' in home
    assert "E-mails are not going out: 2 messages are waiting after failed attempts." in home
