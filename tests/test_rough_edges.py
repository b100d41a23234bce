"""Issue 25's rough edges on the patient pages, each shown on both databases: a lost time is
named and the nearest free time chosen; a time never on offer says why; a move starts on the
booking's day and Back after it offers nothing; a closed day says so; a long name is refused."""

from __future__ import annotations

import re

from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.booking_helpers import PATIENT, book, form_fields, offered_starts, open_form
from tests.conftest import csrf_from
from tests.test_abuse import limited_client
from tests.test_booking import token_of

CHOSEN = re.compile(r'<input type="radio" name="start" id="start-\d" value="([0-9TZ:-]+)" checked>')


def test_the_loser_of_a_race_is_told_which_time_was_lost_and_the_nearest_is_chosen(
    client: TestClient,
) -> None:
    """10:30 on Monday is lost; the nearest free time is 10:00 or 11:00 (not Monday 10:00, the
    earliest, when 10:00 is further than the next one)."""
    starts = offered_starts(client)
    lost = starts[3]  # Monday 11:30 Kyiv: its nearest neighbours are 11:00 and 12:00
    loser = open_form(client, lost)
    token_of(book(client, lost, name="The Winner"))
    answer = client.post("/consultation/book", data=form_fields(loser))
    assert answer.status_code == 409
    said = re.sub(r"<[^>]+>", "", answer.text)
    assert "Sorry, this time is no longer free (Monday 30 November 2026, 11:30)" in said
    assert "the nearest free time is chosen" in said
    chosen = CHOSEN.search(answer.text)
    assert chosen is not None
    assert chosen.group(1) in {starts[2], starts[4]} and chosen.group(1) != starts[0]
    assert PATIENT["name"] in answer.text  # what was typed is kept


def test_a_time_never_on_offer_says_why_and_opens_the_picker_on_its_day(
    client: TestClient,
) -> None:
    cases = {
        "2026-11-27T08:00:00Z": ("That time has already passed.", None),
        "2026-11-30T07:30:00Z": ("That time is too soon to book online", "Monday 30 November"),
        "2026-12-21T08:00:00Z": ("That time is too far ahead to book online yet.", None),
    }
    for start, (reason, day) in cases.items():
        answer = client.get(f"/consultation/book?start={start}")
        assert answer.status_code == 409, start
        assert reason in answer.text, start
        assert "someone may have just booked it" not in answer.text, start
        if day:
            assert re.search(rf'<h2 id="slots-title"[^>]*>{day}</h2>', answer.text), start


def test_the_move_starts_on_the_bookings_day_and_back_after_it_offers_nothing(
    client: TestClient,
) -> None:
    starts = offered_starts(client, "/consultation/slots?day=2026-12-09")
    token = token_of(book(client, starts[0]))
    picker = client.get(f"/bookings/{token}/reschedule")
    assert re.search(r'<h2 id="slots-title"[^>]*>Wednesday 9 December</h2>', picker.text)
    confirm = client.get(f"/bookings/{token}/reschedule/confirm?start={starts[1]}")
    moved = client.post(
        f"/bookings/{token}/reschedule",
        data={"csrf_token": csrf_from(confirm.text), "start": starts[1]},
    )
    assert moved.status_code == 303
    back = client.get(f"/bookings/{token}/reschedule/confirm?start={starts[1]}")
    assert back.status_code == 303 and back.headers["location"] == f"/bookings/{token}"


def test_a_closed_day_says_the_clinic_does_not_work_that_day(client: TestClient) -> None:
    sunday = client.get("/consultation/slots?day=2026-12-06")
    assert "The clinic does not work on this day." in sunday.text
    assert "No free times on" not in sunday.text


def test_a_closed_day_in_ukrainian_is_a_whole_sentence(uk_client: TestClient) -> None:
    sunday = uk_client.get("/consultation/slots?day=2026-12-06")
    assert "Цього дня клініка не працює." in sunday.text


def test_a_name_longer_than_the_limit_is_refused_not_cut(client: TestClient) -> None:
    html = open_form(client, offered_starts(client)[0])
    found = re.search(r'<input[^>]*name="name"[^>]*>', html)
    assert found is not None
    name_input = found.group(0)
    assert "maxlength" not in name_input  # the browser would cut a pasted name silently
    refused = client.post("/consultation/book", data=form_fields(html, name="Олена " * 25))
    assert refused.status_code == 422
    assert "Please keep your name under 120 characters." in refused.text


def test_too_many_tries_say_how_long_to_wait_and_give_the_phone(
    engine: Engine, database_url: str
) -> None:
    with limited_client(database_url, booking="1 per 10 minutes", manage="1 per hour") as client:
        starts = offered_starts(client)
        forms = [form_fields(open_form(client, start)) for start in starts[:2]]
        token = token_of(client.post("/consultation/book", data=forms[0]))
        refused = client.post("/consultation/book", data=forms[1])
        assert refused.status_code == 429
        said = re.sub(r"<[^>]+>", "", refused.text)
        assert "Please wait 10 minutes before trying again, or call us: +380 44 123 45 67." in said
        assert 'href="tel:+380441234567"' in refused.text
        page = client.get(f"/bookings/{token}/cancel").text
        first = client.post(f"/bookings/{token}/cancel", data={"csrf_token": csrf_from(page)})
        assert first.status_code == 303  # the first try of the hour goes through
        again = client.post(f"/bookings/{token}/cancel", data={"csrf_token": csrf_from(page)})
        assert again.status_code == 429
        assert "Please wait 60 minutes before trying again" in re.sub(r"<[^>]+>", "", again.text)
