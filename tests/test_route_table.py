"""The route table is the one source of every path: links in e-mails resolve to a route, and the
few paths kept as constants (prefixes a middleware or a cookie needs) agree with it.

Renaming a route's path then either carries every link with it or fails here."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.routing import BaseRoute, Match, Mount
from starlette.testclient import TestClient

from tests.booking_helpers import book
from web.app import page_routes, route_paths
from web.core.models import Booking, OutboxMessage
from web.desk.devices import COOKIE_PATH
from web.desk.sign_in import DESK_HOME
from web.http.access_log import mask_path
from web.http.dynamic import PUBLIC_PATHS, PUBLIC_PREFIXES, is_public
from web.http.language_urls import DESK_PREFIX

LINK = re.compile(r"https?://[^\s\"'<>\\)]+")


def resolves(routes: list[BaseRoute], path: str) -> bool:
    """Whether a GET of `path` reaches an endpoint (through every Mount on the way)."""
    scope: dict[str, Any] = {"type": "http", "method": "GET", "path": path, "root_path": ""}
    return _reaches(routes, scope)


def _reaches(routes: list[BaseRoute], scope: dict[str, Any]) -> bool:
    for route in routes:
        match, child = route.matches(scope)
        if match is not Match.FULL:
            continue
        if isinstance(route, Mount) and route.routes:
            if _reaches(route.routes, {**scope, **child}):
                return True
            continue
        return True
    return False


def site_links(text: str, public_url: str) -> list[str]:
    """The paths of the links to this site in a text (an .ics's folded lines unfolded)."""
    unfolded = text.replace("\r\n ", "").replace("\n ", "")
    return [
        url.removeprefix(public_url).partition("?")[0].partition("#")[0]
        for url in LINK.findall(unfolded)
        if url.startswith(public_url + "/")
    ]


def without_language(path: str, languages: tuple[str, ...]) -> str:
    for code in languages:
        if path == f"/{code}" or path.startswith(f"/{code}/"):
            return path.removeprefix(f"/{code}") or "/"
    return path


def message(booking: Booking, kind: str, context: dict[str, Any] | None) -> OutboxMessage:
    """An outbox row as the Notifier writes it (only what rendering reads matters)."""
    return OutboxMessage(
        kind=kind,
        booking_id=booking.id,
        recipient="patient@example.com",
        sender_name="",
        reply_to="",
        subject="",
        body_text="",
        body_html="",
        context=json.dumps(context) if context else None,
        message_id="<x@clinic.example>",
        created_at=booking.created_at,
        send_after=booking.created_at,
        next_attempt_at=booking.created_at,
    )


def test_every_link_in_every_email_leads_to_a_route(uk_client: TestClient, engine: Engine) -> None:
    """Each kind of message, in each language, with and without a manage link: every link to the
    site is a path the router answers (so a route renamed by hand, or a path typed by hand in
    the mail layer, fails here)."""
    assert book(uk_client).status_code == 303
    app: Any = uk_client.app
    notifier, clinic = app.state.notifier, app.state.clinic
    with Session(engine) as session:
        booking = session.exec(select(Booking)).one()
        session.expunge_all()
    moved = {"previous_start": booking.starts_at.isoformat()}
    messages = [
        message(booking, kind, context)
        for kind, context in [
            ("confirmation", None),
            ("reminder", None),
            ("rescheduled", moved),
            ("rescheduled", {**moved, "moved_by_clinic": True, "message": "Sorry"}),
            ("cancelled", {"by_clinic": False}),
            ("cancelled", {"by_clinic": True}),  # links the booking page, not the booking
            ("alert", {"change": "new"}),
            ("alert", {"change": "rescheduled", **moved}),
        ]
    ]
    public_url = app.state.settings.public_url
    seen: set[str] = set()
    for language, booked_by in itertools.product(clinic.languages, (None, "anna")):
        # Booked by the desk on the phone, the confirmation links the privacy notice.
        booking.language, booking.booked_by = language, booked_by
        for outgoing in messages:
            rendered = notifier.render(outgoing, booking)
            for part in (rendered.text, rendered.html, rendered.attachment or ""):
                for path in site_links(part, public_url):
                    plain = without_language(path, clinic.languages)
                    assert resolves(app.routes, plain), (outgoing.kind, language, path)
                    seen.add(plain.split("/")[1])
    # The privacy notice, the booking page, the booking form and the desk's booking page.
    assert {"privacy", "bookings", "consultation", "coordinator"} <= seen


def test_the_send_outbox_worker_builds_the_apps_paths(client: TestClient) -> None:
    """`python -m web send-outbox` has no app: its router over the pages gives the same paths."""
    app: Any = client.app
    worker, web = route_paths(page_routes()), route_paths(app)
    cases: list[tuple[str, dict[str, Any]]] = [
        ("privacy", {}),
        ("consultation", {}),
        ("booking_page", {"token": "abc"}),
        ("desk_booking", {"booking_id": 7}),
    ]
    for name, params in cases:
        assert worker(name, params) == web(name, params)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("booking_page", {"token": "s3cr3t"}),
        ("booking_invite", {"token": "s3cr3t"}),
        ("cancel", {"token": "s3cr3t"}),
        ("desk_feed", {"secret": "s3cr3t"}),
        ("desk_set_password", {"token": "s3cr3t"}),
    ],
)
def test_the_access_log_masks_the_secret_of_each_route_that_carries_one(
    name: str, params: dict[str, Any]
) -> None:
    path = route_paths(page_routes())(name, params)
    assert "s3cr3t" not in mask_path(path) and "s3cr3t" not in mask_path("/en" + path)


def test_path_constants_agree_with_the_route_table(client: TestClient) -> None:
    app: Any = client.app
    paths = route_paths(app)
    # The desk lives under one Mount; http/language_urls.py and the sign-in redirects know it.
    assert paths("desk", {}) == DESK_PREFIX + "/" == DESK_HOME
    desk_routes = [r for r in app.routes if isinstance(r, Mount) and r.path == DESK_PREFIX]
    assert len(desk_routes) == 1
    # The "remember this device" cookie is sent only to the sign-in page.
    assert paths("desk_login", {}) == COOKIE_PATH
    # Pages that skip the session are real pages, and each page named here skips it.
    for path in PUBLIC_PATHS:
        assert resolves(app.routes, path), path
    for name in ("home", "privacy", "robots", "sitemap", "healthz"):
        assert paths(name, {}) in PUBLIC_PATHS, name
    condition = paths("condition", {"slug": "x"})
    static = str(app.url_path_for("static", path="site.css"))
    assert is_public(condition) and is_public(static)
    for prefix in PUBLIC_PREFIXES:
        assert condition.startswith(prefix) or static.startswith(prefix), prefix
