"""Shared steps of the booking flow, driven through HTTP like a browser without JavaScript."""

from __future__ import annotations

import re

import httpx2 as httpx

from tests.conftest import csrf_from, hidden_value

SLOT_VALUE = re.compile(r'name="start" value="([0-9TZ:-]+)"')

PATIENT = {
    "name": "Olena Kovalenko",
    "phone": "067 123 4567",
    "email": "olena@example.com",
    "channel": "Viber",
    "note": "Twitching around the left eye for a year.",
    "consent": "y",
}


def offered_starts(client: httpx.Client, path: str = "/consultation") -> list[str]:
    return SLOT_VALUE.findall(client.get(path).text)


def open_form(client: httpx.Client, start: str) -> str:
    response = client.get(f"/consultation/book?start={start}")
    assert response.status_code == 200, response.text
    return response.text


def form_fields(html: str, **changes: str | None) -> dict[str, str]:
    fields: dict[str, str | None] = {
        "csrf_token": csrf_from(html),
        "start": hidden_value(html, "start"),
        "key": hidden_value(html, "key"),
        **PATIENT,
    }
    fields.update(changes)
    return {name: value for name, value in fields.items() if value is not None}


def book(client: httpx.Client, start: str | None = None, **changes: str | None) -> httpx.Response:
    start = start or offered_starts(client)[0]
    html = open_form(client, start)
    return client.post("/consultation/book", data=form_fields(html, **changes))
