"""The slot picker (`_picker.html` with `_slots.html`): a strip of days and one day's free
times. The patient's booking and moving pages and the desk's booking and moving pages all show
it, each with its own addresses."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from web.core.bookings import Ledger
from web.core.clinic import Clinic
from web.core.errors import InvalidSlot
from web.core.formats import parse_start
from web.core.schedule import Slot, SlotRules, is_on_grid, next_day_with_slots
from web.http.state import state_of
from web.http.templating import render

# A day chosen in the strip asks for that day's times only (htmx targets #slots).
PICKER_PARTS = {"slots": "_slots.html"}


@dataclass(frozen=True)
class Picker:
    """What the slot picker shows: the days strip, one chosen day and its free slots."""

    days: list[tuple[date, int]]
    day: date
    slots: list[Slot]
    next_free: date | None
    day_url: str  # the URL a day link points at, without ?day=
    slot_action: str  # where choosing a time goes (a GET: the form, or the move's confirmation)
    # The condition page the patient came from (?about=): carried to the booking form, so the
    # booking asks that condition's questions afterwards.
    about: str | None = None

    @property
    def carried(self) -> str:
        """What every day link adds after ?day=…, so the condition is not lost on the way."""
        return f"&about={self.about}" if self.about else ""


def make_picker(
    by_day: dict[date, list[Slot]],
    day: date | None,
    *,
    day_url: str,
    slot_action: str,
    about: str | None = None,
) -> Picker:
    """The picker on `day`, or on the first day with a free time when `day` is not offered."""
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
        about=about,
    )


def clinic_of(request: Request) -> Clinic:
    return state_of(request).clinic


def now_of(request: Request) -> datetime:
    """The app's idea of now (tests and servers under test give it a fixed clock)."""
    return state_of(request).clock()


def rules_of(request: Request) -> SlotRules:
    """The slot rules in force, with the reception hours stored in the database; read once
    per request (see core/reception.py for how long a process keeps them)."""
    known: SlotRules | None = getattr(request.state, "rules", None)
    if known is None:
        known = request.state.rules = state_of(request).rules.now(now_of(request))
    return known


def ledger_of(request: Request) -> Ledger:
    """The app's ledger under the rules in force."""
    return replace(state_of(request).ledger, rules=rules_of(request))


def chosen_start(request: Request, raw: str | None) -> datetime:
    """A slot start from a form or a link: one of the clinic's consultation times, or 400."""
    start = parse_start(raw)
    if not is_on_grid(rules_of(request), start):
        raise InvalidSlot(raw)
    return start


def render_picker(
    request: Request, page: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    """A page that includes the picker: htmx gets the picker, or a chosen day's times alone."""
    return render(
        request, page, context, partial="_picker.html", parts=PICKER_PARTS, status_code=status_code
    )
