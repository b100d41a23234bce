"""Hypothesis throws arbitrary text at every form field and query parameter: never a 500, and
nothing half-written."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select
from starlette.testclient import TestClient

from tests.booking_helpers import form_fields, open_form
from tests.conftest import Clock, csrf_from, make_settings
from web.app import create_app
from web.core.models import Booking

text = st.text(max_size=300)
maybe_text = st.none() | text
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


def fuzz_client(database_url: str) -> TestClient:
    app = create_app(make_settings(database_url), clock=Clock())
    return TestClient(app, follow_redirects=False, raise_server_exceptions=False)


QUERY_TARGETS = [
    ("/consultation", "day"),
    ("/consultation/slots", "day"),
    ("/consultation/book", "start"),
    ("/coordinator/login", "next"),
]
PATH_TARGETS = [
    "/conditions/{}",
    "/conditions/hemifacial-spasm/{}",
    "/bookings/{}",
    "/bookings/{}/invite.ics",
    "/bookings/{}/reschedule",
    "/coordinator/feed/{}.ics",
]


def test_query_parameters_and_path_segments_never_cause_a_500(engine, database_url):
    with fuzz_client(database_url) as client:

        @FUZZ
        @given(value=text, target=st.sampled_from(QUERY_TARGETS))
        def query(value: str, target: tuple[str, str]) -> None:
            path, parameter = target
            response = client.get(path, params={parameter: value})
            assert response.status_code < 500, (path, value, response.status_code)

        @FUZZ
        @given(value=text.filter(bool), template=st.sampled_from(PATH_TARGETS))
        def segment(value: str, template: str) -> None:
            response = client.get(template.format(quote(value, safe="")))
            assert response.status_code < 500, (template, value, response.status_code)

        query()
        segment()


def test_booking_form_fields_never_cause_a_500(engine, database_url):
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
        with Session(client.app.state.engine) as session:
            for booking in session.exec(select(Booking)).all():
                assert booking.patient_name.strip() and booking.phone.startswith("+")
                assert booking.consent_at is not None
            assert session.exec(select(func.count()).select_from(Booking)).one() <= 1


def test_manage_and_login_forms_never_cause_a_500(engine, database_url):
    with fuzz_client(database_url) as client:
        login_page = client.get("/coordinator/login").text
        token = csrf_from(login_page)

        @FUZZ
        @given(
            username=maybe_text, password=maybe_text, start=maybe_text, token_path=text,
            csrf=st.sampled_from([token, "", "junk"]),
        )  # fmt: skip
        def check(username, password, start, token_path, csrf) -> None:
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
