"""Hypothesis throws arbitrary text at every form field and query parameter: never a 500, and
nothing half-written."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete
from sqlmodel import Session, func, select
from starlette.testclient import TestClient

from tests.booking_helpers import book, form_fields, open_form
from tests.conftest import DEFAULT_NOW, Clock, app_of, csrf_from, make_settings
from tests.desk_helpers import open_desk
from web.app import create_app
from web.core.models import Booking, OutboxMessage

# The edges: control characters (NUL breaks PostgreSQL text), dates at years 1 and 9999, integers
# past 2^31 and 2^63, digits that are not ASCII, and very long values.
EDGE_VALUES = (
    [
        "\x00", "a\x00b", "\x0c", "\x1b[31m", "\r\n\t",
        "0001-01-01", "9999-12-31", "0001-01-01T00:00:00Z", "9999-12-31T22:00:00Z",
        "2026-12-01T08:30:00+02:00", "2026-02-30",
        str(2**31), str(2**31 - 1), str(2**63), str(2**64), "-1", "0",
        "²", "١٢", "٢٠٢٦-١٢-٠١", "２０２６-１２-０１", "𝟐𝟎𝟐𝟔-𝟏𝟐-𝟎𝟏",
        "x" * 5000, "ї" * 300, "🙂" * 200,
    ]
)  # fmt: skip
EDGES = st.sampled_from(EDGE_VALUES)
CONTROL = st.text(st.characters(categories=["Cc"]), min_size=1, max_size=5)
text = st.one_of(
    st.text(max_size=300), EDGES, CONTROL, st.builds(lambda a, b: a + b, EDGES, CONTROL)
)
maybe_text = st.none() | text
# Every example varies every field of its form at once, so each field gets 500 values per backend.
FUZZ = settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))


def fuzz_client(database_url: str, clock: Clock | None = None) -> TestClient:
    app = create_app(make_settings(database_url), clock=clock or Clock())
    return TestClient(app, follow_redirects=False, raise_server_exceptions=False)


QUERY_TARGETS = [
    ("/consultation", "day"),
    ("/consultation/slots", "day"),
    ("/consultation/book", "start"),
    ("/coordinator/login", "next"),
    ("/coordinator/", "day"),
    ("/coordinator/week", "day"),
    ("/coordinator/bookings", "q"),
    ("/coordinator/bookings", "from"),
    ("/coordinator/bookings", "status"),
    ("/coordinator/bookings", "page"),
    ("/coordinator/new", "day"),
    ("/coordinator/audit", "page"),
]
PATH_TARGETS = [
    "/conditions/{}",
    "/conditions/hemifacial-spasm/{}",
    "/bookings/{}",
    "/bookings/{}/invite.ics",
    "/bookings/{}/reschedule",
    "/coordinator/feed/{}.ics",
    "/coordinator/bookings/{}",
]


def test_query_parameters_and_path_segments_never_cause_a_500(
    engine: Engine, database_url: str
) -> None:
    with fuzz_client(database_url) as client:
        open_desk(client, engine, DEFAULT_NOW)  # so that the desk's own parameters are reached

        @FUZZ
        @given(value=text, target=st.sampled_from(QUERY_TARGETS))
        def query(value: str, target: tuple[str, str]) -> None:
            path, parameter = target
            params = {parameter: value}
            response = client.get(path, params=params)
            assert response.status_code < 500, (path, value, response.status_code)

        @FUZZ
        @given(value=text.filter(bool), template=st.sampled_from(PATH_TARGETS))
        def segment(value: str, template: str) -> None:
            response = client.get(template.format(quote(value, safe="")))
            assert response.status_code < 500, (template, value, response.status_code)

        query()
        segment()


def test_every_edge_value_in_every_parameter_and_segment(engine: Engine, database_url: str) -> None:
    """Hypothesis samples; this walks every edge through every place, so none is left to luck."""
    with fuzz_client(database_url) as client:
        open_desk(client, engine, DEFAULT_NOW)
        for value in EDGE_VALUES:
            for path, parameter in QUERY_TARGETS:
                params = {"from": "2026-12-01", "to": "2026-12-02", parameter: value}
                response = client.get(path, params=params)
                assert response.status_code < 500, (path, parameter, value)
            for template in PATH_TARGETS:
                response = client.get(template.format(quote(value, safe="") or "x"))
                assert response.status_code < 500, (template, value)


def test_every_edge_value_in_every_form_field(engine: Engine, database_url: str) -> None:
    with fuzz_client(database_url) as client:
        open_desk(
            client, engine, DEFAULT_NOW
        )  # first: signing in starts a new session and so new CSRF tokens
        base = form_fields(open_form(client, "2026-12-01T08:30:00Z"))
        csrf = csrf_from(client.get("/coordinator/blocks").text)
        forms = {
            "/consultation/book": base,
            "/coordinator/blocks": {"csrf_token": csrf, "day": "2026-12-03", "reason": "Off"},
            "/coordinator/login": {"csrf_token": csrf, "username": "anna", "password": "x"},
            "/coordinator/export.csv": {
                "csrf_token": csrf,
                "from": "2026-12-01",
                "to": "2026-12-02",
            },
        }
        for value in EDGE_VALUES:
            for path, fields in forms.items():
                for name in sorted(fields.keys() - {"csrf_token"}):
                    response = client.post(path, data={**fields, name: value})
                    assert response.status_code not in {403, 500}, (path, name, value)
                    if response.status_code == 303 and path == "/consultation/book":
                        forget_bookings(engine)  # so the next value reaches the insert too


def test_every_edge_value_in_a_status_change_reason(engine: Engine, database_url: str) -> None:
    """The reason is written to the audit log with every change, so each value must reach it:
    the status flips between done and no-show, a change each time."""
    clock = Clock()
    with fuzz_client(database_url, clock) as client:
        assert book(client, "2026-11-30T08:30:00Z").status_code == 303
        clock.now += timedelta(hours=3)  # the consultation has begun: outcomes may be set
        open_desk(client, engine, DEFAULT_NOW)
        with Session(engine) as session:
            booking_id = session.exec(select(Booking.id)).one()
        csrf = csrf_from(client.get("/coordinator/blocks").text)
        path = f"/coordinator/bookings/{booking_id}/status"
        for number, value in enumerate(EDGE_VALUES * 2):
            status = "done" if number % 2 == 0 else "no_show"
            response = client.post(
                path, data={"csrf_token": csrf, "status": status, "reason": value}
            )
            assert response.status_code in {303, 413, 422}, (value, response.status_code)


def forget_bookings(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(delete(OutboxMessage))
        connection.execute(delete(Booking))


def test_booking_form_fields_never_cause_a_500(engine: Engine, database_url: str) -> None:
    with fuzz_client(database_url) as client:
        html = open_form(client, "2026-12-01T08:30:00Z")
        base = form_fields(html)

        @FUZZ
        @given(
            name=maybe_text, phone=maybe_text, email=maybe_text, channel=maybe_text,
            note=maybe_text, consent=maybe_text, website=maybe_text, start=maybe_text,
            key=maybe_text,
        )  # fmt: skip
        def check(**fields: str | None) -> None:
            data = {k: v for k, v in {**base, **fields}.items() if v is not None}
            data["csrf_token"] = base["csrf_token"]
            response = client.post("/consultation/book", data=data)
            assert response.status_code in {303, 400, 409, 413, 422}, response.status_code

        check()
        # Whatever got through was a complete, valid booking.
        with Session(app_of(client).state.engine) as session:
            for booking in session.exec(select(Booking)).all():
                assert booking.patient_name.strip() and booking.phone.startswith("+")
                assert booking.consent_at is not None
            assert session.exec(select(func.count()).select_from(Booking)).one() <= 1


def test_manage_and_login_forms_never_cause_a_500(engine: Engine, database_url: str) -> None:
    with fuzz_client(database_url) as client:
        login_page = client.get("/coordinator/login").text
        token = csrf_from(login_page)

        @FUZZ
        @given(
            username=maybe_text, password=maybe_text, start=maybe_text, token_path=text,
            csrf=st.sampled_from([token, "", "junk"]),
        )  # fmt: skip
        def check(
            username: str | None,
            password: str | None,
            start: str | None,
            token_path: str,
            csrf: str,
        ) -> None:
            login = {"csrf_token": csrf, "username": username, "password": password}
            response = client.post(
                "/coordinator/login", data={k: v for k, v in login.items() if v is not None}
            )
            assert response.status_code < 500
            safe = quote(token_path, safe="") or "x"
            for action in ("cancel", "reschedule"):
                data = {"csrf_token": csrf, "start": start or ""}
                response = client.post(f"/bookings/{safe}/{action}", data=data)
                assert response.status_code < 500

        check()


def test_desk_forms_never_cause_a_500(engine: Engine, database_url: str) -> None:
    with fuzz_client(database_url) as client:
        booked = book(client, "2026-12-01T08:30:00Z")
        assert booked.status_code == 303
        open_desk(client, engine, DEFAULT_NOW)
        with Session(engine) as session:
            booking_id = session.exec(select(Booking.id)).one()
        csrf = csrf_from(client.get("/coordinator/blocks").text)

        @FUZZ
        @given(
            day=maybe_text, starts=maybe_text, ends=maybe_text, reason=maybe_text,
            status=st.sampled_from(["done", "no_show"]) | maybe_text,  # so changes are written
            confirm=maybe_text, block_id=text, first=maybe_text,
            last=maybe_text,
        )  # fmt: skip
        def check(
            day: str | None,
            starts: str | None,
            ends: str | None,
            reason: str | None,
            status: str | None,
            confirm: str | None,
            block_id: str,
            first: str | None,
            last: str | None,
        ) -> None:
            block = {"day": day, "starts": starts, "ends": ends, "reason": reason}
            block |= {"confirm": confirm, "csrf_token": csrf}
            data = {k: v for k, v in block.items() if v is not None}
            response = client.post("/coordinator/blocks", data=data)
            assert response.status_code in {303, 400, 409, 413, 422}, response.status_code
            change = {"status": status, "reason": reason, "csrf_token": csrf}
            data = {k: v for k, v in change.items() if v is not None}
            response = client.post(f"/coordinator/bookings/{booking_id}/status", data=data)
            assert response.status_code in {303, 400, 409, 413, 422}, response.status_code
            safe = quote(block_id, safe="") or "x"
            response = client.post(f"/coordinator/blocks/{safe}/delete", data={"csrf_token": csrf})
            assert response.status_code < 500, (block_id, response.status_code)
            dates = {"from": first, "to": last, "csrf_token": csrf}
            data = {k: v for k, v in dates.items() if v is not None}
            response = client.post("/coordinator/export.csv", data=data)
            assert response.status_code in {200, 400, 413}, response.status_code

        check()
