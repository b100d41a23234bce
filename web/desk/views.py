"""The coordinator's desk: login, bookings, blocks, calendar feed, CSV export and audit log.

Everything under /coordinator/ needs a signed-in coordinator (CoordinatorOnly), except the login
page and the calendar feed, whose URL carries its own secret.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from web.core.errors import InvalidInput
from web.core.formats import parse_day
from web.core.i18n import N_
from web.core.invites import build_feed
from web.core.models import Booking
from web.core.schedule import Interval, local_today
from web.desk import (
    account_views,
    accounts,
    audit,
    exports,
    front_office,
    hours,
    privacy_requests,
    records,
)
from web.desk.account_views import DESK_SESSION
from web.desk.devices import remember_device, trusted_device
from web.desk.forms import BlockForm, LanguageForm, LoginForm
from web.desk.front_office import KEPT, kept_fields, query_page, return_path, who
from web.http.csrf import SecureForm, form_meta, posted_form, read_form
from web.http.i18n import DESK_PREFIX, absolute, localized_path, on_this_site, page_language
from web.http.picker import rules_of
from web.http.ratelimit import client_address, count_failure, enforce
from web.http.responses import ics_response
from web.http.templating import render

DESK_HOME = DESK_PREFIX + "/"  # the Mount below; tests/test_route_table.py checks they agree


class CoordinatorOnly:
    """Lets through only a live desk session (kept on the server, see accounts): a GET without
    one goes to the login page, anything else gets a 403. The coordinator is put in the request
    state for the handlers and the templates."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        token = request.session.get(DESK_SESSION)
        signed_in = None
        if isinstance(token, str):
            signed_in = await run_in_threadpool(
                accounts.current_session,
                engine=request.app.state.engine,
                token=token,
                now=request.app.state.clock(),
            )
        if signed_in is None:
            request.session.pop(DESK_SESSION, None)
            if request.method in ("GET", "HEAD"):
                target = localized_path(request, "desk_login") + "?next=" + quote(request.url.path)
                response: Response = RedirectResponse(target, status_code=303)
            else:
                response = await _session_ended(request)
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["coordinator"] = signed_in
        await self.app(scope, receive, send)


def _page(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    return render(request, template, context, status_code=status_code)


async def _session_ended(request: Request) -> Response:
    """A desk form posted after the session ended: the sign-in page, saying so, with what was
    typed carried through it (hidden fields), back to the page the form was on."""
    try:
        posted = await read_form(request)
    except HTTPException:
        posted = None
    fields = {k: v for k, v in (posted or {}).items() if isinstance(v, str)}
    context = {
        "form": LoginForm(meta=form_meta(request)),
        "next": return_path(request.url.path, fields),
        "error": N_(
            "Your session has ended. Please sign in again: what you typed is kept and will be "
            "back on the page."
        ),
        "kept": kept_fields(fields),
    }
    return render(request, "desk_login.html", context, status_code=401)


def _safe_next(value: str | None) -> str:
    """Only back into the desk: never an open redirect to another site."""
    if value and value.startswith(DESK_HOME) and not value.startswith("//"):
        return value
    return DESK_HOME


# What the sign-in page says after a set-password link or "sign out everywhere" sent one here.
LOGIN_NOTICES = {
    ("done", "password"): N_("Your password is set. Please sign in with it."),
    ("signed_out", "everywhere"): N_(
        "You are signed out on every device and browser. Sign in again to go on."
    ),
}


def login_page(request: Request) -> Response:
    form = LoginForm(meta=form_meta(request))
    notices = [text for (key, value), text in LOGIN_NOTICES.items()
               if request.query_params.get(key) == value]  # fmt: skip
    context = {
        "form": form,
        "next": _safe_next(request.query_params.get("next")),
        "notice": notices[0] if notices else None,
    }
    return _page(request, "desk_login.html", context)


async def login(request: Request) -> Response:
    await enforce(request, "login", count=False)  # only wrong passwords count (below)
    form, valid = await posted_form(request, LoginForm)
    context = {"form": form, "next": _safe_next(request.query_params.get("next"))}
    if not valid:
        return _page(request, "desk_login.html", context, status_code=422)
    device = trusted_device(request, form.username.data)
    try:
        signed_in = await run_in_threadpool(
            accounts.authenticate,
            engine=request.app.state.engine,
            username=form.username.data,
            password=form.password.data,
            address=client_address(request),
            device=device,
            now=request.app.state.clock(),
        )
    except accounts.LockedOut as refusal:
        context["error"], context["error_values"] = _refusal_message(refusal)
        headers = {"Retry-After": str(refusal.seconds)}
        return render(request, "desk_login.html", context, status_code=429, headers=headers)
    if signed_in is None:
        await count_failure(request, "login")
        context["error"] = N_("That username and password do not match.")
        return _page(request, "desk_login.html", context, status_code=401)
    token = await run_in_threadpool(
        accounts.start_session,
        engine=request.app.state.engine,
        coordinator_id=signed_in.id,
        now=request.app.state.clock(),
    )
    # A fresh session id on sign-in: nothing from before (a planted session) carries over.
    request.session.clear()
    request.session[DESK_SESSION] = token
    if signed_in.language:
        request.session["desk_language"] = signed_in.language
    back_to = _safe_next(request.query_params.get("next"))
    kept = kept_fields(
        {
            name.removeprefix("kept-"): value
            for name, value in (await request.form()).items()
            if name.startswith("kept-") and isinstance(value, str)
        }
    )
    if kept:  # typed before the session ended: shown again on the page it was typed on
        request.session[KEPT] = {"path": back_to.partition("?")[0], "fields": kept}
    response = RedirectResponse(back_to, status_code=303)
    remember_device(response, request, username=signed_in.username, device=device)
    return response


def _refusal_message(refusal: accounts.LockedOut) -> tuple[str, dict[str, int]]:
    if refusal.slowed:
        message = N_(
            "This account has had many wrong passwords, so sign-in is slowed down. Please wait "
            "%(seconds)s seconds and try again."
        )
        return message, {"seconds": refusal.seconds}
    message = N_("Too many wrong passwords. Please wait %(minutes)s minutes and try again.")
    return message, {"minutes": max(1, math.ceil(refusal.seconds / 60))}


async def choose_language(request: Request) -> Response:
    """The desk's language, remembered for this coordinator (the default is the clinic's first)."""
    form, valid = await posted_form(request, LanguageForm)
    languages = request.app.state.clinic.languages
    if not valid or form.language.data not in languages:
        raise InvalidInput(form.language.data)
    await run_in_threadpool(
        accounts.set_language,
        engine=request.app.state.engine,
        coordinator_id=request.state.coordinator.id,
        language=form.language.data,
    )
    request.session["desk_language"] = form.language.data
    return RedirectResponse(_safe_next(form.next.data), status_code=303)


async def logout(request: Request) -> Response:
    await posted_form(request, SecureForm)
    await run_in_threadpool(
        accounts.end_session, engine=request.app.state.engine, token=request.session[DESK_SESSION]
    )
    request.session.clear()
    return RedirectResponse(on_this_site(request, "desk_login"), status_code=303)


def blocks_page(
    request: Request,
    form: BlockForm | None = None,
    clashes: list[Booking] | None = None,
    status_code: int = 200,
) -> Response:
    """The blocks form (adding, or with a block id in the path, editing that block) and the
    upcoming blocks."""
    editing = request.path_params.get("block_id")
    rules = rules_of(request)
    with Session(request.app.state.engine) as session:
        blocks = records.upcoming_blocks(session, request.app.state.clock(), rules)
        if form is None:
            data = records.block_as_form(session, rules, editing) if editing else None
            form = BlockForm(meta=form_meta(request), data=data)
    context = {"blocks": blocks, "form": form, "clashes": clashes or [], "editing": editing}
    return _page(request, "desk_blocks.html", context, status_code=status_code)


BLOCK_IN_PAST = N_("A block must begin later than now: the past cannot be blocked.")


async def add_block(request: Request) -> Response:
    """A new block, or (with a block id in the path) an edited one in place of the old."""
    form, valid = await posted_form(request, BlockForm)
    if not valid:
        return await run_in_threadpool(blocks_page, request, form, None, 422)
    rules = rules_of(request)
    now = request.app.state.clock()
    # What has already passed cannot be blocked (nor ever unblocked); a block that has begun
    # (the rest of today) starts now.
    intervals = [
        Interval(max(period.start, now), period.end)
        for period in form.intervals(rules)
        if period.end > now
    ]
    if not intervals or form.day.data < local_today(rules, now):
        form.day.errors.append(BLOCK_IN_PAST)
        return await run_in_threadpool(blocks_page, request, form, None, 422)
    engine = request.app.state.engine

    def clashes() -> list[Booking]:
        with Session(engine) as session:
            return records.bookings_in(session, intervals)

    found = await run_in_threadpool(clashes)
    if found and form.confirm.data != "yes":
        # Never cancel silently: show whom the block would strand and ask again.
        form.confirm.data = "yes"
        return await run_in_threadpool(blocks_page, request, form, found, 409)
    editing = request.path_params.get("block_id")
    common = {"engine": engine, "rules": rules, "intervals": intervals, "who": who(request)}
    if editing:
        await run_in_threadpool(
            records.replace_block, **common, block_id=editing, reason=form.reason.data, now=now
        )
    else:
        await run_in_threadpool(records.add_block, **common, reason=form.reason.data, now=now)
    return RedirectResponse(on_this_site(request, "desk_blocks"), status_code=303)


async def remove_block(request: Request) -> Response:
    await posted_form(request, SecureForm)
    await run_in_threadpool(
        records.remove_block,
        engine=request.app.state.engine,
        rules=rules_of(request),
        block_id=request.path_params["block_id"],
        who=who(request),
        now=request.app.state.clock(),
    )
    return RedirectResponse(on_this_site(request, "desk_blocks"), status_code=303)


def calendar_page(request: Request) -> Response:
    with Session(request.app.state.engine) as session:
        secret = records.feed_secret(session, request.state.coordinator.id)
    # From PUBLIC_URL, never the request's Host header: a forged Host must not put another
    # site's address (and this secret) into the coordinator's calendar.
    feed_url = (
        absolute(request, localized_path(request, "desk_feed", secret=secret)) if secret else None
    )
    context = {"feed_url": feed_url}
    return _page(request, "desk_calendar.html", context)


async def rotate_feed(request: Request) -> Response:
    await posted_form(request, SecureForm)
    await run_in_threadpool(
        records.rotate_feed_secret,
        engine=request.app.state.engine,
        coordinator_id=request.state.coordinator.id,
        who=who(request),
        now=request.app.state.clock(),
    )
    return RedirectResponse(on_this_site(request, "desk_calendar"), status_code=303)


def feed(request: Request) -> Response:
    now = request.app.state.clock()
    with Session(request.app.state.engine) as session:
        bookings = records.feed_bookings(
            session, request.path_params["secret"], rules=rules_of(request), now=now
        )
    body = build_feed(
        request.app.state.clinic,
        bookings,
        desk_url=lambda b: absolute(
            request, localized_path(request, "desk_booking", booking_id=b.id)
        ),
    )
    return ics_response(body)


def _export_range(fields: Mapping[str, Any]) -> tuple[date, date]:
    try:
        first = parse_day(str(fields.get("from", "")))
        last = parse_day(str(fields.get("to", "")))
    except InvalidInput:
        raise HTTPException(
            400, N_("Please give both dates of the range, like 2026-12-01.")
        ) from None
    if last < first or last - first > timedelta(days=366):
        raise HTTPException(400, N_("The range must run forwards and cover at most a year."))
    return first, last


EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


async def export(request: Request) -> Response:
    """A POST, not a link: every export is written to the audit log, so it is a change."""
    await posted_form(request, SecureForm)
    first, last = _export_range(await request.form())
    kind = request.path_params["kind"]
    body = await run_in_threadpool(
        exports.export,
        engine=request.app.state.engine,
        rules=rules_of(request),
        first=first,
        last=last,
        kind=kind,
        language=page_language(request),
        who=who(request),
        now=request.app.state.clock(),
    )
    filename = f"bookings-{first}-to-{last}.{kind}"
    return Response(
        body,
        media_type=EXPORT_TYPES[kind],
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "cache-control": "no-store",
        },
    )


def audit_page(request: Request) -> Response:
    page = query_page(request)
    with Session(request.app.state.engine) as session:
        events, total = audit.recent_events(session, page=page, per_page=50)
    context = {
        "events": events,
        "page": page,
        "pages": max(1, -(-total // 50)),
        "read_detail": audit.read_detail,
    }
    return _page(request, "desk_audit.html", context)


# Reachable without signing in: the sign-in form itself, and the calendar feed (its URL
# carries its own secret). Keep this list this short: a route added here is public.
public_routes = [
    # GET (and so HEAD) only shows the form; only a POST signs in and counts against the limit.
    Route("/login", login_page, name="desk_login", methods=["GET"]),
    Route("/login", login, name="desk_login_submit", methods=["POST"]),
    Route("/feed/{secret}.ics", feed, name="desk_feed"),
    *account_views.public_routes,  # a set-password link carries its own unguessable token
]

# Everything else: a new desk page goes here, behind CoordinatorOnly.
signed_in_routes = [
    *front_office.routes,
    *hours.routes,
    *privacy_requests.routes,
    *account_views.routes,
    Route("/blocks", blocks_page, name="desk_blocks", methods=["GET"]),
    Route("/blocks", add_block, name="desk_add_block", methods=["POST"]),
    Route("/blocks/{block_id:row_id}/edit", blocks_page, name="desk_edit_block", methods=["GET"]),
    Route("/blocks/{block_id:row_id}/edit", add_block, name="desk_save_block", methods=["POST"]),
    Route(
        "/blocks/{block_id:row_id}/delete",
        remove_block,
        name="desk_remove_block",
        methods=["POST"],
    ),
    Route("/calendar", calendar_page, name="desk_calendar"),
    Route("/calendar/rotate", rotate_feed, name="desk_rotate_feed", methods=["POST"]),
    Route("/export.{kind:export_kind}", export, name="desk_export", methods=["POST"]),
    Route("/audit", audit_page, name="desk_audit"),
    Route("/logout", logout, name="desk_logout", methods=["POST"]),
    Route("/language", choose_language, name="desk_language", methods=["POST"]),
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
