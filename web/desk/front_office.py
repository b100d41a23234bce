"""The coordinator's front office: the day and the week, finding a patient, a booking's page
(its notes, the "call the patient" task, the same patient's other bookings), booking a caller
and moving a booking. Each handler parses, calls desk/front_desk.py or the core, renders one
template; the data work is there.

What the coordinator typed is never lost: a booking changed meanwhile (by another coordinator or
by the patient) answers with the booking as it is now and the form as it was sent, and a session
that ended keeps the typed text through the sign-in (see `kept_fields`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.core import bookings
from web.core.consent import consent_text
from web.core.errors import BookingChanged, InvalidInput, SlotUnavailable
from web.core.formats import format_start, parse_day, parse_start
from web.core.i18n import N_
from web.core.intake_answers import (
    answers_by_booking,
    answers_of,
    compact,
    condition_title,
    described,
)
from web.core.models import Booking, BookingStatus
from web.core.outbox_state import outbox_state
from web.core.plain_text import SINGLE_LINE_CONTROLS
from web.core.schedule import Slot, local_today
from web.desk import agenda, audit, convertors, data_access, front_desk, patient_changes
from web.desk.forms import (
    CallerForm,
    ChangesSeenForm,
    ChangeStatusForm,
    MoveForm,
    NoteForm,
    SeenForm,
)
from web.desk.menu import MenuEntry
from web.http.csrf import SecureForm, form_meta, posted_form
from web.http.language_urls import absolute, localized_path, on_this_site, page_language
from web.http.picker import (
    chosen_start,
    clinic_of,
    ledger_of,
    make_picker,
    now_of,
    render_picker,
    rules_of,
)
from web.http.state import state_of
from web.http.templating import language_name, render

TAKEN = N_("That time is no longer free: someone has just booked it. Please choose another.")
FORM_REFUSED = N_("This form could not be accepted. Please open it again from the day view.")
# Where a POST that could not be carried out (a session that ended) sends the coordinator back
# to: the page its form was on.
KEPT = "desk_kept"
KEPT_FIELDS_MAX = 20
KEPT_VALUE_MAX = 600


def who(request: Request) -> str:
    username: str = request.state.coordinator.username
    return username


def _day_param(request: Request) -> date:
    raw = request.query_params.get("day")
    return local_today(rules_of(request), now_of(request)) if not raw else parse_day(raw)


# --- The day and the week ---------------------------------------------------------------------


def day_view(request: Request) -> Response:
    """The clinic's day (today by default): every slot, who is next, what needs an outcome."""
    day = _day_param(request)
    with Session(state_of(request).engine) as session:
        (shown,) = agenda.days(session, rules=rules_of(request), now=now_of(request), wanted=[day])
        calls = front_desk.calls_to_make(session)
        undelivered = data_access.upcoming_undelivered_mail(
            session, rules=rules_of(request), now=now_of(request)
        )
        changed = patient_changes.unseen(session, request.state.coordinator.id)
        answers = _answers_in(request, session, [shown])
    context = {
        **_agenda_context(request, "day", day, step=timedelta(days=1)),
        "agenda": [shown],
        "answers": answers,
        "calls": calls,
        "undelivered": undelivered,
        "mail": outbox_state(state_of(request).engine, now_of(request)),
        "patient_changes": changed,
    }
    return render(request, "desk_day.html", context, partial="_agenda.html")


async def changes_seen(request: Request) -> Response:
    """The patients' changes listed on the home are seen (by this coordinator only)."""
    form, valid = await posted_form(request, ChangesSeenForm)
    if not valid:
        raise InvalidInput(str(form.up_to.raw_data))
    await run_in_threadpool(
        patient_changes.mark_seen,
        engine=state_of(request).engine,
        coordinator_id=request.state.coordinator.id,
        up_to=form.up_to.data,
    )
    return RedirectResponse(on_this_site(request, "desk"), status_code=303)


def _answers_in(request: Request, session: Session, days: list[agenda.Day]) -> dict[int, str]:
    """Each booking's answers to the questions before the consultation, in one line."""
    ids = [e.booking.id for d in days for row in d.rows for e in row.entries if e.booking.id]
    library, language = state_of(request).conditions, page_language(request)
    return {
        booking_id: compact(described(row, library, language))
        for booking_id, row in answers_by_booking(session, ids).items()
    }


def _agenda_context(request: Request, view: str, day: date, *, step: timedelta) -> dict[str, Any]:
    return {
        "view": view,
        "day": day,
        "previous": day - step,
        "following": day + step,
        "today": local_today(rules_of(request), now_of(request)),
        "now": now_of(request),
    }


def week_view(request: Request) -> Response:
    day = _day_param(request)
    week = agenda.week_of(day)
    with Session(state_of(request).engine) as session:
        days = agenda.days(session, rules=rules_of(request), now=now_of(request), wanted=week)
        answers = _answers_in(request, session, days)
    context = {
        **_agenda_context(request, "week", day, step=timedelta(days=7)),
        "agenda": [d for d in days if d.is_working or d.booked],
        "answers": answers,
        "calls": [],
        "undelivered": [],
    }
    return render(request, "desk_day.html", context, partial="_agenda.html")


# --- Finding a patient ------------------------------------------------------------------------

STATUSES = [s.value for s in BookingStatus]


def query_page(request: Request) -> int:
    """A page number in ASCII digits (isdigit() alone also accepts "²", which int() refuses)."""
    raw = request.query_params.get("page") or "1"
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6):
        raise InvalidInput(raw)
    return max(1, int(raw))


def _search(request: Request) -> front_desk.Search:
    params = request.query_params
    status = params.get("status") or None
    if status is not None and status not in STATUSES:
        raise InvalidInput(status)
    first = parse_day(params["from"]) if params.get("from") else None
    last = parse_day(params["to"]) if params.get("to") else None
    # "day" is the older filter of this page: one day is a range of one.
    if params.get("day"):
        first = last = parse_day(params["day"])
    text = (params.get("q") or "").strip()[:120]
    if SINGLE_LINE_CONTROLS.search(text):  # never a thing anyone searches for; NUL breaks SQL
        raise InvalidInput(text)
    return front_desk.Search(text=text, first=first, last=last, status=status)


def find_page(request: Request) -> Response:
    search = _search(request)
    clinic = clinic_of(request)
    with Session(state_of(request).engine) as session:
        listing = front_desk.find(
            session,
            rules=rules_of(request),
            now=now_of(request),
            search=search,
            phone_region=clinic.phone_region,
            page=query_page(request),
        )
    context = {"listing": listing, "search": search, "statuses": STATUSES}
    return render(request, "desk_bookings.html", context)


# --- A booking's page -------------------------------------------------------------------------


def _kept(request: Request) -> dict[str, str]:
    """What the coordinator had typed when their session ended, for this page (once)."""
    kept = request.session.get(KEPT)
    if not isinstance(kept, dict) or kept.get("path") != request.url.path:
        return {}
    request.session.pop(KEPT, None)
    fields = kept.get("fields")
    return {str(k): str(v) for k, v in fields.items()} if isinstance(fields, dict) else {}


def _seen(form: SeenForm, booking: Booking) -> None:
    """The booking as this page shows it, to compare with when the form comes back."""
    form.seen.data = booking.sequence
    form.seen.raw_data = [str(booking.sequence)]  # what the field renders when it was posted
    form.seen_status.data = booking.status
    form.seen_start.data = format_start(booking.starts_at)


def _changes(form: SeenForm, booking: Booking) -> list[dict[str, Any]]:
    """What changed between the page the coordinator saw and the booking now."""
    found: list[dict[str, Any]] = []
    if form.seen_status.data and form.seen_status.data != booking.status:
        found.append({"what": "status", "before": form.seen_status.data, "now": booking.status})
    try:
        before = parse_start(form.seen_start.data) if form.seen_start.data else None
    except InvalidInput:
        before = None
    if before is not None and before != booking.starts_at:
        found.append({"what": "time", "before": before, "now": booking.starts_at})
    return found


def booking_page(
    request: Request,
    *,
    status_form: ChangeStatusForm | None = None,
    note_form: NoteForm | None = None,
    changed: list[dict[str, Any]] | None = None,
    status_code: int = 200,
) -> Response:
    booking_id: int = request.path_params["booking_id"]
    with Session(state_of(request).engine) as session:
        booking = data_access.get_booking(session, booking_id)
        history = front_desk.timeline(session, booking)
        undelivered = data_access.undelivered_mail(session, booking_id=booking.id)
        notes = front_desk.notes_for(session, booking_id)
        others = front_desk.same_patient(session, booking)
        answers = answers_of(session, booking.id)
    kept = _kept(request)
    if status_form is None:
        status_form = ChangeStatusForm(meta=form_meta(request), data=kept or None)
    if note_form is None:
        note_form = NoteForm(meta=form_meta(request), data={"text": kept.get("text")})
    if changed is not None or status_form.seen.data is None:
        _seen(status_form, booking)  # a conflict shows the booking now: the next save is on it
    allowed = data_access.NEXT_STATUSES[booking.status]
    if booking.starts_at > now_of(request):  # an outcome only once the consultation has begun
        allowed = tuple(status for status in allowed if status not in data_access.OUTCOMES)
    status_form.status.choices = [c for c in status_form.status.choices if c.value in allowed]
    ledger = ledger_of(request)
    manage_path = clinic_of(request).path_prefix(booking.language) + request.app.url_path_for(
        "booking_page", token=ledger.manage_token(booking)
    )
    context = {
        "booking": booking,
        "form": status_form,
        "note_form": note_form,
        "read_detail": audit.read_detail,
        "history": history,
        "undelivered": undelivered,
        "notes": notes,
        "others": others,
        "answers": answers,
        "answer_lines": described(answers, state_of(request).conditions, page_language(request)),
        "condition": condition_title(
            answers.condition if answers else booking.condition,
            state_of(request).conditions,
            page_language(request),
        ),
        "changed": changed,
        "kept": bool(kept),
        "saved": request.query_params.get("saved"),
        "manage_url": absolute(request, manage_path),
        "can_move": booking.status == BookingStatus.CONFIRMED and booking.ends_at > now_of(request),
    }
    return render(request, "desk_booking.html", context, status_code=status_code)


def _saved(request: Request, booking_id: int, what: str) -> Response:
    """After a save: the booking's page, with focus on the "saved" message."""
    path = localized_path(request, "desk_booking", booking_id=booking_id)
    return RedirectResponse(f"{path}?saved={what}", status_code=303)


async def change_status(request: Request) -> Response:
    form, valid = await posted_form(request, ChangeStatusForm)
    if not valid:
        return await run_in_threadpool(booking_page, request, status_form=form, status_code=422)
    booking_id = request.path_params["booking_id"]
    now, notifier = now_of(request), state_of(request).notifier
    try:
        await run_in_threadpool(
            data_access.set_status,
            engine=state_of(request).engine,
            booking_id=booking_id,
            status=BookingStatus(form.status.data),
            reason=form.reason.data or None,
            who=who(request),
            now=now,
            seen_sequence=form.seen.data,
            on_change=lambda connection, booking: (
                notifier.cancelled(connection, booking, by_clinic=True, now=now)
                if booking.is_cancelled
                else notifier.reopened(connection, booking, now=now)
                if booking.status == BookingStatus.CONFIRMED
                else notifier.closed(connection, booking)
            ),
        )
    except BookingChanged as changed:
        return await run_in_threadpool(_conflict, request, form, changed)
    return _saved(request, booking_id, "status")


def _conflict(request: Request, form: ChangeStatusForm, changed: BookingChanged) -> Response:
    booking = changed.booking
    assert isinstance(booking, Booking)
    return booking_page(request, status_form=form, changed=_changes(form, booking), status_code=409)


async def add_note(request: Request) -> Response:
    form, valid = await posted_form(request, NoteForm)
    booking_id = request.path_params["booking_id"]
    if not valid:
        return await run_in_threadpool(booking_page, request, note_form=form, status_code=422)
    await run_in_threadpool(
        front_desk.add_note,
        engine=state_of(request).engine,
        booking_id=booking_id,
        text=form.text.data,
        who=who(request),
        now=now_of(request),
    )
    return _saved(request, booking_id, "note")


async def patient_called(request: Request) -> Response:
    await posted_form(request, SecureForm)
    booking_id = request.path_params["booking_id"]
    await run_in_threadpool(
        front_desk.patient_called,
        engine=state_of(request).engine,
        booking_id=booking_id,
        who=who(request),
        now=now_of(request),
    )
    return _saved(request, booking_id, "called")


# --- Booking a caller -------------------------------------------------------------------------


def _desk_slots(request: Request) -> dict[date, list[Slot]]:
    """The free slots by the desk's rules: inside the minimum notice too, never begun."""
    rules = rules_of(request).for_desk()
    by_day: dict[date, list[Slot]] = state_of(request).availability.by_day(rules, now_of(request))
    return by_day


def _day_of(request: Request, start: datetime) -> date:
    return start.astimezone(rules_of(request).time_zone).date()


def new_booking(
    request: Request, *, day: date | None = None, message: str | None = None, status_code: int = 200
) -> Response:
    """Step 1: a free time, from the same picker the patients use."""
    raw = request.query_params.get("day")
    picker = make_picker(
        _desk_slots(request),
        day or (parse_day(raw) if raw else None),
        day_url=request.app.url_path_for("desk_new"),
        slot_action=request.app.url_path_for("desk_new_form"),
    )
    context = {"picker": picker, "message": message}
    return render_picker(request, "desk_new.html", context, status_code)


def _caller_form(request: Request, formdata: Any = None, **data: Any) -> CallerForm:
    clinic = clinic_of(request)
    return CallerForm(
        formdata,
        meta=form_meta(request),
        channels=clinic.channels,
        phone_region=clinic.phone_region,
        languages={code: language_name(code) for code in clinic.languages},
        data=data or None,
    )


def _render_caller_form(
    request: Request,
    form: CallerForm,
    start: datetime,
    *,
    status_code: int = 200,
    message: str | None = None,
) -> Response:
    context = {
        "form": form,
        "start": start,
        "end": start + rules_of(request).at(start).slot_length,
        "message": message,
        "kept": False,
        # What the coordinator reads out: the sentence the booking will store (core/consent.py).
        "consent_texts": {code: consent_text(code) for code in clinic_of(request).languages},
    }
    return render(request, "desk_new_form.html", context, status_code=status_code)


def new_booking_form(request: Request) -> Response:
    """Step 2: the caller's details, for a time that is free now."""
    start = chosen_start(request, request.query_params.get("start"))
    free = any(slot.start == start for slots in _desk_slots(request).values() for slot in slots)
    if not free:
        return new_booking(request, day=_day_of(request, start), message=TAKEN, status_code=409)
    kept = _kept(request)
    form = _caller_form(request, **{k: v for k, v in kept.items() if k not in ("start", "key")})
    form.start.data = format_start(start)
    form.key.data = kept.get("key") or bookings.new_token()
    response = _render_caller_form(request, form, start)
    return response


async def book_caller(request: Request) -> Response:
    clinic = clinic_of(request)
    form, valid = await posted_form(
        request,
        CallerForm,
        channels=clinic.channels,
        phone_region=clinic.phone_region,
        languages={code: language_name(code) for code in clinic.languages},
    )
    start = chosen_start(request, form.start.data)
    if not form.has_valid_key:
        raise HTTPException(400, FORM_REFUSED)
    if not valid:
        return _render_caller_form(request, form, start, status_code=422)
    ledger = ledger_of(request)
    now, notifier = now_of(request), state_of(request).notifier
    patient = form.patient(form.language.data)
    try:
        booking = await run_in_threadpool(
            front_desk.book_caller,
            ledger=ledger,
            now=now,
            start=start,
            patient=patient,
            form_key=form.key.data,
            who=who(request),
            on_booked=lambda connection, booking: notifier.booked(connection, booking, now=now),
        )
    except SlotUnavailable:
        return _render_caller_form(request, form, start, status_code=409, message=TAKEN)
    assert booking.id is not None
    return _saved(request, booking.id, "booked")


# --- Moving a booking -------------------------------------------------------------------------


def _movable(request: Request) -> Booking:
    with Session(state_of(request).engine) as session:
        return data_access.get_booking(session, request.path_params["booking_id"])


def move_page(
    request: Request, *, day: date | None = None, message: str | None = None, status_code: int = 200
) -> Response:
    """Step 1 of a move: the new time, from the same picker."""
    booking = _movable(request)
    booking_id = request.path_params["booking_id"]
    raw = request.query_params.get("day")
    wanted = day or (parse_day(raw) if raw else _day_of(request, booking.starts_at))
    picker = make_picker(
        _desk_slots(request),
        wanted,
        day_url=request.app.url_path_for("desk_move", booking_id=booking_id),
        slot_action=request.app.url_path_for("desk_move_confirm", booking_id=booking_id),
    )
    context = {"picker": picker, "booking": booking, "message": message}
    return render_picker(request, "desk_move.html", context, status_code)


def move_confirm(
    request: Request,
    *,
    form: MoveForm | None = None,
    changed: list[dict[str, Any]] | None = None,
    status_code: int = 200,
) -> Response:
    """Step 2: the old and the new time side by side, an optional message, and confirm."""
    booking = _movable(request)
    if form is None:
        start = chosen_start(request, request.query_params.get("start"))
        form = MoveForm(meta=form_meta(request), data=_kept(request) or None)
        form.start.data = format_start(start)
    else:
        start = chosen_start(request, form.start.data)
    if form.seen.data is None or changed is not None:
        _seen(form, booking)
    context = {
        "booking": booking,
        "form": form,
        "start": start,
        "end": start + rules_of(request).at(start).slot_length,
        "changed": changed,
    }
    return render(request, "desk_move_confirm.html", context, status_code=status_code)


async def move_booking(request: Request) -> Response:
    form, valid = await posted_form(request, MoveForm)
    start = chosen_start(request, form.start.data)
    if not valid or form.seen.data is None:
        return await run_in_threadpool(move_confirm, request, form=form, status_code=422)
    booking_id = request.path_params["booking_id"]
    now, notifier = now_of(request), state_of(request).notifier
    before = await run_in_threadpool(_movable, request)
    try:
        await run_in_threadpool(
            front_desk.move_booking,
            ledger=ledger_of(request),
            now=now,
            booking_id=booking_id,
            start=start,
            previous_start=before.starts_at,
            seen_sequence=form.seen.data,
            who=who(request),
            on_moved=lambda connection, booking: notifier.rescheduled(
                connection,
                booking,
                now=now,
                previous_start=before.starts_at,
                by_clinic=True,
                message=form.message.data,
            ),
        )
    except BookingChanged as changed:
        booking = changed.booking
        assert isinstance(booking, Booking)
        found = _changes(form, booking)
        return await run_in_threadpool(
            move_confirm, request, form=form, changed=found, status_code=409
        )
    except SlotUnavailable:
        day = _day_of(request, start)
        return await run_in_threadpool(move_page, request, day=day, message=TAKEN, status_code=409)
    return _saved(request, booking_id, "moved")


# --- A session that ended ---------------------------------------------------------------------


def kept_fields(fields: dict[str, str]) -> dict[str, str]:
    """The typed values worth keeping through a sign-in (never a token or a password)."""
    kept: dict[str, str] = {}
    for name, value in fields.items():
        if name in ("csrf_token", "password", "username") or len(kept) >= KEPT_FIELDS_MAX:
            continue
        kept[name[:40]] = value[:KEPT_VALUE_MAX]
    return kept


def return_path(path: str, fields: dict[str, str]) -> str:
    """The page a desk form was on, from the address it posted to."""
    parts = path.rstrip("/").split("/")
    # /coordinator/bookings/<id>/<action>: the booking's page (a move: its confirmation page)
    if len(parts) == 5 and parts[2] == "bookings" and parts[3].isdigit():
        if parts[4] == "move" and fields.get("start"):
            return f"/coordinator/bookings/{parts[3]}/move/confirm?start={fields['start']}"
        return f"/coordinator/bookings/{parts[3]}"
    if path.rstrip("/") == "/coordinator/new" and fields.get("start"):
        return f"/coordinator/new/details?start={fields['start']}"
    return "/coordinator/"


assert convertors  # registers {booking_id:row_id}

routes = [
    Route("/", day_view, name="desk"),
    Route("/changes/seen", changes_seen, name="desk_changes_seen", methods=["POST"]),
    Route("/week", week_view, name="desk_week"),
    Route("/bookings", find_page, name="desk_find"),
    Route("/bookings/{booking_id:row_id}", booking_page, name="desk_booking"),
    Route(
        "/bookings/{booking_id:row_id}/status",
        change_status,
        name="desk_status",
        methods=["POST"],
    ),
    Route("/bookings/{booking_id:row_id}/notes", add_note, name="desk_note", methods=["POST"]),
    Route(
        "/bookings/{booking_id:row_id}/called",
        patient_called,
        name="desk_called",
        methods=["POST"],
    ),
    Route("/bookings/{booking_id:row_id}/move", move_page, name="desk_move", methods=["GET"]),
    Route(
        "/bookings/{booking_id:row_id}/move",
        move_booking,
        name="desk_move_submit",
        methods=["POST"],
    ),
    Route(
        "/bookings/{booking_id:row_id}/move/confirm",
        move_confirm,
        name="desk_move_confirm",
        methods=["GET"],
    ),
    Route("/new", new_booking, name="desk_new", methods=["GET"]),
    Route("/new", book_caller, name="desk_book", methods=["POST"]),
    Route("/new/details", new_booking_form, name="desk_new_form", methods=["GET"]),
]

menu = [
    MenuEntry(N_("Today"), "desk"),
    MenuEntry(N_("Week"), "desk_week"),
    MenuEntry(N_("Find"), "desk_find"),
    MenuEntry(N_("New booking"), "desk_new", primary=True),
]
