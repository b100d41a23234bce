"""Accounts in the browser: an administrator adds and removes coordinators and makes one-time
set-password links (a new account, a reset); everyone changes their own password and can sign out
everywhere. The first administrator comes from the command line (`create-administrator`)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.core.audit import record
from web.core.db import session_scope
from web.core.i18n import N_
from web.core.models import Coordinator, Role
from web.desk import accounts, convertors, password_links
from web.desk.forms import AddAccountForm, ChangePasswordForm, NewPasswordForm
from web.desk.menu import MenuEntry
from web.desk.roles import require_administrator
from web.http.csrf import SecureForm, form_meta, posted_form
from web.http.language_urls import absolute, localized_path, on_this_site
from web.http.state import state_of
from web.http.templating import render

DESK_SESSION = "desk_session"  # the session cookie's key for the desk session id

NAME_TAKEN = N_("That username is taken (perhaps by a removed account). Please choose another.")
NOT_YOURS = N_("Use “Your account” to change your own password.")
ONLY_COORDINATORS = N_(
    "Administrator accounts are removed on the command line, not in the browser."
)
NOT_YOURSELF = N_("You cannot remove your own account.")


# --- An administrator's page ------------------------------------------------------------------


def _open_accounts(session: Session) -> list[Coordinator]:
    return list(
        session.exec(
            select(Coordinator)
            .where(col(Coordinator.removed_at).is_(None))
            .order_by(col(Coordinator.username))
        ).all()
    )


def accounts_page(
    request: Request, form: AddAccountForm | None = None, status_code: int = 200
) -> Response:
    require_administrator(request)
    with Session(state_of(request).engine) as session:
        listed = _open_accounts(session)
    context = {
        "accounts": listed,
        "form": form or AddAccountForm(meta=form_meta(request)),
        "removed": request.query_params.get("removed"),
    }
    return render(request, "desk_accounts.html", context, status_code=status_code)


def _link_page(request: Request, username: str, token: str, *, new: bool) -> Response:
    """The link, shown this once: only its hash is kept."""
    link = absolute(request, localized_path(request, "desk_set_password", token=token))
    context = {
        "username": username,
        "link": link,
        "new": new,
        "hours": int(password_links.LINK_LIFETIME.total_seconds() // 3600),
    }
    return render(request, "desk_account_link.html", context, status_code=201 if new else 200)


async def add_account(request: Request) -> Response:
    form, valid = await posted_form(request, AddAccountForm)
    await run_in_threadpool(require_administrator, request)
    if not valid:
        return await run_in_threadpool(accounts_page, request, form, 422)
    engine, now, by = state_of(request).engine, state_of(request).clock(), _who(request)
    username = form.username.data

    def create() -> str | None:
        with session_scope(engine) as session:
            taken = session.exec(select(Coordinator).where(Coordinator.username == username))
            if taken.first() is not None:
                return None
            account = Coordinator(
                username=username,
                password_hash=accounts.LOCKED_HASH,  # none until the link sets one
                created_at=now,
                role=Role.COORDINATOR,
            )
            session.add(account)
            session.flush()
            assert account.id is not None
            record(session, coordinator=by, action="add account", now=now, detail=username)
            account_id = account.id
        return password_links.issue(
            engine=engine, coordinator_id=account_id, created_by=by, now=now
        )

    token = await run_in_threadpool(create)
    if token is None:
        form.username.errors = [NAME_TAKEN]
        return await run_in_threadpool(accounts_page, request, form, 409)
    return _link_page(request, username, token, new=True)


def _account(session: Session, request: Request) -> Coordinator:
    account = session.get(Coordinator, request.path_params["account_id"])
    if account is None or account.removed_at is not None:
        raise HTTPException(404, N_("There is no such account (it may have been removed)."))
    return account


async def reset_password(request: Request) -> Response:
    await posted_form(request, SecureForm)
    await run_in_threadpool(require_administrator, request)
    engine, now, by = state_of(request).engine, state_of(request).clock(), _who(request)

    def reset() -> tuple[str, str]:
        with session_scope(engine) as session:
            account = _account(session, request)
            if account.id == request.state.coordinator.id:
                raise HTTPException(409, NOT_YOURS)
            record(
                session, coordinator=by, action="reset password", now=now, detail=account.username
            )
            username, account_id = account.username, account.id
        assert account_id is not None
        token = password_links.issue(
            engine=engine, coordinator_id=account_id, created_by=by, now=now
        )
        return username, token

    username, token = await run_in_threadpool(reset)
    return _link_page(request, username, token, new=False)


async def remove_account(request: Request) -> Response:
    await posted_form(request, SecureForm)
    await run_in_threadpool(require_administrator, request)
    engine, now, by = state_of(request).engine, state_of(request).clock(), _who(request)

    def remove() -> str:
        with Session(engine) as session:
            account = _account(session, request)
        if account.id == request.state.coordinator.id:
            raise HTTPException(409, NOT_YOURSELF)
        if account.role != Role.COORDINATOR:
            raise HTTPException(409, ONLY_COORDINATORS)
        accounts.remove_coordinator(engine=engine, username=account.username, now=now)
        with session_scope(engine) as session:
            record(
                session, coordinator=by, action="remove account", now=now, detail=account.username
            )
        return account.username

    username = await run_in_threadpool(remove)
    return RedirectResponse(
        on_this_site(request, "desk_accounts", removed=username),
        status_code=303,
    )


# --- Everyone's own account -------------------------------------------------------------------


def _who(request: Request) -> str:
    username: str = request.state.coordinator.username
    return username


def own_account_page(
    request: Request, form: ChangePasswordForm | None = None, status_code: int = 200
) -> Response:
    context: dict[str, Any] = {
        "form": form or ChangePasswordForm(meta=form_meta(request)),
        "changed": request.query_params.get("changed") == "1",
    }
    return render(request, "desk_account.html", context, status_code=status_code)


async def change_password(request: Request) -> Response:
    form, valid = await posted_form(request, ChangePasswordForm)
    if not valid:
        return await run_in_threadpool(own_account_page, request, form, 422)
    try:
        await run_in_threadpool(
            accounts.change_password,
            engine=state_of(request).engine,
            coordinator_id=request.state.coordinator.id,
            current=form.current.data,
            new=form.password.data,
            keep_token=request.session[DESK_SESSION],
        )
    except accounts.WrongPassword:
        form.current.errors = [N_("That is not your current password.")]
        return await run_in_threadpool(own_account_page, request, form, 422)

    def audit() -> None:
        with session_scope(state_of(request).engine) as session:
            record(
                session,
                coordinator=_who(request),
                action="change password",
                now=state_of(request).clock(),
            )

    await run_in_threadpool(audit)
    return RedirectResponse(on_this_site(request, "desk_account", changed="1"), status_code=303)


async def sign_out_everywhere(request: Request) -> Response:
    await posted_form(request, SecureForm)
    await run_in_threadpool(
        accounts.end_every_session,
        engine=state_of(request).engine,
        coordinator_id=request.state.coordinator.id,
    )
    request.session.clear()
    return RedirectResponse(
        on_this_site(request, "desk_login", signed_out="everywhere"),
        status_code=303,
    )


# --- The one-time link (no desk session: the person is not signed in) ------------------------

LINK_NOT_VALID = N_(
    "This link does not work any more: it has been used, it has expired, or a newer one was "
    "made. Please ask an administrator for a new link."
)


def _link_holder(request: Request) -> str:
    with Session(state_of(request).engine) as session:
        try:
            account = password_links.holder(
                session, request.path_params["token"], state_of(request).clock()
            )
        except password_links.LinkNotValid:
            raise HTTPException(410, LINK_NOT_VALID) from None
        return account.username


def set_password_page(
    request: Request, form: NewPasswordForm | None = None, status_code: int = 200
) -> Response:
    username = _link_holder(request)
    context = {"form": form or NewPasswordForm(meta=form_meta(request)), "username": username}
    return render(request, "desk_set_password.html", context, status_code=status_code)


async def set_password(request: Request) -> Response:
    form, valid = await posted_form(request, NewPasswordForm)
    if not valid:
        return await run_in_threadpool(set_password_page, request, form, 422)
    now = state_of(request).clock()
    password_hash = await run_in_threadpool(accounts.hash_password, form.password.data)

    def use() -> None:
        username = password_links.use(
            engine=state_of(request).engine,
            token=request.path_params["token"],
            password_hash=password_hash,
            now=now,
        )
        with session_scope(state_of(request).engine) as session:
            record(session, coordinator=username, action="set password", now=now)

    try:
        await run_in_threadpool(use)
    except password_links.LinkNotValid:
        raise HTTPException(410, LINK_NOT_VALID) from None
    return RedirectResponse(on_this_site(request, "desk_login", done="password"), status_code=303)


assert convertors  # registers {account_id:row_id}

# Public: the link carries its own unguessable token (views.py mounts them beside sign-in,
# outside the signed-in part of the desk).
public_routes = [
    Route(
        "/set-password/{token}",
        set_password_page,
        name="desk_set_password",
        methods=["GET"],
    ),
    Route(
        "/set-password/{token}",
        set_password,
        name="desk_set_password_submit",
        methods=["POST"],
    ),
]

# Under /coordinator, behind the desk's sign-in.
routes = [
    Route("/accounts", accounts_page, name="desk_accounts", methods=["GET"]),
    Route("/accounts", add_account, name="desk_add_account", methods=["POST"]),
    Route(
        "/accounts/{account_id:row_id}/reset",
        reset_password,
        name="desk_reset_password",
        methods=["POST"],
    ),
    Route(
        "/accounts/{account_id:row_id}/remove",
        remove_account,
        name="desk_remove_account",
        methods=["POST"],
    ),
    Route("/account", own_account_page, name="desk_account", methods=["GET"]),
    Route("/account/password", change_password, name="desk_change_password", methods=["POST"]),
    Route(
        "/account/sign-out-everywhere",
        sign_out_everywhere,
        name="desk_sign_out_everywhere",
        methods=["POST"],
    ),
]

menu = [
    MenuEntry(N_("Accounts"), "desk_accounts", administrators_only=True),
    MenuEntry(N_("Your account"), "desk_account"),
]
