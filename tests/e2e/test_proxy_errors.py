"""Issue 25: deploy/'s nginx answers its own errors (no app host answers; a request too large)
with a small static page in both languages with the clinic's phone, and htmx requests with a
fragment; the booking form then keeps what was typed and shows the message with the phone.

Each test gets its own nginx (tests/test_deploy.py's) in front of two app hosts, so a test may
stop both hosts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx2 as httpx
import pytest

from tests.conftest import need
from tests.e2e.test_bad_connection import CLINIC_PHONE, assert_typed_details_kept
from tests.e2e.test_booking_clarity import fill, open_form, phone_in, submit
from tests.live_server import free_port, running_server
from tests.test_deploy import NGINX, nginx_serving

if TYPE_CHECKING:
    from tests.e2e.test_booking_clarity import PhoneIn

__all__ = ["phone_in"]  # the fixture, shared with the booking tests

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@dataclass
class Proxied:
    nginx: str
    hosts: ExitStack  # closing it stops both app hosts

    def stop_hosts(self) -> None:
        self.hosts.close()


@pytest.fixture
def proxied(live_database_url: str, tmp_path: Path) -> Iterator[Proxied]:
    need(Path(NGINX).exists(), "the proxy error tests need nginx (apt-get install nginx)")
    port = free_port()
    env = {"PUBLIC_URL": f"http://127.0.0.1:{port}", "SECRET_KEY": "one secret for both"}
    with ExitStack() as outer:
        hosts = outer.enter_context(ExitStack())
        bases = [hosts.enter_context(running_server(live_database_url, env=env)) for _ in "ab"]
        outer.enter_context(nginx_serving(tmp_path, port, bases, tls_port=free_port()))
        yield Proxied(f"http://127.0.0.1:{port}", hosts)


def test_both_hosts_down_the_form_keeps_what_was_typed_and_shows_the_phone(
    phone_in: PhoneIn, proxied: Proxied
) -> None:
    page = phone_in()
    open_form(page, proxied.nginx)
    fill(page)
    proxied.stop_hosts()
    submit(page)
    notice = page.locator(".booking-form .request-failed")
    notice.wait_for()
    text = notice.inner_text()
    assert "could not answer just now" in text and CLINIC_PHONE in text
    assert "What you typed is kept." in text
    assert "Bad Gateway" not in page.content() and "nginx" not in page.locator("main").inner_text()
    assert_typed_details_kept(page)
    assert page.get_by_role("button", name="Book this consultation").is_enabled()


def test_both_hosts_down_a_visit_gets_a_page_in_both_languages(proxied: Proxied) -> None:
    proxied.stop_hosts()
    with httpx.Client(base_url=proxied.nginx, timeout=30) as client:
        page = client.get("/consultation")
        assert page.status_code == 502
        assert page.headers["content-type"].startswith("text/html")
        assert page.text.startswith("<!doctype html>")
        for words in ["Сайт зараз недоступний", "The website is not available just now"]:
            assert words in page.text
        assert 'href="tel:+380441234567"' in page.text and CLINIC_PHONE in page.text
        assert "nginx" not in page.text
        fragment = client.get(
            "/en/consultation/slots?day=2026-12-02", headers={"HX-Request": "true"}
        )
        assert fragment.status_code == 502
        assert "<html" not in fragment.text and "proxy-error" in fragment.text
        assert CLINIC_PHONE in fragment.text
        posted = client.post("/consultation/book", data={"name": "Olena"})
        assert posted.status_code == 502 and CLINIC_PHONE in posted.text


def test_too_large_requests_get_the_page_too(proxied: Proxied) -> None:
    with httpx.Client(base_url=proxied.nginx, timeout=30) as client:
        body = client.post("/consultation/book", data={"note": "x" * 40_000})
        assert body.status_code == 413
        assert "Надіслано забагато даних" in body.text and "That was too much to send" in body.text
        assert CLINIC_PHONE in body.text
        headers = client.get("/", headers={"X-Padding": "y" * 9000})
        assert headers.status_code == 431
        assert "That was too much to send" in headers.text and CLINIC_PHONE in headers.text
        htmx = client.post(
            "/consultation/book", data={"note": "x" * 40_000}, headers={"HX-Request": "true"}
        )
        assert htmx.status_code == 413 and "<html" not in htmx.text
