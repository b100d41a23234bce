"""An answer within a bounded time, whatever the database does.

A database that stalls (a proxy or network that holds connections open but forwards nothing)
leaves a worker thread blocked on a socket read that no timeout in the driver ends. Such a
thread cannot be stopped, only abandoned: when the app has not begun its answer in time, this
pure ASGI middleware answers 503 itself and drops whatever the handler sends later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.core.i18n import N_
from web.http.access_log import mask_path
from web.http.error_pages import error_page

log = logging.getLogger(__name__)

TOO_SLOW = N_(
    "Our booking system is not answering in time. If you were booking or changing a booking, "
    "it may or may not have been saved: please check your e-mail or call us before trying again."
)
_abandoned: set[asyncio.Task[None]] = set()  # kept referenced until they finish on their own


def _forget(task: asyncio.Task[None]) -> None:
    _abandoned.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("an abandoned request ended with %s", type(task.exception()).__name__)


class Deadline:
    """`wait(seconds)` returns when the time is up (asyncio.sleep; tests pass their own)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        seconds: float,
        wait: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.app = app
        self.seconds = seconds
        self.wait = wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = abandoned = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if abandoned:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, guarded_send))
        timer = asyncio.ensure_future(self.wait(self.seconds))
        done, _ = await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
        timer.cancel()
        with suppress(asyncio.CancelledError):
            await timer
        if task in done or started:
            await task  # finished, or already answering: let it end (and raise) as usual
            return
        abandoned = True
        _abandoned.add(task)
        task.add_done_callback(_forget)
        log.warning(
            "no answer within %.0f s for %s %s: 503",
            self.seconds,
            scope["method"],
            mask_path(scope["path"]),
        )
        response = error_page(Request(scope), 503, TOO_SLOW, {"Retry-After": "30"})
        await response(scope, receive, send)
