"""Rate limits: a friendly 429 after the limit, recovery after the window, one shared count
across two workers through Redis, and the right client address behind a proxy."""

from __future__ import annotations

import os
import re
import secrets
from typing import cast

import httpx2 as httpx
import pytest
import redis
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.booking_helpers import book, form_fields, offered_starts, open_form
from tests.conftest import Clock, Ticks, csrf_from, make_settings, need
from tests.desk_helpers import PASSWORD as DESK_PASSWORD
from tests.live_server import running_server
from web.app import create_app
from web.core.timers import Timers
from web.desk.accounts import save_coordinator

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")


def limited_client(database_url: str, ticks: Ticks | None = None, **limits: str) -> TestClient:
    rates = dict.fromkeys(("booking", "manage", "login"), "1000 per minute") | limits
    timers = Timers(ticks=ticks) if ticks is not None else None
    app = create_app(make_settings(database_url, rate_limits=rates), clock=Clock(), timers=timers)
    return TestClient(app, follow_redirects=False)


def test_booking_is_limited_and_recovers_after_the_window(
    engine: Engine, database_url: str
) -> None:
    ticks = Ticks()
    with limited_client(database_url, ticks, booking="3 per 2 seconds") as client:
        starts = offered_starts(client)
        forms = [form_fields(open_form(client, start)) for start in starts[:4]]
        statuses = [client.post("/consultation/book", data=form).status_code for form in forms]
        assert statuses == [303, 303, 303, 429]
        refused = client.post("/consultation/book", data=forms[3])
        assert refused.status_code == 429
        assert "You have tried this many times" in refused.text
        # The form again, with what was typed, so nothing has to be typed twice.
        assert f'value="{forms[3]["name"]}"' in refused.text
        assert f'value="{forms[3]["phone"]}"' in refused.text
        assert int(refused.headers["retry-after"]) > 0
        ticks.advance(1.9)
        assert client.post("/consultation/book", data=forms[3]).status_code == 429
        ticks.advance(0.2)
        assert client.post("/consultation/book", data=forms[3]).status_code == 303


def test_cancel_reschedule_and_login_are_limited(engine: Engine, database_url: str) -> None:
    with limited_client(database_url, manage="2 per minute", login="2 per minute") as client:
        token = book(client).headers["location"].rsplit("/", 1)[1]
        page = client.get(f"/bookings/{token}/cancel").text
        data = {"csrf_token": csrf_from(page), "start": "2026-12-09T08:00:00Z"}
        assert client.post(f"/bookings/{token}/reschedule", data=data).status_code == 303
        assert client.post(f"/bookings/{token}/reschedule", data=data).status_code == 303
        assert client.post(f"/bookings/{token}/cancel", data=data).status_code == 429
        login = client.get("/coordinator/login").text
        data = {"csrf_token": csrf_from(login), "username": "x", "password": "y"}
        assert [client.post("/coordinator/login", data=data).status_code for _ in range(3)] == [
            401,
            401,
            429,
        ]


def slots_ahead(base: str, count: int) -> list[str]:
    with httpx.Client(base_url=base) as client:
        days = re.findall(
            r'href="/consultation/slots\?day=([0-9-]+)(?:#[^"]*)?"',
            client.get("/consultation").text,
        )
        starts: list[str] = []
        for day in days[1:]:
            starts += offered_starts(client, f"/consultation/slots?day={day}")
    assert len(starts) >= count
    return starts[:count]


def book_from(base: str, start: str, headers: dict[str, str] | None = None) -> int:
    """One booking from a new connection (so the kernel spreads them over the workers)."""
    with httpx.Client(base_url=base, headers=headers or {}) as client:
        html = client.get(f"/consultation/book?start={start}").text
        response = client.post("/consultation/book", data=form_fields(html))
    if response.status_code == 429:
        assert "tried this many times" in response.text
    return response.status_code


def test_two_workers_share_one_limit_through_redis(engine: Engine, database_url: str) -> None:
    need(TEST_REDIS_URL, "the shared-limit test needs Redis (TEST_REDIS_URL)")
    assert TEST_REDIS_URL is not None  # need() has skipped (or failed) the test without it
    prefix = f"test-{secrets.token_hex(4)}"  # a fresh count for this run
    env = {
        "REDIS_URL": TEST_REDIS_URL,
        "RATE_LIMIT_BOOKING": "6 per 30 seconds",
        "RATE_LIMIT_PREFIX": prefix,
    }
    with running_server(database_url, workers=2, env=env) as base:
        statuses = [book_from(base, start) for start in slots_ahead(base, 12)]
    # Two separate in-memory counts would have let up to 12 through.
    assert statuses == [303] * 6 + [429] * 6, statuses
    # And the count really lives in Redis, where both workers see it.
    store = redis.Redis.from_url(TEST_REDIS_URL)
    # redis-py types its sync and asyncio answers as one: the sync client gives the list itself.
    keys = cast("list[bytes]", store.keys(f"*{prefix}*"))
    assert keys
    store.delete(*keys)


def test_the_limit_follows_the_real_client_behind_a_proxy(
    engine: Engine, database_url: str
) -> None:
    env = {"RATE_LIMIT_BOOKING": "2 per minute"}
    proxy_args = ("--proxy-headers", "--forwarded-allow-ips", "127.0.0.1")
    with running_server(database_url, env=env, extra_args=proxy_args) as base:
        starts = iter(slots_ahead(base, 6))
        for address in ["203.0.113.7", "198.51.100.9"]:  # the second patient is not blocked
            forwarded = {"X-Forwarded-For": address}
            assert [book_from(base, next(starts), forwarded) for _ in range(3)] == [303, 303, 429]


@pytest.mark.parametrize("path", ["/consultation/book", "/coordinator/login"])
def test_a_limiter_outage_lets_requests_through(
    engine: Engine, database_url: str, path: str
) -> None:
    settings = make_settings(database_url, redis_url="redis://127.0.0.1:1/0")  # nothing listens
    app = create_app(settings, clock=Clock())
    with TestClient(app, follow_redirects=False) as client:
        if path == "/coordinator/login":
            login = client.get(path).text
            response = client.post(
                path, data={"csrf_token": csrf_from(login), "username": "x", "password": "y"}
            )
            assert response.status_code == 401
        else:
            assert book(client).status_code == 303


def test_only_wrong_passwords_count_towards_the_sign_in_limit(
    engine: Engine, database_url: str, clock: Clock
) -> None:
    """Issue 24: the eleventh right sign-in in ten minutes from one office is not refused."""
    save_coordinator(engine=engine, username="anna", password=DESK_PASSWORD, now=clock.now)
    with limited_client(database_url, login="3 per minute") as client:
        page = client.get("/coordinator/login").text
        right = {"csrf_token": csrf_from(page), "username": "anna", "password": DESK_PASSWORD}
        for _ in range(11):
            client.cookies.clear()
            page = client.get("/coordinator/login").text
            right["csrf_token"] = csrf_from(page)
            assert client.post("/coordinator/login", data=right).status_code == 303
        client.cookies.clear()
        page = client.get("/coordinator/login").text
        wrong = {"csrf_token": csrf_from(page), "username": "anna", "password": "wrong guess"}
        answers = [client.post("/coordinator/login", data=wrong).status_code for _ in range(4)]
        assert answers == [401, 401, 401, 429]
