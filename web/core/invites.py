"""Calendar invites (.ics) and "add to Google / Outlook" links for a booking.

Times are written in UTC ("...Z"): calendar parsers disagree about VTIMEZONE blocks (the ones
generated for Europe/Kyiv put winter appointments an hour off in some), while UTC is read the same
everywhere and shown in the viewer's own zone. No METHOD and no ATTENDEE: an imported file must not
look like a meeting request with RSVP buttons.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from icalendar import Alarm, Calendar, Event, vDuration

from web.core.clinic import Clinic
from web.core.formats import format_start
from web.core.i18n import N_, translate
from web.core.models import Booking, BookingStatus

PRODID = "-//Clinic Web//Online consultations//EN"


@dataclass(frozen=True)
class InviteText:
    summary: str
    description: str


def invite_uid(clinic: Clinic, booking: Booking) -> str:
    """Stable for the life of a booking, so an updated file replaces the same calendar event."""
    domain = clinic.email.rsplit("@", 1)[-1]
    return f"{booking.uid}@{domain}"


def invite_text(clinic: Clinic, booking: Booking, manage_url: str | None) -> InviteText:
    """What every calendar entry says, in the booking's language. No personal details: this text
    also goes into the Google and Outlook links, which are URLs on someone else's servers; those
    get no manage link either (manage_url None), since the link is the key to the booking."""
    language = booking.language
    clinic = clinic.localized(language)

    def _(message: str) -> str:
        return translate(language, message)

    names = {"clinic": clinic.name, "phone": clinic.coordinator_phone}
    # The summary names the clinic but never the condition: calendars are often shared.
    summary = _("Online consultation – %(clinic)s") % names
    if booking.status == BookingStatus.CANCELLED:
        # A cancelled event says only that, and how to book again: nothing about the clinic
        # contacting the patient or how to change a consultation that will not happen.
        lines = [_("CANCELLED: this consultation will not take place.")]
        if manage_url is not None:
            lines.append(_("To book a new time: %(link)s") % {"link": manage_url})
        lines.append(_("Questions: call %(phone)s") % names)
        return InviteText(summary=summary, description="\n".join(lines))
    lines = [
        _("Online consultation with a specialist at %(clinic)s.") % names,
        _("How: %(channel)s. The clinic will contact you at the time of the consultation.")
        % {"channel": _(booking.channel)},
        _("Questions: call %(phone)s") % names,
    ]
    if manage_url is not None:
        lines.append(_("To change or cancel: %(link)s") % {"link": manage_url})
    return InviteText(summary=summary, description="\n".join(lines))


# Control characters but the line break; a tab becomes a space.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def plain(text: str) -> str:
    """Text a strict calendar parser accepts (one form feed in a patient's note made a parser
    reject the whole coordinator feed)."""
    return _CONTROL.sub("", text.replace("\t", " "))


def _event(
    clinic: Clinic,
    booking: Booking,
    *,
    summary: str,
    description: str,
    url: str,
    language: str | None = None,
) -> Event:
    """One VEVENT in UTC with the booking's stable UID, its SEQUENCE and STATUS, its words in
    `language` (the booking's own by default).

    DTSTAMP is the booking's last change, so an unchanged booking gives the same bytes."""
    cancelled = booking.status == BookingStatus.CANCELLED
    if cancelled:
        prefix = translate(language or booking.language, "Cancelled: %(summary)s")
        summary = prefix % {"summary": summary}
    event = Event()
    event.add("uid", invite_uid(clinic, booking))
    event.add("dtstamp", booking.updated_at.astimezone(UTC))
    event.add("dtstart", booking.starts_at.astimezone(UTC))
    event.add("dtend", booking.ends_at.astimezone(UTC))
    event.add("sequence", booking.sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("summary", plain(summary))
    event.add("description", plain(description))
    event.add("location", location(booking))
    event.add("url", url)
    return event


def _calendar(
    events: list[Event], *, refresh_every: timedelta | None = None, **properties: str
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    for name, value in properties.items():
        calendar.add(name, value)
    if refresh_every is not None:
        # How often a subscribed calendar polls: RFC 7986's property, and the older one Outlook
        # reads.
        calendar.add("refresh-interval", refresh_every, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(refresh_every))
    for event in events:
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical


def build_invite(clinic: Clinic, booking: Booking, *, manage_url: str) -> bytes:
    """The patient's file: one event, with no phone number or note (calendars are often shared)."""
    text = invite_text(clinic, booking, manage_url)
    event = _event(
        clinic, booking, summary=text.summary, description=text.description, url=manage_url
    )
    if booking.status != BookingStatus.CANCELLED:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", timedelta(minutes=-30))
        alarm.add("description", text.summary)
        event.add_component(alarm)
    return _calendar([event])


FEED_REFRESH = timedelta(hours=1)


def initials(name: str) -> str:
    """ "Ганна Коваленко-Шевчук" -> "Г. К.": enough for the coordinator who knows the day, too
    little for anyone who finds the calendar."""
    return " ".join(f"{word[0]}." for word in name.split() if word[:1].isalpha()) or "–"


FEED_STATUS = {
    BookingStatus.DONE: N_("Done: %(summary)s"),
    BookingStatus.NO_SHOW: N_("No-show: %(summary)s"),
}


def build_feed(
    clinic: Clinic, bookings: list[Booking], *, desk_url: Callable[[Booking], str]
) -> bytes:
    """A coordinator's subscription: when each consultation is, by which channel, and a link to
    its desk page. Calendars get shared and synced to personal clouds, so no phone, no e-mail, no
    note, and the patient by initials unless clinic.toml turns full names on."""
    language = clinic.default_language  # the desk's language

    def _(message: str) -> str:
        return translate(language, message)

    events = []
    for booking in bookings:
        name = booking.patient_name if clinic.feed_full_names else initials(booking.patient_name)
        summary = _("Consultation: %(name)s (%(channel)s)") % {
            "name": name,
            "channel": _(booking.channel),
        }
        if booking.status in FEED_STATUS:
            summary = _(FEED_STATUS[BookingStatus(booking.status)]) % {"summary": summary}
        description = _("Details on the desk: %(link)s") % {"link": desk_url(booking)}
        events.append(
            _event(
                clinic,
                booking,
                summary=summary,
                description=description,
                url=desk_url(booking),
                language=language,
            )
        )
    name = _("%(clinic)s: consultations") % {"clinic": clinic.localized(language).name}
    return _calendar(events, refresh_every=FEED_REFRESH, **{"x-wr-calname": name})


FILE_STEM = N_("consultation")


def invite_filename(booking: Booking, clinic: Clinic, *, translated: bool = True) -> str:
    """консультація-2026-12-01-1030.ics in the booking's language; untranslated, the ASCII name
    for clients that cannot read another."""
    local = booking.starts_at.astimezone(clinic.rules.time_zone)
    stem = translate(booking.language, FILE_STEM) if translated else FILE_STEM
    return f"{stem}-{local:%Y-%m-%d-%H%M}.ics"


def location(booking: Booking) -> str:
    channel = translate(booking.language, booking.channel)
    return translate(booking.language, "Online (%(channel)s)") % {"channel": channel}


def _compact_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_calendar_link(clinic: Clinic, booking: Booking) -> str:
    text = invite_text(clinic, booking, manage_url=None)
    query = urlencode(
        {
            "action": "TEMPLATE",
            "text": text.summary,
            "dates": f"{_compact_utc(booking.starts_at)}/{_compact_utc(booking.ends_at)}",
            "details": text.description,
            "location": location(booking),
        }
    )
    return f"https://calendar.google.com/calendar/render?{query}"


def outlook_link(clinic: Clinic, booking: Booking, *, host: str) -> str:
    """Compose deeplink: outlook.live.com for personal accounts, outlook.office.com for work."""
    text = invite_text(clinic, booking, manage_url=None)
    query = urlencode(
        {
            "path": "/calendar/action/compose",
            "rru": "addevent",
            "subject": text.summary,
            "startdt": format_start(booking.starts_at),
            "enddt": format_start(booking.ends_at),
            "body": text.description,
            "location": location(booking),
        }
    )
    return f"https://{host}/calendar/0/action/compose?{query}"
