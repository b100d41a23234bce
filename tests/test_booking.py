"""The booking flow over HTTP, on SQLite and PostgreSQL: picker, form, booking page, manage."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import httpx2 as httpx
import pytest
from sqlalchemy import Engine, event, func
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.booking_helpers import (
    PATIENT,
    SLOT_VALUE,
    book,
    form_fields,
    offered_starts,
    open_form,
)
from tests.conftest import ENGLISH_FIRST_CLINIC, Clock, csrf_from, make_settings
from web.app import create_app
from web.core import bookings as core_bookings
from web.core.bookings import hash_token, new_token
from web.core.errors import BookingNotActive
from web.core.models import BlockedPeriod, Booking, BookingStatus

HX = {"HX-Request": "true"}


def bookings(engine: Engine) -> list[Booking]:
    with Session(engine) as session:
        return list(session.exec(select(Booking)).all())


def token_of(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/bookings/([A-Za-z0-9_-]{43})", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


# --- The picker -------------------------------------------------------------------------------


def test_picker_shows_the_days_strip_and_todays_slots(client: TestClient) -> None:
    response = client.get("/consultation")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    days = re.findall(
        r'<a href="/consultation/slots\?day=(\d{4}-\d\d-\d\d)(?:#[^"]*)?"', response.text
    )
    assert len(days) == 21 and days[0] == "2026-11-30" and days[-1] == "2026-12-20"
    # Now is 08:00 in Kyiv with two hours' notice: today starts at 10:00 (08:00 UTC).
    starts = offered_starts(client)
    assert starts[0] == "2026-11-30T08:00:00Z" and starts[-1] == "2026-11-30T12:30:00Z"
    assert len(starts) == 10
    assert "10 free" in response.text and "closed" in response.text  # the weekend


def test_slot_buttons_read_as_full_date_and_time(client: TestClient) -> None:
    text = client.get("/consultation/slots?day=2026-12-01").text
    button = re.search(
        r'<button class="slot"[^>]*value="2026-12-01T08:30:00Z">(.*?)</button>', text, re.S
    )
    assert button, "no 10:30 button on Tuesday"
    visible = re.sub(r"<[^>]+>", "", button.group(1))
    assert " ".join(visible.split()) == "Tuesday 1 December, 10:30"


def test_day_list_is_a_partial_for_htmx_and_a_page_otherwise(client: TestClient) -> None:
    partial = client.get("/consultation/slots?day=2026-12-02", headers=HX)
    assert partial.status_code == 200
    assert partial.text.lstrip().startswith('<div id="picker"')
    assert "HX-Request" in partial.headers["vary"]
    page = client.get("/consultation/slots?day=2026-12-02")
    assert page.text.startswith("<!doctype html>") and "HX-Request" in page.headers["vary"]
    assert 'aria-current="date"' in page.text and "Wednesday 2 December" in page.text


def test_choosing_a_day_sends_its_times_but_not_the_strip_again(client: TestClient) -> None:
    day = "/consultation/slots?day=2026-12-02"
    slots = client.get(day, headers={**HX, "HX-Target": "section#slots"})
    assert slots.status_code == 200
    text = slots.text.lstrip()
    assert text.startswith('<section id="slots"') and 'data-day="2026-12-02"' in text
    assert 'class="days"' not in text and "day-2026-12-03" not in text
    assert "HX-Target" in slots.headers["vary"]
    # The live refresh (and any other target) gets the whole picker: strip and times.
    whole = client.get(day, headers={**HX, "HX-Target": "div#picker"})
    assert whole.text.lstrip().startswith('<div id="picker"') and 'class="days"' in whole.text
    assert SLOT_VALUE.findall(slots.text) == SLOT_VALUE.findall(whole.text) != []
    assert len(slots.content) * 3 < len(whole.content)
    made_up = client.get(day, headers={**HX, "HX-Target": "div#anything"})
    assert made_up.text == whole.text


def test_empty_day_says_when_the_next_free_day_is(client: TestClient) -> None:
    text = client.get("/consultation/slots?day=2026-12-05").text
    assert "The clinic does not work on this day." in text  # a Saturday
    assert (
        'Next free day: <a href="/consultation/slots?day=2026-12-07">Monday 7 December</a>' in text
    )


@pytest.mark.parametrize("day", ["2026-02-30", "yesterday", "2026-12-011", "%00"])
def test_malformed_day_is_a_400(client: TestClient, day: str) -> None:
    response = client.get(f"/consultation/slots?day={day}")
    assert response.status_code == 400
    assert "could not be read" in response.text


def test_picker_queries_do_not_grow_with_the_horizon(client: TestClient, engine: Engine) -> None:
    # Bookings spread over the horizon must not add queries (no N+1).
    for start in offered_starts(client)[:2]:
        assert book(client, start).status_code == 303
    for day in ["2026-12-08", "2026-12-15"]:
        start = offered_starts(client, f"/consultation/slots?day={day}")[0]
        assert book(client, start).status_code == 303

    app = cast(Starlette, client.app)  # TestClient keeps it as a bare ASGI callable
    app.state.availability.ttl = 0  # count the queries of every request, none cached
    statements: list[str] = []
    app_engine = app.state.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(app_engine, "before_cursor_execute", listener)
    counts = {}
    try:
        for days in (3, 21, 60):
            current = app.state.rules  # clinic.toml's rules, and the stored hours
            current.first = dataclasses.replace(current.first, horizon_days=days)
            for path in ["/consultation", "/consultation/slots?day=2026-12-08"]:
                statements.clear()
                assert client.get(path, headers=HX).status_code == 200
                counts[(days, path)] = len([s for s in statements if "SELECT" in s.upper()])
    finally:
        event.remove(app_engine, "before_cursor_execute", listener)
    # The reception hours (stored in the database), the booked seats, the blocks.
    assert set(counts.values()) == {3}, counts


# --- Booking ------------------------------------------------------------------------------


def test_booking_form_shows_the_chosen_slot_and_a_fresh_key(client: TestClient) -> None:
    html = open_form(client, "2026-12-01T08:30:00Z")
    assert "Tuesday 1 December 2026, 10:30" in html and "11:00" in html
    assert re.search(r'name="key"[^>]*value="[A-Za-z0-9_-]{43}"', html)
    assert csrf_from(html)
    for channel in ["Phone call", "Viber", "Telegram", "WhatsApp", "Zoom"]:
        assert f'value="{channel}"' in html


def test_booking_creates_one_row_and_redirects_to_its_page(
    client: TestClient, engine: Engine, clock: Clock
) -> None:
    response = book(client, "2026-12-01T08:30:00Z")
    token = token_of(response)
    [row] = bookings(engine)
    assert row.starts_at == datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    assert row.ends_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert row.status == BookingStatus.CONFIRMED
    assert row.phone == "+380671234567"  # normalised
    assert row.email == "olena@example.com" and row.channel == "Viber"
    assert row.consent_at == clock.now
    assert row.token_hash == hash_token(token) and token not in row.token_hash

    page = client.get(f"/bookings/{token}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "Your consultation is booked" in page.text
    assert "Tuesday 1 December 2026, 10:30" in page.text and "Kyiv time" in page.text
    assert 'datetime="2026-12-01T08:30:00Z"' in page.text  # for the patient's own time
    assert "Viber" in page.text and 'href="tel:+380441234567"' in page.text
    assert f'href="/bookings/{token}/cancel"' in page.text
    assert f'href="/bookings/{token}/reschedule"' in page.text


def test_a_booked_slot_leaves_the_picker(client: TestClient) -> None:
    start = offered_starts(client)[0]
    token_of(book(client, start))
    assert start not in offered_starts(client)


def test_resubmitting_the_same_form_returns_the_same_booking(
    client: TestClient, engine: Engine
) -> None:
    start = offered_starts(client)[0]
    fields = form_fields(open_form(client, start))
    first = client.post("/consultation/book", data=fields)
    again = client.post("/consultation/book", data=fields)
    assert token_of(first) == token_of(again)
    assert len(bookings(engine)) == 1


def test_a_second_patient_gets_a_409_with_fresh_slots(client: TestClient, engine: Engine) -> None:
    start = offered_starts(client)[0]
    late_form = form_fields(open_form(client, start))  # opened before the slot was taken
    token_of(book(client, start))
    response = client.post("/consultation/book", data=late_form)
    assert response.status_code == 409
    assert "no longer free" in response.text
    # The same form with everything typed, and the nearest free times, the closest chosen.
    for name in ("name", "phone", "email"):
        assert f'value="{late_form[name]}"' in response.text, name
    assert late_form["note"] in response.text
    offered = re.findall(
        r'<input type="radio" name="start" id="start-\d" value="([^"]+)"', response.text
    )
    nearest = offered_starts(client)[:4]
    assert start not in offered and offered == nearest
    assert f'value="{nearest[0]}" checked' in response.text
    # Booking again with the kept details and a chosen nearest time works.
    chosen = form_fields(response.text, start=nearest[1])
    assert client.post("/consultation/book", data=chosen).status_code == 303
    assert len(bookings(engine)) == 2


def test_validation_errors_keep_what_was_typed_and_write_nothing(
    client: TestClient, engine: Engine
) -> None:
    html = open_form(client, offered_starts(client)[0])
    fields = form_fields(html, name="  ", phone="12", email="not-an-email", note="Still here")
    del fields["consent"]
    del fields["channel"]
    response = client.post("/consultation/book", data=fields)
    assert response.status_code == 422
    text = response.text
    assert "Please tell us your name." in text
    assert "Please enter a phone number we can call" in text
    assert "Please check your email address" in text
    assert "Please choose how we should contact you." in text
    assert "We need your consent" in text
    assert 'value="not-an-email"' in text and "Still here" in text and 'value="12"' in text
    assert 'aria-invalid="true"' in text and 'aria-describedby="phone-hint phone-error"' in text
    assert bookings(engine) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "x" * 121, "under 120 characters"),
        ("note", "x" * 501, "under 500 characters"),
        ("email", "a" * 250 + "@example.com", "too long"),
        ("channel", "Carrier pigeon", "Not a valid choice"),
        ("phone", "+1 202 555 01", "Please enter a phone number"),
    ],
)
def test_bad_fields_are_refused_with_a_message(
    client: TestClient, engine: Engine, field: str, value: str, message: str
) -> None:
    response = book(client, **{field: value})
    assert response.status_code == 422
    assert message in response.text
    assert bookings(engine) == []


def test_a_huge_body_is_refused_before_parsing(client: TestClient, engine: Engine) -> None:
    html = open_form(client, offered_starts(client)[0])
    response = client.post("/consultation/book", data=form_fields(html, note="x" * 20000))
    assert response.status_code == 413
    assert bookings(engine) == []


def test_missing_or_wrong_csrf_token_is_refused(client: TestClient, engine: Engine) -> None:
    html = open_form(client, offered_starts(client)[0])
    for token in [None, "forged"]:
        response = client.post("/consultation/book", data=form_fields(html, csrf_token=token))
        assert response.status_code == 403
        assert "expired" in response.text
    assert bookings(engine) == []


def test_honeypot_filled_in_is_refused(client: TestClient, engine: Engine) -> None:
    assert book(client, website="http://spam.example").status_code == 400
    assert bookings(engine) == []


@pytest.mark.parametrize(
    ("start", "status"),
    [
        ("2026-12-01T08:40:00Z", 400),  # off the grid
        ("2026-12-01T13:00:00Z", 400),  # 15:00, after closing
        ("2026-12-05T08:00:00Z", 400),  # Saturday
        ("2026-11-27T08:00:00Z", 409),  # in the past
        ("2026-11-30T07:30:00Z", 409),  # too soon (09:30 today; notice is two hours)
        ("2027-01-04T08:00:00Z", 409),  # beyond the horizon
        ("2026-12-01 08:30", 400),  # malformed
        ("", 400),
    ],
)
def test_bad_start_times_are_refused_and_nothing_is_written(
    client: TestClient, engine: Engine, start: str, status: int
) -> None:
    html = open_form(client, offered_starts(client)[0])
    response = client.post("/consultation/book", data=form_fields(html, start=start))
    assert response.status_code == status
    assert bookings(engine) == []
    form_page = client.get(f"/consultation/book?start={start}")
    assert form_page.status_code == status


def test_blocked_slot_cannot_be_booked(client: TestClient, engine: Engine, clock: Clock) -> None:
    start = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    with Session(engine) as session:
        session.add(
            BlockedPeriod(
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                reason="Surgery",
                created_at=clock.now,
            )
        )
        session.commit()
    assert "2026-12-01T08:30:00Z" not in offered_starts(
        client, "/consultation/slots?day=2026-12-01"
    )
    assert client.get("/consultation/book?start=2026-12-01T08:30:00Z").status_code == 409
    html = open_form(client, "2026-12-01T07:30:00Z")
    response = client.post(
        "/consultation/book", data=form_fields(html, start="2026-12-01T08:30:00Z")
    )
    assert response.status_code == 409
    assert bookings(engine) == []


# --- The booking page, cancel and reschedule ---------------------------------------------------


@pytest.mark.parametrize("token", ["x" * 43, "short", "a" * 200, "%20"])
def test_unknown_or_malformed_tokens_get_a_friendly_404(client: TestClient, token: str) -> None:
    for path in [
        f"/bookings/{token}",
        f"/bookings/{token}/cancel",
        f"/bookings/{token}/reschedule",
    ]:
        response = client.get(path)
        assert response.status_code == 404
        assert "could not find a booking" in response.text


def test_a_wrong_manage_token_opens_no_booking_while_others_exist(
    client: TestClient, engine: Engine
) -> None:
    """Other patients' bookings are in the table: a token that is not theirs opens none of them,
    and cancelling or moving with it changes nothing."""
    first, second = offered_starts(client)[:2]
    tokens = [token_of(book(client, first)), token_of(book(client, second, phone="067 765 4321"))]
    flipped = tokens[0][:-1] + ("A" if tokens[0][-1] != "A" else "B")
    for wrong in [new_token(), flipped, tokens[0].swapcase(), tokens[1][::-1]]:
        for path in [
            f"/bookings/{wrong}",
            f"/bookings/{wrong}/cancel",
            f"/bookings/{wrong}/invite.ics",
        ]:
            response = client.get(path)
            assert response.status_code == 404, (path, response.status_code)
            assert "Olena" not in response.text
        page = client.get(f"/bookings/{tokens[0]}/cancel").text
        refused = client.post(f"/bookings/{wrong}/cancel", data={"csrf_token": csrf_from(page)})
        assert refused.status_code == 404
    assert [b.status for b in bookings(engine)] == [BookingStatus.CONFIRMED] * 2
    assert all(client.get(f"/bookings/{token}").status_code == 200 for token in tokens)


def test_cancel_asks_first_then_frees_the_slot(client: TestClient, engine: Engine) -> None:
    start = offered_starts(client)[0]
    token = token_of(book(client, start))
    confirm = client.get(f"/bookings/{token}/cancel")
    assert confirm.status_code == 200 and "Cancel your consultation?" in confirm.text
    assert bookings(engine)[0].status == BookingStatus.CONFIRMED  # asking changes nothing

    refused = client.post(f"/bookings/{token}/cancel", data={})
    assert refused.status_code == 403
    done = client.post(f"/bookings/{token}/cancel", data={"csrf_token": csrf_from(confirm.text)})
    assert (
        done.status_code == 303 and done.headers["location"] == f"/bookings/{token}?done=cancelled"
    )
    [row] = bookings(engine)
    assert row.status == BookingStatus.CANCELLED and row.sequence == 1

    page = client.get(f"/bookings/{token}").text
    assert "This consultation is cancelled" in page and "please delete the event there" in page
    assert start in offered_starts(client)
    # Its reschedule pages lead to the booking's own page, which says it is cancelled.
    for path in ("reschedule", f"reschedule/confirm?start={start}"):
        moved_on = client.get(f"/bookings/{token}/{path}")
        assert moved_on.status_code == 303 and moved_on.headers["location"] == f"/bookings/{token}"
    assert "<title>This consultation is cancelled" in page


def test_reschedule_moves_the_booking_and_frees_the_old_slot(
    client: TestClient, engine: Engine
) -> None:
    old, new = offered_starts(client)[:2]
    token = token_of(book(client, old))
    picker = client.get(f"/bookings/{token}/reschedule")
    assert picker.status_code == 200
    # Choosing a time only asks: a GET to the confirmation page.
    confirm_url = f"/bookings/{token}/reschedule/confirm"
    assert f'<form method="get" action="{confirm_url}"' in picker.text
    partial = client.get(f"/bookings/{token}/reschedule?day=2026-12-02", headers=HX)
    assert partial.text.lstrip().startswith('<div id="picker"')

    confirm = client.get(f"{confirm_url}?start={new}")
    assert confirm.status_code == 200 and "Move your consultation?" in confirm.text
    assert (
        "Monday 30 November 2026, 10:00" in confirm.text
        and "Monday 30 November 2026, 10:30" in confirm.text
    )
    assert bookings(engine)[0].sequence == 0  # asking moved nothing
    moved = client.post(
        f"/bookings/{token}/reschedule", data={"csrf_token": csrf_from(confirm.text), "start": new}
    )
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/bookings/{token}?done=moved&from={old}"
    [row] = bookings(engine)
    assert row.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ") == new and row.sequence == 1
    starts = offered_starts(client)
    assert old in starts and new not in starts
    result = client.get(moved.headers["location"]).text
    assert re.search(
        r"moved from .*Monday 30 November 2026, 10:00.* to .*Monday 30 November 2026, 10:30", result
    )


def test_reschedule_onto_a_taken_slot_is_a_409(client: TestClient, engine: Engine) -> None:
    first, second = offered_starts(client)[:2]
    token = token_of(book(client, first))
    token_of(book(client, second))
    picker = client.get(f"/bookings/{token}/cancel")
    response = client.post(
        f"/bookings/{token}/reschedule",
        data={"csrf_token": csrf_from(picker.text), "start": second},
    )
    assert response.status_code == 409 and "no longer free" in response.text
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Booking)).one() == 2
    assert {b.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ") for b in bookings(engine)} == {first, second}


def test_the_core_refuses_to_move_a_cancelled_or_finished_booking(
    client: TestClient, engine: Engine, clock: Clock
) -> None:
    """The rule lives in core (bookings._move), whatever page or form asks: the patient's
    reschedule and the desk's move both leave a cancelled or finished booking where it is."""
    first, second, third = offered_starts(client)[:3]
    cancelled, done = token_of(book(client, first)), token_of(book(client, second))
    page = client.get(f"/bookings/{cancelled}/cancel").text
    client.post(f"/bookings/{cancelled}/cancel", data={"csrf_token": csrf_from(page)})
    with Session(engine) as session:
        finished = session.exec(select(Booking).where(Booking.token_hash == hash_token(done))).one()
        finished.status = BookingStatus.DONE
        session.add(finished)
        session.commit()
        finished_id, seen = finished.id, finished.sequence
    assert finished_id is not None
    target = datetime.strptime(third, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    ledger = cast(Starlette, client.app).state.ledger
    with pytest.raises(BookingNotActive):
        core_bookings.reschedule(ledger=ledger, now=clock.now, token=cancelled, start=target)
    with pytest.raises(BookingNotActive):
        core_bookings.move(
            ledger=ledger, now=clock.now, booking_id=finished_id, start=target, seen_sequence=seen
        )
    # The patient's form, posted straight to the reschedule address, moves nothing either.
    form = {"csrf_token": csrf_from(client.get("/coordinator/login").text), "start": third}
    client.post(f"/bookings/{cancelled}/reschedule", data=form)
    assert sorted(b.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ") for b in bookings(engine)) == [
        first,
        second,
    ]


def test_patient_details_are_escaped_on_the_booking_page(client: TestClient) -> None:
    token = token_of(book(client, name="<script>alert(1)</script>"))
    page = client.get(f"/bookings/{token}").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_patient_name_is_kept_in_cyrillic(client: TestClient, engine: Engine) -> None:
    token_of(book(client, name="Олена Коваленко"))
    assert bookings(engine)[0].patient_name == "Олена Коваленко"
    assert PATIENT["name"] != "Олена Коваленко"


def test_a_number_without_country_code_must_be_ukrainian_as_typed(
    client: TestClient, engine: Engine
) -> None:
    html = open_form(client, offered_starts(client)[0])
    refused = client.post("/consultation/book", data=form_fields(html, phone="512 345 678"))
    assert refused.status_code == 422
    assert "Please add the country code, for example +48" in refused.text
    assert 'value="512 345 678"' in refused.text  # shown back as typed, not as +380 512...
    assert bookings(engine) == []
    booked = client.post("/consultation/book", data=form_fields(html, phone="+48 512 345 678"))
    assert booked.status_code == 303
    assert [b.phone for b in bookings(engine)] == ["+48512345678"]


def test_a_phone_number_is_shown_back_as_typed_when_another_field_is_wrong(
    client: TestClient,
) -> None:
    html = open_form(client, offered_starts(client)[0])
    response = client.post("/consultation/book", data=form_fields(html, name=""))
    assert response.status_code == 422 and 'value="067 123 4567"' in response.text


# --- What happens next ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "email", "plan"),
    [
        ("Phone call", "", "our specialist will call you on +380 67 123 4567."),
        ("Viber", "", "our specialist will call or write to you in Viber on +380 67 123 4567."),
        ("Zoom", "olena@example.com", "will e-mail the Zoom link to olena@example.com."),
        ("Zoom", "", "will send the Zoom link to +380 67 123 4567 by text message."),
    ],
)
def test_the_booking_page_says_who_contacts_whom_and_how(
    client: TestClient, channel: str, email: str, plan: str
) -> None:
    token = token_of(book(client, channel=channel, email=email))
    page = re.sub(r"\s+", " ", client.get(f"/bookings/{token}").text)
    next_steps = page.split('<section class="card next-steps"')[1].split("</section>")[0]
    assert plan in next_steps
    if email:
        assert f"We are sending a confirmation with a calendar file to {email}." in next_steps
    else:
        assert "You did not give an e-mail address, so we will not send a confirmation." in page
    # The manage link, prominent and whole, on the configured public address.
    assert (
        f'id="manage-url" class="copy-source" readonly value="http://testserver/bookings/{token}"'
        in page
    )
    assert 'data-copy="#manage-url" hidden' in page  # shown by site.js, which makes it work


def test_price_and_consultant_are_shown_only_when_the_profile_gives_them(
    client: TestClient, database_url: str, tmp_path: Path
) -> None:
    """The shipped clinic.toml gives both, as a real clinic would; without them, no line."""
    picker = client.get("/consultation").text
    assert "Price of the consultation: UAH 800." in picker
    assert "You will talk with one of the clinic’s neurosurgeons." in picker
    token = token_of(book(client))
    assert "Price of the consultation: UAH 800." in client.get(f"/bookings/{token}").text
    assert "Вартість консультації: 800 грн." in client.get(f"/uk/bookings/{token}").text
    profile = re.sub(
        r"\n\[(consultant|price)\]\nuk = [^\n]*\nen = [^\n]*\n",
        "\n",
        ENGLISH_FIRST_CLINIC.read_text(encoding="utf-8"),
    )
    assert "[price]" not in profile and "[consultant]" not in profile
    path = tmp_path / "clinic.toml"
    path.write_text(profile, encoding="utf-8")
    app = create_app(make_settings(database_url, clinic_file=path), clock=Clock())
    with TestClient(app, follow_redirects=False) as unpriced:
        picker = unpriced.get("/consultation").text
        assert "Price of the consultation" not in picker and "You will talk with" not in picker
    app.state.engine.dispose()
