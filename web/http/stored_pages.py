"""Responses kept by address (path, query, what htmx asks for) and answered by
ServeStoredPages, the outermost middleware, before any other work is done.

Two kinds of page are kept here. A page that is the same for every visitor and never changes
after start-up (condition pages, their sections, the home page, the privacy notice: see
page_cache.py, which renders each once) is kept for the life of the process under every address
that asked for it. It carries no cookie, so browsers, nginx and CDNs may all keep it.

A page that is the same for every visitor but changes with the data (the slot picker) is kept
only while what it shows is current (`keep_while_current`): it stays private (no-store) to
browsers and proxies, and this process alone serves its copy, never older than the facts behind
it (see core/availability.py).

The first request for an address goes through the app as usual and keeps the page; later
requests for exactly that address are served from memory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from web.http.encoded import Encoded, request_headers
from web.http.htmx import part_asked_in, repeated_htmx_header
from web.http.security import BASE_HEADERS, HSTS, wants_hsts
from web.http.state import state_of

# Five minutes fresh; for a day after that a cache may serve its copy while it asks again.
PUBLIC_PAGE = "public, max-age=300, stale-while-revalidate=86400"
KEPT_HEADERS = ("content-type", "content-language")
# Queries that name a page of their own; any other query is served through the app, so that
# the stored addresses stay as few as the site's pages.
STORED_QUERIES = frozenset({b"", b"sections=all"})
SECURITY = [(name.encode(), value.encode()) for name, value in BASE_HEADERS.items()]
HSTS_HEADER = (b"strict-transport-security", HSTS.encode())

# Pages kept while current, at most this many at once (each day of the picker, per language and
# per part, is one): past it, stale ones are dropped, and nothing more is kept until some are.
MAX_KEPT_WHILE_CURRENT = 1000

# The path, the query, and what htmx asks for: None for the full page, else the part (see
# htmx.part_asked_in: "" for the usual partial).
Address = tuple[str, bytes, str | None]


def address_of(scope: Scope) -> Address:
    """All a kept page depends on. What htmx asks for is read as render() reads it, and
    reduced by the rules the views use, so values a client makes up cannot add addresses."""
    return scope["path"], scope.get("query_string", b""), part_asked_in(scope)


@dataclass(frozen=True)
class Kept:
    """A page as bytes, how caches outside may keep it, and until when this process may."""

    page: Encoded
    cache_control: str
    is_current: Callable[[], bool] | None = None  # None: for the life of the process

    def is_stale(self) -> bool:
        return self.is_current is not None and not self.is_current()


def encoded(response: Response, *, quick: bool = False) -> Encoded:
    """The response's body and the headers a kept copy must repeat, compressed once."""
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    vary = response.headers.get("vary", "")
    return Encoded.of(bytes(response.body), headers, vary=vary, quick=quick)


class StoredPages:
    """Responses by address, for ServeStoredPages to answer: public pages for good, others while
    current (at most MAX_KEPT_WHILE_CURRENT of those)."""

    def __init__(self) -> None:
        self.by_address: dict[Address, Kept] = {}
        self._lock = threading.Lock()
        self._while_current = 0  # how many of by_address are kept only while current

    def remember_address(self, scope: Scope, page: Encoded) -> None:
        if scope.get("query_string", b"") in STORED_QUERIES:
            self.by_address[address_of(scope)] = Kept(page, PUBLIC_PAGE)

    def keep_while_current(
        self, scope: Scope, response: Response, is_current: Callable[[], bool]
    ) -> None:
        with self._lock:
            if self._while_current >= MAX_KEPT_WHILE_CURRENT:
                self._drop_stale()
            if self._while_current >= MAX_KEPT_WHILE_CURRENT:
                return
            kept = Kept(
                encoded(response, quick=True), response.headers["cache-control"], is_current
            )
            address = address_of(scope)
            if self.by_address.get(address) is None:
                self._while_current += 1
            self.by_address[address] = kept

    def forget(self, address: Address, kept: Kept) -> None:
        """Drop a page that is no longer current (unless a fresher one has replaced it)."""
        with self._lock:
            if self.by_address.get(address) is kept:
                del self.by_address[address]
                self._while_current -= 1

    def _drop_stale(self) -> None:
        for address, kept in list(self.by_address.items()):
            if kept.is_stale():
                del self.by_address[address]
                self._while_current -= 1

    def clear(self) -> None:
        """Forget every page: what they say has changed (new reception hours)."""
        with self._lock:
            self.by_address.clear()
            self._while_current = 0


def keep_while_current(
    request: Request,
    response: Response,
    is_current: Callable[[], bool],
    *,
    queries: Collection[str],
) -> None:
    """Serve later requests for this address from memory while `is_current()` holds. Only a 200
    to a GET whose query is one of `queries` (the view's own canonical ones, so that made-up
    queries add no addresses), and only a page that is the same for every visitor: the view
    vouches for that, as nothing of the session is in it."""
    if (
        request.method == "GET"
        and response.status_code == 200
        and request.url.query in queries
        and is_current()
    ):
        state_of(request).stored_pages.keep_while_current(request.scope, response, is_current)


class ServeStoredPages:
    """Outermost: a GET for a stored address is answered from memory, security headers and all."""

    def __init__(self, app: ASGIApp, *, cache: StoredPages, https_only: bool) -> None:
        self.app = app
        self.cache = cache
        self.https_only = https_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and repeated_htmx_header(scope):
            await self._refuse(scope, send)
            return
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and self.cache.by_address:
            address = address_of(scope)
            kept = self.cache.by_address.get(address)
            if kept is not None and kept.is_stale():
                self.cache.forget(address, kept)
                kept = None
            if kept is not None:
                accept, if_none_match = request_headers(scope)
                status, headers, body = kept.page.answer(
                    accept=accept, if_none_match=if_none_match, cache_control=kept.cache_control
                )
                headers = headers + SECURITY
                if wants_hsts(scope, https_only=self.https_only):
                    headers.append(HSTS_HEADER)
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        """400 for a repeated htmx header: no browser sends one, so a plain answer will do."""
        body = b"Bad request: an HX- header was sent more than once.\n"
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            *SECURITY,
        ]
        if wants_hsts(scope, https_only=self.https_only):
            headers.append(HSTS_HEADER)
        await send({"type": "http.response.start", "status": 400, "headers": headers})
        await send({"type": "http.response.body", "body": body})
