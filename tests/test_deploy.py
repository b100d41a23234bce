"""Issue 15: deploy/'s nginx in front of two app hosts (two uvicorn processes with 2 workers
each) sharing PostgreSQL and Redis, as the README describes for more than one machine.

One cluster for the module: nginx (Debian's package) on a free port, both hosts on theirs, an
SMTP server that keeps what it receives, and a fresh PostgreSQL database and Redis prefix.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, col, func, select

from tests.conftest import (
    DEFAULT_NOW,
    TEST_DATABASE_URL,
    csrf_from,
    drop_postgres_database,
    fresh_database,
    need,
)
from tests.desk_helpers import PASSWORD, booking_form, race_one_slot, slots_ahead
from tests.live_server import free_port, running_server
from tests.mail_server import Inbox
from tests.test_concurrency import RACERS
from web.cli import migrate
from web.core.db import make_engine
from web.core.models import Booking, BookingStatus, OutboxMessage
from web.desk.accounts import save_coordinator
from web.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TEMPLATE = PROJECT_ROOT / "deploy" / "nginx.conf.template"
LOGIN_LIMIT = 4


class Host:
    """One app host (uvicorn, 2 workers) on a port of its own, which can be restarted there."""

    def __init__(self, url: str, env: dict[str, str], args: tuple[str, ...]) -> None:
        self.url, self.env, self.args = url, env, args
        self.port = free_port()
        self.address = f"http://127.0.0.1:{self.port}"
        self._running = ExitStack()

    def start(self) -> None:
        self._running.enter_context(
            running_server(self.url, workers=2, env=self.env, extra_args=self.args, port=self.port)
        )  # returns once /readyz answers 200

    def stop(self) -> None:
        """SIGTERM: uvicorn stops listening and finishes the requests it holds."""
        self._running.close()
        self._running = ExitStack()


@dataclass
class Cluster:
    nginx: str  # the site's address, through nginx
    hosts: list[str]  # each app host directly
    database_url: str
    inbox: Inbox
    access_log: Path
    processes: list[Host]
    tls: str  # the same site over TLS (a self-signed certificate), through nginx


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("nginx did not start listening")


def envsubst(text: str, **values: str) -> str:
    """As `envsubst '$A $B'` does: only ${NAME} of the names given; nginx's own $vars stay."""
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    left = re.findall(r"\$\{[A-Z_0-9]+\}", text)
    assert not left, f"not filled in: {left}"
    return text


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    certificate, key = directory / "tls.crt", directory / "tls.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )  # fmt: skip
    return certificate, key


def write_error_pages_into(directory: Path) -> Path:
    """nginx's own error pages, as `python -m web error-pages` writes them."""
    run = [sys.executable, "-m", "web", "error-pages", str(directory)]
    subprocess.run(run, cwd=PROJECT_ROOT, check=True, capture_output=True)
    return directory


@contextmanager
def nginx_serving(
    directory: Path, port: int, hosts: list[str], *, tls_port: int, redirect: bool = False
) -> Iterator[Path]:
    """Debian's nginx with deploy/'s configuration, run by this test (not the system service)."""
    directory.mkdir(exist_ok=True)
    access_log = directory / "access.log"
    certificate, key = self_signed_certificate(directory)
    (directory / "acme" / ".well-known" / "acme-challenge").mkdir(parents=True)
    site = envsubst(
        TEMPLATE.read_text(encoding="utf-8"),
        APP_HOST_1=hosts[0].removeprefix("http://"),
        APP_HOST_2=hosts[1].removeprefix("http://"),
        LISTEN=f"127.0.0.1:{port}",
        SERVER_NAME="localhost",
        CACHE_DIR=str(directory / "cache"),
        ACCESS_LOG=str(access_log),
        LISTEN_TLS=f"127.0.0.1:{tls_port}",
        TLS_CERTIFICATE=str(certificate),
        TLS_CERTIFICATE_KEY=str(key),
        ACME_ROOT=str(directory / "acme"),
        HTTPS_REDIRECT="on" if redirect else "off",
        ERROR_PAGES=str(write_error_pages_into(directory / "errors")),
    )
    (directory / "clinic.conf").write_text(site, encoding="utf-8")
    temp = {name: directory / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    main = "\n".join(
        [
            "user root;" if os.geteuid() == 0 else "",
            "worker_processes 1;",
            f"pid {directory / 'nginx.pid'};",
            f"error_log {directory / 'error.log'} warn;",
            "events { worker_connections 512; }",
            "http {",
            *(f"  {name}_temp_path {path};" for name, path in temp.items()),
            f"  include {directory / 'clinic.conf'};",
            "}",
        ]
    ).replace("body_temp_path", "client_body_temp_path")
    config = directory / "nginx.conf"
    config.write_text(main, encoding="utf-8")
    command = [NGINX, "-p", str(directory), "-c", str(config)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([*command, "-g", "daemon off;"])
    try:
        _wait_for_port(port, process)
        yield access_log
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    need(Path(NGINX).exists(), "the deploy test needs nginx (apt-get install nginx)")
    need(TEST_DATABASE_URL, "the deploy test needs PostgreSQL (TEST_DATABASE_URL)")
    need(TEST_REDIS_URL, "the deploy test needs Redis (TEST_REDIS_URL)")
    directory = tmp_path_factory.mktemp("deploy")
    url = fresh_database("postgresql", directory)
    migrate(url)
    engine = make_engine(url)
    save_coordinator(engine=engine, username="anna", password=PASSWORD, now=DEFAULT_NOW)
    engine.dispose()
    inbox = Inbox()
    smtp_port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    nginx_port = free_port()
    env = {
        "PUBLIC_URL": f"http://127.0.0.1:{nginx_port}",
        "SECRET_KEY": "one secret for every host",
        "REDIS_URL": TEST_REDIS_URL or "",
        "RATE_LIMIT_PREFIX": f"deploy-test-{secrets.token_hex(4)}",
        "RATE_LIMIT_LOGIN": f"{LOGIN_LIMIT} per minute",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_SECURITY": "none",
        "MAIL_FROM": "clinic@clinic.example",
        "OUTBOX_INTERVAL": "0.5",
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
    }
    proxied = ("--proxy-headers", "--forwarded-allow-ips", "127.0.0.1")
    processes = [Host(url, env, proxied) for _ in range(2)]
    try:
        with ExitStack() as stack:
            for host in processes:
                host.start()
                stack.callback(host.stop)
            hosts = [host.address for host in processes]
            tls_port = free_port()
            log = stack.enter_context(
                nginx_serving(directory, nginx_port, hosts, tls_port=tls_port)
            )
            yield Cluster(
                f"http://127.0.0.1:{nginx_port}",
                hosts,
                url,
                inbox,
                log,
                processes,
                f"https://127.0.0.1:{tls_port}",
            )
    finally:
        controller.stop()
        drop_postgres_database(url)


def fresh_key() -> dict[str, str]:
    """The booking form's one-time key, as its page would carry it."""
    return {"key": secrets.token_urlsafe(32)}


def upstreams_of(cluster: Cluster, method: str, path_prefix: str) -> set[str]:
    """Which app hosts nginx sent these requests to, from its access log."""
    lines = cluster.access_log.read_text(encoding="utf-8").splitlines()
    pattern = re.compile(rf'"{method} {re.escape(path_prefix)}[^"]*" .* upstream=(\S+)')
    return {m.group(1) for line in lines if (m := pattern.search(line))}


def test_twenty_simultaneous_bookings_through_nginx_make_exactly_one(cluster: Cluster) -> None:
    _, responses = race_one_slot(cluster.nginx, RACERS, {"email": "racer@example.com"})
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [303] + [409] * (RACERS - 1), statuses
    engine = make_engine(cluster.database_url)
    with Session(engine) as session:
        active = session.exec(
            select(func.count())
            .select_from(Booking)
            .where(Booking.status != BookingStatus.CANCELLED)
        ).one()
    engine.dispose()
    assert active == 1
    hosts = {host.removeprefix("http://") for host in cluster.hosts}
    assert upstreams_of(cluster, "POST", "/consultation/book") == hosts  # both hosts took part


def sign_in(base: str, address: str, password: str = PASSWORD) -> httpx.Response:
    with httpx.Client(base_url=base, timeout=30, headers={"X-Forwarded-For": address}) as client:
        page = client.get("/coordinator/login")
        return client.post(
            "/coordinator/login",
            data={"csrf_token": csrf_from(page.text), "username": "anna", "password": password},
        )


def test_the_sign_in_limit_is_shared_by_both_hosts_and_nginx_passes_the_real_address(
    cluster: Cluster,
) -> None:
    guesser = "203.0.113.7"
    answers = [
        sign_in(cluster.hosts[number % 2], guesser, password="guess").status_code
        for number in range(LOGIN_LIMIT + 2)
    ]
    assert answers == [401] * LOGIN_LIMIT + [429, 429], answers  # counted once, across hosts
    # Through nginx the client's own X-Forwarded-For is replaced by its real address, so a
    # forged header neither borrows nor spends another address's allowance.
    through_proxy = sign_in(cluster.nginx, guesser, password="guess")
    assert through_proxy.status_code == 401


def test_a_desk_session_works_on_both_hosts(cluster: Cluster) -> None:
    with httpx.Client(base_url=cluster.hosts[0], timeout=30) as first:
        first.headers["X-Forwarded-For"] = "198.51.100.20"
        page = first.get("/coordinator/login")
        data = {"csrf_token": csrf_from(page.text), "username": "anna", "password": PASSWORD}
        assert first.post("/coordinator/login", data=data).status_code == 303
        cookie = first.cookies["clinic_session"]
        assert first.get("/coordinator/").status_code == 200
    with httpx.Client(base_url=cluster.hosts[1], timeout=30) as second:
        second.cookies.set("clinic_session", cookie)
        desk = second.get("/coordinator/")
        assert desk.status_code == 200 and "Sign out anna" in desk.text
        logout = second.post("/coordinator/logout", data={"csrf_token": csrf_from(desk.text)})
        assert logout.status_code == 303
    with httpx.Client(base_url=cluster.hosts[0], timeout=30) as first_again:
        first_again.cookies.set("clinic_session", cookie)
        assert first_again.get("/coordinator/").status_code == 303  # ended everywhere


def test_each_email_is_sent_once_by_the_senders_of_both_hosts(cluster: Cluster) -> None:
    with httpx.Client(base_url=cluster.nginx, timeout=60) as client:
        for start in slots_ahead(client, 6)[1:]:
            form = {**booking_form(client, start), **fresh_key(), "email": "patient@example.com"}
            assert client.post("/consultation/book", data=form).status_code == 303
    engine = make_engine(cluster.database_url)
    deadline = time.monotonic() + 60
    try:
        while True:
            with Session(engine) as session:
                waiting = session.exec(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(col(OutboxMessage.sent_at).is_(None))
                    .where(col(OutboxMessage.send_after) <= DEFAULT_NOW)
                ).one()
                sent = session.exec(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(col(OutboxMessage.sent_at).is_not(None))
                ).one()
            if waiting == 0:
                break
            assert time.monotonic() < deadline, f"{waiting} e-mail(s) still waiting"
            time.sleep(0.5)
    finally:
        engine.dispose()
    time.sleep(2)  # a few more rounds of all four senders: nothing may go twice
    ids = [message["Message-ID"] for message in cluster.inbox.messages]
    assert sent >= 12 and len(ids) == sent and len(set(ids)) == len(ids)


def test_public_pages_come_from_nginx_cache_and_private_ones_never(cluster: Cluster) -> None:
    with httpx.Client(base_url=cluster.nginx, timeout=30) as client:
        for path in ["/conditions/hemifacial-spasm", "/uk/conditions/hemifacial-spasm", "/"]:
            client.get(path)
            again = client.get(path)
            assert again.status_code == 200
            assert again.headers.get("x-cache-status") == "HIT", path
            assert "set-cookie" not in again.headers
        start = slots_ahead(client, 8)[7]
        booked = client.post(
            "/consultation/book", data={**booking_form(client, start), **fresh_key()}
        )
        assert booked.status_code == 303
        booking_page = booked.headers["location"]
        private = [booking_page, "/consultation", f"/consultation/book?start={start}"]
        for path in private:
            for _ in range(2):
                response = client.get(path)
                assert response.status_code == 200, path
                assert response.headers.get("x-cache-status") != "HIT", path
        assert client.get("/coordinator/").headers.get("x-cache-status") != "HIT"
    token = booking_page.rsplit("/", 1)[1]
    assert token not in cluster.access_log.read_text(encoding="utf-8")  # masked in nginx's log


REPEATED_HTMX_HEADERS = {
    "/conditions/hemifacial-spasm/symptoms": [("HX-Request", "true"), ("HX-Request", "false")],
    "/conditions/hemifacial-spasm/diagnosis": [("HX-Request", "false"), ("HX-Request", "true")],
    "/uk/conditions/hemifacial-spasm/symptoms": [
        ("HX-Request", "true"),
        ("HX-Request-Type", "partial"),
        ("HX-Request-Type", "full"),
    ],
    "/uk/conditions/hemifacial-spasm/diagnosis": [
        ("HX-Request", "true"),
        ("HX-Request-Type", "full"),
        ("HX-Request-Type", "partial"),
    ],
}


@pytest.mark.parametrize("path", REPEATED_HTMX_HEADERS)
def test_a_repeated_htmx_header_through_nginx_poisons_nothing(cluster: Cluster, path: str) -> None:
    """Issue 21.1: nginx keys its cache on one value of each htmx header and sends the app that
    same value, so the first request for a page, repeating a header, stores what its key says."""
    with httpx.Client(base_url=cluster.nginx, timeout=30) as client:
        client.get(path, headers=REPEATED_HTMX_HEADERS[path])
        for _ in range(2):  # the second from nginx's cache
            plain = client.get(path)
            assert plain.status_code == 200 and "<html" in plain.text
            fragment = client.get(path, headers={"HX-Request": "true"})
            assert fragment.status_code == 200 and "<html" not in fragment.text
        assert plain.headers.get("x-cache-status") == "HIT"
        assert fragment.headers.get("x-cache-status") == "HIT"


@pytest.mark.parametrize(
    "targets", [("section#slots", "div#picker"), ("div#picker", "section#slots")]
)
def test_a_repeated_htmx_target_through_nginx_leaves_the_picker_right(
    cluster: Cluster, targets: tuple[str, str]
) -> None:
    """The picker is never cached by nginx; nginx sends the app one HX-Target, so whichever
    worker kept the picker kept what that one value asked for."""
    day = "/consultation/slots?day=2026-12-04"
    attack = [("HX-Request", "true"), *(("HX-Target", target) for target in targets)]
    with httpx.Client(base_url=cluster.nginx, timeout=30) as client:
        for _ in range(4):  # reach every worker of both hosts, likely
            assert client.get(day, headers=attack).status_code == 200
        for _ in range(4):
            whole = client.get(day, headers={"HX-Request": "true", "HX-Target": "div#picker"})
            assert 'id="picker"' in whole.text and "<html" not in whole.text
            times = client.get(day, headers={"HX-Request": "true", "HX-Target": "section#slots"})
            assert 'id="slots"' in times.text and 'id="picker"' not in times.text
            assert "<html" in client.get(day).text


def test_a_host_restarted_while_patients_book_loses_no_booking(cluster: Cluster) -> None:
    """Issue 26.2: one host is stopped (SIGTERM: it finishes what it holds) and started again
    while 20 bookings go through nginx, each from its own form: nginx sends the booking POSTs
    the stopped host cannot take to the other host, so every one is answered and made once."""
    with httpx.Client(base_url=cluster.nginx, timeout=60) as client:
        starts = slots_ahead(client, 40)[12:32]
    answers: list[tuple[int, float]] = []
    ready = threading.Barrier(3)
    began = threading.Event()

    def book_in_turn(number: int) -> None:
        with httpx.Client(base_url=cluster.nginx, timeout=60) as client:
            mine = [
                {**booking_form(client, start), **fresh_key(), "name": f"Restart {n}"}
                for n, start in enumerate(starts)
                if n % 2 == number
            ]
            ready.wait(60)
            for form in mine:
                answer = client.post("/consultation/book", data=form)
                answers.append((answer.status_code, time.monotonic()))
                began.set()
                time.sleep(0.15)

    patients = [threading.Thread(target=book_in_turn, args=(n,)) for n in range(2)]
    for thread in patients:
        thread.start()
    ready.wait(60)
    began.wait(30)
    host = cluster.processes[0]
    down_from = time.monotonic()
    host.stop()
    host.start()  # back once its /readyz answers 200
    up_at = time.monotonic()
    for thread in patients:
        thread.join(120)
    statuses = [status for status, _ in answers]
    assert statuses == [303] * 20, statuses  # no 502, no error page
    assert any(down_from <= at <= up_at for _, at in answers)  # some went while it was away
    engine = make_engine(cluster.database_url)
    with Session(engine) as session:
        names = session.exec(
            select(Booking.patient_name).where(col(Booking.patient_name).startswith("Restart "))
        ).all()
    engine.dispose()
    assert sorted(names) == sorted(f"Restart {n}" for n in range(20))  # each once


def test_the_site_over_tls_and_plain_http_sent_to_https(cluster: Cluster, tmp_path: Path) -> None:
    """The TLS server block answers with the app's HSTS; with HTTPS_REDIRECT=on, plain HTTP is
    redirected to https:// except certbot's challenge."""
    with httpx.Client(base_url=cluster.tls, timeout=30, verify=False) as client:
        page = client.get("/privacy")
        assert page.status_code == 200 and "strict-transport-security" in page.headers
    port, tls_port = free_port(), free_port()
    with nginx_serving(tmp_path / "tls", port, cluster.hosts, tls_port=tls_port, redirect=True):
        challenge = tmp_path / "tls" / "acme" / ".well-known" / "acme-challenge" / "token-1"
        challenge.write_text("proof", encoding="utf-8")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as plain:
            moved = plain.get("/consultation?day=2026-12-01")
            assert moved.status_code == 301
            assert moved.headers["location"] == "https://127.0.0.1/consultation?day=2026-12-01"
            assert plain.get("/.well-known/acme-challenge/token-1").text == "proof"
