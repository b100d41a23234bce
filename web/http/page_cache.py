"""Pages that are the same for every visitor and never change after start-up (condition pages,
their sections, the home page, the privacy notice), rendered once per key the view gives
(`cached_page`) and kept as compressed bytes for the life of the process.

Each address that asked for one is also handed to stored_pages.py, so that later requests for it
are answered before the app.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Hashable
from functools import wraps

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from web.http.encoded import Encoded
from web.http.state import state_of
from web.http.stored_pages import PUBLIC_PAGE, encoded

Handler = Callable[[Request], Response]


class PageCache:
    """Rendered pages by key. Keys come from the view (a known path and a few flags), never from
    raw query strings, so the number of entries is bounded by the site's content."""

    def __init__(self) -> None:
        self._pages: dict[Hashable, Encoded] = {}
        self._lock = threading.Lock()

    def stored(self, key: Hashable) -> Encoded | None:
        return self._pages.get(key)

    def store(self, key: Hashable, render: Callable[[], Response]) -> Encoded | Response:
        """Render and keep the page; a response that is not a 200 is passed back, not kept."""
        response = render()
        if response.status_code != 200:
            return response
        stored = encoded(response)
        with self._lock:
            return self._pages.setdefault(key, stored)

    def clear(self) -> None:
        """Forget every page: what they say has changed (new reception hours)."""
        with self._lock:
            self._pages.clear()

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
            state = state_of(request)
            cache = state.page_cache
            lookup = (view.__name__, key(request))
            found = cache.stored(lookup)
            if found is None:
                made = await run_in_threadpool(cache.store, lookup, lambda: view(request))
                if isinstance(made, Response):
                    return made
                found = made
            state.stored_pages.remember_address(request.scope, found)
            return found.response(request.scope, cache_control=PUBLIC_PAGE)

        return serve

    return decorate
