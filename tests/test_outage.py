"""A database outage under a real server: 503 with the clinic's phone, nothing written, recovery.

PostgreSQL only: the test cuts the server's network path to the database with a TCP proxy (the
machine's PostgreSQL service keeps running). SQLite is a local file and has no network to lose.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session, SQLModel, func, select

from tests.booking_helpers import book, form_fields, offered_starts
from tests.conftest import TEST_DATABASE_URL, drop_postgres_database, fresh_database, need
from tests.live_server import running_server
from tests.tcp_proxy import proxy_for
from web.cli import migrate
from web.core.db import make_engine
from web.core.models import Booking, OutboxMessage
from web.settings import normalise_database_url

pytestmark = pytest.mark.slow
# The picker may show its kept facts for AVAILABILITY_TTL seconds after the database goes; these
# tests look at what happens once it must ask the database.
NO_KEPT_FACTS = {"AVAILABILITY_TTL": "0"}


def count(url: str, model: type[SQLModel]) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(model)).one()
    engine.dispose()
    return total


def test_database_outage_gives_503_then_recovers(tmp_path: Path) -> None:
    need(TEST_DATABASE_URL, "the outage test needs PostgreSQL (TEST_DATABASE_URL)")
    url = fresh_database("postgresql", tmp_path)
    migrate(url)
    proxy, through_proxy = proxy_for(url)
    try:
        with (
            running_server(through_proxy, env=NO_KEPT_FACTS) as base,
            httpx.Client(base_url=base, timeout=30) as client,
        ):
            assert client.get("/readyz").status_code == 200
            start = offered_starts(client)[1]
            form_page = client.get(f"/consultation/book?start={start}")
            assert form_page.status_code == 200

            proxy.cut()
            ready = client.get("/readyz")
            assert ready.status_code == 503
            for path in ["/consultation", f"/consultation/slots?day={start[:10]}"]:
                page = client.get(path)
                assert page.status_code == 503
                assert "cannot reach our booking system" in page.text
                assert 'href="tel:+380441234567"' in page.text
                assert page.headers["retry-after"] == "30"
                assert "default-src 'self'" in page.headers["content-security-policy"]
            assert (
                client.get("/conditions/hemifacial-spasm").status_code == 200
            )  # no database needed
            posted = client.post("/consultation/book", data=form_fields(form_page.text))
            assert posted.status_code == 503 and "Nothing was saved" in posted.text
            assert (
                count(url, Booking) == 0 and count(url, OutboxMessage) == 0
            )  # nothing half-written

            proxy.restore()
            deadline = time.monotonic() + 20
            while client.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline, "the site did not recover by itself"
                time.sleep(0.5)
            assert client.get("/consultation").status_code == 200
            assert book(client, start).status_code == 303
            assert count(url, Booking) == 1
    finally:
        proxy.close()
        drop_postgres_database(url)


def test_a_stalled_database_gives_503_within_the_bound_then_recovers(tmp_path: Path) -> None:
    """The proxy holds connections open and forwards nothing: no driver timeout ends a read on
    such a connection, so the deadline must; every answer is a 503 well inside 12 s."""
    need(TEST_DATABASE_URL, "the stall test needs PostgreSQL (TEST_DATABASE_URL)")
    url = fresh_database("postgresql", tmp_path)
    migrate(url)
    proxy, through_proxy = proxy_for(url)
    try:
        with (
            running_server(through_proxy, env={**NO_KEPT_FACTS, "REQUEST_TIMEOUT": "8"}) as base,
            httpx.Client(base_url=base, timeout=60) as client,
        ):
            start = offered_starts(client)[1]
            form_page = client.get(f"/consultation/book?start={start}")
            paths = ["/consultation", f"/consultation/slots?day={start[:10]}", "/readyz"]

            proxy.stall()

            def timed(number: int) -> tuple[int, float, str]:
                began = time.monotonic()
                with httpx.Client(base_url=base, timeout=60, cookies=client.cookies) as own:
                    if number % 6 == 5:
                        response = own.post("/consultation/book", data=form_fields(form_page.text))
                    else:
                        response = own.get(paths[number % len(paths)])
                return response.status_code, time.monotonic() - began, response.text

            with ThreadPoolExecutor(max_workers=20) as pool:
                results = list(pool.map(timed, range(60)))
            statuses = {status for status, _, _ in results}
            slowest = max(seconds for _, seconds, _ in results)
            assert statuses == {503}, statuses
            assert slowest < 12, slowest
            assert all("call us" in text or text == "database unavailable" for *_, text in results)

            proxy.restore()
            deadline = time.monotonic() + 30
            while client.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline, "the site did not recover by itself"
                time.sleep(0.5)
            assert client.get("/consultation").status_code == 200
            assert book(client, start).status_code == 303
    finally:
        proxy.close()
        drop_postgres_database(url)


def test_postgresql_sessions_have_a_statement_timeout() -> None:
    need(TEST_DATABASE_URL, "needs PostgreSQL (TEST_DATABASE_URL)")
    engine = make_engine(normalise_database_url(TEST_DATABASE_URL or ""))
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SHOW statement_timeout")).scalar() == "5s"
    finally:
        engine.dispose()


def test_a_booking_whose_commit_is_delayed_is_never_offered_again_by_the_same_worker(
    tmp_path: Path,
) -> None:
    """Issue 21.4: the COMMIT held 50 ms by the proxy while the picker is asked again and again:
    once the booking is answered, the same worker's picker never offers its slot."""
    need(TEST_DATABASE_URL, "delaying a COMMIT needs PostgreSQL (TEST_DATABASE_URL)")
    url = fresh_database("postgresql", tmp_path)
    migrate(url)
    proxy, through_proxy = proxy_for(url)
    proxy.delay(b"COMMIT", 0.05)
    day = "/consultation/slots?day=2026-12-02"
    offered_again = []
    try:
        with (
            running_server(through_proxy, env={"AVAILABILITY_TTL": "60"}) as base,
            httpx.Client(base_url=base, timeout=30) as client,
            httpx.Client(base_url=base, timeout=30) as poller,
        ):
            for start in offered_starts(client, day)[:8]:
                fields = form_fields(client.get(f"/consultation/book?start={start}").text)
                booking_done = threading.Event()

                def poll(booking_done: threading.Event = booking_done) -> None:
                    while not booking_done.is_set():
                        poller.get(day)

                polling = threading.Thread(target=poll)
                polling.start()
                try:
                    assert client.post("/consultation/book", data=fields).status_code == 303
                finally:
                    booking_done.set()
                    polling.join()
                if start in offered_starts(client, day):
                    offered_again.append(start)
    finally:
        proxy.close()
        drop_postgres_database(url)
    assert offered_again == []
