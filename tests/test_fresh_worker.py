"""Issue 21.0: the first bookings on freshly started workers never fail.

The Procfile's web line (two workers) on a fresh database, with the machine busy; nothing is
asked of the server before the bookings, so each worker's first request is a booking POST (its
CSRF token and session cookie are made by an in-process app with the same SECRET_KEY). A worker
that configured the ORM lazily answered 500 here, while in-process tests never saw it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx
import pytest
from starlette.testclient import TestClient

from tests.conftest import (
    BACKENDS,
    DEFAULT_NOW,
    ENGLISH_FIRST_CLINIC,
    Clock,
    csrf_from,
    drop_postgres_database,
    fresh_database,
    hidden_value,
    make_settings,
)
from tests.procfile import procfile_web
from web.app import create_app
from web.cli import migrate

pytestmark = pytest.mark.slow

ROUNDS = 20
SECRET = "fresh-worker-test-secret"
# Tuesday 1 December 2026 in Kyiv, 10:00, 10:30, 11:00 and 11:30: two bookings per worker.
STARTS = [f"2026-12-01T{hour}Z" for hour in ("08:00:00", "08:30:00", "09:00:00", "09:30:00")]


def minted_posts(tmp_path: Path) -> list[tuple[dict[str, str], dict[str, str]]]:
    """(cookies, form fields) for one booking per start, made without asking the server."""
    url = f"sqlite:///{tmp_path / 'mint.db'}"
    migrate(url)
    app = create_app(make_settings(url, secret_key=SECRET), clock=Clock())
    posts = []
    with TestClient(app) as client:
        for start in STARTS:
            client.cookies.clear()
            html = client.get(f"/consultation/book?start={start}").text
            fields = {
                "csrf_token": csrf_from(html),
                "start": start,
                "key": hidden_value(html, "key"),
                "name": "Fresh Worker",
                "phone": "+380671234567",
                "email": "fresh@example.com",
                "channel": "Zoom",
                "consent": "y",
            }
            posts.append((dict(client.cookies), fields))
    app.state.engine.dispose()
    return posts


def busy_cpus(count: int) -> list[subprocess.Popen[bytes]]:
    """Spinning processes, each ending by itself after 20 s at most."""
    spin = "import time\nend = time.monotonic() + 20\nwhile time.monotonic() < end: pass"
    return [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(count)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_first_bookings_on_fresh_workers_succeed(backend: str, tmp_path: Path) -> None:
    posts = minted_posts(tmp_path)
    statuses: list[int] = []
    for round_number in range(ROUNDS):
        url = fresh_database(backend, tmp_path / f"round-{round_number}")
        (tmp_path / f"round-{round_number}").mkdir(exist_ok=True)
        migrate(url)
        env = {
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET,
            "WEB_CONCURRENCY": "2",
            "FIXED_NOW": DEFAULT_NOW.isoformat(),
            "CLINIC_FILE": str(ENGLISH_FIRST_CLINIC),
            "PUBLIC_URL": "http://127.0.0.1",
            "RATE_LIMIT_BOOKING": "1000 per minute",
        }
        load = busy_cpus(os.cpu_count() or 2)
        try:
            with procfile_web(env) as base:

                def post(
                    cookies_and_fields: tuple[dict[str, str], dict[str, str]], base: str = base
                ) -> int:
                    cookies, fields = cookies_and_fields
                    with httpx.Client(base_url=base, cookies=cookies, timeout=30) as client:
                        return client.post("/consultation/book", data=fields).status_code

                with ThreadPoolExecutor(len(posts)) as pool:
                    statuses += list(pool.map(post, posts))
        finally:
            for process in load:
                process.kill()
                process.wait()
            if backend == "postgresql":
                drop_postgres_database(url)
    assert statuses == [303] * (ROUNDS * len(STARTS)), {s: statuses.count(s) for s in statuses}
