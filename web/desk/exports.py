"""The bookings of a date range as a spreadsheet: XLSX (openpyxl) with real date and time cells,
or CSV that Excel opens as it is on a Ukrainian Windows (UTF-8 with a BOM, `;` between columns).
Headers, statuses and channels in the desk's language; each export is written to the audit log.

A cell that a spreadsheet would run as a formula is written as text: in XLSX it is stored as a
string (never a formula); in CSV it gets a leading apostrophe, as spreadsheets expect, except the
phone numbers, which the booking form stored in E.164 (+380...) and cannot hold a formula.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from web.core.audit import record
from web.core.content import Library
from web.core.db import session_scope
from web.core.i18n import N_, translate
from web.core.intake_answers import answers_by_booking, compact, condition_title, described
from web.core.models import Booking
from web.core.schedule import SlotRules, day_bounds

# Spreadsheets run a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# ...also when invisible characters or separators come first, or the sign is a fullwidth one
# (＝, ＋): spreadsheets skip the first and fold the second.
SKIPPED_BEFORE_FORMULA = frozenset(" ;,\u00a0")

HEADERS = [
    N_("Date"),
    N_("Start (clinic time)"),
    N_("End"),
    N_("Status"),
    N_("Name"),
    N_("Phone"),
    N_("Email"),
    N_("Channel"),
    N_("Note"),
    N_("Booked at (clinic time)"),
    N_("Condition"),
    N_("Answers before the consultation"),
]
STATUSES = {
    "confirmed": N_("Confirmed"),
    "cancelled": N_("Cancelled"),
    "done": N_("Done"),
    "no_show": N_("No-show"),
}


def _visible_start(text: str) -> str:
    """The text as a spreadsheet reads its start: compatibility forms folded (＝ is =), and
    format characters (zero-width space and joiners), spaces and separators skipped."""
    folded = unicodedata.normalize("NFKC", text)
    for index, char in enumerate(folded):
        if char not in SKIPPED_BEFORE_FORMULA and unicodedata.category(char) not in ("Cf", "Zs"):
            return folded[index:]
    return ""


def spreadsheet_safe(value: object) -> str:
    text = "" if value is None else str(value)
    risky = text.startswith(FORMULA_PREFIXES) or _visible_start(text).startswith(FORMULA_PREFIXES)
    return "'" + text if risky else text


@dataclass(frozen=True)
class Row:
    """One booking as the spreadsheet shows it: times in the clinic's zone, words translated."""

    day: date
    start: datetime  # naive, clinic wall clock: what a spreadsheet cell holds
    end: datetime
    status: str
    name: str
    phone: str
    email: str
    channel: str
    note: str
    booked_at: datetime
    condition: str
    answers: str


def rows_of(
    session: Session,
    *,
    rules: SlotRules,
    first: date,
    last: date,
    language: str,
    library: Library,
) -> list[Row]:
    start, end = day_bounds(rules, first).start, day_bounds(rules, last).end
    bookings = session.exec(
        select(Booking)
        .where(Booking.starts_at >= start, Booking.starts_at < end)
        .order_by(col(Booking.starts_at), col(Booking.id))
    ).all()
    zone = rules.time_zone
    answers = answers_by_booking(session, [b.id for b in bookings if b.id is not None])

    def wall(moment: datetime) -> datetime:
        return moment.astimezone(zone).replace(tzinfo=None)

    return [
        Row(
            day=wall(b.starts_at).date(),
            start=wall(b.starts_at),
            end=wall(b.ends_at),
            status=translate(language, STATUSES.get(b.status, b.status)),
            name=b.patient_name,
            phone=b.phone,
            email=b.email or "",
            channel=translate(language, b.channel),
            note=b.note or "",
            booked_at=wall(b.created_at),
            condition=condition_title(
                answers[b.id].condition if b.id in answers else b.condition, library, language
            ),
            answers=compact(described(answers.get(b.id or 0), library, language)),
        )
        for b in bookings
    ]


def as_csv(rows: list[Row], language: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([translate(language, header) for header in HEADERS])
    for row in rows:
        writer.writerow(
            [
                row.day.isoformat(),
                f"{row.start:%H:%M}",
                f"{row.end:%H:%M}",
                spreadsheet_safe(row.status),
                spreadsheet_safe(row.name),
                row.phone,  # E.164 from the booking form: never a formula
                spreadsheet_safe(row.email),
                spreadsheet_safe(row.channel),
                spreadsheet_safe(row.note),
                f"{row.booked_at:%Y-%m-%d %H:%M}",
                spreadsheet_safe(row.condition),
                spreadsheet_safe(row.answers),
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def as_xlsx(rows: list[Row], language: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = translate(language, N_("Bookings"))[:31]
    sheet.append([translate(language, header) for header in HEADERS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(
            [row.day, row.start.time(), row.end.time(), row.status, row.name, row.phone,
             row.email, row.channel, row.note, row.booked_at, row.condition, row.answers]
        )  # fmt: skip
    for line in sheet.iter_rows(min_row=2):
        line[0].number_format = "yyyy-mm-dd"
        line[1].number_format = line[2].number_format = "hh:mm"
        line[9].number_format = "yyyy-mm-dd hh:mm"
        for cell in (*line[3:9], *line[10:12]):
            cell.data_type = "s"  # text as typed, never a formula, a phone number as text
    widths = [12, 10, 8, 14, 28, 16, 26, 12, 40, 17, 20, 60]
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


FORMATS = {"csv": as_csv, "xlsx": as_xlsx}


def export(
    *,
    engine: Engine,
    rules: SlotRules,
    first: date,
    last: date,
    kind: str,
    language: str,
    library: Library,
    who: str,
    now: datetime,
) -> bytes:
    """The bookings of a date range in `kind` (csv or xlsx); the export goes into the audit log."""
    with session_scope(engine) as session:
        rows = rows_of(
            session, rules=rules, first=first, last=last, language=language, library=library
        )
        record(session, coordinator=who, action=f"export {kind}", now=now, detail=f"{first}–{last}")
    return FORMATS[kind](rows, language)
