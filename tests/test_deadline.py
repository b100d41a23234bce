"""The answer deadline (http/deadline.py) without waiting for it: the app's timer is told when
the time is up, so a stuck request gets its 503 at once, on any database.

(tests/test_outage.py shows the same against a stalled PostgreSQL under a real server.)
"""

from __future__ import annotations

import threading

import anyio.to_thread
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.testclient import TestClient

from tests.conftest import Clock, make_settings
from web.app import create_app
from web.core.timers import Timers


def test_a_stuck_request_gets_a_503_when_the_deadline_passes(
    engine: Engine, database_url: str
) -> None:
    stuck, release = threading.Event(), threading.Event()
    answered_late: list[bool] = []

    async def time_is_up_once_stuck(seconds: float) -> None:
        await anyio.to_thread.run_sync(
            stuck.wait, abandon_on_cancel=True
        )  # "seconds" pass the moment the handler hangs

    async def hangs(request: Request) -> Response:
        def blocked_read() -> None:  # like a read from a database that forwards nothing
            stuck.set()
            release.wait(timeout=30)

        await run_in_threadpool(blocked_read)
        answered_late.append(True)
        return PlainTextResponse("too late")

    timers = Timers(wait=time_is_up_once_stuck)
    app = create_app(make_settings(database_url), clock=Clock(), timers=timers)
    app.add_route("/stuck", hangs)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/stuck")
        assert response.status_code == 503
        assert response.headers["retry-after"] == "30"
        assert "not answering in time" in response.text and "call us" in response.text
        release.set()  # the abandoned handler ends on its own; what it sends is dropped
    assert "too late" not in response.text


def test_an_answer_inside_the_deadline_is_let_through(engine: Engine, database_url: str) -> None:
    never = threading.Event()

    async def time_never_up(seconds: float) -> None:
        await anyio.to_thread.run_sync(never.wait, abandon_on_cancel=True)

    app = create_app(make_settings(database_url), clock=Clock(), timers=Timers(wait=time_never_up))
    with TestClient(app) as client:
        assert client.get("/consultation").status_code == 200
    never.set()
