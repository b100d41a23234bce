"""Signing in and out of the desk, and the guard in front of every other desk page.

Everything under /coordinator/ needs a signed-in coordinator (CoordinatorOnly), except the login
page and the calendar feed, whose URL carries its own secret (see views.py, which mounts them).
"""

from __future__ import annotations

import math
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from web.core.errors import InvalidInput
from web.core.i18n import N_
from web.desk import accounts
from web.desk.account_views import DESK_SESSION
from web.desk.devices import remember_device, trusted_device
from web.desk.forms import LanguageForm, LoginForm
from web.desk.front_office import KEPT, kept_fields, return_path
from web.desk.menu import MenuEntry
from web.http.csrf import SecureForm, form_meta, posted_form
from web.http.form_body import read_form
from web.http.language_urls import DESK_PREFIX, localized_path, on_this_site
from web.http.ratelimit import client_address, count_failure, enforce
from web.http.state import state_of
from web.http.templating import render

DESK_HOME = DESK_PREFIX + "/"  # views.py's Mount; tests/test_route_table.py checks they agree


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
                engine=state_of(request).engine,
                token=token,
                now=state_of(request).clock(),
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
    return render(request, "desk_login.html", context)


async def login(request: Request) -> Response:
    await enforce(request, "login", count=False)  # only wrong passwords count (below)
    form, valid = await posted_form(request, LoginForm)
    context = {"form": form, "next": _safe_next(request.query_params.get("next"))}
    if not valid:
        return render(request, "desk_login.html", context, status_code=422)
    device = trusted_device(request, form.username.data)
    try:
        signed_in = await run_in_threadpool(
            accounts.authenticate,
            engine=state_of(request).engine,
            username=form.username.data,
            password=form.password.data,
            address=client_address(request),
            device=device,
            now=state_of(request).clock(),
        )
    except accounts.LockedOut as refusal:
        context["error"], context["error_values"] = _refusal_message(refusal)
        headers = {"Retry-After": str(refusal.seconds)}
        return render(request, "desk_login.html", context, status_code=429, headers=headers)
    if signed_in is None:
        await count_failure(request, "login")
        context["error"] = N_("That username and password do not match.")
        return render(request, "desk_login.html", context, status_code=401)
    token = await run_in_threadpool(
        accounts.start_session,
        engine=state_of(request).engine,
        coordinator_id=signed_in.id,
        now=state_of(request).clock(),
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
    languages = state_of(request).clinic.languages
    if not valid or form.language.data not in languages:
        raise InvalidInput(form.language.data)
    await run_in_threadpool(
        accounts.set_language,
        engine=state_of(request).engine,
        coordinator_id=request.state.coordinator.id,
        language=form.language.data,
    )
    request.session["desk_language"] = form.language.data
    return RedirectResponse(_safe_next(form.next.data), status_code=303)


async def logout(request: Request) -> Response:
    await posted_form(request, SecureForm)
    await run_in_threadpool(
        accounts.end_session, engine=state_of(request).engine, token=request.session[DESK_SESSION]
    )
    request.session.clear()
    return RedirectResponse(on_this_site(request, "desk_login"), status_code=303)


# Reachable without signing in: GET (and so HEAD) only shows the form; only a POST signs in and
# counts against the limit.
public_routes = [
    Route("/login", login_page, name="desk_login", methods=["GET"]),
    Route("/login", login, name="desk_login_submit", methods=["POST"]),
]

routes = [
    Route("/logout", logout, name="desk_logout", methods=["POST"]),
    Route("/language", choose_language, name="desk_language", methods=["POST"]),
]

menu: list[MenuEntry] = []  # sign-out and the language switch: desk_base.html
