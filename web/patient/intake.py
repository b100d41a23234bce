"""Questions before the consultation: after booking, the patient may answer the questions of the
condition they booked from (or choose it), all optional, and change the answers through the
manage link until the consultation begins. The answers go to the desk and the coordinator's alert
only: never to the patient's e-mails, the invite or the calendar feed."""

from __future__ import annotations

from typing import Any

from babel.dates import get_month_names
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from wtforms import HiddenField

from web.core import bookings
from web.core.audit import PATIENT, record
from web.core.content import Condition
from web.core.db import write_in_thread
from web.core.errors import InvalidInput
from web.core.formats import local_day
from web.core.intake import YES_NO, Posted, as_posted, read_answers, year_choices
from web.core.intake_answers import answers_for, can_answer, described, save_answers
from web.core.models import Booking, IntakeAnswers
from web.http.csrf import SecureForm, form_meta, posted_form
from web.http.language_urls import localized_path, page_language
from web.http.picker import clinic_of, now_of
from web.http.ratelimit import enforce
from web.http.state import state_of
from web.http.templating import render


class IntakeForm(SecureForm):
    """Only the CSRF token and the condition are fixed fields; the questions come from the
    condition's content file, so their values are read from the posted data as it came."""

    about = HiddenField()

    def __init__(self, formdata: FormData | None = None, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        given = formdata or FormData()
        values = {
            name: [value for value in given.getlist(name) if isinstance(value, str)]
            for name in given
        }
        self.posted = Posted(values)


def askable(request: Request) -> list[Condition]:
    """The conditions, in the page's language, that have questions to ask."""
    by_slug = state_of(request).conditions[page_language(request)]
    return [condition for condition in by_slug.values() if condition.questions]


def asking(request: Request, *slugs: str | None) -> Condition | None:
    """The first of `slugs` that names a condition with questions."""
    by_slug = state_of(request).conditions[page_language(request)]
    for slug in slugs:
        condition = by_slug.get(slug or "")
        if condition is not None and condition.questions is not None:
            return condition
    return None


def _booking(request: Request) -> tuple[str, Booking]:
    token: str = request.path_params["token"]
    return token, bookings.booking_for_token(state_of(request).engine, token)


def _render(
    request: Request,
    token: str,
    booking: Booking,
    condition: Condition | None,
    posted: Posted,
    *,
    errors: dict[str, str] | None = None,
    form: IntakeForm | None = None,
    status_code: int = 200,
) -> Response:
    language = page_language(request)
    today = local_day(now_of(request), clinic_of(request).rules.time_zone)
    context = {
        "booking": booking,
        "token": token,
        "condition": condition,
        "askable": askable(request),
        "closed": not can_answer(booking, now_of(request)),
        "form": form or IntakeForm(meta=form_meta(request)),
        "posted": posted,
        "errors": errors or {},
        "years": year_choices(today),
        "months": list(get_month_names("wide", context="stand-alone", locale=language).items()),
        "yes_no": YES_NO,
    }
    return render(request, "intake.html", context, status_code=status_code)


def intake_page(request: Request) -> Response:
    token, booking = _booking(request)
    saved = answers_for(state_of(request).engine, booking.id)
    condition = asking(
        request,
        request.query_params.get("about"),
        saved.condition if saved else None,
        booking.condition,
    )
    given = saved is not None and condition is not None and saved.condition == condition.slug
    posted = as_posted(saved.answers) if given and saved else Posted({})
    return _render(request, token, booking, condition, posted)


async def submit_intake(request: Request) -> Response:
    await enforce(request, "manage")
    form, _ = await posted_form(request, IntakeForm)
    token, booking = await run_in_threadpool(_booking, request)
    condition = asking(request, form.about.data)
    if condition is None or condition.questions is None:
        raise InvalidInput  # not our form: nothing a person could fix
    now = now_of(request)
    today = local_day(now, clinic_of(request).rules.time_zone)
    answers, errors = read_answers(condition.questions, form.posted, today=today)
    if errors:  # the page again, with everything given kept and each problem named
        return _render(
            request, token, booking, condition, form.posted, errors=errors, form=form,
            status_code=422,
        )  # fmt: skip
    notifier = state_of(request).notifier
    library, desk_language = state_of(request).conditions, clinic_of(request).default_language

    def answered(
        connection: Connection, booking: Booking, row: IntakeAnswers, changed: bool
    ) -> None:
        # In the desk's language, as the desk shows them.
        lines = [(short, answer) for short, _, answer in described(row, library, desk_language)]
        notifier.answered(connection, booking, answers=lines, changed=changed, now=now)
        action = "change answers" if changed else "answer questions"
        record(connection, coordinator=PATIENT, action=action, now=now, booking_id=booking.id)

    questions = condition.questions
    await write_in_thread(
        state_of(request).engine,
        lambda: save_answers(
            engine=state_of(request).engine,
            token=token,
            condition=condition.slug,
            questions=questions,
            answers=answers,
            now=now,
            on_answered=answered,
        ),
    )
    url = localized_path(request, "booking_page", token=token) + "?done=answered"
    return RedirectResponse(url, status_code=303)


def offer(request: Request, booking: Booking) -> dict[str, Any] | None:
    """What the booking page offers: the questions (answered or not yet), while they can be
    answered and some condition has questions to ask."""
    if not can_answer(booking, now_of(request)) or not askable(request):
        return None
    saved = answers_for(state_of(request).engine, booking.id)
    return {"answered": saved is not None}


routes = [
    Route("/bookings/{token}/questions", intake_page, name="intake", methods=["GET"]),
    Route("/bookings/{token}/questions", submit_intake, name="submit_intake", methods=["POST"]),
]
