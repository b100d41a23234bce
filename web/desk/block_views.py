"""The desk's blocks: times nobody can book (a holiday, a conference), added, edited, removed."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.core.i18n import N_
from web.core.models import Booking
from web.core.schedule import Interval, local_today
from web.desk import data_access
from web.desk.forms import BlockForm
from web.desk.front_office import who
from web.desk.menu import MenuEntry
from web.http.csrf import SecureForm, form_meta, posted_form
from web.http.language_urls import on_this_site
from web.http.picker import rules_of
from web.http.state import state_of
from web.http.templating import render


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
    with Session(state_of(request).engine) as session:
        blocks = data_access.upcoming_blocks(session, state_of(request).clock(), rules)
        if form is None:
            data = data_access.block_as_form(session, rules, editing) if editing else None
            form = BlockForm(meta=form_meta(request), data=data)
    context = {"blocks": blocks, "form": form, "clashes": clashes or [], "editing": editing}
    return render(request, "desk_blocks.html", context, status_code=status_code)


BLOCK_IN_PAST = N_("A block must begin later than now: the past cannot be blocked.")


async def add_block(request: Request) -> Response:
    """A new block, or (with a block id in the path) an edited one in place of the old."""
    form, valid = await posted_form(request, BlockForm)
    if not valid:
        return await run_in_threadpool(blocks_page, request, form, None, 422)
    rules = rules_of(request)
    now = state_of(request).clock()
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
    engine = state_of(request).engine

    def clashes() -> list[Booking]:
        with Session(engine) as session:
            return data_access.bookings_in(session, intervals)

    found = await run_in_threadpool(clashes)
    if found and form.confirm.data != "yes":
        # Never cancel silently: show whom the block would strand and ask again.
        form.confirm.data = "yes"
        return await run_in_threadpool(blocks_page, request, form, found, 409)
    editing = request.path_params.get("block_id")
    common: dict[str, Any] = {
        "engine": engine,
        "rules": rules,
        "intervals": intervals,
        "who": who(request),
    }
    if editing:
        await run_in_threadpool(
            data_access.replace_block, **common, block_id=editing, reason=form.reason.data, now=now
        )
    else:
        await run_in_threadpool(data_access.add_block, **common, reason=form.reason.data, now=now)
    return RedirectResponse(on_this_site(request, "desk_blocks"), status_code=303)


async def remove_block(request: Request) -> Response:
    await posted_form(request, SecureForm)
    await run_in_threadpool(
        data_access.remove_block,
        engine=state_of(request).engine,
        rules=rules_of(request),
        block_id=request.path_params["block_id"],
        who=who(request),
        now=state_of(request).clock(),
    )
    return RedirectResponse(on_this_site(request, "desk_blocks"), status_code=303)


routes = [
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
]

menu = [MenuEntry(N_("Blocks"), "desk_blocks")]
