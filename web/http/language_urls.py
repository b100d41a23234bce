"""Which language a request is in, and links that stay in it.

The default language (the first in clinic.toml: Ukrainian) lives at the plain URLs; every other
one under its own prefix (/en/...). There is no redirect by Accept-Language: the law and crawlers
both want the default to load. The desk is not prefixed: each coordinator picks a language, which
the session remembers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from web.http.state import state_of

DESK_PREFIX = "/coordinator"


class LanguagePrefix:
    """Reads /<lang>/ off the path: routes see the plain path, `scope["language"]` the language."""

    def __init__(self, app: ASGIApp, *, languages: tuple[str, ...]) -> None:
        self.app = app
        self.default = languages[0]
        self.prefixed = languages[1:]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Behind a proxy that mounts the site on a sub-path, the path starts with root_path.
        language, root = self.default, scope.get("root_path", "")
        path = scope["path"].removeprefix(root)
        for code in self.prefixed:
            prefix = "/" + code
            if path == prefix or path.startswith(prefix + "/"):
                language = code
                # The router matches what follows root_path; /en alone is the English home page.
                scope = {**scope, "root_path": root + prefix}
                if path == prefix:
                    whole = root + prefix + "/"
                    scope["path"], scope["raw_path"] = whole, whole.encode()
                break
        # Mounts move root_path on; this key keeps the whole path after the language prefix.
        plain = scope["path"].removeprefix(scope.get("root_path", "")) or "/"
        await self.app({**scope, "language": language, "language_path": plain}, receive, send)


def route_path(scope: Scope) -> str:
    """The path after the language prefix: /conditions/x for /en/conditions/x."""
    path: str = scope.get("language_path", scope["path"])
    return path


def is_desk(request: Request) -> bool:
    return route_path(request.scope).startswith(DESK_PREFIX)


def page_language(request: Request) -> str:
    """The language of the URL, or for the desk the coordinator's own choice."""
    default: str = state_of(request).clinic.default_language
    if is_desk(request):
        if "session" not in request.scope:
            return default
        chosen = request.session.get("desk_language", default)
        return chosen if chosen in state_of(request).clinic.languages else default
    language: str = request.scope.get("language", default)
    return language


def prefix(request: Request, language: str) -> str:
    prefix: str = state_of(request).clinic.path_prefix(language)
    return prefix


def localized_path(request: Request, name: str, /, **path_params: Any) -> str:
    """A path for a named route in the request's language (desk routes are never prefixed)."""
    path = str(request.app.url_path_for(name, **path_params))
    if path.startswith(DESK_PREFIX):
        return path
    return prefix(request, page_language(request)) + path


def same_page_in(request: Request, language: str, page: str | None = None) -> str:
    """This page in another language: the same path and query (a chosen day, a chosen slot).

    `page` names it when the request was a POST: the form with errors, or the fresh slots after
    a time was taken, are reached again by a GET to another address.
    """
    if page is None:
        query = request.url.query
        page = route_path(request.scope) + ("?" + query if query else "")
    return prefix(request, language) + page


def absolute(request: Request, path: str) -> str:
    """A full URL on the configured PUBLIC_URL, never on the request's Host header: canonical
    links, hreflang and the sitemap must not follow a forged Host into a shared cache."""
    public_url: str = state_of(request).settings.public_url
    return public_url + path


def on_this_site(request: Request, name: str, **query: str) -> str:
    """A route's path (and query) for a redirect: never an absolute URL built from the request's
    Host header, which a client chooses."""
    path = str(request.app.url_path_for(name))
    return path + ("?" + urlencode(query) if query else "")
