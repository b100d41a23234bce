"""Pages that are the same for every visitor and never change after start-up (condition pages,
their sections, the home page, the privacy notice) are rendered once per address and kept as
compressed bytes. They carry no cookie, so browsers, nginx and CDNs may all keep them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from functools import wraps

from starlette.requests import Request
from starlette.responses import Response

from web.http.encoded import Encoded

# Five minutes fresh; for a day after that a cache may serve its copy while it asks again.
PUBLIC_PAGE = "public, max-age=300, stale-while-revalidate=86400"
KEPT_HEADERS = ("content-type", "content-language")

Handler = Callable[[Request], Response]


class PageCache:
    """Rendered pages by key. Keys come from the view (a known path and a few flags), never from
    raw query strings, so the number of entries is bounded by the site's content."""

    def __init__(self) -> None:
        self._pages: dict[Hashable, Encoded] = {}
        self._lock = threading.Lock()

    def page(self, key: Hashable, render: Callable[[], Response]) -> Encoded | Response:
        """The stored page, or the rendered response itself when it is not a 200 to keep."""
        stored = self._pages.get(key)
        if stored is not None:
            return stored
        response = render()
        if response.status_code != 200:
            return response
        headers = {
            name: response.headers[name] for name in KEPT_HEADERS if name in response.headers
        }
        stored = Encoded.of(bytes(response.body), headers, vary=response.headers.get("vary", ""))
        with self._lock:
            return self._pages.setdefault(key, stored)

    def __len__(self) -> int:
        return len(self._pages)


def cached_page(key: Callable[[Request], Hashable]) -> Callable[[Handler], Handler]:
    """Serve the view's page from the app's PageCache, keyed by `key(request)`."""

    def decorate(view: Handler) -> Handler:
        @wraps(view)
        def serve(request: Request) -> Response:
            cache: PageCache = request.app.state.page_cache
            found = cache.page((view.__name__, key(request)), lambda: view(request))
            if isinstance(found, Response):
                return found
            return found.response(request, cache_control=PUBLIC_PAGE)

        return serve

    return decorate
