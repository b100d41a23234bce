"""The patient's booking flow: slot picker, booking form, the booking page, cancel and reschedule.

Handlers stay thin: parse the input, call reservations, render one template.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web import reservations
from web.booking_forms import BookingForm, ConfirmForm, RescheduleForm, format_start, parse_start
from web.clinic import Clinic
from web.invites import (
    build_invite,
    google_calendar_link,
    ics_response,
    invite_filename,
    outlook_link,
)
from web.models import Booking, BookingStatus
from web.ratelimit import enforce
from web.reservations import SlotUnavailable
from web.schedule import Slot, is_on_grid, next_day_with_slots
from web.security import form_meta, posted_form
from web.templating import render

PRIVATE = "no-store"


@dataclass(frozen=True)
class Picker:
    """What the slot picker shows: the days strip, one chosen day and its free slots."""

    days: list[tuple[date, int]]
    day: date
    slots: list[Slot]
    next_free: date | None
    day_url: str  # the URL a day link points at, without ?day=
    slot_action: str
    slot_method: str


def _clinic(request: Request) -> Clinic:
    return request.app.state.clinic


def _now(request: Request) -> datetime:
    return request.app.state.clock()


def _parse_day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def _picker(
    request: Request, day: date | None, *, day_url: str, slot_action: str, slot_method: str
) -> Picker:
    clinic = _clinic(request)
    with Session(request.app.state.engine) as session:
        by_day = reservations.availability(session, clinic.rules, _now(request))
    days = list(by_day)
    if day not in by_day:
        day = next((d for d, slots in by_day.items() if slots), days[0])
    return Picker(
        days=[(d, len(slots)) for d, slots in by_day.items()],
        day=day,
        slots=by_day[day],
        next_free=next_day_with_slots(by_day, day),
        day_url=day_url,
        slot_action=slot_action,
        slot_method=slot_method,
    )


def _requested_day(request: Request) -> date | None:
    raw = request.query_params.get("day")
    day = _parse_day(raw)
    if raw is not None and day is None:
        raise HTTPException(400, "That date could not be read. Please pick a day from the list.")
    return day


def _booking_picker(request: Request, day: date | None) -> Picker:
    return _picker(
        request,
        day,
        day_url=str(request.app.url_path_for("consultation_slots")),
        slot_action=str(request.app.url_path_for("booking_form")),
        slot_method="get",
    )


def consultation(request: Request) -> Response:
    picker = _booking_picker(request, _requested_day(request))
    return _render_picker(request, "consultation.html", {"picker": picker})


def _render_picker(request: Request, page: str, context: dict, status_code: int = 200) -> Response:
    response = render(request, page, context, partial="_picker.html", status_code=status_code)
    response.headers["cache-control"] = PRIVATE
    return response


def _slot_or_error(request: Request, raw: str | None) -> datetime:
    start = parse_start(raw)
    if start is None or not is_on_grid(_clinic(request).rules, start):
        raise HTTPException(
            400, "That is not one of our consultation times. Please choose a time from the list."
        )
    return start


def _slot_taken(request: Request, start: datetime, message: str) -> Response:
    """409 with the fresh slots of that day, so the patient can pick another at once."""
    day = start.astimezone(_clinic(request).rules.time_zone).date()
    picker = _booking_picker(request, day)
    context = {"picker": picker, "message": message}
    return _render_picker(request, "consultation.html", context, status_code=409)


TAKEN = (
    "Sorry, that time is no longer free: someone may have just booked it. Please choose another."
)


def booking_form(request: Request) -> Response:
    start = _slot_or_error(request, request.query_params.get("start"))
    clinic = _clinic(request)
    with Session(request.app.state.engine) as session:
        by_day = reservations.availability(session, clinic.rules, _now(request))
    if not any(slot.start == start for slots in by_day.values() for slot in slots):
        return _slot_taken(request, start, TAKEN)
    form = _blank_form(request)
    form.start.data = format_start(start)
    form.key.data = reservations.new_token()
    return _render_form(request, form, start)


def _blank_form(request: Request) -> BookingForm:
    clinic = _clinic(request)
    return BookingForm(
        meta=form_meta(request), channels=clinic.channels, phone_region=clinic.phone_region
    )


def _render_form(
    request: Request, form: BookingForm, start: datetime, status_code: int = 200
) -> Response:
    context = {"form": form, "start": start, "end": start + _clinic(request).rules.slot_length}
    response = render(request, "booking_form.html", context, status_code=status_code)
    response.headers["cache-control"] = PRIVATE
    return response


async def submit_booking(request: Request) -> Response:
    enforce(request, "booking")
    clinic = _clinic(request)
    form, valid = await posted_form(
        request, BookingForm, channels=clinic.channels, phone_region=clinic.phone_region
    )
    start = _slot_or_error(request, form.start.data)
    if form.is_bot or not form.has_valid_key:
        raise HTTPException(
            400, "This form could not be accepted. Please reload the page and try again."
        )
    if not valid:
        return _render_form(request, form, start, status_code=422)
    now, notifier = _now(request), request.app.state.notifier
    booking_token = form.key.data
    try:
        await run_in_threadpool(
            reservations.book,
            engine=request.app.state.engine,
            rules=clinic.rules,
            now=now,
            start=start,
            patient=form.patient(),
            token=booking_token,
            on_booked=lambda session, booking: notifier.booked(
                session, booking, token=booking_token, now=now
            ),
        )
    except SlotUnavailable:
        return await run_in_threadpool(_slot_taken, request, start, TAKEN)
    return RedirectResponse(
        request.app.url_path_for("booking_page", token=booking_token), status_code=303
    )


def _booking(request: Request) -> tuple[str, Booking]:
    token = request.path_params["token"]
    booking = reservations.booking_for_token(request.app.state.engine, token)
    if booking is None:
        raise HTTPException(
            404,
            "We could not find a booking at this address. Please check the link, or call us.",
        )
    return token, booking


def _manage_url(request: Request, token: str) -> str:
    return str(request.url_for("booking_page", token=token))


def _calendar_links(request: Request, booking: Booking, token: str) -> dict[str, str]:
    clinic, manage = _clinic(request), _manage_url(request, token)
    return {
        "ics": request.app.url_path_for("booking_invite", token=token),
        "google": google_calendar_link(clinic, booking, manage),
        "outlook": outlook_link(clinic, booking, manage, host="outlook.live.com"),
        "office": outlook_link(clinic, booking, manage, host="outlook.office.com"),
    }


def booking_page(request: Request) -> Response:
    token, booking = _booking(request)
    context = {
        "booking": booking,
        "token": token,
        "flash": request.query_params.get("done"),
        "calendar": _calendar_links(request, booking, token),
    }
    response = render(request, "booking.html", context)
    response.headers["cache-control"] = PRIVATE
    return response


def booking_invite(request: Request) -> Response:
    token, booking = _booking(request)
    clinic = _clinic(request)
    body = build_invite(clinic, booking, manage_url=_manage_url(request, token), now=_now(request))
    return ics_response(body, filename=invite_filename(booking, clinic))


def cancel_confirm(request: Request) -> Response:
    token, booking = _booking(request)
    form = ConfirmForm(meta=form_meta(request))
    response = render(request, "cancel.html", {"booking": booking, "token": token, "form": form})
    response.headers["cache-control"] = PRIVATE
    return response


async def cancel(request: Request) -> Response:
    enforce(request, "manage")
    await posted_form(request, ConfirmForm)
    token, now, notifier = request.path_params["token"], _now(request), request.app.state.notifier
    try:
        await run_in_threadpool(
            reservations.cancel,
            engine=request.app.state.engine,
            now=now,
            token=token,
            on_cancelled=lambda session, booking: notifier.cancelled(
                session, booking, token=token, now=now
            ),
        )
    except LookupError:
        raise HTTPException(404, "We could not find a booking at this address.") from None
    url = f"{request.app.url_path_for('booking_page', token=token)}?done=cancelled"
    return RedirectResponse(url, status_code=303)


def _reschedule_picker(request: Request, token: str, day: date | None) -> Picker:
    url = str(request.app.url_path_for("reschedule", token=token))
    return _picker(request, day, day_url=url, slot_action=url, slot_method="post")


def reschedule_page(request: Request) -> Response:
    token, booking = _booking(request)
    if booking.status != BookingStatus.CONFIRMED:
        raise HTTPException(
            409, "This booking was cancelled, so it cannot be moved. Please book a new time."
        )
    picker = _reschedule_picker(request, token, _requested_day(request))
    context = {
        "picker": picker,
        "booking": booking,
        "form": RescheduleForm(meta=form_meta(request)),
    }
    return _render_picker(request, "reschedule.html", context)


async def reschedule(request: Request) -> Response:
    enforce(request, "manage")
    form, _ = await posted_form(request, RescheduleForm)
    token, now, notifier = request.path_params["token"], _now(request), request.app.state.notifier
    start = _slot_or_error(request, form.start.data)
    try:
        await run_in_threadpool(
            reservations.reschedule,
            engine=request.app.state.engine,
            rules=_clinic(request).rules,
            now=now,
            token=token,
            start=start,
            on_moved=lambda session, booking: notifier.rescheduled(
                session, booking, token=token, now=now
            ),
        )
    except LookupError:
        raise HTTPException(404, "We could not find a booking at this address.") from None
    except SlotUnavailable:
        return await run_in_threadpool(_reschedule_taken, request, token, start, form)
    url = f"{request.app.url_path_for('booking_page', token=token)}?done=moved"
    return RedirectResponse(url, status_code=303)


def _reschedule_taken(
    request: Request, token: str, start: datetime, form: RescheduleForm
) -> Response:
    _, booking = _booking(request)
    day = start.astimezone(_clinic(request).rules.time_zone).date()
    picker = _reschedule_picker(request, token, day)
    context = {"picker": picker, "booking": booking, "form": form, "message": TAKEN}
    return _render_picker(request, "reschedule.html", context, status_code=409)


routes = [
    Route("/consultation", consultation, name="consultation"),
    Route("/consultation/slots", consultation, name="consultation_slots"),
    Route("/consultation/book", booking_form, name="booking_form", methods=["GET"]),
    Route("/consultation/book", submit_booking, name="submit_booking", methods=["POST"]),
    Route("/bookings/{token}", booking_page, name="booking_page"),
    Route("/bookings/{token}/invite.ics", booking_invite, name="booking_invite"),
    Route("/bookings/{token}/cancel", cancel_confirm, name="cancel_confirm", methods=["GET"]),
    Route("/bookings/{token}/cancel", cancel, name="cancel", methods=["POST"]),
    Route("/bookings/{token}/reschedule", reschedule_page, name="reschedule", methods=["GET"]),
    Route("/bookings/{token}/reschedule", reschedule, name="reschedule_submit", methods=["POST"]),
]
