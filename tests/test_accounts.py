"""Issue 24, item 4: accounts and roles in the browser, on both databases. An administrator adds
and removes coordinators and makes one-time set-password links; everyone changes their own
password and can sign out everywhere; a coordinator's try at an administrator's action is refused
(403) and audited; a removed account's name stays in history."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta

import httpx2 as httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from tests.booking_helpers import book
from tests.conftest import Clock, app_of, csrf_from
from web.core.models import AuditEvent, Booking, Coordinator, DeskSession, PasswordLink, Role
from web.desk.accounts import save_coordinator
from web.settings import PROJECT_ROOT

PASSWORD = "a long password for the desk"
NEW_PASSWORD = "quite another long password"
LINK = re.compile(r'value="(http://testserver/coordinator/set-password/([A-Za-z0-9_-]{43}))"')


def link_in(html: str) -> tuple[str, str]:
    """The one-time set-password link a page shows, and its token."""
    found = LINK.search(html)
    assert found is not None, "no set-password link on the page"
    return found.group(1), found.group(2)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> httpx.Response:
    page = client.get("/coordinator/login")
    return client.post(
        "/coordinator/login",
        data={"csrf_token": csrf_from(page.text), "username": username, "password": password},
    )


def post(
    client: TestClient, path: str, page: str = "/coordinator/account", **data: str
) -> httpx.Response:
    token = csrf_from(client.get(page).text)
    return client.post(path, data={"csrf_token": token, **data})


@pytest.fixture
def accounts(engine: Engine, clock: Clock) -> None:
    save_coordinator(
        engine=engine, username="olha", password=PASSWORD, now=clock.now, role=Role.ADMINISTRATOR
    )
    save_coordinator(engine=engine, username="anna", password=PASSWORD, now=clock.now)


@pytest.fixture
def admin(client: TestClient, accounts: None) -> TestClient:
    assert sign_in(client, "olha").status_code == 303
    return client


@pytest.fixture
def other(client: TestClient) -> Iterator[TestClient]:
    """A second browser on the same app (another device)."""
    with TestClient(client.app, follow_redirects=False) as second:
        yield second


def account(engine: Engine, username: str) -> Coordinator:
    with Session(engine) as session:
        return session.exec(select(Coordinator).where(Coordinator.username == username)).one()


def audit_actions(engine: Engine) -> list[tuple[str, str, str]]:
    with Session(engine) as session:
        rows = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()  # type: ignore[arg-type]
        return [(row.coordinator, row.action, row.detail) for row in rows]


def signed_out(response: httpx.Response) -> bool:
    return response.status_code == 303 and "/coordinator/login" in response.headers["location"]


def test_an_administrator_adds_a_coordinator_who_sets_a_password_with_a_one_time_link(
    admin: TestClient, other: TestClient, engine: Engine
) -> None:
    added = post(admin, "/coordinator/accounts", "/coordinator/accounts", username="bohdan")
    assert added.status_code == 201, added.text
    link, token = link_in(added.text)
    assert account(engine, "bohdan").role == Role.COORDINATOR
    with Session(engine) as session:
        stored = session.exec(select(PasswordLink)).one()
    assert token not in stored.token_hash  # only the hash is kept: the link is shown once
    assert sign_in(other, "bohdan", "").status_code == 422  # no password works until one is set
    page = other.get(link.removeprefix("http://testserver"))
    assert page.status_code == 200 and "bohdan" in page.text
    path = f"/coordinator/set-password/{token}"
    differ = other.post(
        path, data={"csrf_token": csrf_from(page.text), "password": NEW_PASSWORD, "again": "x"}
    )
    assert differ.status_code == 422 and "The two passwords differ" in differ.text
    done = other.post(
        path,
        data={"csrf_token": csrf_from(page.text), "password": NEW_PASSWORD, "again": NEW_PASSWORD},
    )
    assert done.status_code == 303 and "done=password" in done.headers["location"]
    assert "Your password is set" in other.get(done.headers["location"]).text
    assert sign_in(other, "bohdan", NEW_PASSWORD).status_code == 303
    assert other.get("/coordinator/").status_code == 200
    # Once only: the link is spent.
    assert other.get(path).status_code == 410
    fresh = csrf_from(other.get("/coordinator/login").text)  # signing in made a new session
    again = other.post(path, data={"csrf_token": fresh, "password": PASSWORD, "again": PASSWORD})
    assert again.status_code == 410
    assert ("olha", "add account", "bohdan") in audit_actions(engine)
    assert ("bohdan", "set password", "") in audit_actions(engine)


def test_a_set_password_link_expires_and_a_newer_one_replaces_it(
    admin: TestClient, other: TestClient, clock: Clock
) -> None:
    first = post(admin, "/coordinator/accounts", "/coordinator/accounts", username="bohdan")
    first_token = link_in(first.text)[1]
    with Session(app_of(admin).state.engine) as session:
        bohdan = session.exec(select(Coordinator).where(Coordinator.username == "bohdan")).one()
    reset = post(admin, f"/coordinator/accounts/{bohdan.id}/reset", "/coordinator/accounts")
    assert reset.status_code == 200
    second_token = link_in(reset.text)[1]
    assert other.get(f"/coordinator/set-password/{first_token}").status_code == 410
    assert other.get(f"/coordinator/set-password/{second_token}").status_code == 200
    clock.now += timedelta(hours=48)
    assert other.get(f"/coordinator/set-password/{second_token}").status_code == 410
    assert other.get("/coordinator/set-password/not-a-token").status_code == 410


def test_a_reset_link_sets_a_new_password_and_ends_the_accounts_sessions(
    admin: TestClient, other: TestClient, engine: Engine
) -> None:
    assert sign_in(other, "anna").status_code == 303
    anna = account(engine, "anna")
    reset = post(admin, f"/coordinator/accounts/{anna.id}/reset", "/coordinator/accounts")
    token = link_in(reset.text)[1]
    assert other.get("/coordinator/").status_code == 200  # the old password goes on until used
    with TestClient(admin.app, follow_redirects=False) as third:
        page = third.get(f"/coordinator/set-password/{token}")
        done = third.post(
            f"/coordinator/set-password/{token}",
            data={
                "csrf_token": csrf_from(page.text),
                "password": NEW_PASSWORD,
                "again": NEW_PASSWORD,
            },
        )
        assert done.status_code == 303
    assert signed_out(other.get("/coordinator/"))
    assert sign_in(other, "anna").status_code == 401
    assert sign_in(other, "anna", NEW_PASSWORD).status_code == 303
    # An administrator does not reset their own password this way.
    olha = account(engine, "olha")
    own = post(admin, f"/coordinator/accounts/{olha.id}/reset", "/coordinator/accounts")
    assert own.status_code == 409


def test_a_coordinator_is_refused_every_administrator_action_and_each_try_is_audited(
    client: TestClient, accounts: None, engine: Engine
) -> None:
    assert sign_in(client, "anna").status_code == 303
    olha = account(engine, "olha")
    assert client.get("/coordinator/accounts").status_code == 403
    tries = [
        ("/coordinator/accounts", {"username": "mallory"}),
        (f"/coordinator/accounts/{olha.id}/reset", {}),
        (f"/coordinator/accounts/{olha.id}/remove", {}),
    ]
    for path, data in tries:
        refused = post(client, path, **data)
        assert refused.status_code == 403, path
        assert "Only an administrator" in refused.text
    refusals = [row for row in audit_actions(engine) if row[1] == "refused"]
    assert refusals == [
        ("anna", "refused", "GET /coordinator/accounts"),
        ("anna", "refused", "POST /coordinator/accounts"),
        ("anna", "refused", f"POST /coordinator/accounts/{olha.id}/reset"),
        ("anna", "refused", f"POST /coordinator/accounts/{olha.id}/remove"),
    ]
    with Session(engine) as session:
        assert session.exec(select(PasswordLink)).all() == []
        usernames = set(session.exec(select(Coordinator.username)).all())
    assert usernames == {"olha", "anna"}
    assert account(engine, "olha").removed_at is None
    # The desk's navigation offers the accounts page to administrators only.
    assert 'href="/coordinator/accounts"' not in client.get("/coordinator/").text
    assert "Audit log" in client.get("/coordinator/audit").text  # the log shows the tries


def test_removing_a_coordinator_ends_the_account_and_keeps_the_name_in_history(
    admin: TestClient, other: TestClient, engine: Engine
) -> None:
    assert sign_in(other, "anna").status_code == 303
    book(admin, "2026-12-01T08:30:00Z")
    with Session(engine) as session:
        booking_id = session.exec(select(Booking.id)).one()
    note = post(
        other,
        f"/coordinator/bookings/{booking_id}/notes",
        f"/coordinator/bookings/{booking_id}",
        text="Prefers Viber",
    )
    assert note.status_code == 303
    anna = account(engine, "anna")
    removed = post(admin, f"/coordinator/accounts/{anna.id}/remove", "/coordinator/accounts")
    assert removed.status_code == 303
    listing = admin.get(removed.headers["location"])
    assert "The account anna is removed" in listing.text
    assert signed_out(other.get("/coordinator/"))
    assert sign_in(other, "anna").status_code == 401
    with Session(engine) as session:
        assert (
            session.exec(select(DeskSession).where(DeskSession.coordinator_id == anna.id)).all()
            == []
        )
    # The name stays where anna wrote it, and is not given to a new account.
    assert ("anna", "note", "Prefers Viber") in audit_actions(engine)
    assert ("olha", "remove account", "anna") in audit_actions(engine)
    assert "Prefers Viber" in admin.get(f"/coordinator/bookings/{booking_id}").text
    reuse = post(admin, "/coordinator/accounts", "/coordinator/accounts", username="anna")
    assert reuse.status_code == 409 and "taken" in reuse.text
    # Administrators are removed on the command line; nobody removes their own account.
    olha = account(engine, "olha")
    assert (
        post(admin, f"/coordinator/accounts/{olha.id}/remove", "/coordinator/accounts").status_code
        == 409
    )
    assert (
        post(admin, f"/coordinator/accounts/{anna.id}/remove", "/coordinator/accounts").status_code
        == 404
    )


def test_everyone_changes_their_own_password_with_the_current_one(
    client: TestClient, accounts: None, other: TestClient
) -> None:
    assert sign_in(client, "anna").status_code == 303
    assert sign_in(other, "anna").status_code == 303
    wrong = post(
        client,
        "/coordinator/account/password",
        current="not my password",
        password=NEW_PASSWORD,
        again=NEW_PASSWORD,
    )
    assert wrong.status_code == 422 and "not your current password" in wrong.text
    short = post(
        client, "/coordinator/account/password", current=PASSWORD, password="short", again="short"
    )
    assert short.status_code == 422 and "12 to 200 characters" in short.text
    changed = post(
        client,
        "/coordinator/account/password",
        current=PASSWORD,
        password=NEW_PASSWORD,
        again=NEW_PASSWORD,
    )
    assert changed.status_code == 303
    assert "Your password is changed" in client.get(changed.headers["location"]).text
    assert client.get("/coordinator/").status_code == 200  # this browser goes on
    assert signed_out(other.get("/coordinator/"))  # every other one is signed out
    assert sign_in(other, "anna").status_code == 401
    assert sign_in(other, "anna", NEW_PASSWORD).status_code == 303


def test_sign_out_everywhere_ends_every_session_of_the_account_only(
    client: TestClient, accounts: None, other: TestClient
) -> None:
    assert sign_in(client, "anna").status_code == 303
    assert sign_in(other, "anna").status_code == 303
    with TestClient(client.app, follow_redirects=False) as administrator:
        assert sign_in(administrator, "olha").status_code == 303
        done = post(client, "/coordinator/account/sign-out-everywhere")
        assert done.status_code == 303 and "signed_out=everywhere" in done.headers["location"]
        assert "signed out on every device" in client.get(done.headers["location"]).text
        assert signed_out(client.get("/coordinator/"))
        assert signed_out(other.get("/coordinator/"))
        assert administrator.get("/coordinator/").status_code == 200


def test_the_command_line_makes_the_first_administrator(database_url: str, engine: Engine) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "COORDINATOR_PASSWORD": PASSWORD}
    result = subprocess.run(
        [sys.executable, "-m", "web", "create-administrator", "olha"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "administrator 'olha' created" in result.stdout
    assert account(engine, "olha").role == Role.ADMINISTRATOR
    result = subprocess.run(
        [sys.executable, "-m", "web", "create-coordinator", "anna"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert account(engine, "anna").role == Role.COORDINATOR
