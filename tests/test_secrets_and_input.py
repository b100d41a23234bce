"""Issue 14, first part: HEAD answers like GET, forged client addresses are ignored, and the
access log of a real server (the Procfile's uvicorn command) holds no bearer secret."""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.booking_helpers import book, form_fields, offered_starts, open_form
from tests.conftest import DEFAULT_NOW, ENGLISH_FIRST_CLINIC, Clock, csrf_from, make_settings
from tests.crawl import CONDITION
from tests.live_server import free_port
from web.app import create_app
from web.cli import migrate
from web.desk.accounts import save_coordinator
from web.http.access_log import mask_path
from web.http.ratelimit import client_address, warn_if_counted_per_worker
from web.settings import PROJECT_ROOT, SettingsError, load_settings


def test_head_answers_like_get_without_a_body_and_uses_no_limit(
    engine: Engine, database_url: str
) -> None:
    rates = dict.fromkeys(("booking", "manage", "login"), "1 per minute")
    app = create_app(make_settings(database_url, rate_limits=rates), clock=Clock())
    with TestClient(app, follow_redirects=False) as client:
        token = book(client).headers["location"].rsplit("/", 1)[1]
        for path in ["/", CONDITION, "/consultation", "/privacy", "/coordinator/login",
                     f"/bookings/{token}", "/robots.txt", "/no-such-page"]:  # fmt: skip
            got, head = client.get(path), client.head(path)
            assert head.status_code == got.status_code, path
            assert head.content == b"", path
        for _ in range(3):
            assert client.head("/coordinator/login").status_code == 200
        # HEADs used none of the sign-in limit: the one allowed sign-in attempt is still there.
        login = client.get("/coordinator/login").text
        data = {"csrf_token": csrf_from(login), "username": "x", "password": "y"}
        assert client.post("/coordinator/login", data=data).status_code == 401
        assert client.post("/coordinator/login", data=data).status_code == 429


class FakeRequest:
    def __init__(self, host: str | None) -> None:
        self.client = type("Client", (), {"host": host})() if host is not None else None


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8::1", "2001:db8::/64"),  # IPv6 by the /64 one subscriber holds
        ("x" * 100, "unknown"),
        ("'; DROP TABLE", "unknown"),
        ("1.2.3.4, 5.6.7.8", "unknown"),
        ("", "unknown"),
        (None, "unknown"),
    ],
)
def test_a_forwarded_address_that_is_not_an_ip_is_ignored(host: str, address: str) -> None:
    assert client_address(FakeRequest(host)) == address  # type: ignore[arg-type]


def test_a_long_forwarded_for_on_sign_in_is_a_normal_answer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'xff.db'}"
    migrate(url)
    app = create_app(make_settings(url), clock=Clock())
    with TestClient(app) as client:
        login = client.get("/coordinator/login").text
        csrf = csrf_from(login)
        response = client.post(
            "/coordinator/login",
            data={"csrf_token": csrf, "username": "x", "password": "y"},
            headers={"x-forwarded-for": "z" * 300},
        )
        assert response.status_code == 401


def test_several_workers_without_redis_warn_at_start_up(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="web.http.ratelimit"):
        warn_if_counted_per_worker(None, "1")
        warn_if_counted_per_worker("redis://127.0.0.1:6379/0", None)
        assert caplog.records == []
        warn_if_counted_per_worker(None, None)
        warn_if_counted_per_worker(None, "4")
    assert len(caplog.records) == 2 and "REDIS_URL is not set" in caplog.records[0].message


def test_secret_paths_are_masked() -> None:
    assert mask_path("/bookings/AbC_d-9") == "/bookings/…"
    assert mask_path("/en/bookings/AbC/invite.ics?x=1") == "/en/bookings/…/invite.ics?x=1"
    assert mask_path("/coordinator/feed/s3cr3t.ics") == "/coordinator/feed/….ics"
    assert mask_path("/coordinator/set-password/AbC_d-9") == "/coordinator/set-password/…"
    assert mask_path("/conditions/hemifacial-spasm") == "/conditions/hemifacial-spasm"


def procfile_web_command(port: int) -> list[str]:
    line = next(
        line
        for line in (PROJECT_ROOT / "Procfile").read_text().splitlines()
        if line.startswith("web:")
    )
    command = line.removeprefix("web:").strip()
    command = command.replace("${PORT:-8000}", str(port)).replace("${WEB_CONCURRENCY:-2}", "1")
    command = command.replace('"${FORWARDED_ALLOW_IPS:-127.0.0.1}"', "127.0.0.1")
    argv = shlex.split(command)
    assert argv[0] == "uvicorn"
    return [sys.executable, "-m", *argv]


@pytest.mark.slow
def test_the_access_log_of_a_real_flow_holds_no_token_or_feed_secret(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    migrate(url)
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": url,
        "SECRET_KEY": "access-log-test",
        "FIXED_NOW": DEFAULT_NOW.isoformat(),
        "CLINIC_FILE": str(ENGLISH_FIRST_CLINIC),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "OUTBOX_IN_WEB": "false",
    }
    log = (tmp_path / "server.log").open("w+")
    server = subprocess.Popen(
        procfile_web_command(port), env=env, cwd=PROJECT_ROOT, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
            start = offered_starts(client)[0]
            booked = client.post("/consultation/book", data=form_fields(open_form(client, start)))
            token = booked.headers["location"].rsplit("/", 1)[1]
            for path in ["", "/invite.ics", "/cancel", "/reschedule"]:
                assert client.get(f"/bookings/{token}{path}").status_code == 200
            assert client.get("/coordinator/feed/not-the-secret.ics").status_code == 404
            secret_probe = "S3cretFeedValue"
            client.get(f"/coordinator/feed/{secret_probe}.ics")
    finally:
        server.terminate()
        server.wait(10)
    log.seek(0)
    text = log.read()
    assert '"route": "/bookings/{token}/invite.ics", "status": 200' in text  # the request log
    assert token not in text and secret_probe not in text and "not-the-secret" not in text


def test_each_input_the_attack_found_answers_4xx(engine: Engine, database_url: str) -> None:
    """The inputs that gave a 500 in the attack on a running copy, one by one, on both
    databases (NUL bytes matter on PostgreSQL, which cannot store them)."""
    password = "a long password for the desk"
    save_coordinator(engine=engine, username="anna", password=password, now=DEFAULT_NOW)
    app = create_app(make_settings(database_url), clock=Clock())
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        assert client.get("/consultation/book?start=9999-12-31T22:00:00Z").status_code == 400
        form = form_fields(open_form(client, offered_starts(client)[0]))
        for field in ("name", "note", "phone", "email"):
            response = client.post("/consultation/book", data={**form, field: "a\x00b"})
            assert response.status_code == 422, field
        refused = client.post("/consultation/book", data={**form, "note": "form\x0cfeed"})
        assert refused.status_code == 422 and "control characters" in refused.text
        login = csrf_from(client.get("/coordinator/login").text)
        data = {"csrf_token": login, "username": "an\x00na", "password": password}
        assert client.post("/coordinator/login", data=data).status_code == 422
        data["username"] = "anna"
        long_forwarded = {"x-forwarded-for": "1" * 300}
        assert (
            client.post("/coordinator/login", data=data, headers=long_forwarded).status_code == 303
        )
        for query in ("?day=9999-12-31", "?day=0001-01-01"):
            assert client.get(f"/coordinator/{query}").status_code == 400, query
            assert client.get(f"/coordinator/week{query}").status_code == 400, query
        for query in ("?from=9999-12-31", "?to=0001-01-01", "?page=²", "?page=١"):
            assert client.get(f"/coordinator/bookings{query}").status_code == 400, query
        assert client.get("/coordinator/audit?page=²").status_code == 400
        csrf = csrf_from(client.get("/coordinator/blocks").text)
        for day in ("0001-01-01", "9999-12-31"):
            export = {"csrf_token": csrf, "from": day, "to": day}
            assert client.post("/coordinator/export.csv", data=export).status_code == 400
            block = {"csrf_token": csrf, "day": day, "reason": "Away"}
            assert client.post("/coordinator/blocks", data=block).status_code == 422
        block = {"csrf_token": csrf, "day": "2026-12-03", "reason": "a\x00b"}
        assert client.post("/coordinator/blocks", data=block).status_code == 422
        for number in (2**31, 2**63, 2**64):
            assert client.get(f"/coordinator/bookings/{number}").status_code == 404
            change = {"csrf_token": csrf, "status": "done"}
            response = client.post(f"/coordinator/bookings/{number}/status", data=change)
            assert response.status_code == 404
            response = client.post(
                f"/coordinator/blocks/{number}/delete", data={"csrf_token": csrf}
            )
            assert response.status_code == 404
    app.state.engine.dispose()


# --- Issue 21.7: SECRET_KEY is required for a public site -----------------------------------


def test_two_public_hosts_without_a_secret_key_refuse_to_start(tmp_path: Path) -> None:
    """Each host would make its own key: the other's e-mails would carry no manage link and
    forms posted across hosts would be refused. They say so and stop instead."""
    url = f"sqlite:///{tmp_path / 'no-key.db'}"
    migrate(url)
    env = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"}
    env |= {"DATABASE_URL": url, "PUBLIC_URL": "https://clinic.example", "WEB_CONCURRENCY": "1"}
    for _host in range(2):
        started = subprocess.run(
            [sys.executable, "-m", "uvicorn", "--factory", "web.app:create_app", "--port", "0"],
            env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert started.returncode != 0
        assert "SECRET_KEY is not set" in started.stderr and "token_urlsafe" in started.stderr


@pytest.mark.parametrize(
    ("public_url", "https_only", "refused"),
    [
        ("http://127.0.0.1:8000", False, False),
        ("http://localhost:8000", False, False),
        ("http://[::1]:8000", False, False),
        ("http://127.0.0.1:8000", True, True),
        ("https://clinic.example", False, True),
        ("http://10.0.0.5:8000", False, True),
    ],
)
def test_only_a_local_run_may_do_without_a_secret_key(
    monkeypatch: pytest.MonkeyPatch, public_url: str, https_only: bool, refused: bool
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("PUBLIC_URL", public_url)
    monkeypatch.setenv("HTTPS_ONLY", "true" if https_only else "false")
    if refused:
        with pytest.raises(SettingsError, match="SECRET_KEY is not set"):
            load_settings(env_file=None)
    else:
        assert load_settings(env_file=None).secret_key
    monkeypatch.setenv("SECRET_KEY", "set")
    assert load_settings(env_file=None).secret_key == "set"
