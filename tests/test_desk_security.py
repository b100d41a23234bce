"""Issue 14's desk: sign-in limits a stranger cannot turn against the coordinator, and desk
sessions kept on the server, so that signing out, a new password or a removed account ends them
(a copied cookie is worth nothing afterwards). Both databases."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta

import httpx2 as httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.conftest import Clock, csrf_from, make_settings
from tests.desk_helpers import PASSWORD, open_desk, sign_in
from web.app import create_app
from web.core.models import DeskSession, LoginAttempt
from web.desk import accounts
from web.desk.accounts import save_coordinator
from web.settings import PROJECT_ROOT

COORDINATOR = ("198.51.100.7", 40000)
STRANGER = ("203.0.113.9", 40000)


@pytest.fixture
def app(engine: Engine, database_url: str, clock: Clock) -> Iterator[Starlette]:
    save_coordinator(engine=engine, username="anna", password=PASSWORD, now=clock.now)
    app = create_app(make_settings(database_url), clock=clock)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def coordinator(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False, client=COORDINATOR) as client:
        yield client


@pytest.fixture
def stranger(app: Starlette) -> TestClient:
    return TestClient(app, follow_redirects=False, client=STRANGER)


def add_failures(engine: Engine, count: int, *, clock: Clock, username: str = "anna") -> None:
    """Wrong passwords for the account from as many different addresses, just now."""
    with Session(engine) as session:
        for number in range(count):
            session.add(
                LoginAttempt(
                    username=username,
                    address=f"192.0.2.{number % 250}" if number < 250 else f"2001:db8::{number}",
                    succeeded=False,
                    attempted_at=clock.now - timedelta(seconds=count - 1 - number),
                )
            )
        session.commit()


# --- Sign-in limits ------------------------------------------------------------------------


def test_a_strangers_wrong_passwords_do_not_stop_the_coordinator(
    coordinator: TestClient, stranger: TestClient
) -> None:
    for _ in range(5):
        assert sign_in(stranger, password="guess").status_code == 401
    assert sign_in(stranger).status_code == 429  # the stranger's address is done for now
    assert sign_in(coordinator).status_code == 303  # the coordinator, elsewhere, is not


def test_one_address_guessing_across_accounts_is_stopped_at_twenty(
    coordinator: TestClient, stranger: TestClient
) -> None:
    for number in range(accounts.PER_ADDRESS):
        assert sign_in(stranger, username=f"user{number}", password="guess").status_code == 401
    refused = sign_in(stranger, username="someone-new", password="guess")
    assert refused.status_code == 429 and "wait 15 minutes" in refused.text
    assert sign_in(coordinator).status_code == 303


def test_many_addresses_slow_the_account_with_a_growing_delay_not_a_lock(
    coordinator: TestClient, engine: Engine, clock: Clock
) -> None:
    add_failures(engine, accounts.ACCOUNT_SLOWDOWN_AFTER, clock=clock)
    slowed = sign_in(coordinator)
    assert slowed.status_code == 429 and "slowed down" in slowed.text
    assert slowed.headers["retry-after"] == "1"  # 2**0 seconds after the last failure
    clock.now += timedelta(seconds=1)
    assert sign_in(coordinator, password="guess").status_code == 401  # checked again
    assert sign_in(coordinator).status_code == 429
    clock.now += timedelta(seconds=1)
    assert sign_in(coordinator).status_code == 429  # the delay grew to 2 seconds
    clock.now += timedelta(seconds=1)
    assert sign_in(coordinator).status_code == 303


def test_the_delay_stops_growing_at_five_minutes(
    coordinator: TestClient, engine: Engine, clock: Clock
) -> None:
    add_failures(engine, accounts.ACCOUNT_SLOWDOWN_AFTER + 40, clock=clock)
    slowed = sign_in(coordinator)
    assert slowed.status_code == 429 and slowed.headers["retry-after"] == "300"
    clock.now += timedelta(minutes=5)
    assert sign_in(coordinator).status_code == 303


# --- Desk sessions -------------------------------------------------------------------------


def desk_cookie(client: TestClient) -> str:
    return client.cookies["clinic_session"]


def replay(app: Starlette, cookie: str) -> TestClient:
    """Another browser holding a copy of the cookie."""
    thief = TestClient(app, follow_redirects=False, client=STRANGER)
    thief.cookies.set("clinic_session", cookie)
    return thief


def signed_out(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith(
        "/coordinator/login"
    )


def test_a_cookie_copied_before_sign_out_no_longer_opens_the_desk(
    app: Starlette, coordinator: TestClient
) -> None:
    assert sign_in(coordinator).status_code == 303
    copied = desk_cookie(coordinator)
    assert replay(app, copied).get("/coordinator/").status_code == 200  # the copy works now
    page = coordinator.get("/coordinator/").text
    logout = coordinator.post("/coordinator/logout", data={"csrf_token": csrf_from(page)})
    assert logout.status_code == 303 and logout.headers["location"] == "/coordinator/login"
    thief = replay(app, copied)
    assert signed_out(thief.get("/coordinator/"))
    assert signed_out(thief.get("/coordinator/calendar"))
    export = thief.post(
        "/coordinator/export.csv",
        data={"csrf_token": csrf_from(page), "from": "2026-12-01", "to": "2026-12-31"},
    )
    assert export.status_code == 401 and "Your session has ended" in export.text  # no CSV
    assert "text/csv" not in export.headers["content-type"]


def test_a_new_password_ends_every_session(
    app: Starlette, coordinator: TestClient, engine: Engine, clock: Clock
) -> None:
    assert sign_in(coordinator).status_code == 303
    copied = desk_cookie(coordinator)
    new_password = "another long password"
    save_coordinator(engine=engine, username="anna", password=new_password, now=clock.now)
    assert signed_out(coordinator.get("/coordinator/"))
    assert signed_out(replay(app, copied).get("/coordinator/"))
    assert sign_in(coordinator, password=new_password).status_code == 303


def test_a_removed_account_ends_its_sessions(
    app: Starlette, coordinator: TestClient, engine: Engine, database_url: str
) -> None:
    assert sign_in(coordinator).status_code == 303
    env = {**os.environ, "DATABASE_URL": database_url}
    result = subprocess.run(
        [sys.executable, "-m", "web", "remove-coordinator", "anna"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "removed" in result.stdout
    assert signed_out(coordinator.get("/coordinator/"))
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(DeskSession)).one() == 0


def test_a_session_ends_after_8_idle_hours(coordinator: TestClient, clock: Clock) -> None:
    assert sign_in(coordinator).status_code == 303
    clock.now += timedelta(hours=2)
    assert coordinator.get("/coordinator/").status_code == 200
    clock.now += timedelta(hours=7, minutes=59)  # used again just in time: still alive
    assert coordinator.get("/coordinator/").status_code == 200
    assert sign_in(coordinator).status_code == 303  # a new session, then left alone
    clock.now += timedelta(hours=8)
    assert signed_out(coordinator.get("/coordinator/"))


def test_a_session_ends_12_hours_after_sign_in_however_busy(
    coordinator: TestClient, clock: Clock
) -> None:
    assert sign_in(coordinator).status_code == 303
    for _ in range(11):
        clock.now += timedelta(hours=1)
        assert coordinator.get("/coordinator/").status_code == 200
    clock.now += timedelta(hours=1)
    assert signed_out(coordinator.get("/coordinator/"))


def test_signing_in_gives_a_new_session_id(
    app: Starlette, coordinator: TestClient, engine: Engine
) -> None:
    coordinator.get("/coordinator/login")
    planted = desk_cookie(coordinator)  # what an attacker could have set before sign-in
    assert sign_in(coordinator).status_code == 303
    assert desk_cookie(coordinator) != planted
    assert signed_out(replay(app, planted).get("/coordinator/"))
    first = desk_cookie(coordinator)
    assert sign_in(coordinator).status_code == 303
    with Session(engine) as session:
        hashes = session.exec(select(DeskSession.token_hash)).all()
    assert len(hashes) == 2 and desk_cookie(coordinator) != first  # one row per sign-in


# --- Issue 21.3: a browser that has signed in before; IPv6 counted by /64 ---------------------


def guess_from(app: Starlette, address: str, password: str = "guess") -> int:  # noqa: S107
    with TestClient(app, follow_redirects=False, client=(address, 40000)) as guesser:
        return sign_in(guesser, password=password).status_code


def test_distributed_guessing_does_not_keep_a_known_browser_out(
    app: Starlette, coordinator: TestClient, clock: Clock
) -> None:
    """Finding 3: 56 wrong passwords from 33 addresses, then a guess every 0.3 s. The account is
    slowed for every new browser, but the coordinator's own browser (it signed in yesterday)
    gets in at its first try, and is limited on its own."""
    assert sign_in(coordinator).status_code == 303  # yesterday: the browser is now known
    assert coordinator.cookies.get("desk_device")
    desk = coordinator.get("/coordinator/")
    coordinator.post("/coordinator/logout", data={"csrf_token": csrf_from(desk.text)})
    clock.now += timedelta(hours=20)
    addresses = [f"203.0.113.{number}" for number in range(1, 34)]
    for number in range(56):
        clock.now += timedelta(seconds=1)
        assert guess_from(app, addresses[number % 33]) in (401, 429)
    refused_new_browser = 0
    for poll in range(30):
        clock.now += timedelta(milliseconds=300)
        guess_from(app, addresses[poll % 33])  # the attacker keeps polling
        if poll % 10 == 9:
            refused_new_browser += guess_from(app, "198.51.100.50", password=PASSWORD) == 429
    assert refused_new_browser == 3  # a browser never seen before still meets the slowdown
    assert sign_in(coordinator).status_code == 303  # the known one: first try


def test_a_known_browser_is_limited_on_its_own(
    app: Starlette, coordinator: TestClient, clock: Clock
) -> None:
    assert sign_in(coordinator).status_code == 303
    for _ in range(accounts.PER_DEVICE):
        assert sign_in(coordinator, password="guess").status_code == 401
    assert sign_in(coordinator).status_code == 429
    clock.now += accounts.WINDOW
    assert sign_in(coordinator).status_code == 303


def test_a_device_cookie_is_for_its_account_and_cannot_be_made_up(
    app: Starlette, coordinator: TestClient, engine: Engine, clock: Clock
) -> None:
    save_coordinator(engine=engine, username="bohdan", password=PASSWORD, now=clock.now)
    assert sign_in(coordinator).status_code == 303
    cookie = coordinator.cookies.get("desk_device")
    assert cookie is not None
    add_failures(engine, accounts.ACCOUNT_SLOWDOWN_AFTER, clock=clock, username="bohdan")
    assert sign_in(coordinator, username="bohdan").status_code == 429  # anna's, not bohdan's
    forged = TestClient(app, follow_redirects=False, client=STRANGER)
    forged.cookies.set("desk_device", cookie[:-3] + "abc", path="/coordinator/login")
    add_failures(engine, accounts.ACCOUNT_SLOWDOWN_AFTER, clock=clock)
    assert sign_in(forged).status_code == 429


def test_the_device_cookie_is_private_to_the_sign_in(coordinator: TestClient) -> None:
    set_cookie = [
        line
        for line in sign_in(coordinator).headers.get_list("set-cookie")
        if line.startswith("desk_device=")
    ][0].lower()
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie
    assert "path=/coordinator/login" in set_cookie


def test_ipv6_guessers_are_counted_by_their_64(app: Starlette, coordinator: TestClient) -> None:
    for host in range(1, 6):
        assert guess_from(app, f"2001:db8:1:2::{host:x}") == 401
    assert guess_from(app, "2001:db8:1:2:ffff:ffff:ffff:ffff") == 429  # the same /64
    assert guess_from(app, "2001:db8:1:3::1") == 401  # the next /64 is someone else
    assert sign_in(coordinator).status_code == 303


def test_desk_redirects_never_follow_a_forged_host(
    client: TestClient, engine: Engine, clock: Clock
) -> None:
    """After an action the desk sends the browser to a path on this site, never to an absolute
    URL made from the Host header a client chose."""
    desk = open_desk(client, engine, clock.now)
    page = desk.get("/coordinator/account").text
    done = desk.post(
        "/coordinator/account/sign-out-everywhere",
        data={"csrf_token": csrf_from(page)},
        headers={"Host": "evil.example"},
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/coordinator/login?signed_out=everywhere"
