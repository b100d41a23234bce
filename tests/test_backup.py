"""Issue 26.1 and 26.5: backups taken while patients book restore every committed booking, a
restored site sends nothing twice, and the files holding patient data are the owner's only."""

from __future__ import annotations

import secrets
import stat
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from tests.conftest import (
    BACKENDS,
    DEFAULT_NOW,
    ENGLISH_FIRST_CLINIC,
    drop_postgres_database,
    fresh_database,
)
from tests.mail_server import SmtpServer
from web.app import page_routes, route_paths
from web.backup import backup, restore
from web.cli import migrate
from web.core.availability import Availability
from web.core.bookings import Ledger, PatientDetails, book
from web.core.clinic import load_clinic
from web.core.db import make_engine
from web.core.models import Booking, OutboxMessage
from web.core.schedule import Slot
from web.mail.notifications import Notifier
from web.mail.outbox import send_due
from web.settings import PROJECT_ROOT

SECRET = b"backup-test-secret"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def ledger_for(url: str) -> tuple[Ledger, list[Slot]]:
    """The clinic's ledger on `url`, and the free slots of the horizon at the test's moment."""
    clinic = load_clinic(ENGLISH_FIRST_CLINIC)
    engine = make_engine(url)
    by_day = Availability(engine, ttl=0).by_day(clinic.rules, DEFAULT_NOW)
    slots = [slot for day in sorted(by_day) for slot in by_day[day]]
    return Ledger(engine, clinic.rules, SECRET), slots


def patient(number: int, email: str | None = None) -> PatientDetails:
    return PatientDetails(
        name=f"Patient {number}",
        phone="+380671234567",
        email=email,
        channel="Zoom",
        note=None,
        language="en",
    )


def notifier() -> Notifier:
    clinic = load_clinic(ENGLISH_FIRST_CLINIC)
    return Notifier(
        clinic,
        "http://clinic.example",
        templates=PROJECT_ROOT / "templates" / "email",
        secret_key=SECRET.decode(),
        paths=route_paths(page_routes()),
    )


@pytest.fixture(params=BACKENDS)
def two_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    """The site's database and an empty one to restore into, both migrated."""
    urls = [fresh_database(request.param, tmp_path) for _ in range(2)]
    for url in urls:
        migrate(url)
    yield urls
    if request.param == "postgresql":
        for url in urls:
            drop_postgres_database(url)


def test_a_backup_taken_while_bookings_are_written_restores_every_committed_one(
    two_databases: list[str], tmp_path: Path
) -> None:
    site, elsewhere = two_databases
    ledger, slots = ledger_for(site)
    committed: list[int] = []
    stop = threading.Event()

    def keep_booking() -> None:
        for number, slot in enumerate(slots):
            if stop.is_set():
                return
            made = book(
                ledger=ledger,
                now=DEFAULT_NOW,
                start=slot.start,
                patient=patient(number),
                form_key=secrets.token_urlsafe(32),
            )
            assert made.id is not None
            committed.append(made.id)

    writer = threading.Thread(target=keep_booking)
    writer.start()
    try:
        while len(committed) < 15 and writer.is_alive():
            threading.Event().wait(0.01)
        before = list(committed)  # committed before the backup began
        written = backup(site, tmp_path / "while-booking.backup", now=DEFAULT_NOW)
    finally:
        stop.set()
        writer.join()
        ledger.engine.dispose()
    assert len(before) >= 15
    assert mode_of(written) == 0o600
    restore(elsewhere, written, now=DEFAULT_NOW)
    engine = make_engine(elsewhere)
    with Session(engine) as session:
        restored = set(session.exec(select(Booking.id)).all())
    engine.dispose()
    assert set(before) <= restored, sorted(set(before) - restored)


def test_a_restored_site_sends_nothing_twice(
    two_databases: list[str], tmp_path: Path, smtp: SmtpServer
) -> None:
    site, _ = two_databases
    ledger, slots = ledger_for(site)
    render = notifier().render
    for number, slot in enumerate(slots[:3]):
        book(
            ledger=ledger,
            now=DEFAULT_NOW,
            start=slot.start,
            patient=patient(number, email=f"patient{number}@example.com"),
            form_key=secrets.token_urlsafe(32),
            on_booked=lambda connection, booking: notifier().booked(
                connection, booking, now=DEFAULT_NOW
            ),
        )
    written = backup(site, tmp_path / "before-sending.backup", now=DEFAULT_NOW)
    # After the backup the sender delivers what was due: confirmations and alerts.
    first = send_due(engine=ledger.engine, smtp=smtp.settings, now=DEFAULT_NOW, render=render)
    assert first.sent >= 3 and len(smtp.inbox.messages) == first.sent
    sent_ids = [message["Message-ID"] for message in smtp.inbox.messages]

    report = restore(site, written, now=DEFAULT_NOW)  # the backup, in place of the database
    assert report.replaced_readable and report.carried_sent == first.sent
    with Session(ledger.engine) as session:
        waiting = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.sent_at).is_(None))
        ).all()
    assert waiting and all(m.kind == "reminder" for m in waiting)  # still ahead, still kept
    later = DEFAULT_NOW + timedelta(days=30)  # every reminder due (and dropped: begun)
    send_due(engine=ledger.engine, smtp=smtp.settings, now=DEFAULT_NOW, render=render)
    send_due(engine=ledger.engine, smtp=smtp.settings, now=later, render=render)
    ledger.engine.dispose()
    ids = [message["Message-ID"] for message in smtp.inbox.messages]
    assert ids[: len(sent_ids)] == sent_ids
    assert len(ids) == len(set(ids)), "a message went twice"


def test_the_sqlite_database_and_its_backups_are_the_owners_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'clinic.db'}"
    migrate(url)
    database = tmp_path / "var" / "clinic.db"
    assert mode_of(database) == 0o600
    ledger, slots = ledger_for(url)
    book(
        ledger=ledger,
        now=DEFAULT_NOW,
        start=slots[0].start,
        patient=patient(1),
        form_key="k" * 43,
    )
    wal = tmp_path / "var" / "clinic.db-wal"
    assert not wal.exists() or mode_of(wal) == 0o600
    ledger.engine.dispose()
    (tmp_path / "backups").mkdir()  # a folder: the backup is named by its time in it
    written = backup(url, tmp_path / "backups", now=DEFAULT_NOW)
    assert written.name == "clinic-20261130T060000Z.db" and mode_of(written) == 0o600
