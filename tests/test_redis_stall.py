"""Issue 21.2: a Redis that stalls freezes nothing. The rate-limit check is a network call with
a quarter-second deadline, made off the event loop; while Redis does not answer, each worker
counts on its own, so patients can still book and health checks and stored pages answer at once.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.conftest import BACKENDS, drop_postgres_database, fresh_database, need
from tests.desk_helpers import booking_form, slots_ahead
from tests.live_server import running_server
from tests.tcp_proxy import TcpProxy
from web.cli import migrate

pytestmark = pytest.mark.slow

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
STALL = 20.0  # seconds


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_stalled_redis_holds_up_nothing(backend: str, tmp_path: Path) -> None:
    need(TEST_REDIS_URL, "the Redis stall test needs Redis (TEST_REDIS_URL)")
    url = fresh_database(backend, tmp_path)
    migrate(url)
    proxy = TcpProxy("127.0.0.1", 6379)
    env = {
        "REDIS_URL": f"redis://127.0.0.1:{proxy.port}/0",
        "RATE_LIMIT_PREFIX": f"stall-{os.getpid()}-{time.monotonic_ns()}",
    }
    slowest: dict[str, float] = {"healthz": 0.0, "stored page": 0.0, "booking": 0.0}
    bookings = []
    try:
        with (
            running_server(url, workers=2, env=env) as base,
            httpx.Client(base_url=base, timeout=30) as client,
        ):
            starts = slots_ahead(client, 40)
            forms = [
                {**booking_form(client, start), "key": secrets.token_urlsafe(32)}
                for start in starts
            ]
            client.get("/conditions/hemifacial-spasm")  # stored now
            first = client.post("/consultation/book", data=forms.pop())
            assert first.status_code == 303  # Redis in use, through the proxy
            proxy.stall()
            stalled_until = time.monotonic() + STALL
            while time.monotonic() < stalled_until:
                probes: tuple[tuple[str, Callable[[], httpx.Response]], ...] = (
                    ("healthz", lambda: client.get("/healthz")),
                    ("stored page", lambda: client.get("/conditions/hemifacial-spasm")),
                    ("booking", lambda: client.post("/consultation/book", data=forms.pop())),
                )
                for name, call in probes:
                    began = time.monotonic()
                    response = call()
                    slowest[name] = max(slowest[name], time.monotonic() - began)
                    assert response.status_code in (200, 303), (name, response.status_code)
                    if name == "booking":
                        bookings.append(response.status_code)
                time.sleep(0.5)
            proxy.restore()
            assert client.post("/consultation/book", data=forms.pop()).status_code == 303
    finally:
        proxy.close()
        if backend == "postgresql":
            drop_postgres_database(url)
    assert len(bookings) >= 10 and set(bookings) == {303}
    assert slowest["healthz"] < 0.2 and slowest["stored page"] < 0.2, slowest
    assert slowest["booking"] < 2.0, slowest
