"""Every text a person types and the site shows back is escaped wherever it appears.

Each field gets its own payload, so a page that shows a field unescaped fails on that field's
name; and each check also asserts the escaped form is there, so a page that stops showing a field
fails too (the list of places must stay true).
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from tests.booking_helpers import form_fields, open_form
from tests.conftest import Clock, app_of, csrf_from
from tests.desk_helpers import PASSWORD, open_desk, sign_in
from web.core.models import Booking, OutboxMessage
from web.desk.accounts import save_coordinator

START = "2026-12-01T08:30:00Z"


def payload(field: str) -> str:
    """Breaks out of an attribute and opens a script, if anything lets it through."""
    return f'"><script>{field}</script>'


def escaped(field: str) -> str:
    return f"&#34;&gt;&lt;script&gt;{field}&lt;/script&gt;"


def assert_escaped(html: str, fields: list[str], where: str) -> None:
    for field in fields:
        assert payload(field) not in html, f"{field} unescaped on {where}"
        assert escaped(field) in html, f"{field} not shown on {where}"


def test_typed_text_is_escaped_on_every_page_partial_and_email(
    client: TestClient, engine: Engine, clock: Clock
) -> None:
    name, note, user = payload("name"), payload("note"), payload("username")
    save_coordinator(engine=engine, username=user, password=PASSWORD, now=clock.now)

    form_page = open_form(client, START)
    with_errors = client.post(
        "/consultation/book", data=form_fields(form_page, name=name, note=note, consent=None)
    )
    assert with_errors.status_code == 422
    assert_escaped(with_errors.text, ["name", "note"], "the form with errors")

    booked = client.post("/consultation/book", data=form_fields(form_page, name=name, note=note))
    assert booked.status_code == 303, booked.text
    token = booked.headers["location"].rsplit("/", 1)[1]
    assert_escaped(client.get(f"/bookings/{token}").text, ["name"], "the booking page")

    signed_in = sign_in(client, user)
    assert signed_in.status_code == 303
    with Session(engine) as session:
        booking_id = session.exec(select(Booking.id)).one()
    detail = f"/coordinator/bookings/{booking_id}"
    day = client.get("/coordinator/?day=2026-12-01").text
    assert_escaped(day, ["name", "note", "username"], "desk day")
    week = client.get("/coordinator/week?day=2026-12-01").text
    assert_escaped(week, ["name", "note"], "desk week")
    found = client.get("/coordinator/bookings", params={"q": "script"}).text
    assert_escaped(found, ["name", "note"], "desk search")
    page = client.get(detail).text
    assert_escaped(page, ["name", "note", "username"], "desk booking")
    noted = client.post(
        f"{detail}/notes", data={"csrf_token": csrf_from(page), "text": payload("internal")}
    )
    assert noted.status_code == 303
    page = client.get(detail).text
    assert_escaped(page, ["internal"], "desk booking notes")
    assert_escaped(client.get("/coordinator/audit").text, ["internal"], "audit log (note)")

    cancelled = client.post(
        f"{detail}/status",
        data={"csrf_token": csrf_from(page), "status": "cancelled", "reason": payload("reason")},
    )
    assert cancelled.status_code == 303
    assert_escaped(client.get(f"/bookings/{token}").text, ["reason"], "the cancelled booking")
    assert_escaped(client.get(detail).text, ["reason", "username"], "desk booking history")

    blocks = client.get("/coordinator/blocks").text
    blocked = client.post(
        "/coordinator/blocks",
        data={"csrf_token": csrf_from(blocks), "day": "2026-12-10", "reason": payload("block")},
    )
    assert blocked.status_code == 303
    assert_escaped(client.get("/coordinator/blocks").text, ["block"], "desk blocks")
    assert_escaped(
        client.get("/coordinator/audit").text, ["username", "reason", "block"], "audit log"
    )

    by_kind: dict[str, str] = {}
    render = app_of(client).state.notifier.render  # as the sender renders them
    with Session(engine) as session:
        for message in session.exec(select(OutboxMessage)):
            html = render(message, session.get(Booking, message.booking_id)).html
            by_kind[message.kind] = by_kind.get(message.kind, "") + html
    assert_escaped(by_kind["confirmation"], ["name"], "the confirmation e-mail")
    assert_escaped(by_kind["cancelled"], ["name", "reason"], "the cancellation e-mail")
    assert_escaped(by_kind["alert"], ["name", "note", "reason"], "the coordinator's alerts")


def test_a_csv_cell_keeps_typed_text_intact(
    client: TestClient, engine: Engine, clock: Clock
) -> None:
    """No markup context in a CSV cell: the text arrives as typed."""
    name = payload("name")
    form_page = open_form(client, START)
    booked = client.post("/consultation/book", data=form_fields(form_page, name=name))
    assert booked.status_code == 303
    open_desk(client, engine, clock.now)
    desk_page = client.get("/coordinator/").text
    export = client.post(
        "/coordinator/export.csv",
        data={"csrf_token": csrf_from(desk_page), "from": "2026-12-01", "to": "2026-12-01"},
    ).content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(export), delimiter=";"))[1][4] == name
