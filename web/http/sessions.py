"""The session cookie only where a page needs it (forms, the picker's memory, the desk).

Starlette's SessionMiddleware sends Set-Cookie on every response of a visitor who has a session,
which makes every page private to that visitor. Pages that are the same for everyone skip it, so
they never set a cookie and shared caches may keep them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from web.http.i18n import route_path

PUBLIC_PREFIXES = ("/conditions/", "/static/")
PUBLIC_PATHS = frozenset({"/", "/privacy", "/robots.txt", "/sitemap.xml", "/healthz", "/readyz"})


def is_public(path: str) -> bool:
    """Pages with no form and nothing personal: they never read or write the session."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


class SessionsWhereNeeded:
    def __init__(
        self,
        app: ASGIApp,
        *,
        secret_key: str,
        session_cookie: str,
        max_age: int,
        https_only: bool,
        same_site: Literal["lax", "strict", "none"] = "lax",
        public: Callable[[str], bool] = is_public,
    ) -> None:
        self.app = app
        self.with_session = SessionMiddleware(
            app,
            secret_key=secret_key,
            session_cookie=session_cookie,
            max_age=max_age,
            same_site=same_site,
            https_only=https_only,
        )
        self.public = public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        plain = (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and self.public(route_path(scope))
        )
        await (self.app if plain else self.with_session)(scope, receive, send)
