"""Fixtures: the app on SQLite and on PostgreSQL, a fixed clock, and the rule that CI skips nothing.

PostgreSQL is used when TEST_DATABASE_URL is set (any database on the server; the tests create and
drop their own). Without it the PostgreSQL variants skip locally, and fail under CI=true.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel
from starlette.applications import Starlette
from starlette.testclient import TestClient

import web.core.models  # noqa: F401  (every table on SQLModel.metadata)
from web.app import create_app
from web.cli import migrate
from web.core.db import make_engine
from web.settings import PROJECT_ROOT, Settings, normalise_database_url

if TYPE_CHECKING:
    from tests.mail_server import SmtpServer

IN_CI = os.environ.get("CI") == "true"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]
# Monday 30 November 2026, 08:00 in Kyiv: the first bookable slot is 10:00 (two hours' notice).
DEFAULT_NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
REAL_CLINIC = PROJECT_ROOT / "clinic.toml"


def _english_first_clinic() -> Path:
    """The real clinic profile with English as the first language.

    Most tests check behaviour (booking, the desk, limits) and read English at the plain URLs;
    the Ukrainian-first site itself, with the real profile, is tested in test_languages.py and
    the e2e tests in Ukrainian. Made from the real file, so the two never drift apart.
    """
    text = REAL_CLINIC.read_text(encoding="utf-8")
    assert 'languages = ["uk", "en"]' in text
    path = Path(tempfile.mkdtemp(prefix="clinic-")) / "clinic-en-first.toml"
    path.write_text(text.replace('["uk", "en"]', '["en", "uk"]'), encoding="utf-8")
    return path


ENGLISH_FIRST_CLINIC = _english_first_clinic()


def _filled_in_clinic() -> Path:
    """The English-first profile with its examples (legal name, address, e-mail, phone) replaced,
    as a clinic going live has it: a site on HTTPS or at a public address refuses the examples
    (web/settings.refuse_placeholders)."""
    text = ENGLISH_FIRST_CLINIC.read_text(encoding="utf-8")
    for example, real in (
        ("ТОВ «Клініка нейрохірургії»", "ТОВ «Нейроклініка Дніпро»"),
        ("Neurosurgery Clinic LLC", "Neuroclinic Dnipro LLC"),
        ("вул. Прикладна, 1", "вул. Січеславська, 7"),
        ("1 Prykladna St", "7 Sicheslavska St"),
        ("coordinator@clinic.example", "desk@neuroclinic.com.ua"),
        ("+380 44 123 45 67", "+380 56 765 43 21"),
    ):
        assert example in text, example
        text = text.replace(example, real)
    path = ENGLISH_FIRST_CLINIC.with_name("clinic-filled-in.toml")
    path.write_text(text, encoding="utf-8")
    return path


FILLED_IN_CLINIC = _filled_in_clinic()


def need(condition: object, reason: str) -> None:
    """Skip on a newcomer's machine that lacks a tool; under CI a missing tool is a failure."""
    if not condition:
        if IN_CI:
            pytest.fail(f"required under CI=true: {reason}")
        pytest.skip(reason)


_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if IN_CI and _skipped:
        print(f"\nCI=true but {len(_skipped)} test(s) skipped: {', '.join(_skipped[:10])}")
        session.exitstatus = 1


class Clock:
    """The app's idea of now, which tests move by hand."""

    def __init__(self, now: datetime = DEFAULT_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Ticks:
    """Seconds for the app's timers (rate-limit windows, the availability TTL), which tests move
    by hand instead of sleeping: `ticks.advance(2.1)`."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _admin_url() -> str:
    return normalise_database_url(TEST_DATABASE_URL or "")


def create_postgres_database() -> str:
    name = f"clinic_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(_admin_url()).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def fresh_database(backend: str, directory: Path) -> str:
    """An empty database of that kind (no tables) and its URL."""
    if backend == "sqlite":
        return f"sqlite:///{directory / f'clinic-{secrets.token_hex(4)}.db'}"
    need(TEST_DATABASE_URL, "PostgreSQL tests need TEST_DATABASE_URL (see README)")
    return create_postgres_database()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database per backend, shared by the session; `engine` empties it per test."""
    url = fresh_database(request.param, tmp_path_factory.mktemp(request.param))
    migrate(url)
    yield url
    if request.param == "postgresql":
        drop_postgres_database(url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())
    yield engine
    engine.dispose()


def make_settings(database_url: str, **overrides: object) -> Settings:
    # Any: each setting has its own type, which Settings(**values) checks field by field.
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": "test-secret-key-not-for-production",
        "clinic_file": ENGLISH_FIRST_CLINIC,
        "content_dir": PROJECT_ROOT / "content",
        "public_url": "http://testserver",  # the TestClient's origin, for absolute links
        # Generous, so that tests making many requests are not limited; test_abuse sets its own.
        "rate_limits": dict.fromkeys(("booking", "manage", "login"), "1000 per minute"),
    }
    values.update(overrides)
    return Settings(**values)


def app_of(client: TestClient) -> Starlette:
    """The app a test client drives, typed as the Starlette app it is (TestClient types it as any
    ASGI callable), for reaching `app.state`."""
    assert isinstance(client.app, Starlette)
    return client.app


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(engine: Engine, database_url: str, clock: Clock) -> Iterator[TestClient]:
    """The app on the current backend (tests using it run once on SQLite, once on PostgreSQL)."""
    app = create_app(make_settings(database_url), clock=clock)
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client
    app.state.engine.dispose()


@pytest.fixture
def uk_client(engine: Engine, database_url: str, clock: Clock) -> Iterator[TestClient]:
    """The app with the real clinic profile: Ukrainian at the plain URLs, English under /en/."""
    app = create_app(make_settings(database_url, clinic_file=REAL_CLINIC), clock=clock)
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client
    app.state.engine.dispose()


@pytest.fixture(scope="session")
def site_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app for pages that never touch the database (content, static files)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('site') / 'site.db'}"
    migrate(url)
    app = create_app(make_settings(url), clock=Clock())
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def uk_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The real profile (Ukrainian first) on SQLite, for pages whose database use is incidental."""
    url = f"sqlite:///{tmp_path_factory.mktemp('uk-site') / 'site.db'}"
    migrate(url)
    app = create_app(make_settings(url, clinic_file=REAL_CLINIC), clock=Clock())
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


CSRF_FIELD = re.compile(
    r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"'
)


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "page has no CSRF token field"
    return match.group(1) or match.group(2)


def hidden_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    assert match, f"page has no {name} field"
    return match.group(1)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A running SMTP server on a free port of 127.0.0.1; its inbox keeps every message."""
    # Imported here: live_server imports this module, so a top-level import would be circular.
    from tests.live_server import free_port
    from tests.mail_server import SmtpServer

    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()
