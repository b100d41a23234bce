"""A database outage under a real server: 503 with the clinic's phone, nothing written, recovery.

PostgreSQL only: the test cuts the server's network path to the database with a TCP proxy (the
machine's PostgreSQL service keeps running). SQLite is a local file and has no network to lose.
"""

from __future__ import annotations

import time

import httpx2 as httpx
import pytest
from sqlmodel import Session, func, select

from tests.booking_helpers import book, form_fields, offered_starts
from tests.conftest import TEST_DATABASE_URL, drop_postgres_database, fresh_database, need
from tests.live_server import running_server
from tests.tcp_proxy import proxy_for
from web.cli import migrate
from web.core.db import make_engine
from web.core.models import Booking, OutboxMessage

pytestmark = pytest.mark.slow


def count(url: str, model) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(model)).one()
    engine.dispose()
    return total


def test_database_outage_gives_503_then_recovers(tmp_path):
    need(TEST_DATABASE_URL, "the outage test needs PostgreSQL (TEST_DATABASE_URL)")
    url = fresh_database("postgresql", tmp_path)
    migrate(url)
    proxy, through_proxy = proxy_for(url)
    try:
        with (
            running_server(through_proxy) as base,
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
