"""Every kind of full page the site serves, reached as a patient and a coordinator would."""

from __future__ import annotations

import re
from typing import cast

from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.booking_helpers import book, form_fields, offered_starts, open_form
from tests.conftest import DEFAULT_NOW, csrf_from
from web.core.models import Role
from web.desk.accounts import save_coordinator

CONDITION = "/conditions/hemifacial-spasm"


def every_page(client: TestClient) -> dict[str, str]:
    """Each kind of full page the site serves, as a patient would reach it."""
    pages: dict[str, str] = {}

    def grab(name: str, path: str, expected: int = 200) -> str:
        response = client.get(path)
        assert response.status_code == expected, (path, response.status_code)
        pages[name] = response.text
        return response.text

    grab("home", "/")
    grab("condition", CONDITION)
    for section in ["causes", "symptoms", "diagnosis", "treatment", "consultation"]:
        grab(f"section-{section}", f"{CONDITION}/{section}")
    grab("not-found", "/no-such-page", 404)
    grab("consultation", "/consultation")
    grab("empty-day", "/consultation/slots?day=2026-12-05")
    start = offered_starts(client)[0]
    grab("booking-form", f"/consultation/book?start={start}")
    errors = client.post("/consultation/book", data=form_fields(open_form(client, start), name=""))
    assert errors.status_code == 422
    pages["booking-form-errors"] = errors.text
    token = book(client, start).headers["location"].rsplit("/", 1)[1]
    grab("booking", f"/bookings/{token}")
    grab("reschedule", f"/bookings/{token}/reschedule")
    grab("cancel", f"/bookings/{token}/cancel")
    grab("questions-choose", f"/bookings/{token}/questions")  # booked from the plain picker
    questions = grab("questions", f"/bookings/{token}/questions?about=hemifacial-spasm")
    given = {"csrf_token": csrf_from(questions), "about": "hemifacial-spasm", "mri_done": "yes"}
    refused = client.post(f"/bookings/{token}/questions", data={**given, "side": "up"})
    assert refused.status_code == 422
    pages["questions-errors"] = refused.text
    answered = client.post(f"/bookings/{token}/questions", data={**given, "side": "left"})
    assert answered.status_code == 303
    grab("booking-answered", answered.headers["location"])

    # The coordinator's desk.
    save_coordinator(
        engine=cast(Starlette, client.app).state.engine,
        username="vnu",
        password="a long password!",
        now=DEFAULT_NOW,
        role=Role.ADMINISTRATOR,  # so that the administrator's pages are reached too
    )
    login = grab("desk-login", "/coordinator/login")
    client.post(
        "/coordinator/login",
        data={"csrf_token": csrf_from(login), "username": "vnu", "password": "a long password!"},
    )
    day = start[:10]
    grab("desk-day", f"/coordinator/?day={day}")
    grab("desk-today", "/coordinator/")
    grab("desk-week", f"/coordinator/week?day={day}")
    grab("desk-bookings", "/coordinator/bookings")
    grab("desk-find", "/coordinator/bookings?q=kov&from=2026-11-01&to=2026-12-31")
    first = re.search(r"/coordinator/bookings/(\d+)", pages["desk-day"])
    assert first is not None
    booking = "/coordinator/bookings/" + first.group(1)
    page = grab("desk-booking", booking)
    client.post(f"{booking}/notes", data={"csrf_token": csrf_from(page), "text": "Viber"})
    grab("desk-booking-saved", f"{booking}?saved=note")
    grab("desk-person", f"{booking}/person")
    free = re.findall(r'name="start" value="([^"]+)"', grab("desk-new", "/coordinator/new"))[0]
    new_form = grab("desk-new-form", f"/coordinator/new/details?start={free}")
    errors = client.post(
        "/coordinator/new",
        data={"csrf_token": csrf_from(new_form), "start": free, "key": "k" * 43},
    )
    assert errors.status_code == 422
    pages["desk-new-form-errors"] = errors.text
    grab("desk-move", f"{booking}/move")
    later = re.findall(r'name="start" value="([^"]+)"', pages["desk-move"])[-1]
    grab("desk-move-confirm", f"{booking}/move/confirm?start={later}")
    blocks = grab("desk-blocks", "/coordinator/blocks")
    warning = client.post(
        "/coordinator/blocks",
        data={"csrf_token": csrf_from(blocks), "day": start[:10], "reason": "Test"},
    )
    assert warning.status_code == 409
    pages["desk-blocks-warning"] = warning.text
    calendar = grab("desk-calendar", "/coordinator/calendar")
    client.post("/coordinator/calendar/rotate", data={"csrf_token": csrf_from(calendar)})
    grab("desk-calendar-url", "/coordinator/calendar")
    grab("desk-audit", "/coordinator/audit")
    hours = grab("desk-hours", "/coordinator/hours")
    saved = client.post(
        "/coordinator/hours",
        data={
            "csrf_token": csrf_from(hours),
            "since": "2026-12-14",
            "opens": "10:00",
            "closes": "12:00",
            "weekdays": "1",
            "slot_minutes": "30",
            "seats": "1",
        },
    )
    assert saved.status_code == 303
    grab("desk-hours-changed", "/coordinator/hours")  # the change listed, with "Take back"
    grab("desk-accounts", "/coordinator/accounts")
    grab("desk-account", "/coordinator/account")
    return pages
