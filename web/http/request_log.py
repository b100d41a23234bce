"""One log line per request, with an id that ties the line, the response and the error page
together: `X-Request-ID` in every answer, the same id in every line logged while the request
runs (logging reads it from a context variable) and on the error page a patient may read out.

The line names the route's pattern (`/bookings/{token}`), never the path a patient's manage link
or the desk's feed secret is in, and feeds the Prometheus request metrics (web/http/metrics.py).
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from contextvars import ContextVar
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.http import metrics

log = logging.getLogger("web.request")
HEADER = "x-request-id"
# What a proxy in front may pass on (nginx's $request_id is 32 hex digits); anything else is
# replaced, so a client cannot put text of its choosing into the logs.
ACCEPTED_ID = re.compile(r"[A-Za-z0-9-]{16,64}")
INFO_KEY = "clinic.request"

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return request_id.get()


@dataclass
class RequestInfo:
    id: str
    route: str | None = None  # the matched route's pattern, noted by NoteRoute


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if ACCEPTED_ID.fullmatch(text) else None
    return None


def route_label(info: RequestInfo, method: str, status: int) -> str:
    """The route's pattern; answers no route gave are stored pages (a GET answered from memory,
    web/http/stored_pages.py) or addresses that match nothing."""
    if info.route is not None:
        return info.route
    if method in ("GET", "HEAD") and status < 400:
        return "(stored page)"
    return "(unmatched)"


class RequestLog:
    """Outermost: times every HTTP request, gives it an id, logs it and counts it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        info = RequestInfo(id=_incoming_id(scope) or secrets.token_hex(16))
        token = request_id.set(info.id)
        began = time.perf_counter()
        status = 500  # what the server answers if the app ends without starting a response

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *(h for h in message.get("headers", ()) if h[0].lower() != b"x-request-id"),
                    (b"x-request-id", info.id.encode()),
                ]
            await send(message)

        try:
            await self.app({**scope, INFO_KEY: info}, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - began
            route = route_label(info, scope["method"], status)
            metrics.observe_request(scope["method"], route, status, seconds)
            log.info(
                "%s %s %d",
                scope["method"],
                route,
                status,
                extra={
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )
            request_id.reset(token)


class NoteRoute:
    """Innermost: the router writes the matched route into the scope it is given, which is this
    middleware's; copy its pattern to the request's info for RequestLog's line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            info = scope.get(INFO_KEY)
            route = scope.get("route")
            if isinstance(info, RequestInfo) and route is not None:
                # Inside a Mount the pattern is the mount's part of the path plus the route's
                # (root_path holds the language prefix too, which app_root_path names).
                mounted = ""
                if "app_root_path" in scope:
                    mounted = scope.get("root_path", "").removeprefix(scope["app_root_path"])
                info.route = mounted + getattr(route, "path", "")
