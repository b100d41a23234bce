"""The coordinator's desk over HTTP on both databases: access, login, lock-out, CSRF, bookings,
blocks, calendar feed, CSV export and the audit log."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import httpx2 as httpx
import openpyxl
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from tests.booking_helpers import book, form_fields, offered_starts, open_form
from tests.conftest import Clock, app_of, csrf_from
from tests.desk_helpers import PASSWORD, sign_in
from tests.ics_checks import check_raw_bytes, parse_all
from tests.route_table import FoundRoute, walk
from web.core.models import AuditEvent, Booking, BookingStatus, Coordinator, OutboxMessage
from web.desk import exports
from web.desk.accounts import save_coordinator
from web.desk.sign_in import CoordinatorOnly
from web.settings import PROJECT_ROOT

# Reachable without signing in: the sign-in form, the calendar feed and a one-time set-password
# link (each of the last two carries its own unguessable secret in its URL).
PUBLIC_DESK_ROUTES = {
    "desk_login",
    "desk_login_submit",
    "desk_feed",
    "desk_set_password",
    "desk_set_password_submit",
}


def desk_routes(client: TestClient) -> list[FoundRoute]:
    """Every route of the desk, from the app's own route table."""
    found = [
        route
        for route in walk(app_of(client).routes)
        if route.path.startswith("/coordinator") or route.name.startswith("desk")
    ]
    assert len(found) >= 20  # a guard for the walk itself: if it found nothing, all would pass
    return found


@pytest.fixture
def account(engine: Engine, clock: Clock) -> str:
    save_coordinator(engine=engine, username="anna", password=PASSWORD, now=clock.now)
    return "anna"


@pytest.fixture
def desk(client: TestClient, account: str) -> TestClient:
    assert sign_in(client).status_code == 303
    return client


def token_of(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


def only_booking(engine: Engine) -> Booking:
    with Session(engine) as session:
        [booking] = session.exec(select(Booking)).all()
        return booking


def assert_audited(
    desk: TestClient,
    engine: Engine,
    action: str,
    *,
    booking_id: int | None = None,
    detail: str = "",
) -> None:
    """The newest audit entry is this action by anna, and the audit page shows it."""
    with Session(engine) as session:
        event = session.exec(
            select(AuditEvent).order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        ).first()
    assert event is not None
    assert (event.coordinator, event.action, event.booking_id) == ("anna", action, booking_id)
    assert detail in event.detail
    row = rf'<td>anna</td>\s*<td><span data-action="{action}">'
    assert re.search(row, desk.get("/coordinator/audit").text)


# --- Access and login ---------------------------------------------------------------------


def test_only_sign_in_the_feed_and_set_password_links_are_outside_the_signed_in_mount(
    client: TestClient,
) -> None:
    outside = {r.name for r in desk_routes(client) if CoordinatorOnly not in r.guards}
    assert outside == PUBLIC_DESK_ROUTES


def test_every_desk_page_sends_anonymous_visitors_to_sign_in(client: TestClient) -> None:
    pages = [r for r in desk_routes(client) if "GET" in r.methods]
    assert len(pages) >= 10
    wrong = {}
    for route in pages:
        if route.name in PUBLIC_DESK_ROUTES:
            continue
        response = client.get(route.example)
        location = response.headers.get("location", "")
        if response.status_code != 303 or not location.startswith(
            "/coordinator/login?next=/coordinator/"
        ):
            wrong[route.example] = response.status_code
    assert wrong == {}


def test_every_desk_action_refuses_anonymous_posts(client: TestClient) -> None:
    actions = [r for r in desk_routes(client) if "POST" in r.methods]
    assert len(actions) >= 10
    page = client.get("/coordinator/login")
    wrong = {}
    for route in actions:
        if route.name in PUBLIC_DESK_ROUTES:
            continue
        response = client.post(
            route.example, data={"csrf_token": csrf_from(page.text), "status": "done"}
        )
        # The desk's sign-in page, saying the session has ended; nothing was done.
        ended = response.status_code == 401 and "Your session has ended" in response.text
        if not ended or 'action="/coordinator/login?next=' not in response.text:
            wrong[route.example] = response.status_code
    assert wrong == {}


def test_wrong_password_is_refused(client: TestClient, account: str, engine: Engine) -> None:
    response = sign_in(client, password="not the password")
    assert response.status_code == 401
    assert "do not match" in response.text
    assert client.get("/coordinator/").status_code == 303
    assert sign_in(client, username="nobody").status_code == 401


def test_right_password_opens_the_desk_and_sign_out_closes_it(
    client: TestClient, account: str
) -> None:
    response = sign_in(client)
    assert response.status_code == 303 and response.headers["location"] == "/coordinator/"
    page = client.get("/coordinator/")
    assert page.status_code == 200 and "Sign out anna" in page.text
    logout = client.post("/coordinator/logout", data={"csrf_token": csrf_from(page.text)})
    assert logout.status_code == 303
    assert client.get("/coordinator/").status_code == 303


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(
    client: TestClient, account: str
) -> None:
    page = client.get("/coordinator/login?next=/coordinator/blocks")
    data = {"csrf_token": csrf_from(page.text), "username": "anna", "password": PASSWORD}
    response = client.post("/coordinator/login?next=/coordinator/blocks", data=data)
    assert response.headers["location"] == "/coordinator/blocks"
    client.post(
        "/coordinator/logout", data={"csrf_token": csrf_from(client.get("/coordinator/").text)}
    )
    page = client.get("/coordinator/login")
    data["csrf_token"] = csrf_from(page.text)
    response = client.post("/coordinator/login?next=https://evil.example/", data=data)
    assert response.headers["location"] == "/coordinator/"


OFF_SITE_NEXT = [
    "//evil.example",
    "//evil.example/coordinator/",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "%2F%2Fevil.example",
    "/%2F%2Fevil.example",
    "%2f%2fevil.example/coordinator/",
    "https:evil.example",
    "https://evil.example/coordinator/",
    "javascript:alert(1)",
    "/coordinatorx/",
    "coordinator/blocks",
]


def test_sign_in_next_never_leads_off_site(client: TestClient, account: str) -> None:
    """The sign-in page sends back only into the desk: protocol-relative (//host), backslashed
    and encoded addresses all go to the desk's home instead."""
    wrong = {}
    for value in OFF_SITE_NEXT:
        page = client.get("/coordinator/login", params={"next": value})
        assert 'action="/coordinator/login?next=/coordinator/"' in page.text, value
        data = {"csrf_token": csrf_from(page.text), "username": "anna", "password": PASSWORD}
        response = client.post("/coordinator/login", params={"next": value}, data=data)
        if response.headers.get("location") != "/coordinator/":
            wrong[value] = response.headers.get("location")
    assert wrong == {}
    kept = client.get("/coordinator/login?next=/coordinator/bookings%3Fq%3Dolena").text
    assert 'next=/coordinator/bookings%3Fq%3Dolena"' in kept  # an address in the desk: kept


def test_five_wrong_passwords_lock_that_account_from_that_address_for_15_minutes(
    client: TestClient, account: str, clock: Clock
) -> None:
    for _ in range(5):
        assert sign_in(client, password="guess").status_code == 401
    locked = sign_in(client)  # even the right password
    assert locked.status_code == 429 and "wait 15 minutes" in locked.text
    assert locked.headers["retry-after"] == "900"
    assert sign_in(client, username="other").status_code == 401  # other accounts: still checked
    clock.now += timedelta(minutes=14)
    assert sign_in(client).status_code == 429
    clock.now += timedelta(minutes=1, seconds=1)
    assert sign_in(client).status_code == 303


def test_login_and_desk_forms_need_the_csrf_token(
    client: TestClient, account: str, engine: Engine
) -> None:
    refused = client.post("/coordinator/login", data={"username": "anna", "password": PASSWORD})
    assert refused.status_code == 403
    assert sign_in(client).status_code == 303
    token_of(book(client))
    booking = only_booking(engine)
    forged = client.post(
        f"/coordinator/bookings/{booking.id}/status",
        data={"csrf_token": "forged", "status": "done"},
    )
    assert forged.status_code == 403
    assert only_booking(engine).status == BookingStatus.CONFIRMED


def test_create_coordinator_command(database_url: str, engine: Engine) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "COORDINATOR_PASSWORD": PASSWORD}
    result = subprocess.run(
        [sys.executable, "-m", "web", "create-coordinator", "boris"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "created" in result.stdout
    with Session(engine) as session:
        stored = session.exec(select(Coordinator).where(Coordinator.username == "boris")).one()
    assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash
    env["COORDINATOR_PASSWORD"] = "short"
    result = subprocess.run(
        [sys.executable, "-m", "web", "create-coordinator", "carol"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0 and "at least 12 characters" in result.stderr


# --- Bookings ------------------------------------------------------------------------------


def test_desk_lists_bookings_with_contact_details(desk: TestClient, engine: Engine) -> None:
    token_of(book(desk, "2026-12-01T08:30:00Z"))
    for path in ("/coordinator/?day=2026-12-01", "/coordinator/bookings"):
        page = desk.get(path)
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        text = page.text
        assert "Olena Kovalenko" in text
        assert 'href="tel:+380671234567"' in text and "+380 67 123 4567" in text
        assert "olena@example.com" in text and "Viber" in text
        assert "Twitching around the left eye" in text and "10:30" in text  # clinic time
    assert "Tue 1 Dec 10:30" in text


def test_desk_filters_by_day_and_status_and_pages_long_lists(
    desk: TestClient, engine: Engine, clock: Clock
) -> None:
    with Session(engine) as session:
        start = datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
        for index in range(30):
            at = start + timedelta(days=index // 10, minutes=30 * (index % 10))
            session.add(
                Booking(
                    starts_at=at, ends_at=at + timedelta(minutes=30),
                    patient_name=f"Patient {index:02}", phone="+380671234567", channel="Zoom",
                    language="en",
                    consent_at=clock.now,
                    token_hash=f"{index:064d}", created_at=clock.now, updated_at=clock.now,
                    status=BookingStatus.DONE if index == 3 else BookingStatus.CONFIRMED,
                )
            )  # fmt: skip
        session.commit()
    first = desk.get("/coordinator/bookings").text
    assert "30 bookings from today on" in first and "Page 1 of 2" in first
    assert "Patient 00" in first and "Patient 29" not in first
    second = desk.get("/coordinator/bookings?page=2").text
    assert "Patient 29" in second and "Patient 00" not in second
    day = desk.get("/coordinator/bookings?from=2026-12-02&to=2026-12-02").text
    assert "10 bookings found" in day
    assert "Patient 10" in day and "Patient 09" not in day and "Patient 20" not in day
    done = desk.get("/coordinator/bookings?status=done").text
    assert "1 booking from today on" in done and "Patient 03" in done
    assert desk.get("/coordinator/bookings?from=nonsense").status_code == 400
    assert desk.get("/coordinator/bookings?status=lost").status_code == 400
    assert desk.get("/coordinator/?day=nonsense").status_code == 400


@pytest.mark.parametrize("status", ["done", "no_show"])
def test_mark_done_or_no_show(desk: TestClient, engine: Engine, clock: Clock, status: str) -> None:
    token_of(book(desk))
    booking = only_booking(engine)
    page = desk.get(f"/coordinator/bookings/{booking.id}")
    assert page.status_code == 200 and "Olena Kovalenko" in page.text
    assert f'value="{status}"' not in page.text  # no outcome offered before the start
    early = desk.post(
        f"/coordinator/bookings/{booking.id}/status",
        data={"csrf_token": csrf_from(page.text), "status": status},
    )
    assert early.status_code == 409 and "once it has begun" in early.text
    assert only_booking(engine).status == "confirmed"
    clock.now = booking.starts_at + timedelta(minutes=5)
    page = desk.get(f"/coordinator/bookings/{booking.id}")
    assert f'value="{status}"' in page.text
    response = desk.post(
        f"/coordinator/bookings/{booking.id}/status",
        data={"csrf_token": csrf_from(page.text), "status": status},
    )
    assert response.status_code == 303
    assert only_booking(engine).status == status
    assert_audited(desk, engine, f"mark {status}", booking_id=booking.id)


def test_an_outcome_goes_back_to_confirmed_with_its_reminder(
    desk: TestClient, engine: Engine, clock: Clock
) -> None:
    token_of(book(desk))  # today, 10:00
    booking = only_booking(engine)
    path = f"/coordinator/bookings/{booking.id}"
    clock.now = booking.starts_at + timedelta(minutes=40)
    page = desk.get(path).text
    done = desk.post(f"{path}/status", data={"csrf_token": csrf_from(page), "status": "done"})
    assert done.status_code == 303 and only_booking(engine).status == "done"
    with Session(engine) as session:
        kinds = [m.kind for m in session.exec(select(OutboxMessage)).all() if m.sent_at is None]
    assert "reminder" not in kinds  # dropped with the outcome
    back = desk.post(f"{path}/status", data={"csrf_token": csrf_from(page), "status": "confirmed"})
    assert back.status_code == 303 and only_booking(engine).status == "confirmed"
    assert_audited(desk, engine, "mark confirmed", booking_id=booking.id)
    # A consultation that has begun needs no reminder; one ahead gets it back.
    with Session(engine) as session:
        row = session.get(Booking, booking.id)
        assert row is not None
        row.starts_at, row.ends_at = (
            row.starts_at + timedelta(days=2),
            row.ends_at + timedelta(days=2),
        )
        row.status = "done"
        session.add(row)
        session.commit()
    desk.post(f"{path}/status", data={"csrf_token": csrf_from(page), "status": "confirmed"})
    with Session(engine) as session:
        reminders = [
            m for m in session.exec(select(OutboxMessage)).all()
            if m.kind == "reminder" and m.sent_at is None
        ]  # fmt: skip
    assert len(reminders) == 1 and reminders[0].send_after > clock.now


def test_cancel_needs_a_reason_and_the_patient_sees_it(desk: TestClient, engine: Engine) -> None:
    token = token_of(book(desk))
    booking = only_booking(engine)
    page = desk.get(f"/coordinator/bookings/{booking.id}").text
    missing = desk.post(
        f"/coordinator/bookings/{booking.id}/status",
        data={"csrf_token": csrf_from(page), "status": "cancelled"},
    )
    assert missing.status_code == 422 and "Please give a reason" in missing.text
    assert only_booking(engine).status == BookingStatus.CONFIRMED
    done = desk.post(
        f"/coordinator/bookings/{booking.id}/status",
        data={"csrf_token": csrf_from(page), "status": "cancelled", "reason": "The doctor is ill"},
    )
    assert done.status_code == 303
    cancelled = only_booking(engine)
    assert cancelled.status == BookingStatus.CANCELLED and cancelled.sequence == 1
    patient_page = desk.get(f"/bookings/{token}").text
    assert "This consultation is cancelled" in patient_page and "The doctor is ill" in patient_page
    invite = desk.get(f"/bookings/{token}/invite.ics").content
    assert b"STATUS:CANCELLED" in invite
    with Session(engine) as session:
        [event] = session.exec(select(AuditEvent)).all()
    assert (event.coordinator, event.action, event.booking_id) == (
        "anna",
        "mark cancelled",
        booking.id,
    )
    assert "The doctor is ill" in event.detail


def test_unknown_booking_number_is_404(desk: TestClient) -> None:
    assert desk.get("/coordinator/bookings/999999").status_code == 404


# --- Blocks --------------------------------------------------------------------------------


def block(desk: TestClient, **fields: str) -> httpx.Response:
    page = desk.get("/coordinator/blocks").text
    return desk.post("/coordinator/blocks", data={"csrf_token": csrf_from(page), **fields})


def test_blocking_a_day_hides_its_slots_and_refuses_hand_made_posts(
    desk: TestClient, engine: Engine
) -> None:
    assert offered_starts(desk, "/consultation/slots?day=2026-12-02")
    html = open_form(desk, "2026-12-02T07:30:00Z")  # a form opened before the block
    assert block(desk, day="2026-12-02", reason="Conference").status_code == 303
    assert offered_starts(desk, "/consultation/slots?day=2026-12-02") == []
    assert (
        "No free times on Wednesday 2 December"
        in desk.get("/consultation/slots?day=2026-12-02").text
    )
    response = desk.post("/consultation/book", data=form_fields(html))
    assert response.status_code == 409
    with Session(engine) as session:
        assert session.exec(select(Booking)).all() == []
    assert "Conference" in desk.get("/coordinator/blocks").text
    assert_audited(desk, engine, "block", detail="Conference")


def test_blocking_a_time_range_hides_only_that_range(desk: TestClient) -> None:
    assert (
        block(desk, day="2026-12-03", starts="11:00", ends="12:30", reason="Ward round").status_code
        == 303
    )
    starts = offered_starts(desk, "/consultation/slots?day=2026-12-03")
    assert "2026-12-03T08:30:00Z" in starts  # 10:30 stays
    for hidden in ["2026-12-03T09:00:00Z", "2026-12-03T09:30:00Z", "2026-12-03T10:00:00Z"]:
        assert hidden not in starts
    assert "2026-12-03T10:30:00Z" in starts  # 12:30 stays
    bad = block(desk, day="2026-12-03", starts="12:00", reason="Oops")
    assert bad.status_code == 422 and "Give both times" in bad.text


def test_a_block_over_bookings_warns_and_never_cancels_them(
    desk: TestClient, engine: Engine
) -> None:
    token_of(book(desk, "2026-12-04T08:00:00Z"))
    warned = block(desk, day="2026-12-04", reason="Holiday")
    assert warned.status_code == 409
    assert (
        "will <strong>not</strong> be cancelled" in warned.text and "Olena Kovalenko" in warned.text
    )
    assert 'name="confirm" type="hidden" value="yes"' in warned.text or 'value="yes"' in warned.text
    assert "Holiday" not in desk.get("/coordinator/blocks").text.split("Upcoming blocks")[1]
    confirmed = desk.post(
        "/coordinator/blocks",
        data={
            "csrf_token": csrf_from(warned.text),
            "day": "2026-12-04",
            "reason": "Holiday",
            "confirm": "yes",
        },
    )
    assert confirmed.status_code == 303
    assert only_booking(engine).status == BookingStatus.CONFIRMED


def test_unblocking_brings_the_slots_back(desk: TestClient, engine: Engine) -> None:
    block(desk, day="2026-12-02", reason="Conference")
    page = desk.get("/coordinator/blocks").text
    found = re.search(r"/coordinator/blocks/(\d+)/delete", page)
    assert found is not None
    block_id = found.group(1)
    response = desk.post(
        f"/coordinator/blocks/{block_id}/delete", data={"csrf_token": csrf_from(page)}
    )
    assert response.status_code == 303
    assert len(offered_starts(desk, "/consultation/slots?day=2026-12-02")) == 11
    assert_audited(desk, engine, "unblock", detail="Conference")


# --- Calendar feed -------------------------------------------------------------------------


def feed_path(desk: TestClient) -> str:
    page = desk.get("/coordinator/calendar").text
    match = re.search(r'value="http://testserver(/coordinator/feed/[A-Za-z0-9_-]+\.ics)"', page)
    return match.group(1) if match else ""


def rotate(desk: TestClient) -> None:
    page = desk.get("/coordinator/calendar").text
    assert (
        desk.post("/coordinator/calendar/rotate", data={"csrf_token": csrf_from(page)}).status_code
        == 303
    )


def test_feed_lists_upcoming_bookings_without_contact_details_or_notes(
    desk: TestClient, engine: Engine
) -> None:
    assert feed_path(desk) == ""  # no address until one is made
    rotate(desk)
    path = feed_path(desk)
    token_of(
        book(desk, "2026-12-01T08:30:00Z", name="Олександра Ковальчук", note="Довга нотатка " * 6)
    )
    token_of(book(desk, "2026-12-02T12:00:00Z"))
    cancelled = token_of(book(desk, "2026-12-03T12:00:00Z"))
    confirm = desk.get(f"/bookings/{cancelled}/cancel").text
    desk.post(f"/bookings/{cancelled}/cancel", data={"csrf_token": csrf_from(confirm)})

    desk.cookies.clear()  # a calendar app has no session: the secret is enough
    response = desk.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    raw = response.content
    check_raw_bytes(raw)
    events, others = parse_all(raw)
    assert len(events) == 3  # the cancelled one stays, marked cancelled, for a week
    by_start = {e.decoded("dtstart"): e for e in events}
    assert {o.dtstart.value for o in others} == set(by_start)
    first = by_start[datetime(2026, 12, 1, 8, 30, tzinfo=UTC)]
    assert first.decoded("dtend") == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert str(first["summary"]) == "Consultation: О. К. (Viber)"  # initials by default
    assert str(first["status"]) == "CONFIRMED"
    assert re.fullmatch(r"http://testserver/coordinator/bookings/\d+", str(first["url"]))
    gone = by_start[datetime(2026, 12, 3, 12, 0, tzinfo=UTC)]
    assert str(gone["status"]) == "CANCELLED" and str(gone["summary"]).startswith("Cancelled:")
    text = raw.decode()
    for private in ("Олександра", "Ковальчук", "+380", "380671234567", "olena@example.com",
                    "Довга нотатка", "Twitching"):  # fmt: skip
        assert private not in text, private


def test_full_names_in_the_feed_only_when_the_clinic_turns_them_on(
    desk: TestClient, engine: Engine
) -> None:
    token_of(book(desk, "2026-12-01T08:30:00Z", name="Олександра Ковальчук"))
    app_of(desk).state.clinic = replace(app_of(desk).state.clinic, feed_full_names=True)
    [event], _ = parse_all(feed(desk))
    assert str(event["summary"]) == "Consultation: Олександра Ковальчук (Viber)"


def test_each_coordinator_has_an_address_of_their_own(
    desk: TestClient, engine: Engine, client: TestClient, clock: Clock
) -> None:
    rotate(desk)
    annas = feed_path(desk)
    save_coordinator(engine=engine, username="bohdan", password=PASSWORD, now=clock.now)
    other = TestClient(desk.app, follow_redirects=False)
    assert sign_in(other, "bohdan").status_code == 303
    assert feed_path(other) == ""  # anna's address is hers, not shown to bohdan
    rotate(other)
    bohdans = feed_path(other)
    assert bohdans != annas
    rotate(other)  # bohdan replaces his: anna's keeps working
    assert desk.get(annas).status_code == 200
    assert desk.get(bohdans).status_code == 404 and desk.get(feed_path(other)).status_code == 200
    assert desk.get(annas[:-8] + ".ics").status_code == 404  # a prefix of a secret is nothing


def test_the_feed_secret_must_match_exactly(desk: TestClient) -> None:
    """No prefix, no other case, no other length, no one character changed: only the secret."""
    rotate(desk)
    path = feed_path(desk)
    secret = path.removeprefix("/coordinator/feed/").removesuffix(".ics")
    assert len(secret) == 43 and desk.get(path).status_code == 200
    changed = "A" if secret[-1] != "A" else "B"
    near = [
        *(secret[:length] for length in (1, 8, 22, 42)),  # prefixes
        secret + "A",  # longer
        secret[1:],  # a suffix
        secret.swapcase(),
        secret.upper(),
        secret.lower(),
        secret[:-1] + changed,
        "",
    ]
    opened = [
        guess
        for guess in near
        if guess != secret and desk.get(f"/coordinator/feed/{guess}.ics").status_code != 404
    ]
    assert opened == []


def test_rotating_the_feed_secret_kills_the_old_address(desk: TestClient, engine: Engine) -> None:
    rotate(desk)
    old = feed_path(desk)
    assert desk.get(old).status_code == 200
    rotate(desk)
    new = feed_path(desk)
    assert new != old
    assert desk.get(old).status_code == 404
    assert desk.get(new).status_code == 200
    assert desk.get("/coordinator/feed/guess.ics").status_code == 404
    assert_audited(desk, engine, "rotate feed")


# --- Export --------------------------------------------------------------------------------


def test_csv_export_opens_in_excel_and_neutralises_formulas(
    desk: TestClient, engine: Engine
) -> None:
    token_of(book(desk, "2026-12-01T08:30:00Z", name='=HYPERLINK("http://evil.example","x")'))
    token_of(book(desk, "2026-12-01T09:00:00Z", name="@SUM(A1)", note="-2+3"))
    token_of(book(desk, "2026-12-01T09:30:00Z", name="Олена Ковальчук", note="<script>"))
    response = export(desk, {"from": "2026-12-01", "to": "2026-12-01"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        'filename="bookings-2026-12-01-to-2026-12-01.csv"'
        in response.headers["content-disposition"]
    )
    assert response.content.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header, *body = rows
    assert header[:5] == ["Date", "Start (clinic time)", "End", "Status", "Name"]
    assert len(body) == 3 and all(len(row) == len(header) for row in rows)
    names = [row[4] for row in body]
    assert names == ['\'=HYPERLINK("http://evil.example","x")', "'@SUM(A1)", "Олена Ковальчук"]
    assert body[1][8] == "'-2+3"
    assert [row[5] for row in body] == ["+380671234567"] * 3  # a phone stays a phone
    assert body[0][:4] == ["2026-12-01", "10:30", "11:00", "Confirmed"]  # clinic time
    assert_audited(desk, engine, "export csv", detail="2026-12-01–2026-12-01")


def test_xlsx_export_has_dates_text_phones_and_translated_words(
    desk: TestClient, engine: Engine
) -> None:
    token_of(book(desk, "2026-12-01T08:30:00Z", name="Олена Ковальчук", channel="Telegram"))
    token_of(book(desk, "2026-12-01T09:00:00Z", name="=1+1", note="@SUM(A1)"))
    desk.post(
        "/coordinator/language",
        data={"csrf_token": csrf_from(desk.get("/coordinator/").text), "language": "uk"},
    )
    token = csrf_from(desk.get("/coordinator/").text)
    response = desk.post(
        "/coordinator/export.xlsx",
        data={"csrf_token": token, "from": "2026-12-01", "to": "2026-12-01"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, first, second = list(sheet.iter_rows(values_only=True))
    assert header[0] == "Дата" and header[4] == "Ім’я"
    assert first[0] == datetime(2026, 12, 1) and first[1] == time(10, 30)  # real date cells
    assert first[4] == "Олена Ковальчук" and first[5] == "+380671234567"
    assert first[3] == "Підтверджено"
    cells = list(sheet.iter_rows(min_row=3))[0]
    assert cells[4].data_type == "s" and cells[4].value == "=1+1"  # text, never a formula
    assert cells[8].data_type == "s" and cells[5].data_type == "s"
    assert_audited(desk, engine, "export xlsx", detail="2026-12-01–2026-12-01")


def export(desk: TestClient, dates: dict[str, str], csrf: str | None = None) -> httpx.Response:
    token = csrf or csrf_from(desk.get("/coordinator/").text)
    return desk.post("/coordinator/export.csv", data={"csrf_token": token, **dates})


@pytest.mark.parametrize(
    "dates",
    [
        {},
        {"from": "2026-12-01"},
        {"from": "2026-12-09", "to": "2026-12-01"},
        {"from": "x", "to": "y"},
        {"from": "0001-01-01", "to": "0001-01-02"},
        {"from": "9999-12-30", "to": "9999-12-31"},
    ],
)
def test_csv_export_needs_a_sensible_range(desk: TestClient, dates: dict[str, str]) -> None:
    assert export(desk, dates).status_code == 400


def test_csv_export_is_a_post_with_the_csrf_token(desk: TestClient, engine: Engine) -> None:
    """It writes an audit entry, so a link (or an image on another site) must not trigger it."""
    dates = {"from": "2026-12-01", "to": "2026-12-01"}
    assert desk.get("/coordinator/export.csv?from=2026-12-01&to=2026-12-01").status_code == 405
    assert export(desk, dates, csrf="forged").status_code == 403
    with Session(engine) as session:
        assert session.exec(select(AuditEvent)).all() == []
    assert export(desk, dates).status_code == 200


def test_patient_data_is_escaped_on_desk_pages(desk: TestClient, engine: Engine) -> None:
    token_of(book(desk, name="<script>alert(1)</script>", note="<b>bold</b>"))
    booking = only_booking(engine)
    for path in ["/coordinator/", f"/coordinator/bookings/{booking.id}"]:
        text = desk.get(path).text
        assert "<script>alert(1)</script>" not in text and "<b>bold</b>" not in text
        assert "&lt;script&gt;" in text


LONG_NAME = "Олександра-Вікторія Ковальчук-Шевченко"
LONG_NOTE = "Посмикування біля лівого ока вже рік; гірше ввечері, після роботи за компʼютером. " * 3


def feed(desk: TestClient) -> bytes:
    rotate(desk)
    response = desk.get(feed_path(desk))
    assert response.status_code == 200
    return response.content


def test_feed_folds_cyrillic_and_escapes_text(desk: TestClient) -> None:
    app_of(desk).state.clinic = replace(app_of(desk).state.clinic, feed_full_names=True)
    token_of(book(desk, "2026-12-01T08:30:00Z", name=LONG_NAME * 2, note=LONG_NOTE))
    token_of(book(desk, "2026-12-01T09:00:00Z", name="Anna; Maria, Jr\\", note="One\nTwo"))
    raw = feed(desk)
    check_raw_bytes(raw)
    assert raw.count(b"\r\n ") >= 1  # the long summary really was folded
    assert b"Anna\\; Maria\\, Jr\\\\" in raw.replace(b"\r\n ", b"")
    events, others = parse_all(raw)
    summaries = [str(e["summary"]) for e in events] + [o.summary.value for o in others]
    assert any(LONG_NAME * 2 in s for s in summaries)
    assert LONG_NOTE.strip().encode() not in raw.replace(b"\r\n ", b"")


def test_a_control_character_in_a_name_never_reaches_the_feed(
    desk: TestClient, engine: Engine
) -> None:
    app_of(desk).state.clinic = replace(app_of(desk).state.clinic, feed_full_names=True)
    token_of(book(desk, "2026-12-01T08:30:00Z"))
    with Session(engine) as session:  # as if written before the form refused control characters
        booking = session.exec(select(Booking)).one()
        booking.patient_name = "Bell\x07 Name\x0c"
        session.add(booking)
        session.commit()
    raw = feed(desk)
    check_raw_bytes(raw)
    assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", raw)
    events, others = parse_all(raw)  # both parsers accept the whole feed
    assert "Bell Name" in str(events[0]["summary"]) and len(others) == 1
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in raw
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in raw


def test_a_cancelled_booking_cannot_be_marked_done_once_its_time_is_booked_again(
    desk: TestClient, engine: Engine
) -> None:
    """Its seat went back: marking it done would make two active bookings of one seat."""
    start = "2026-12-01T08:30:00Z"
    token_of(book(desk, start))
    first = only_booking(engine)
    page = desk.get(f"/coordinator/bookings/{first.id}").text
    cancel = {"csrf_token": csrf_from(page), "status": "cancelled", "reason": "Doctor ill"}
    assert desk.post(f"/coordinator/bookings/{first.id}/status", data=cancel).status_code == 303
    token_of(book(desk, start, name="Second Patient"))
    page = desk.get(f"/coordinator/bookings/{first.id}").text
    assert 'name="status"' not in page and "stays cancelled" in page  # nothing to offer
    done = desk.post(
        f"/coordinator/bookings/{first.id}/status",
        data={"csrf_token": csrf_from(page), "status": "done"},
    )
    assert done.status_code == 409 and "no longer active" in done.text
    with Session(engine) as session:
        statuses = sorted(b.status for b in session.exec(select(Booking)).all())
    assert statuses == ["cancelled", "confirmed"]


def test_the_desk_offers_only_status_changes_that_follow(
    desk: TestClient, engine: Engine, clock: Clock
) -> None:
    token_of(book(desk))
    booking = only_booking(engine)
    path = f"/coordinator/bookings/{booking.id}"
    offered = re.findall(r'name="status"[^>]*value="([a-z_]+)"', desk.get(path).text)
    assert offered == ["cancelled"]  # before the consultation begins: no outcome yet
    clock.now = booking.starts_at + timedelta(minutes=1)
    offered = re.findall(r'name="status"[^>]*value="([a-z_]+)"', desk.get(path).text)
    assert sorted(offered) == ["cancelled", "done", "no_show"]
    csrf = csrf_from(desk.get(path).text)
    assert (
        desk.post(f"{path}/status", data={"csrf_token": csrf, "status": "done"}).status_code == 303
    )
    page = desk.get(path).text
    assert re.findall(r'name="status"[^>]*value="([a-z_]+)"', page) == ["no_show", "confirmed"]
    assert 'name="reason"' not in page
    late = {"csrf_token": csrf, "status": "cancelled", "reason": "Too late"}
    refused = desk.post(f"{path}/status", data=late)
    assert refused.status_code == 409 and "does not follow" in refused.text
    assert only_booking(engine).status == "done"
    fixed = desk.post(f"{path}/status", data={"csrf_token": csrf, "status": "no_show"})
    assert fixed.status_code == 303 and only_booking(engine).status == "no_show"


@pytest.mark.parametrize(
    "value",
    [
        ';=HYPERLINK("http://evil.example")',
        "\uff1dSUM(A1)",  # fullwidth equals sign
        "\u200b=1+1",  # zero-width space first
        "\u2060@SUM(A1)",  # word joiner first
        " ,+cmd",
        "\ufe62cmd",  # small plus sign
    ],
)
def test_the_formula_guard_sees_through_hidden_and_fullwidth_starts(value: str) -> None:
    assert exports.spreadsheet_safe(value) == "'" + value
    assert exports.spreadsheet_safe("Олена; 12:00") == "Олена; 12:00"


def test_desk_links_come_from_public_url_not_the_host_header(
    desk: TestClient, engine: Engine
) -> None:
    rotate(desk)
    page = desk.get("/coordinator/calendar", headers={"Host": "evil.example"}).text
    assert "evil.example" not in page and "http://testserver/coordinator/feed/" in page
    token_of(book(desk, "2026-12-01T08:30:00Z"))
    feed = desk.get(feed_path(desk), headers={"Host": "evil.example"}).text
    assert "evil.example" not in feed and "http://testserver/coordinator/bookings/" in feed
