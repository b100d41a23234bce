"""A patient's request about their data, honoured from the desk: what the clinic holds about
them (seen, and exported as a file to hand them), corrected, or erased. Every step is in the
audit log; the data work is in core/personal_data.py.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.core import personal_data
from web.core.audit import record
from web.core.db import session_scope
from web.core.i18n import N_
from web.core.intake_answers import described
from web.core.personal_data import Correction, Holdings
from web.desk import data_access, person_export
from web.desk.forms import CorrectionForm, ErasureForm
from web.desk.front_office import who
from web.desk.menu import MenuEntry
from web.http.csrf import SecureForm, form_meta, posted_form
from web.http.language_urls import localized_path, page_language
from web.http.picker import clinic_of, now_of
from web.http.state import state_of
from web.http.templating import render

EXPORTS = {
    "txt": ("text/plain; charset=utf-8", person_export.as_text),
    "json": ("application/json; charset=utf-8", person_export.as_json),
}


def require_erasure_right(request: Request) -> None:
    """The one check before erasing. Any signed-in coordinator may erase for now; when desk
    accounts get roles, this is where erasure becomes the administrator's alone."""
    if getattr(request.state, "coordinator", None) is None:
        raise HTTPException(403)


def _holdings(request: Request, *, seen_by: str | None = None) -> Holdings:
    """What is held about the person of this page's booking; `seen_by` writes the look in the
    audit log (who looked at everything held about whom, by booking number)."""
    booking_id: int = request.path_params["booking_id"]
    with session_scope(state_of(request).engine) as session:
        held = personal_data.find_holdings(session, booking_id)
        if seen_by is not None:
            record(
                session,
                coordinator=seen_by,
                action="view person",
                now=now_of(request),
                booking_id=booking_id,
            )
        for row in (*held.bookings, *held.notes, *held.messages, *held.events, *held.answers):
            session.expunge(row)
    return held


def _page(
    request: Request,
    *,
    correction: CorrectionForm | None = None,
    erasure: ErasureForm | None = None,
    status_code: int = 200,
) -> Response:
    held = _holdings(request, seen_by=who(request) if status_code == 200 else None)
    booking_id: int = request.path_params["booking_id"]
    with Session(state_of(request).engine) as session:
        booking = data_access.get_booking(session, booking_id)
    if correction is None:
        latest = held.bookings[-1] if held.bookings else None
        correction = CorrectionForm(
            meta=form_meta(request),
            phone_region=clinic_of(request).phone_region,
            data={"name": latest.patient_name, "phone": latest.phone, "email": latest.email}
            if latest and latest.erased_at is None
            else None,
        )
    context: dict[str, Any] = {
        "booking": booking,
        "held": held,
        "answer_lines": [
            (a.booking_id, described(a, state_of(request).conditions, page_language(request)))
            for a in held.answers
        ],
        "correction": correction,
        "erasure": erasure or ErasureForm(meta=form_meta(request)),
        "saved": request.query_params.get("saved"),
    }
    return render(request, "desk_person.html", context, status_code=status_code)


def person_page(request: Request) -> Response:
    return _page(request)


async def export(request: Request) -> Response:
    """A POST, like the bookings export: handing over a person's data is written in the log."""
    await posted_form(request, SecureForm)
    kind = str((await request.form()).get("format", ""))
    if kind not in EXPORTS:
        raise HTTPException(400, N_("Please choose the text or the JSON file."))
    media_type, write = EXPORTS[kind]
    booking_id: int = request.path_params["booking_id"]
    now, clinic = now_of(request), clinic_of(request)

    def made() -> str:
        held = _holdings(request)
        with session_scope(state_of(request).engine) as session:
            numbers = ", ".join(str(number) for number in held.booking_ids)
            record(
                session,
                coordinator=who(request),
                action=f"export person {kind}",
                now=now,
                booking_id=booking_id,
                detail=numbers,
            )
        return write(held, clinic, now, state_of(request).conditions)

    body = await run_in_threadpool(made)
    return Response(
        body,
        media_type=media_type,
        headers={
            "content-disposition": f'attachment; filename="patient-data-{booking_id}.{kind}"',
            "cache-control": "no-store",
        },
    )


async def correct(request: Request) -> Response:
    form, valid = await posted_form(
        request, CorrectionForm, phone_region=clinic_of(request).phone_region
    )
    if not valid:
        return await run_in_threadpool(_page, request, correction=form, status_code=422)
    assert form.phone_e164 is not None
    booking_id: int = request.path_params["booking_id"]
    await run_in_threadpool(
        personal_data.correct,
        engine=state_of(request).engine,
        booking_id=booking_id,
        to=Correction(name=form.name.data, phone=form.phone_e164, email=form.email.data),
        who=who(request),
        now=now_of(request),
    )
    path = localized_path(request, "desk_person", booking_id=booking_id)
    return RedirectResponse(f"{path}?saved=corrected", status_code=303)


async def erase(request: Request) -> Response:
    require_erasure_right(request)
    form, valid = await posted_form(request, ErasureForm)
    if not valid:
        return await run_in_threadpool(_page, request, erasure=form, status_code=422)
    booking_id: int = request.path_params["booking_id"]
    await run_in_threadpool(
        personal_data.erase,
        engine=state_of(request).engine,
        booking_id=booking_id,
        who=who(request),
        now=now_of(request),
    )
    path = localized_path(request, "desk_person", booking_id=booking_id)
    return RedirectResponse(f"{path}?saved=erased", status_code=303)


routes = [
    Route("/bookings/{booking_id:row_id}/person", person_page, name="desk_person"),
    Route(
        "/bookings/{booking_id:row_id}/person/export",
        export,
        name="desk_person_export",
        methods=["POST"],
    ),
    Route(
        "/bookings/{booking_id:row_id}/person/correct",
        correct,
        name="desk_person_correct",
        methods=["POST"],
    ),
    Route(
        "/bookings/{booking_id:row_id}/person/erase",
        erase,
        name="desk_person_erase",
        methods=["POST"],
    ),
]

menu: list[MenuEntry] = []  # reached from a booking's page
