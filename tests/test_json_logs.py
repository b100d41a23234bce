"""Issue 26.4: the Procfile's web line (uvicorn with 2 workers, as deployed) logs one JSON object
per line: every line parses, has a timestamp and a level, each request has a line with its id,
route, status and duration, and no line holds a manage token, the feed secret, or a patient's
name or phone."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.booking_helpers import form_fields, offered_starts, open_form
from tests.conftest import DEFAULT_NOW, ENGLISH_FIRST_CLINIC
from tests.procfile import procfile_web
from web.cli import migrate
from web.error_reporting import _scrub, start_error_reporting
from web.logs import JsonLines, Redact

pytestmark = pytest.mark.slow

PATIENT = {"name": "Yevdokiia Rarename", "phone": "067 555 0199", "email": "yevdokiia@example.com"}


def test_every_log_line_is_json_with_the_request_id_and_no_secret(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    migrate(url)
    log = tmp_path / "web.log"
    env = {
        "DATABASE_URL": url,
        "SECRET_KEY": "json-log-test",
        "FIXED_NOW": DEFAULT_NOW.isoformat(),
        "CLINIC_FILE": str(ENGLISH_FIRST_CLINIC),
        "OUTBOX_IN_WEB": "false",
        "RATE_LIMIT_BOOKING": "1000 per minute",
    }
    secret = "S3cretFeedValueNotToBeLogged"
    with procfile_web(env, log=log) as base, httpx.Client(base_url=base, timeout=30) as client:
        start = offered_starts(client)[0]
        booked = client.post(
            "/consultation/book", data=form_fields(open_form(client, start), **PATIENT)
        )
        assert booked.status_code == 303
        token = booked.headers["location"].rsplit("/", 1)[1]
        ids = [booked.headers["x-request-id"]]
        for path in ["", "/invite.ics", "/cancel"]:
            answer = client.get(f"/bookings/{token}{path}")
            assert answer.status_code == 200
            ids.append(answer.headers["x-request-id"])
        assert client.get(f"/coordinator/feed/{secret}.ics").status_code == 404
        assert client.get("/no-such-page").status_code == 404
        assert client.post("/consultation/book", data={"name": PATIENT["name"]}).status_code == 403
        time.sleep(0.5)  # the last lines are written after the answers
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 10
    records = []
    for line in lines:
        record = json.loads(line)  # every line, uvicorn's own included
        assert record["timestamp"].startswith("20") and record["level"] in {"INFO", "WARNING"}
        records.append(record)
    requests = [r for r in records if r["logger"] == "web.request"]
    assert {r["request_id"] for r in requests} >= set(ids)
    by_id = {r["request_id"]: r for r in requests}
    invite = by_id[ids[2]]
    assert invite["route"] == "/bookings/{token}/invite.ics" and invite["status"] == 200
    assert isinstance(invite["duration_ms"], float)
    assert by_id[ids[0]]["route"] == "/consultation/book" and by_id[ids[0]]["status"] == 303
    written = "\n".join(lines)
    for value in (token, secret, PATIENT["name"], PATIENT["email"], "555 0199", "5550199"):
        assert value not in written, value


def test_a_line_naming_a_manage_link_or_feed_is_masked_message_and_traceback() -> None:
    """Defence in depth: any line (a library's, a traceback) that quotes a path is masked."""
    token, secret = "Tok3nOfAPatientNotForLogs", "FeedSecretNotForLogs"
    record = logging.LogRecord(
        "some.library", logging.ERROR, __file__, 1, "failed on %s", (f"/bookings/{token}",), None
    )
    try:
        raise RuntimeError(f"GET /en/coordinator/feed/{secret}.ics")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    assert Redact().filter(record)
    line = JsonLines().format(record)
    parsed = json.loads(line)
    assert parsed["message"] == "failed on /bookings/…" and parsed["level"] == "ERROR"
    assert token not in line and secret not in line
    assert "/coordinator/feed/….ics" in parsed["exc_info"]


def test_sentry_is_off_without_a_dsn_and_gets_no_patient_value_or_secret() -> None:
    assert start_error_reporting(None) is False
    token = "Tok3nOfAPatientNotForSentry"
    event = {
        "transaction": f"/bookings/{token}/cancel",
        "request": {
            "url": f"https://clinic.example/en/bookings/{token}",
            "data": {"name": PATIENT["name"], "phone": PATIENT["phone"]},
            "cookies": {"clinic_session": "abc"},
            "headers": {"Cookie": "clinic_session=abc", "Referer": f"/bookings/{token}"},
        },
        "logentry": {"message": f"failed on /bookings/{token}", "params": [PATIENT["name"]]},
    }
    scrubbed = json.dumps(_scrub(event, {}))
    for value in (token, PATIENT["name"], PATIENT["phone"], "clinic_session"):
        assert value not in scrubbed, value
