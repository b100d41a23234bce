"""The slot picker (`_picker.html` with `_slots.html`): a strip of days and one day's free
times. The patient's booking and moving pages and the desk's booking and moving pages all show
it, each with its own addresses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from web.core.schedule import Slot, next_day_with_slots

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


def make_picker(
    by_day: dict[date, list[Slot]], day: date | None, *, day_url: str, slot_action: str
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
    )
