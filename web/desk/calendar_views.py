"""The coordinator's calendar subscription: the page with its URL, a new secret, the feed."""

from __future__ import annotations

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.core.i18n import N_
from web.core.invites import build_feed
from web.desk import data_access
from web.desk.front_office import who
from web.desk.menu import MenuEntry
from web.http.calendar_response import ics_response
from web.http.csrf import SecureForm, posted_form
from web.http.language_urls import absolute, localized_path, on_this_site
from web.http.picker import rules_of
from web.http.state import state_of
from web.http.templating import render


def calendar_page(request: Request) -> Response:
    with Session(state_of(request).engine) as session:
        secret = data_access.feed_secret(session, request.state.coordinator.id)
    # From PUBLIC_URL, never the request's Host header: a forged Host must not put another
    # site's address (and this secret) into the coordinator's calendar.
    feed_url = (
        absolute(request, localized_path(request, "desk_feed", secret=secret)) if secret else None
    )
    context = {"feed_url": feed_url}
    return render(request, "desk_calendar.html", context)


async def rotate_feed(request: Request) -> Response:
    await posted_form(request, SecureForm)
    await run_in_threadpool(
        data_access.rotate_feed_secret,
        engine=state_of(request).engine,
        coordinator_id=request.state.coordinator.id,
        who=who(request),
        now=state_of(request).clock(),
    )
    return RedirectResponse(on_this_site(request, "desk_calendar"), status_code=303)


def feed(request: Request) -> Response:
    now = state_of(request).clock()
    with Session(state_of(request).engine) as session:
        bookings = data_access.feed_bookings(
            session, request.path_params["secret"], rules=rules_of(request), now=now
        )
    body = build_feed(
        state_of(request).clinic,
        bookings,
        desk_url=lambda b: absolute(
            request, localized_path(request, "desk_booking", booking_id=b.id)
        ),
    )
    return ics_response(body)


# Public: the feed's URL carries its own secret (views.py mounts it beside sign-in).
public_routes = [Route("/feed/{secret}.ics", feed, name="desk_feed")]

routes = [
    Route("/calendar", calendar_page, name="desk_calendar"),
    Route("/calendar/rotate", rotate_feed, name="desk_rotate_feed", methods=["POST"]),
]

menu = [MenuEntry(N_("Calendar"), "desk_calendar")]
