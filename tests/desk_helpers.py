"""What desk tests do again and again: sign in, send the outbox, race many callers for one slot.

One place, so that a change to the sign-in form or to `send_due` is made once. (The patient's
side has its own module, booking_helpers.py.)
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import httpx2 as httpx
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.conftest import app_of, csrf_from, drop_postgres_database, fresh_database
from tests.live_server import running_server
from web.cli import migrate
from web.core.db import make_engine
from web.core.models import Role
from web.desk.accounts import save_coordinator
from web.mail.outbox import SendReport, send_due
from web.mail.smtp import SmtpSettings

USERNAME = "anna"
PASSWORD = "a long password for the desk"
LOGIN = "/coordinator/login"
SLOT = re.compile(r'name="start" value="([0-9TZ:-]+)"')
DAY = re.compile(r'href="/consultation/slots\?day=(\d{4}-\d\d-\d\d)(?:#[^"]*)?"')
T = TypeVar("T")
ClientT = TypeVar("ClientT", bound=httpx.Client)


def add_coordinator(
    engine: Engine, now: datetime, username: str = USERNAME, password: str = PASSWORD
) -> str:
    save_coordinator(engine=engine, username=username, password=password, now=now)
    return username


def sign_in(
    client: httpx.Client, username: str = USERNAME, password: str = PASSWORD, *, next: str = ""
) -> httpx.Response:
    """The sign-in form, filled in and sent; the answer as it came (303 when it worked).
    `client` is a TestClient or an httpx client on a real server."""
    query = f"?next={next}" if next else ""
    page = client.get(LOGIN + query)
    data = {"csrf_token": csrf_from(page.text), "username": username, "password": password}
    return client.post(LOGIN + query, data=data)


def open_desk(client: ClientT, engine: Engine, now: datetime) -> ClientT:
    """A coordinator account, signed in on this client."""
    add_coordinator(engine, now)
    signed = sign_in(client)
    assert signed.status_code == 303, signed.text
    return client


def send_outbox(
    client: TestClient, smtp: SmtpSettings | None, now: datetime, *, engine: Engine | None = None
) -> SendReport:
    """One pass of the outbox sender, as `python -m web send-outbox` would make it."""
    return send_due(
        render=app_of(client).state.notifier.render,
        engine=engine if engine is not None else app_of(client).state.engine,
        smtp=smtp,
        now=now,
    )


# --- Racing one slot on a real server ------------------------------------------------------


def slots_ahead(client: httpx.Client, count: int) -> list[str]:
    """Free slot starts from the days after today (today's could pass the notice mid-test)."""
    days = DAY.findall(client.get("/consultation").text)[1:]
    starts: list[str] = []
    for day in days:
        starts += SLOT.findall(client.get(f"/consultation/slots?day={day}").text)
        if len(starts) >= count:
            return starts[:count]
    raise AssertionError("not enough free slots in the horizon")


def race(calls: Sequence[Callable[[], T]]) -> list[T]:
    """Run the calls at the same instant, each on its own thread."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def booking_form(client: httpx.Client, start: str) -> dict[str, str]:
    html = client.get(f"/consultation/book?start={start}").text
    return {
        "csrf_token": csrf_from(html),
        "start": start,
        "name": "Racer",
        "phone": "+380671234567",
        "channel": "Zoom",
        "consent": "y",
    }


def race_one_slot(
    base: str, racers: int, extra: dict[str, str] | None = None
) -> tuple[str, list[httpx.Response]]:
    """`racers` patients, each with its own session and form, book the same slot at once."""
    clients = [httpx.Client(base_url=base, timeout=60) for _ in range(racers)]
    try:
        start = slots_ahead(clients[0], 1)[0]
        forms = [booking_form(client, start) for client in clients]
        calls = [
            lambda c=client, f=form: c.post(
                "/consultation/book",
                data={**f, "key": secrets.token_urlsafe(32), **(extra or {})},
            )
            for client, form in zip(clients, forms, strict=True)
        ]
        return start, race(calls)
    finally:
        for client in clients:
            client.close()


@contextmanager
def served_desk(
    backend: str, directory: Path, accounts: Mapping[str, Role | None], *, now: datetime
) -> Iterator[str]:
    """A real server (its clock fixed at `now`) on a fresh, migrated database of that kind,
    with these desk accounts (PASSWORD each, made at `now`); the database goes afterwards."""
    url = fresh_database(backend, directory)
    migrate(url)
    engine = make_engine(url)
    for username, role in accounts.items():
        save_coordinator(engine=engine, username=username, password=PASSWORD, now=now, role=role)
    engine.dispose()
    try:
        with running_server(url, env={"FIXED_NOW": now.isoformat()}) as base:
            yield base
    finally:
        if backend == "postgresql":
            drop_postgres_database(url)
