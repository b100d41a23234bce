"""Reception hours in the desk: every coordinator sees them; an administrator changes the
hours, working days, length of a consultation and seats from a day on (core/reception.py keeps
them for every host).

A change never strands a booking silently: confirmed bookings ahead that the new hours would not
hold are listed first, with "move" and "cancel", and the change is saved only when asked again.
"""

from __future__ import annotations

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.core import reception
from web.core.i18n import N_
from web.core.models import Booking
from web.core.schedule import Hours, local_today
from web.desk.forms import HoursForm
from web.desk.front_office import who
from web.desk.menu import MenuEntry
from web.desk.roles import require_administrator
from web.http.csrf import SecureForm, form_meta, posted_form
from web.http.picker import now_of, rules_of
from web.http.state import state_of
from web.http.templating import render

# Today has begun, with its bookings: what must change today is blocked (desk_blocks) instead.
FROM_TOMORROW = N_("Reception hours can only be changed from tomorrow on: today has begun.")


def hours_page(
    request: Request,
    form: HoursForm | None = None,
    stranded: list[Booking] | None = None,
    status_code: int = 200,
) -> Response:
    rules, now = rules_of(request), now_of(request)
    with Session(state_of(request).engine) as session:
        changes = reception.listed_changes(session, rules, now)
        still_stranded = reception.stranded(session, rules, now)
    today = local_today(rules, now)
    context = {
        "form": form or HoursForm(meta=form_meta(request), data=_as_today(rules.on(today))),
        "first": rules.first_hours,
        "changes": changes,
        "today": today,
        "stranded": stranded or [],
        "still_stranded": still_stranded,
    }
    return render(request, "desk_hours.html", context, status_code=status_code)


def _as_today(hours: Hours) -> dict[str, object]:
    """The form filled with the hours in force, so that a change starts from them."""
    return {
        "opens": hours.opens,
        "closes": hours.closes,
        "weekdays": sorted(hours.weekdays),
        "slot_minutes": hours.slot_minutes,
        "seats": hours.capacity,
    }


async def change_hours(request: Request) -> Response:
    form, valid = await posted_form(request, HoursForm)
    await run_in_threadpool(require_administrator, request)
    if not valid:
        return await run_in_threadpool(hours_page, request, form, None, 422)
    rules, now = rules_of(request), now_of(request)
    if form.since.data <= local_today(rules, now):
        form.since.errors.append(FROM_TOMORROW)
        return await run_in_threadpool(hours_page, request, form, None, 422)
    hours = form.hours()
    changed = rules.with_changes([*(c for c in rules.changes if c.since != hours.since), hours])
    engine = state_of(request).engine

    def newly_stranded() -> list[Booking]:
        with Session(engine) as session:
            before = {b.id for b in reception.stranded(session, rules, now)}
            return [b for b in reception.stranded(session, changed, now) if b.id not in before]

    found = await run_in_threadpool(newly_stranded)
    if found and form.confirm.data != "yes":
        form.confirm.data = "yes"
        return await run_in_threadpool(hours_page, request, form, found, 409)
    await run_in_threadpool(
        reception.set_hours, engine=engine, rules=rules, hours=hours, who=who(request), now=now
    )
    return RedirectResponse(request.url_for("desk_hours").path, status_code=303)


async def remove_change(request: Request) -> Response:
    await posted_form(request, SecureForm)
    await run_in_threadpool(require_administrator, request)
    await run_in_threadpool(
        reception.remove_change,
        engine=state_of(request).engine,
        rules=rules_of(request),
        change_id=request.path_params["change_id"],
        who=who(request),
        now=now_of(request),
    )
    return RedirectResponse(request.url_for("desk_hours").path, status_code=303)


routes = [
    Route("/hours", hours_page, name="desk_hours", methods=["GET"]),
    Route("/hours", change_hours, name="desk_change_hours", methods=["POST"]),
    Route(
        "/hours/{change_id:row_id}/delete",
        remove_change,
        name="desk_remove_hours",
        methods=["POST"],
    ),
]

menu = [MenuEntry(N_("Hours"), "desk_hours")]
