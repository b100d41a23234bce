"""Pages that are the same for every visitor and never change after start-up (condition pages,
their sections, the home page, the privacy notice) are rendered once per address and kept as
compressed bytes. They carry no cookie, so browsers, nginx and CDNs may all keep them.

The first request for an address goes through the app as usual and stores the page; later
requests for exactly that address (path, no query or ?sections=all, and the htmx headers) are
answered by ServeStoredPages, the outermost middleware, before any other work is done.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Hashable
from functools import wraps

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from web.http.encoded import Encoded, request_headers
from web.http.security import BASE_HEADERS, HSTS, wants_hsts
from web.http.templating import is_partial

# Five minutes fresh; for a day after that a cache may serve its copy while it asks again.
PUBLIC_PAGE = "public, max-age=300, stale-while-revalidate=86400"
KEPT_HEADERS = ("content-type", "content-language")
# Queries that name a page of their own; any other query is served through the app, so that
# the stored addresses stay as few as the site's pages.
STORED_QUERIES = frozenset({b"", b"sections=all"})
SECURITY = [(name.encode(), value.encode()) for name, value in BASE_HEADERS.items()]
HSTS_HEADER = (b"strict-transport-security", HSTS.encode())

Address = tuple[str, bytes, bool]
Handler = Callable[[Request], Response]


def address_of(scope: Scope) -> Address:
    """The path, the query and whether htmx asks for the partial: all a stored page depends on.
    The htmx headers are reduced to that one flag (the rule the views use), so values a client
    makes up cannot add addresses."""
    hx = hx_type = None
    for name, value in scope["headers"]:
        if name == b"hx-request":
            hx = value.decode("latin-1")
        elif name == b"hx-request-type":
            hx_type = value.decode("latin-1")
    return scope["path"], scope.get("query_string", b""), is_partial(hx, hx_type)


class PageCache:
    """Rendered pages by key. Keys come from the view (a known path and a few flags), never from
    raw query strings, so the number of entries is bounded by the site's content."""

    def __init__(self) -> None:
        self._pages: dict[Hashable, Encoded] = {}
        self.by_address: dict[Address, Encoded] = {}
        self._lock = threading.Lock()

    def stored(self, key: Hashable) -> Encoded | None:
        return self._pages.get(key)

    def store(self, key: Hashable, render: Callable[[], Response]) -> Encoded | Response:
        """Render and keep the page; a response that is not a 200 is passed back, not kept."""
        response = render()
        if response.status_code != 200:
            return response
        headers = {
            name: response.headers[name] for name in KEPT_HEADERS if name in response.headers
        }
        stored = Encoded.of(bytes(response.body), headers, vary=response.headers.get("vary", ""))
        with self._lock:
            return self._pages.setdefault(key, stored)

    def remember_address(self, scope: Scope, page: Encoded) -> None:
        if scope.get("query_string", b"") in STORED_QUERIES:
            self.by_address[address_of(scope)] = page

    def __len__(self) -> int:
        return len(self._pages)


def cached_page(
    key: Callable[[Request], Hashable],
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Serve the view's page from the app's PageCache, keyed by `key(request)`. The view runs
    (in a thread, as Starlette would run it) only for the first request of each key."""

    def decorate(view: Handler) -> Callable[[Request], Awaitable[Response]]:
        @wraps(view)
        async def serve(request: Request) -> Response:
            cache: PageCache = request.app.state.page_cache
            lookup = (view.__name__, key(request))
            found = cache.stored(lookup)
            if found is None:
                made = await run_in_threadpool(cache.store, lookup, lambda: view(request))
                if isinstance(made, Response):
                    return made
                found = made
            cache.remember_address(request.scope, found)
            return found.response(request.scope, cache_control=PUBLIC_PAGE)

        return serve

    return decorate


class ServeStoredPages:
    """Outermost: a GET for a stored address is answered from memory, security headers and all."""

    def __init__(self, app: ASGIApp, *, cache: PageCache, https_only: bool) -> None:
        self.app = app
        self.cache = cache
        self.https_only = https_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and self.cache.by_address:
            page = self.cache.by_address.get(address_of(scope))
            if page is not None:
                accept, if_none_match = request_headers(scope)
                status, headers, body = page.answer(
                    accept=accept, if_none_match=if_none_match, cache_control=PUBLIC_PAGE
                )
                headers = headers + SECURITY
                if wants_hsts(scope, https_only=self.https_only):
                    headers.append(HSTS_HEADER)
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
