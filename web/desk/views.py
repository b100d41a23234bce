"""The desk's route table: which pages are public and which need a signed-in coordinator.

Each page's module keeps its handlers with its routes and its menu entries; this one only mounts
them under /coordinator/, the few public ones beside sign-in and everything else behind
CoordinatorOnly, and collects the menu.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount

from web.desk import (
    account_views,
    audit_views,
    block_views,
    calendar_views,
    export_views,
    front_office,
    hours,
    privacy_requests,
    sign_in,
)
from web.desk.menu import MenuEntry
from web.desk.sign_in import CoordinatorOnly
from web.http.language_urls import DESK_PREFIX

# Reachable without signing in: the sign-in form itself, the calendar feed and a set-password
# link (each of the last two carries its own secret in its URL). Keep this list this short: a
# route added here is public.
public_routes = [
    *sign_in.public_routes,
    *calendar_views.public_routes,
    *account_views.public_routes,  # a set-password link carries its own unguessable token
]


class DeskPages(Protocol):
    """A module of signed-in desk pages: its routes and its entries in the desk's menu."""

    @property
    def routes(self) -> Sequence[BaseRoute]: ...

    @property
    def menu(self) -> Sequence[MenuEntry]: ...


# Everything else, behind CoordinatorOnly, in the order of the desk's menu: a new desk page's
# module goes here (its routes and its menu entries come with it).
signed_in_pages: list[DeskPages] = [
    front_office,
    block_views,
    hours,
    calendar_views,
    audit_views,
    account_views,
    privacy_requests,
    export_views,
    sign_in,
]
signed_in_routes = [route for page in signed_in_pages for route in page.routes]
# Shown by desk_base.html (a template global, set in web/app.py).
menu = [entry for page in signed_in_pages for entry in page.menu]

routes = [
    Mount(
        DESK_PREFIX,
        routes=[
            *public_routes,
            # Matches every other path under /coordinator/, so nothing below the public few is
            # reached without a signed-in coordinator (an unknown path too: sign in first).
            Mount("", routes=signed_in_routes, middleware=[Middleware(CoordinatorOnly)]),
        ],
    ),
]
