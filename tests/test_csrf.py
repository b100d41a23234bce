"""Every POST route refuses a form without a CSRF token and one made for another visitor.

The routes come from the app's own route table, so a new POST route is covered without anyone
remembering to add it here.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from tests.booking_helpers import book
from tests.conftest import Clock, app_of, csrf_from, make_settings
from tests.desk_helpers import PASSWORD, sign_in
from web.app import create_app
from web.core.models import AuditEvent, BlockedPeriod, Booking, Coordinator, ReceptionHours, Role
from web.desk.accounts import save_coordinator

PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def post_routes(routes: list[BaseRoute], prefix: str = "") -> list[str]:
    """The path templates of every route that takes POST, Mounts included."""
    found = []
    for route in routes:
        if isinstance(route, Mount):
            found += post_routes(route.routes, prefix + route.path)
        elif isinstance(route, Route) and route.methods and "POST" in route.methods:
            found.append(prefix + route.path)
    return found


def test_the_route_table_has_the_post_routes_we_expect(client: TestClient) -> None:
    """A guard for the generator itself: if it found nothing, the test below would pass idly."""
    paths = post_routes(app_of(client).routes)
    assert len(paths) >= 9
    assert "/coordinator/calendar/rotate" in paths
    assert "/coordinator/blocks/{block_id:row_id}/delete" in paths
    for step in ("export", "correct", "erase"):  # a patient's request about their data
        assert f"/coordinator/bookings/{{booking_id:row_id}}/person/{step}" in paths
    # Accounts (issue 24): an administrator's actions, one's own account, the one-time link.
    assert {
        "/coordinator/accounts",
        "/coordinator/accounts/{account_id:row_id}/reset",
        "/coordinator/accounts/{account_id:row_id}/remove",
        "/coordinator/account/password",
        "/coordinator/account/sign-out-everywhere",
        "/coordinator/set-password/{token}",
    } <= set(paths)


def _concrete(template: str, values: dict[str, str]) -> str:
    return PARAM.sub(lambda match: values[match.group(1)], template)


@pytest.fixture
def signed_in(client: TestClient, engine: Engine, clock: Clock) -> dict[str, str]:
    """A desk session, a booking and a block, so that every route has something to act on."""
    save_coordinator(
        engine=engine, username="anna", password=PASSWORD, now=clock.now, role=Role.ADMINISTRATOR
    )
    save_coordinator(engine=engine, username="bohdan", password=PASSWORD, now=clock.now)
    booked = book(client, "2026-12-01T08:30:00Z")
    token = booked.headers["location"].rsplit("/", 1)[1]
    response = sign_in(client)
    assert response.status_code == 303
    page = client.get("/coordinator/blocks").text
    client.post(
        "/coordinator/blocks",
        data={"csrf_token": csrf_from(page), "day": "2026-12-20", "reason": "Holiday"},
    )
    page = client.get("/coordinator/hours").text
    client.post(
        "/coordinator/hours",
        data={"csrf_token": csrf_from(page), **HOURS_FIELDS, "confirm": "yes"},
    )
    with Session(engine) as session:
        booking_id = session.exec(select(Booking.id)).one()
        block_id = session.exec(select(BlockedPeriod.id)).one()
        change_id = session.exec(select(ReceptionHours.id)).one()
        account_id = session.exec(select(Coordinator.id).where(Coordinator.username == "bohdan"))
    return {
        "account_id": str(account_id.one()),
        "token": token,
        "booking_id": str(booking_id),
        "block_id": str(block_id),
        "change_id": str(change_id),
        "kind": "csv",
    }


def _foreign_token(database_url: str) -> str:
    """A valid token, but for another visitor's session."""
    other = TestClient(create_app(make_settings(database_url)), follow_redirects=False)
    with other:
        return csrf_from(other.get("/coordinator/login").text)


HOURS_FIELDS = {
    "since": "2026-12-21",
    "opens": "10:00",
    "closes": "13:00",
    "weekdays": "1",
    "slot_minutes": "30",
    "seats": "1",
}
PLAUSIBLE_FIELDS = {
    **HOURS_FIELDS,
    "start": "2026-12-02T08:30:00Z",
    "status": "done",
    "reason": "A reason",
    "day": "2026-12-21",
    "username": "anna",
    "password": PASSWORD,
    "current": PASSWORD,
    "again": PASSWORD,
    "name": "Olena",
    "phone": "+380671234567",
    "channel": "Zoom",
    "consent": "y",
}


def test_every_post_route_refuses_a_missing_and_a_foreign_token(
    client: TestClient, engine: Engine, database_url: str, signed_in: dict[str, str]
) -> None:
    foreign = _foreign_token(database_url)
    with Session(engine) as session:
        audit_before = len(session.exec(select(AuditEvent)).all())
    for template in post_routes(app_of(client).routes):
        path = _concrete(template, signed_in)
        for csrf in (None, foreign):
            data = dict(PLAUSIBLE_FIELDS)
            if csrf is not None:
                data["csrf_token"] = csrf
            response = client.post(path, data=data)
            assert response.status_code == 403, (path, csrf is not None, response.status_code)
    with Session(engine) as session:
        assert len(session.exec(select(AuditEvent)).all()) == audit_before
        assert session.exec(select(Booking.status)).one() == "confirmed"
        assert len(session.exec(select(BlockedPeriod)).all()) == 1
        assert session.exec(select(Coordinator.removed_at)).all() == [None, None]
    assert client.get("/coordinator/").status_code == 200  # sign-out was refused too
