"""Issue 15: the picker's facts are kept for a few seconds; a booking written by this process
shows at once (its commit forgets them), one written elsewhere within the time-to-live."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from tests.booking_helpers import book, offered_starts
from web.core.models import Booking

SLOTS = "/consultation/slots?day=2026-12-02"


def test_a_booking_through_this_process_disappears_at_once(client):
    client.app.state.availability.ttl = 60
    first = offered_starts(client, SLOTS)
    assert book(client, first[0]).status_code == 303
    assert first[0] not in offered_starts(client, SLOTS)


def test_a_booking_written_elsewhere_shows_within_the_time_to_live(client, engine, clock):
    availability = client.app.state.availability
    availability.ttl = 60
    before = offered_starts(client, SLOTS)
    taken = before[0]
    start = datetime.strptime(taken, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    with Session(engine) as session:  # another worker or host: a different engine
        capacity = client.app.state.clinic.rules.capacity
        for seat in range(capacity):
            session.add(
                Booking(
                    starts_at=start, ends_at=start + timedelta(minutes=30), seat=seat,
                    patient_name="Elsewhere", phone="+380671234567", channel="Zoom",
                    language="en", consent_at=clock.now, token_hash=f"{seat:064d}",
                    created_at=clock.now, updated_at=clock.now,
                )
            )  # fmt: skip
        session.commit()
    assert taken in offered_starts(client, SLOTS)  # still the kept facts: the cache serves
    availability.ttl = 0.2
    time.sleep(0.3)
    assert taken not in offered_starts(client, SLOTS)
