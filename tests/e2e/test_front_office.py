"""Issue 22 in Chromium: the coordinator runs the clinic's day from the desk, on a desktop
(1366x768) and a phone (390x844), against a real server whose clock stands at Monday 30 November
2026, 13:40 Kyiv time, sending its e-mail to a test SMTP server. Every action the coordinator
takes is counted; axe checks every new page and state; nothing may scroll sideways at 390 px or at
200% zoom (a 683 px wide desktop)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import icalendar
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, ViewportSize
from sqlmodel import Session, select

from tests.conftest import BACKENDS, drop_postgres_database, fresh_database
from tests.desk_helpers import PASSWORD
from tests.e2e.conftest import PageProblems, axe_violations
from tests.live_server import free_port, running_server
from tests.mail_server import SmtpServer, body_text
from web.cli import migrate
from web.core.db import make_engine
from web.core.models import Booking, utc_now
from web.desk.accounts import save_coordinator

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP: ViewportSize = {"width": 1366, "height": 768}
PHONE: ViewportSize = {"width": 390, "height": 844}
ZOOMED: ViewportSize = {"width": 683, "height": 384}  # a 1366 px desktop at 200% zoom
AFTERNOON = "2026-11-30T11:40:00+00:00"  # Monday 13:40 in Kyiv


@pytest.fixture(scope="module", params=BACKENDS)
def office(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, SmtpServer, str]]:
    url = fresh_database(request.param, tmp_path_factory.mktemp("office"))
    migrate(url)
    engine = make_engine(url)
    save_coordinator(engine=engine, username="olha", password=PASSWORD, now=utc_now())
    engine.dispose()
    smtp = SmtpServer(free_port())
    smtp.start()
    env = {
        "FIXED_NOW": AFTERNOON,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SMTP_SECURITY": "none",
        "MAIL_FROM": "clinic@clinic.example",
        "OUTBOX_INTERVAL": "0.3",
    }
    try:
        with running_server(url, env=env) as base:
            yield base, smtp, url
    finally:
        smtp.stop()
        if request.param == "postgresql":
            drop_postgres_database(url)


class Counted:
    """The coordinator's actions (clicks, typing into a field, ticks), counted as they happen."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.actions = 0

    def click(self, locator: Locator) -> None:
        self.actions += 1
        locator.click()

    def fill(self, locator: Locator, text: str) -> None:
        self.actions += 1
        locator.fill(text)

    def check(self, locator: Locator) -> None:
        self.actions += 1
        locator.check()


def new_page(browser: Browser, viewport: ViewportSize) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(15000)
    page = context.new_page()
    page.problems = PageProblems(page)  # type: ignore[attr-defined]  # as conftest's pages carry it
    return context, page


def problems_of(page: Page) -> PageProblems:
    """What new_page's PageProblems saw on `page`."""
    problems: PageProblems = page.problems  # type: ignore[attr-defined]  # set by new_page
    return problems


def sign_in(page: Page, base: str) -> None:
    page.goto(base + "/coordinator/")
    page.get_by_label("Username").fill("olha")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/coordinator/$"))


def no_sideways_scroll(page: Page) -> bool:
    fits: bool = page.evaluate(
        "document.scrollingElement.scrollWidth <= document.documentElement.clientWidth"
    )
    return fits


def book_in_browser(page: Page, base: str, start: str, name: str, phone: str, channel: str) -> str:
    """A caller booked on the desk's form for `start`; the booking's desk address."""
    page.goto(base + f"/coordinator/new/details?start={start}")
    page.get_by_label("Patient’s name").fill(name)
    page.get_by_label("Phone number").fill(phone)
    page.get_by_label(channel).check()
    page.get_by_label(re.compile("The patient agreed on the phone")).check()
    page.get_by_role("button", name="Book", exact=True).click()
    page.wait_for_url(re.compile(r"\?saved=booked"))
    return page.url.partition("?")[0]


def check_page(page: Page, where: str) -> None:
    assert axe_violations(page) == [], where
    assert no_sideways_scroll(page), where


def wait_for_mail(smtp: SmtpServer, subject: str, to: str, count: int = 1) -> list[EmailMessage]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = [m for m in smtp.inbox.by_subject(subject) if m["To"] == to]
        if len(found) >= count:
            time.sleep(1)  # anything more would have come by now
            return [m for m in smtp.inbox.by_subject(subject) if m["To"] == to]
        time.sleep(0.2)
    raise AssertionError(f"no {subject!r} e-mail to {to}")


# On the desktop: a caller at 13:40 for 14:00 today, moved to 14:30. On the phone: tomorrow.
CALLERS = {
    "desktop": (DESKTOP, "Monday 30 November, 14:00", "Monday 30 November, 14:30", "yaryna"),
    "phone": (PHONE, "Tuesday 1 December, 11:00", "Tuesday 1 December, 11:30", "yaryna.phone"),
}


@pytest.mark.parametrize("device", CALLERS)
def test_book_a_caller_then_move_them(
    browser: Browser, office: tuple[str, SmtpServer, str], device: str
) -> None:
    base, smtp, _ = office
    viewport, first_time, second_time, mailbox = CALLERS[device]
    email = f"{mailbox}@example.com"
    context, page = new_page(browser, viewport)
    sign_in(page, base)
    check_page(page, "day view")
    coordinator = Counted(page)

    # Book a caller: 13:40 now, 14:00 today, the patient's consent told on the phone.
    coordinator.click(page.get_by_role("link", name="New booking"))
    page.wait_for_url(re.compile(r"/coordinator/new$"))
    check_page(page, "new booking: picker")
    picked_day = first_time.split(",")[0].split(" ", 1)[1]  # "30 November"
    other_day = picked_day not in page.locator("#slots-title").inner_text()
    if other_day:  # the caller wants another day than the first with a free time
        iso = "2026-12-01" if picked_day == "1 December" else "2026-11-30"
        coordinator.click(page.locator(f'.days a[href*="day={iso}"]'))
        page.locator("#slots-title", has_text=picked_day).wait_for()
    coordinator.click(page.get_by_role("button", name=re.compile(first_time)))
    page.wait_for_url(re.compile(r"/coordinator/new/details\?start="))
    check_page(page, "new booking: form")
    coordinator.fill(page.get_by_label("Patient’s name"), "Ярина Browser-Caller")
    coordinator.fill(page.get_by_label("Phone number"), "067 123 45 09")
    coordinator.fill(page.get_by_label("Email (optional)"), email)
    coordinator.check(page.get_by_label("Zoom"))
    coordinator.check(page.get_by_label(re.compile("The patient agreed on the phone")))
    coordinator.click(page.get_by_role("button", name="Book", exact=True))
    page.wait_for_url(re.compile(r"/coordinator/bookings/\d+\?saved=booked"))
    booked_in = coordinator.actions
    assert booked_in <= 8 + other_day, booked_in  # one more to choose another day
    saved = page.locator("#saved")
    assert saved.is_visible() and page.evaluate("document.activeElement.id") == "saved"
    proof = page.locator(".proof").inner_text()
    assert "by olha on the phone" in proof and "given by phone at 13:40, recorded by olha" in proof
    manage_url = page.locator("#manage-url").input_value()
    assert re.fullmatch(rf"{re.escape(base)}/bookings/[\w-]{{43}}", manage_url)
    check_page(page, "booking: saved")
    # (This server's clinic profile has English first, so the messages' language is English.)
    [confirmation] = wait_for_mail(smtp, "online consultation", email)
    text = body_text(confirmation, "plain")
    assert "Our coordinator (olha) booked this consultation for you by phone" in text
    assert "you agreed that the clinic may process your health information" in text

    # A clinic-only note: on the desk, never on the patient's own page.
    page.get_by_role("textbox", name="Clinic-only note").fill("Prefers Viber after 12:00")
    page.get_by_role("button", name="Add the note").click()
    page.wait_for_url(re.compile(r"\?saved=note"))
    assert "Prefers Viber after 12:00" in page.locator("#notes").inner_text()
    patient_context, patient = new_page(browser, PHONE)
    patient.goto(manage_url)
    assert "Ярина" in patient.content() and "Prefers Viber" not in patient.content()
    patient_context.close()

    # Move it: a time from the same picker, one confirmation.
    coordinator.actions = 0
    coordinator.click(page.get_by_role("link", name="Move to another time"))
    page.wait_for_url(re.compile(r"/move$"))
    check_page(page, "move: picker")
    coordinator.click(page.get_by_role("button", name=re.compile(second_time)))
    page.wait_for_url(re.compile(r"/move/confirm\?start="))
    check_page(page, "move: confirm")
    coordinator.click(page.get_by_role("button", name="Move the booking"))
    page.wait_for_url(re.compile(r"\?saved=moved"))
    moved_in = coordinator.actions
    assert moved_in <= 4, moved_in
    new_clock = second_time.rsplit(", ", 1)[1]
    assert new_clock in page.locator(".proof").inner_text()
    moved = wait_for_mail(smtp, new_clock, email)
    assert len(moved) == 1
    [invite] = list(moved[0].iter_attachments())
    payload = invite.get_payload(decode=True)
    assert isinstance(payload, bytes)
    event = icalendar.Calendar.from_ical(payload).walk("VEVENT")[0]
    [first_invite] = list(confirmation.iter_attachments())
    first_payload = first_invite.get_payload(decode=True)
    assert isinstance(first_payload, bytes)
    first = icalendar.Calendar.from_ical(first_payload).walk("VEVENT")[0]
    assert str(event["uid"]) == str(first["uid"])
    assert int(event.decoded("sequence")) > int(first.decoded("sequence"))
    print(f"\nactions: book a caller {booked_in}, move a booking {moved_in}")
    problems = problems_of(page).messages
    context.close()
    assert problems == []


def test_a_patient_without_email_the_day_view_and_search_on_a_phone(
    browser: Browser, office: tuple[str, SmtpServer, str]
) -> None:
    base, _, _ = office
    context, page = new_page(browser, PHONE)
    sign_in(page, base)
    # Book a caller with no e-mail at 14:30 tomorrow, then move them: a call task appears.
    booking_url = book_in_browser(
        page, base, "2026-12-01T12:30:00Z", "Остап Безпошти", "+380 (50) 111-22-33", "Viber"
    )
    page.goto(booking_url + "/move/confirm?start=2026-12-01T08:00:00Z")
    assert "they have no e-mail" in page.content()
    check_page(page, "move without e-mail")
    page.get_by_role("button", name="Move the booking").click()
    page.wait_for_url(re.compile(r"\?saved=moved"))
    assert page.locator(".notice-call").is_visible()
    check_page(page, "booking with a call task")

    # The day, on a phone: cards with a name and a tap-to-call phone side by side.
    page.goto(base + "/coordinator/?day=2026-12-01")
    card = page.locator("article.booking-card", has_text="Остап Безпошти")
    assert card.locator("a.call").get_attribute("href") == "tel:+380501112233"
    assert (card.locator("a.chat").get_attribute("href") or "").startswith(
        "viber://chat?number=%2B380"
    )
    name_box = card.locator(".card-name").bounding_box()
    phone_box = card.locator("a.call").bounding_box()
    assert name_box is not None and phone_box is not None
    for box in (name_box, phone_box):  # both on screen across, and one above the other
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert 0 < phone_box["y"] - name_box["y"] < 120
    assert page.locator(".notice-call").is_visible()
    check_page(page, "day view on a phone")

    # Previous and next day without a full reload (htmx swaps #agenda).
    page.evaluate("window.notReloaded = true")
    page.get_by_role("link", name="Next day").click()
    page.wait_for_url(re.compile(r"day=2026-12-02"))
    page.locator("#agenda-title", has_text="2 December").wait_for()
    assert page.evaluate("window.notReloaded === true")
    check_page(page, "next day (htmx)")
    page.goto(base + "/coordinator/week?day=2026-12-01")
    check_page(page, "week on a phone")

    # Find the same person by each form of the phone and by a part of the Cyrillic name.
    for query in ["050 111 22 33", "0501112233", "+380501112233", "безпош"]:
        page.goto(base + "/coordinator/bookings")
        page.get_by_label("Name, phone or e-mail").fill(query)
        page.get_by_role("button", name="Find", exact=True).click()
        page.wait_for_url(re.compile(r"/coordinator/bookings\?q="))
        assert "Остап Безпошти" in page.locator(".result-cards").inner_text(), query
    check_page(page, "search results on a phone")
    problems = problems_of(page).messages
    context.close()
    assert problems == []


def morning_bookings(url: str) -> None:
    """Today at 09:30 and 13:00 (ended, no outcome yet) and 13:30 (going on at 13:40): made
    straight in the database, as the morning's patients booked them days ago."""
    engine = make_engine(url)
    made = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    with Session(engine) as session:
        for number, (hour, minute) in enumerate([(7, 30), (11, 0), (11, 30)]):
            start = datetime(2026, 11, 30, hour, minute, tzinfo=UTC)
            if session.exec(select(Booking).where(Booking.starts_at == start)).first():
                continue
            session.add(
                Booking(
                    starts_at=start, ends_at=start + timedelta(minutes=30),
                    patient_name=f"Morning Patient {number}",
                    name_folded=f"morning patient {number}",
                    phone="+380671110000", channel="Phone call", language="uk",
                    consent_at=made, token_hash=f"{number:064d}", created_at=made, updated_at=made,
                )
            )  # fmt: skip
        session.commit()
    engine.dispose()


@pytest.mark.parametrize("viewport", [DESKTOP, ZOOMED], ids=["desktop", "zoomed-200"])
def test_the_day_marks_next_and_needs_an_outcome_without_sideways_scroll(
    browser: Browser, office: tuple[str, SmtpServer, str], viewport: ViewportSize
) -> None:
    base, _, url = office
    morning_bookings(url)
    context, page = new_page(browser, viewport)
    sign_in(page, base)
    check_page(page, "today")
    assert "Today, Monday 30 November" in page.locator("#agenda-title").inner_text()
    outcome = page.locator(".booking-card.needs-outcome")
    assert outcome.count() == 2 and "Needs an outcome" in (outcome.first.text_content() or "")
    following = page.locator(".booking-card.is-next")
    assert following.count() == 1 and "Morning Patient 2" in following.inner_text()
    assert "Next" in (following.text_content() or "")
    assert page.locator(".booking-card.is-past").count() >= 2  # dimmed
    page.emulate_media(media="print")
    assert page.locator(".agenda-nav").is_hidden() and page.locator(".desk-nav").is_hidden()
    page.emulate_media(media="screen")
    problems = problems_of(page).messages
    context.close()
    assert problems == []


def test_nothing_typed_is_lost_when_the_booking_changed_or_the_session_ended(
    browser: Browser, office: tuple[str, SmtpServer, str]
) -> None:
    base, _, _ = office
    first, page = new_page(browser, DESKTOP)
    sign_in(page, base)
    booking_url = book_in_browser(
        page, base, "2026-12-02T08:00:00Z", "Марта Конфлікт", "0631234567", "Zoom"
    )
    page.goto(booking_url)

    # Another coordinator, on a phone, moves it while this page is open.
    second, other = new_page(browser, PHONE)
    sign_in(other, base)
    other.goto(booking_url + "/move/confirm?start=2026-12-02T09:00:00Z")
    other.get_by_role("button", name="Move the booking").click()
    other.wait_for_url(re.compile(r"\?saved=moved"))

    page.get_by_label("Cancelled by the clinic").check()
    page.get_by_label(re.compile("Reason")).fill("Doctor is ill that day")
    page.get_by_role("button", name="Save status").click()
    page.wait_for_load_state()
    notice = page.locator("#form-message")
    assert "changed while you had it open" in notice.inner_text()
    assert "Time: was" in notice.inner_text()
    assert page.get_by_label(re.compile("Reason")).input_value() == "Doctor is ill that day"
    assert page.evaluate("document.activeElement.id") == "form-message"
    check_page(page, "booking changed meanwhile")

    # The session ends (signed out elsewhere), then a note is saved: nothing typed is lost.
    page.get_by_role("textbox", name="Clinic-only note").fill("Call after 16:00, works mornings")
    first.clear_cookies()  # as if the session ran out
    page.get_by_role("button", name="Add the note").click()
    page.wait_for_load_state()
    assert "Your session has ended" in page.content()
    check_page(page, "session ended: sign-in")
    page.get_by_label("Username").fill("olha")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"{re.escape(booking_url)}$"))
    assert "You were signed out before this was saved" in page.content()
    note = page.get_by_role("textbox", name="Clinic-only note")
    assert note.input_value() == "Call after 16:00, works mornings"
    check_page(page, "back after sign-in, text kept")
    page.get_by_role("button", name="Add the note").click()
    page.wait_for_url(re.compile(r"\?saved=note"))
    assert "Call after 16:00" in page.locator("#notes").inner_text()
    problems = problems_of(page).messages + problems_of(other).messages
    first.close()
    second.close()
    assert problems == []
