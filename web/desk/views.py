"""The desk's route table: which pages are public and which need a signed-in coordinator.

Each page's module keeps its handlers with its routes; this one only mounts them under
/coordinator/, the few public ones beside sign-in and everything else behind CoordinatorOnly.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.routing import Mount

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

# Everything else: a new desk page goes here, behind CoordinatorOnly.
signed_in_routes = [
    *front_office.routes,
    *hours.routes,
    *privacy_requests.routes,
    *account_views.routes,
    *block_views.routes,
    *calendar_views.routes,
    *export_views.routes,
    *audit_views.routes,
    *sign_in.routes,
]

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
