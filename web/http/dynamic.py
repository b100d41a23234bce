"""What only dynamic pages need, and only they get: the answer deadline, gzip and the session.

Pages that are the same for everyone (stored pages, static files, robots.txt, the sitemap) never
read the session, never touch the database and come compressed already, so they skip all three:
no cookie is read or set for them, and no per-request task, compressor or signature check is
spent on them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from web.http.deadline import Deadline
from web.http.language_urls import route_path

PUBLIC_PREFIXES = ("/conditions/", "/static/")
PUBLIC_PATHS = frozenset({"/", "/privacy", "/robots.txt", "/sitemap.xml", "/healthz"})
SESSION_COOKIE = "clinic_session"


def is_public(path: str) -> bool:
    """Pages with no form and nothing personal: they never read or write the session."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


class DynamicOnly:
    def __init__(
        self,
        app: ASGIApp,
        *,
        secret_key: str,
        https_only: bool,
        request_timeout: float,
        wait: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.app = app
        with_session = SessionMiddleware(
            app,
            secret_key=secret_key,
            session_cookie=SESSION_COOKIE,
            max_age=8 * 3600,
            same_site="lax",
            https_only=https_only,
        )
        compressed = GZipMiddleware(with_session, minimum_size=500, compresslevel=5)
        self.dynamic = Deadline(compressed, seconds=request_timeout, wait=wait)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        public = (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and is_public(route_path(scope))
        )
        await (self.app if public else self.dynamic)(scope, receive, send)
