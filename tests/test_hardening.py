"""Headers everywhere (pages, partials, errors, static files, crashes), HSTS over HTTPS, the
retention purge, and patient input escaped in every output."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx2 as httpx
from sqlalchemy import Engine
from sqlmodel import Session, func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.testclient import TestClient

from tests.booking_helpers import book
from tests.conftest import FILLED_IN_CLINIC, Clock, make_settings
from web.app import create_app
from web.core.models import Booking, LoginAttempt, OutboxMessage
from web.core.retention import purge_old_bookings

SCRIPT = "<script>alert(1)</script>"


def assert_security_headers(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    for directive in [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "script-src 'self'",
    ]:
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "camera=()" in response.headers["permissions-policy"]


# Every directive of the policy, and only these: a directive dropped or loosened fails.
CSP_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",  # no plugins
    "base-uri": "'none'",  # no <base> tag sending relative links elsewhere
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def csp_directives(response: httpx.Response) -> dict[str, str]:
    pairs = [
        part.strip().split(" ", 1)
        for part in response.headers["content-security-policy"].split(";")
    ]
    return {name: value for name, value in pairs}


def test_csp_object_src_and_base_uri_are_none(site_client: TestClient) -> None:
    directives = csp_directives(site_client.get("/"))
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"


def test_csp_has_every_directive_and_nothing_looser(site_client: TestClient) -> None:
    for path in ["/", "/privacy", "/static/css/site.css", "/no-such-page"]:
        assert csp_directives(site_client.get(path)) == CSP_DIRECTIVES, path


def test_headers_on_static_files_and_every_kind_of_response(client: TestClient) -> None:
    static = client.get("/static/css/site.css")
    assert static.status_code == 200
    for response in [
        static,
        client.get("/consultation"),
        client.get("/consultation/slots?day=2026-12-02", headers={"HX-Request": "true"}),
        client.get("/consultation/slots?day=bad"),
        client.post("/consultation/book", data={}),
        client.get("/healthz"),
    ]:
        assert_security_headers(response)
    assert "strict-transport-security" not in static.headers  # plain HTTP here


def test_a_crash_still_gets_the_headers_and_a_friendly_page(
    engine: Engine, database_url: str
) -> None:
    app = create_app(make_settings(database_url), clock=Clock())

    def broken(request: Request) -> Response:
        raise RuntimeError("boom")

    app.add_route("/boom", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert_security_headers(response)


def test_hsts_over_https(engine: Engine, database_url: str) -> None:
    app = create_app(make_settings(database_url), clock=Clock())
    with TestClient(app, base_url="https://clinic.example") as client:
        assert client.get("/").headers["strict-transport-security"].startswith("max-age=")
    secure = create_app(
        make_settings(database_url, https_only=True, clinic_file=FILLED_IN_CLINIC), clock=Clock()
    )
    with TestClient(secure) as client:
        assert "strict-transport-security" in client.get("/").headers


def test_purge_removes_old_patient_data_only(
    client: TestClient, engine: Engine, clock: Clock
) -> None:
    old = book(client, "2026-12-01T08:30:00Z")
    recent = book(client, "2026-12-02T08:30:00Z")
    assert old.status_code == recent.status_code == 303
    with Session(engine) as session:
        session.add(
            LoginAttempt(username="x", address="1.2.3.4", succeeded=False, attempted_at=clock.now)
        )
        session.commit()
    later = datetime(2026, 12, 1, 9, 0, tzinfo=UTC) + timedelta(days=30, minutes=1)
    report = purge_old_bookings(engine=engine, now=later, older_than_days=30)
    assert report.bookings == 1 and report.messages == 3 and report.login_attempts == 1
    with Session(engine) as session:
        names = [b.starts_at for b in session.exec(select(Booking)).all()]
        assert names == [datetime(2026, 12, 2, 8, 30, tzinfo=UTC)]
        assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 3
    assert client.get(old.headers["location"]).status_code == 404
    assert client.get(recent.headers["location"]).status_code == 200


def test_a_crash_under_https_only_still_gets_hsts(engine: Engine, database_url: str) -> None:
    app = create_app(
        make_settings(database_url, https_only=True, clinic_file=FILLED_IN_CLINIC), clock=Clock()
    )

    def broken(request: Request) -> Response:
        raise RuntimeError("boom")

    app.add_route("/boom", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_a_post_without_a_body_is_told_so_not_too_large(client: TestClient) -> None:
    page = client.get("/consultation/book?start=2026-12-01T08:00:00Z")
    assert page.status_code == 200
    request = client.build_request("POST", "/consultation/book")
    del request.headers["content-length"]  # as `curl -X POST` sends it
    response = client.send(request)
    assert response.status_code == 400 and "arrived empty" in response.text
    assert "too large" not in response.text
