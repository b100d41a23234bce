"""What the clinic holds about a person, as files to hand them: a plain-text letter they can
read (in their booking's language) and the same facts as JSON for another system.

Both list every booking with its consent, every clinic-only note, the answers to the questions
before the consultation, every e-mail and every audit line found (core/personal_data.py);
nothing is left out because it is internal.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from web.core import formats
from web.core.clinic import Clinic
from web.core.content import Library
from web.core.i18n import N_, translate
from web.core.intake_answers import described
from web.core.models import Booking, PatientDetails
from web.core.personal_data import Holdings

STATUS_NAMES = {
    "confirmed": N_("Confirmed"),
    "cancelled": N_("Cancelled"),
    "done": N_("Done"),
    "no_show": N_("No-show"),
}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _booking_facts(booking: Booking) -> dict[str, Any]:
    return {
        "number": booking.id,
        "starts_at": _iso(booking.starts_at),
        "ends_at": _iso(booking.ends_at),
        "status": booking.status,
        # Every detail the patient gave (PatientDetails: a new one too), "name" first.
        **{
            column.removeprefix("patient_"): getattr(booking, column)
            for column in PatientDetails.detail_columns()
        },
        "cancel_reason": booking.cancel_reason,
        "call_task": booking.call_patient,  # the clinic still has to call: "moved"/"cancelled"
        "booked_at": _iso(booking.created_at),
        "booked_by": booking.booked_by,
        "consent": {
            "given": booking.consent_given,
            "at": _iso(booking.consent_at),
            "privacy_notice": booking.consent_notice or None,
            "text": booking.consent_text,
            "recorded_by": booking.consent_recorded_by,
        },
    }


def as_json(held: Holdings, clinic: Clinic, now: datetime, library: Library) -> str:
    """Everything held, as data (answers as stored: question and option ids)."""
    facts = {
        "controller": clinic.legal_name,
        "made_at": _iso(now),
        "bookings": [_booking_facts(b) for b in held.bookings],
        "clinic_only_notes": [
            {"booking": n.booking_id, "at": _iso(n.created_at), "by": n.author, "text": n.text}
            for n in held.notes
        ],
        "answers_before_consultation": [
            {
                "booking": a.booking_id,
                "condition": a.condition,
                "question_set_version": a.version,
                "answered_at": _iso(a.answered_at),
                "changed_at": _iso(a.updated_at),
                "answers": a.answers,
            }
            for a in held.answers
        ],
        "emails": [
            {
                "booking": m.booking_id,
                "kind": m.kind,
                "to": m.recipient,
                "written_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
                "refused_at": _iso(m.failed_at),
            }
            for m in held.messages
        ],
        "audit_log": [
            {
                "at": _iso(e.at),
                "by": e.coordinator or "patient",
                "action": e.action,
                "booking": e.booking_id,
                "detail": e.detail,
            }
            for e in held.events
        ],
    }
    return json.dumps(facts, ensure_ascii=False, indent=2) + "\n"


def as_text(held: Holdings, clinic: Clinic, now: datetime, library: Library) -> str:
    """A letter the patient can read, in the language of their latest booking."""
    language = held.bookings[-1].language if held.bookings else clinic.default_language
    if language not in clinic.languages:
        language = clinic.default_language
    local = clinic.localized(language)
    zone = clinic.rules.time_zone

    def _(message: str) -> str:
        return translate(language, message)

    def at(moment: datetime) -> str:
        day = formats.local_day(moment, zone)
        return f"{formats.short_date(day, language)} {formats.clock(moment, zone)}"

    def line(label: str, value: object) -> str:
        return f"  {_(label)}: {value if value not in (None, '') else '–'}"

    out = [
        _(N_("What the clinic holds about you")),
        f"{local.legal_name}, {local.address}",
        line(N_("Made"), at(now)),
        line(N_("Times are"), local.zone_label),
        "",
        _(N_("Bookings")),
    ]
    for b in held.bookings:
        out += [
            f"- {_(N_('Booking'))} {b.id}: {at(b.starts_at)}",
            line(N_("Status"), _(STATUS_NAMES.get(b.status, b.status))),
            line(N_("Name"), b.patient_name),
            line(N_("Phone"), b.phone),
            line(N_("Email"), b.email),
            line(N_("Channel"), _(b.channel)),
            line(N_("Note"), b.note),
            *([line(N_("Call the patient"), b.call_patient)] if b.call_patient else []),
            line(N_("Booked"), at(b.created_at)),
            line(N_("Consent given"), at(b.consent_at)),
            line(N_("Privacy notice"), b.consent_notice),
            line(N_("Consent text"), b.consent_text or _(N_("not recorded"))),
        ]
    out += ["", _(N_("Clinic-only notes"))]
    out += [f"- {at(n.created_at)} ({n.booking_id}): {n.text}" for n in held.notes] or ["  –"]
    out += ["", _(N_("Answers before the consultation"))]
    for answers in held.answers:
        out.append(f"- {at(answers.updated_at)} ({answers.booking_id}):")
        lines = described(answers, library, language)
        out += [f"  {question} {answer}" for _short, question, answer in lines]
    if not held.answers:
        out.append("  –")
    out += ["", _(N_("E-mails"))]
    out += [
        f"- {at(m.created_at)} ({m.booking_id}): {m.kind}, {m.recipient}" for m in held.messages
    ] or ["  –"]
    out += ["", _(N_("Records of changes"))]
    out += [
        f"- {at(e.at)} ({e.booking_id or '–'}): {e.coordinator or _(N_('the patient'))}, "
        f"{e.action}{': ' + e.detail if e.detail else ''}"
        for e in held.events
    ] or ["  –"]
    return "\n".join(out) + "\n"
