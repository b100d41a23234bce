"""The patient's booking flow: slot picker, booking form, the booking page, cancel and reschedule.

Handlers stay thin: parse the input, call the core, render one template. Lookups that fail raise
the core's exceptions, which `web.http.error_pages` turns into pages.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.core import bookings
from web.core.audit import PATIENT, record
from web.core.availability import Availability, Offer
from web.core.db import write_in_thread
from web.core.errors import BookingNotActive, DomainError, SlotUnavailable
from web.core.formats import format_start, local_day, parse_day, parse_start
from web.core.i18n import N_
from web.core.invites import build_invite, google_calendar_link, invite_filename, outlook_link
from web.core.models import Booking, BookingStatus
from web.core.schedule import Slot, in_horizon
from web.http import metrics
from web.http.calendar_response import ics_response
from web.http.csrf import form_meta, posted_form
from web.http.error_pages import retry_minutes
from web.http.language_urls import absolute, localized_path, page_language
from web.http.picker import (
    Picker,
    chosen_start,
    clinic_of,
    ledger_of,
    make_picker,
    now_of,
    render_picker,
    rules_of,
)
from web.http.ratelimit import enforce
from web.http.state import state_of
from web.http.stored_pages import keep_while_current
from web.http.templating import render
from web.patient import intake
from web.patient.forms import BookingForm, ConfirmForm, RescheduleForm

FORM_REFUSED = N_("This form could not be accepted. Please reload the page and try again.")
TAKEN = N_(
    "Sorry, that time is no longer free: someone may have just booked it. Please choose another."
)
# Follows "Sorry, <the lost time> is no longer free" (booking_form.html names the time).
TAKEN_KEEP_DETAILS = N_(
    "Your details are kept below, and the nearest free time is chosen: check it and book again."
)

# A time that was never on offer is not "taken": each reason says what is wrong with it.
PASSED = N_("That time has already passed. Please choose one of the free times.")
TOO_SOON = N_(
    "That time is too soon to book online: we need a little notice to prepare. Please choose a "
    "later time, or call us."
)
TOO_FAR = N_(
    "That time is too far ahead to book online yet. Please choose one of the free times, or "
    "call us."
)


def _offer(request: Request) -> Offer:
    availability: Availability = state_of(request).availability
    return availability.offer(rules_of(request), now_of(request))


def _free_slots(request: Request) -> dict[date, list[Slot]]:
    return _offer(request).by_day


def _picker(
    request: Request,
    day: date | None,
    *,
    day_url: str,
    slot_action: str,
    by_day: dict[date, list[Slot]] | None = None,
    about: str | None = None,
) -> Picker:
    by_day = _free_slots(request) if by_day is None else by_day
    return make_picker(by_day, day, day_url=day_url, slot_action=slot_action, about=about)


def _requested_day(request: Request) -> date | None:
    raw = request.query_params.get("day")
    return None if raw is None else parse_day(raw)


def _about(raw: str | None, request: Request) -> str | None:
    """The condition page the patient came from, if it has questions to ask (else nothing)."""
    condition = intake.asking(request, raw)
    return condition.slug if condition else None


def _booking_picker(
    request: Request, day: date | None, by_day: dict[date, list[Slot]] | None = None
) -> Picker:
    return _picker(
        request,
        day,
        day_url=localized_path(request, "consultation_slots"),
        slot_action=localized_path(request, "booking_form"),
        by_day=by_day,
        about=_about(request.query_params.get("about"), request),
    )


def consultation(request: Request) -> Response:
    """The picker is the same for every visitor: its answer is kept (and served from memory)
    for as long as the free slots it shows are current."""
    offer = _offer(request)
    picker = _booking_picker(request, _requested_day(request), offer.by_day)
    response = render_picker(request, "consultation.html", {"picker": picker})
    day = f"day={picker.day.isoformat()}"
    queries = {"", day, *(f"{q}about={picker.about}" for q in ("", day + "&") if picker.about)}
    keep_while_current(request, response, offer.is_current, queries=queries)
    return response


def _slots_page(request: Request, start: datetime) -> tuple[date, str]:
    """The clinic day of `start` and its slots page (unprefixed): where a lost time leads."""
    day = local_day(start, rules_of(request).time_zone)
    return day, f"{request.app.url_path_for('consultation_slots')}?day={day.isoformat()}"


def _never_offered(request: Request, start: datetime) -> str | None:
    """Why `start` cannot be booked whoever else books: passed, inside the notice, or beyond the
    horizon (None: it was on offer, so someone took it)."""
    rules, now = clinic_of(request).rules, now_of(request)
    if start <= now:
        return PASSED
    if start < now + rules.minimum_notice:
        return TOO_SOON
    if not in_horizon(rules, local_day(start, rules.time_zone), now):
        return TOO_FAR
    return None


def _slot_taken(request: Request, start: datetime) -> Response:
    """409 with the fresh slots of that day (the picker opens on it), so the patient can pick
    another at once; the message says why that time cannot be booked."""
    day, slots_page = _slots_page(request, start)
    message = _never_offered(request, start) or TAKEN
    context = {"picker": _booking_picker(request, day), "message": message, "same_page": slots_page}
    return render_picker(request, "consultation.html", context, status_code=409)


def booking_form(request: Request) -> Response:
    start = chosen_start(request, request.query_params.get("start"))
    by_day = _free_slots(request)
    if not any(slot.start == start for slots in by_day.values() for slot in slots):
        own = _own_booking(request, start)
        if own is not None:  # Back after booking: this browser booked it, not someone else
            return render(request, "booked_already.html", {"start": start, "booking_url": own})
        return _slot_taken(request, start)
    form = _blank_form(request)
    form.start.data = format_start(start)
    form.key.data = bookings.new_token()
    form.about.data = _about(request.query_params.get("about"), request)
    return _render_form(request, form, start)


def _blank_form(request: Request) -> BookingForm:
    clinic = clinic_of(request)
    return BookingForm(
        meta=form_meta(request), channels=clinic.channels, phone_region=clinic.phone_region
    )


def _render_form(
    request: Request,
    form: BookingForm,
    start: datetime,
    status_code: int = 200,
    *,
    message: str | None = None,
    alternatives: list[Slot] | None = None,
    headers: dict[str, str] | None = None,
    same_page: str | None = None,
    lost_start: datetime | None = None,
) -> Response:
    form_page = f"{request.app.url_path_for('booking_form')}?start={format_start(start)}"
    context = {
        "form": form,
        "start": start,
        "end": start + rules_of(request).at(start).slot_length,
        "message": message,
        "alternatives": alternatives or [],
        "lost_start": lost_start,
        "retry_minutes": retry_minutes(headers) if status_code == 429 else None,
        "same_page": same_page or form_page,
    }
    return render(request, "booking_form.html", context, status_code=status_code, headers=headers)


# A booking made from this browser, by slot start, so that Back to the form recognises it.
OWN_BOOKINGS = "own_bookings"
OWN_BOOKINGS_KEPT = 3


def _remember_booking(request: Request, start: datetime, token: str) -> None:
    own = dict(request.session.get(OWN_BOOKINGS, {}))
    own[format_start(start)] = token
    request.session[OWN_BOOKINGS] = dict(list(own.items())[-OWN_BOOKINGS_KEPT:])


def _own_booking(request: Request, start: datetime) -> str | None:
    token = request.session.get(OWN_BOOKINGS, {}).get(format_start(start))
    return localized_path(request, "booking_page", token=token) if token else None


def nearest_free(by_day: dict[date, list[Slot]], wanted: datetime, count: int) -> list[Slot]:
    """The free slots closest in time to the one that was taken, in time order."""
    free = [slot for slots in by_day.values() for slot in slots]
    closest = sorted(free, key=lambda slot: abs(slot.start - wanted))[:count]
    return sorted(closest, key=lambda slot: slot.start)


async def _posted_booking_form(request: Request) -> tuple[BookingForm, bool]:
    clinic = clinic_of(request)
    return await posted_form(
        request, BookingForm, channels=clinic.channels, phone_region=clinic.phone_region
    )


async def submit_booking(request: Request) -> Response:
    try:
        await enforce(request, "booking")
    except HTTPException as limited:  # 429, with what the patient typed kept in the form
        return await _limited_keep_details(request, limited)
    form, valid = await _posted_booking_form(request)
    start = chosen_start(request, form.start.data)
    if form.is_bot or not form.has_valid_key:
        raise HTTPException(400, FORM_REFUSED)  # nothing a person could fix in a field
    if not valid:
        return _render_form(request, form, start, status_code=422)
    now, notifier = now_of(request), state_of(request).notifier
    ledger = ledger_of(request)
    about = _about(form.about.data, request)
    patient = replace(form.patient(page_language(request)), condition=about)
    try:
        booking = await write_in_thread(
            ledger.engine,
            lambda: bookings.book(
                ledger=ledger,
                now=now,
                start=start,
                patient=patient,
                form_key=form.key.data,
                on_booked=lambda connection, booking: notifier.booked(connection, booking, now=now),
            ),
        )
    except SlotUnavailable:
        return await run_in_threadpool(_taken_keep_details, request, form, start)
    metrics.booking_made("patient")
    booking_token = ledger.manage_token(booking)
    _remember_booking(request, start, booking_token)
    return _go_to(request, localized_path(request, "booking_page", token=booking_token))


async def _limited_keep_details(request: Request, limited: HTTPException) -> Response:
    """429 on the form itself, so nothing typed is lost; a post that is not our form gets the
    plain 429 page."""
    try:
        form, _ = await _posted_booking_form(request)
        start = chosen_start(request, form.start.data)
    except (HTTPException, DomainError):
        raise limited from None
    message, headers = str(limited.detail), dict(limited.headers or {})
    return _render_form(request, form, start, 429, message=message, headers=headers)


def _taken_keep_details(request: Request, form: BookingForm, start: datetime) -> Response:
    """409: the same form with everything typed, and the nearest free times to choose from."""
    alternatives = nearest_free(_free_slots(request), start, count=4)
    never_offered = _never_offered(request, start)
    if not alternatives:
        return _slot_taken(request, start)
    nearest = min(alternatives, key=lambda slot: abs(slot.start - start))
    form.start.data = format_start(nearest.start)
    _, slots_page = _slots_page(request, start)  # this answer in another language
    return _render_form(
        request,
        form,
        start,
        409,
        message=never_offered or TAKEN_KEEP_DETAILS,
        alternatives=alternatives,
        same_page=slots_page,
        lost_start=None if never_offered else start,
    )


def _go_to(request: Request, path: str) -> Response:
    """After a successful POST: a 303 for a plain form, a full navigation for htmx."""
    if request.headers.get("hx-request") == "true":  # fetch would follow a 303 silently
        return Response(status_code=200, headers={"HX-Redirect": path})
    return RedirectResponse(path, status_code=303)


def _booking(request: Request) -> tuple[str, Booking]:
    token: str = request.path_params["token"]
    return token, bookings.booking_for_token(state_of(request).engine, token)


def _manage_url(request: Request, token: str) -> str:
    return absolute(request, localized_path(request, "booking_page", token=token))


def _calendar_links(request: Request, booking: Booking, token: str) -> dict[str, str]:
    """The .ics (ours) carries the manage link; links to Google and Microsoft never do."""
    clinic = clinic_of(request)
    return {
        "ics": localized_path(request, "booking_invite", token=token),
        "google": google_calendar_link(clinic, booking),
        "outlook": outlook_link(clinic, booking, host="outlook.live.com"),
        "office": outlook_link(clinic, booking, host="outlook.office.com"),
    }


def _moved_from(request: Request) -> datetime | None:
    """The old time named in "moved from ... to ..."; anything unreadable is left out."""
    try:
        return parse_start(request.query_params.get("from"))
    except DomainError:
        return None


def booking_page(request: Request) -> Response:
    token, booking = _booking(request)
    context = {
        "booking": booking,
        "token": token,
        "flash": request.query_params.get("done"),
        "moved_from": _moved_from(request),
        "manage_url": _manage_url(request, token),
        "calendar": _calendar_links(request, booking, token),
        "questions": intake.offer(request, booking),
    }
    return render(request, "booking.html", context)


def booking_invite(request: Request) -> Response:
    token, booking = _booking(request)
    clinic = clinic_of(request)
    body = build_invite(clinic, booking, manage_url=_manage_url(request, token))
    return ics_response(
        body,
        filename=invite_filename(booking, clinic),
        ascii_filename=invite_filename(booking, clinic, translated=False),
    )


def cancel_confirm(request: Request) -> Response:
    token, booking = _booking(request)
    if booking.is_cancelled:  # its page says so, and offers a new time
        return RedirectResponse(localized_path(request, "booking_page", token=token), 303)
    form = ConfirmForm(meta=form_meta(request))
    return render(request, "cancel.html", {"booking": booking, "token": token, "form": form})


async def cancel(request: Request) -> Response:
    await enforce(request, "manage")
    await posted_form(request, ConfirmForm)
    token, now, notifier = request.path_params["token"], now_of(request), state_of(request).notifier

    def cancelled(connection: Connection, booking: Booking) -> None:
        notifier.cancelled(connection, booking, by_clinic=False, now=now)
        record(
            connection, coordinator=PATIENT, action="mark cancelled", now=now, booking_id=booking.id
        )

    await run_in_threadpool(
        bookings.cancel,
        engine=state_of(request).engine,
        now=now,
        token=token,
        on_cancelled=cancelled,
    )
    url = localized_path(request, "booking_page", token=token) + "?done=cancelled"
    return RedirectResponse(url, status_code=303)


def _reschedule_picker(request: Request, token: str, day: date | None) -> Picker:
    """Choosing a time only asks: the confirmation page shows the old and the new time."""
    url = localized_path(request, "reschedule", token=token)
    confirm = localized_path(request, "reschedule_confirm", token=token)
    return _picker(request, day, day_url=url, slot_action=confirm)


def _render_reschedule(
    request: Request,
    token: str,
    booking: Booking,
    day: date | None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    context = {"picker": _reschedule_picker(request, token, day), "booking": booking, **extra}
    return render_picker(request, "reschedule.html", context, status_code)


def _movable(request: Request) -> tuple[str, Booking] | Response:
    """The booking to move, or where to go instead: a cancelled one's own page says so."""
    token, booking = _booking(request)
    if booking.is_cancelled:
        return RedirectResponse(localized_path(request, "booking_page", token=token), 303)
    if booking.status != BookingStatus.CONFIRMED:
        raise BookingNotActive
    return token, booking


def reschedule_page(request: Request) -> Response:
    movable = _movable(request)
    if isinstance(movable, Response):
        return movable
    token, booking = movable
    # Without a chosen day the picker opens on the booking's own day: a move is often a nearby time.
    day = _requested_day(request) or local_day(
        booking.starts_at, clinic_of(request).rules.time_zone
    )
    return _render_reschedule(request, token, booking, day)


def reschedule_confirm(request: Request) -> Response:
    movable = _movable(request)
    if isinstance(movable, Response):
        return movable
    token, booking = movable
    start = chosen_start(request, request.query_params.get("start"))
    if start == booking.starts_at:  # Back after the move: there is nothing to move any more
        return RedirectResponse(localized_path(request, "booking_page", token=token), 303)
    form = RescheduleForm(meta=form_meta(request), data={"start": format_start(start)})
    day = local_day(start, rules_of(request).time_zone)
    context = {
        "booking": booking,
        "token": token,
        "start": start,
        "end": start + rules_of(request).at(start).slot_length,
        "form": form,
        "day": day,
    }
    return render(request, "reschedule_confirm.html", context)


async def reschedule(request: Request) -> Response:
    await enforce(request, "manage")
    form, _ = await posted_form(request, RescheduleForm)
    token, now, notifier = request.path_params["token"], now_of(request), state_of(request).notifier
    start = chosen_start(request, form.start.data)
    _, before = await run_in_threadpool(_booking, request)
    old_start = before.starts_at

    def moved(connection: Connection, booking: Booking) -> None:
        notifier.rescheduled(connection, booking, now=now, previous_start=old_start)
        detail = f"{format_start(old_start)} → {format_start(booking.starts_at)}"
        record(
            connection, coordinator=PATIENT, action="move", now=now, booking_id=booking.id,
            detail=detail,
        )  # fmt: skip

    try:
        await run_in_threadpool(
            bookings.reschedule,
            ledger=ledger_of(request),
            now=now,
            token=token,
            start=start,
            on_moved=moved,
        )
    except SlotUnavailable:
        return await run_in_threadpool(_reschedule_taken, request, token, start)
    url = localized_path(request, "booking_page", token=token) + "?done=moved"
    if old_start != start:  # a resubmitted form moved nothing this time
        url += f"&from={format_start(old_start)}"
    return RedirectResponse(url, status_code=303)


def _reschedule_taken(request: Request, token: str, start: datetime) -> Response:
    _, booking = _booking(request)
    day = local_day(start, rules_of(request).time_zone)
    page = f"{request.app.url_path_for('reschedule', token=token)}?day={day.isoformat()}"
    return _render_reschedule(request, token, booking, day, 409, message=TAKEN, same_page=page)


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
    Route(
        "/bookings/{token}/reschedule/confirm",
        reschedule_confirm,
        name="reschedule_confirm",
        methods=["GET"],
    ),
]
