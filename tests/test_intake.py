"""Issue 27: questions before the consultation, on both databases.

A booking made from a condition page asks that condition's questions (the plain picker lets the
patient choose the condition); every question is optional; the answers are stored as data with
the question set's version, changed through the manage link until the consultation begins, shown
on the desk (booking page, day view, exports, the coordinator's alert) and nowhere the patient's
side could leak them: not the calendar feed, the invite or the patient's e-mails. Purge and
erasure remove them.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import httpx2 as httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from tests.booking_helpers import PATIENT, book, form_fields
from tests.conftest import Clock, csrf_from, hidden_value, make_settings
from tests.desk_helpers import open_desk, send_outbox
from tests.mail_server import SmtpServer, body_text
from web.app import create_app
from web.core.content import ContentError, load_conditions
from web.core.models import AuditEvent, Booking, BookingStatus, IntakeAnswers, OutboxMessage
from web.core.personal_data import erase
from web.core.retention import purge_old_bookings
from web.settings import PROJECT_ROOT

HFS = "hemifacial-spasm"
SLOT = re.compile(r'name="start" value="([0-9TZ:-]+)"')
MARKER = "INTAKE-MARKER"
ANSWERS: dict[str, str | list[str]] = {
    "about": HFS,
    "side": "left",
    "since-year": "2019",
    "since-month": "5",
    "treatments": ["medicines", "botulinum_toxin"],
    "medicines": f"{MARKER} carbamazepine <script>alert(1)</script>",
    "injections": "two_to_five",
    "last_injection-year": "2026",
    "last_injection-month": "9",
    "mri_done": "yes",
    "mri_at_hand": "no",
    "facial_palsy": "no",
}
STORED = {
    "side": "left",
    "since": "2019-05",
    "treatments": ["medicines", "botulinum_toxin"],
    "medicines": f"{MARKER} carbamazepine <script>alert(1)</script>",
    "injections": "two_to_five",
    "last_injection": "2026-09",
    "mri_done": "yes",
    "mri_at_hand": "no",
    "facial_palsy": "no",
}
FIXTURES = Path(__file__).parent / "fixtures" / "content" / "conditions"


def book_from_condition(client: TestClient, slug: str = HFS, nth: int = 0) -> str:
    """Condition page → its booking button → a time → the form; the manage token."""
    page = client.get(f"/conditions/{slug}").text
    link = re.search(rf'href="(/consultation\?about={slug})"', page)
    assert link is not None, "the condition page's booking button names the condition"
    picker = client.get(link[1]).text
    assert f'name="about" value="{slug}"' in picker
    assert f"&amp;about={slug}" in picker  # the day links keep it too
    start = SLOT.findall(picker)[nth]
    form = client.get(f"/consultation/book?about={slug}&start={start}").text
    booked = client.post(
        "/consultation/book", data=form_fields(form, about=hidden_value(form, "about"))
    )
    assert booked.status_code == 303, booked.text
    return booked.headers["location"].rsplit("/", 1)[1]


def questions_page(client: TestClient, token: str, query: str = "") -> httpx.Response:
    return client.get(f"/bookings/{token}/questions{query}")


def answer(
    client: TestClient, token: str, answers: Mapping[str, str | list[str]] | None = None
) -> httpx.Response:
    given = ANSWERS if answers is None else answers
    page = questions_page(client, token, f"?about={given['about']}").text
    data = {"csrf_token": csrf_from(page), **given}
    return client.post(f"/bookings/{token}/questions", data=data)


def stored(engine: Engine) -> list[IntakeAnswers]:
    with Session(engine) as session:
        return list(session.exec(select(IntakeAnswers).order_by(col(IntakeAnswers.id))).all())


def only_booking(engine: Engine) -> Booking:
    with Session(engine) as session:
        return session.exec(select(Booking)).one()


def alerts(engine: Engine) -> list[str]:
    with Session(engine) as session:
        rows = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "alert")
            .order_by(col(OutboxMessage.id))
        ).all()
        return [row.context or "" for row in rows]


# --- Asking and answering ---------------------------------------------------------------------


def test_a_booking_from_a_condition_page_asks_its_questions_and_stores_the_answers(
    client: TestClient, engine: Engine
) -> None:
    token = book_from_condition(client)
    assert only_booking(engine).condition == HFS
    booking_page = client.get(f"/bookings/{token}").text
    assert "Help the specialist prepare (2 minutes)" in booking_page
    assert f'href="/bookings/{token}/questions"' in booking_page
    page = questions_page(client, token).text
    for question in ("Which side of your face twitches?", "When did the twitching start?"):
        assert question in page
    assert page.count("<fieldset") == 8 and 'name="medicines"' in page  # 8 choices, 1 text
    answered = answer(client, token)
    assert answered.status_code == 303
    assert answered.headers["location"] == f"/bookings/{token}?done=answered"
    (row,) = stored(engine)
    assert (row.condition, row.version, row.answers) == (HFS, 1, STORED)
    after = client.get(answered.headers["location"]).text
    assert "your answers have been sent to the specialist" in after
    assert "You have answered the questions" in after and "Change your answers" in after
    with Session(engine) as session:
        actions = session.exec(select(AuditEvent.action)).all()
    assert "answer questions" in actions


def test_a_plain_booking_lets_the_patient_choose_the_condition(
    client: TestClient, engine: Engine
) -> None:
    response = book(client)
    token = response.headers["location"].rsplit("/", 1)[1]
    assert only_booking(engine).condition is None
    assert "Help the specialist prepare (2 minutes)" in client.get(f"/bookings/{token}").text
    chooser = questions_page(client, token).text
    assert "Which one is your consultation about?" in chooser and "<form" not in chooser
    assert f'href="/bookings/{token}/questions?about={HFS}"' in chooser
    chosen = questions_page(client, token, f"?about={HFS}").text
    assert "Which side of your face twitches?" in chosen
    assert answer(client, token, {"about": HFS, "side": "right"}).status_code == 303
    (row,) = stored(engine)
    assert (row.condition, row.answers) == (HFS, {"side": "right"})
    # Her answers say which condition: the page opens on its questions from now on.
    assert 'value="right" checked' in questions_page(client, token).text


def test_answers_change_through_the_manage_link_until_the_consultation_begins(
    client: TestClient, engine: Engine, clock: Clock
) -> None:
    token = book_from_condition(client)
    assert answer(client, token).status_code == 303
    shown = questions_page(client, token).text
    assert 'id="q-side-left" value="left" checked' in shown
    assert 'value="botulinum_toxin" checked' in shown and '<option value="2019" selected>' in shown
    assert f"{MARKER} carbamazepine &lt;script&gt;" in shown
    changed = {**ANSWERS, "side": "both", "mri_done": "", "treatments": ["operation"]}
    assert answer(client, token, changed).status_code == 303
    (row,) = stored(engine)
    assert row.answers["side"] == "both" and "mri_done" not in row.answers
    assert row.answers["treatments"] == ["operation"]
    assert ['"change": "answered"' in a for a in alerts(engine)][-2:] == [True, False]
    assert '"change": "answers_changed"' in alerts(engine)[-1]
    page = questions_page(client, token).text
    clock.now = only_booking(engine).starts_at  # the consultation begins
    closed = questions_page(client, token).text
    assert "can no longer be changed online" in closed and "<form" not in closed
    assert "Help the specialist prepare (2 minutes)" not in client.get(f"/bookings/{token}").text
    late = client.post(
        f"/bookings/{token}/questions", data={"csrf_token": csrf_from(page), **ANSWERS}
    )
    assert late.status_code == 409
    assert stored(engine)[0].answers["side"] == "both"


def test_a_cancelled_booking_takes_no_answers(client: TestClient, engine: Engine) -> None:
    token = book_from_condition(client)
    page = questions_page(client, token).text
    cancel = client.get(f"/bookings/{token}/cancel").text
    client.post(f"/bookings/{token}/cancel", data={"csrf_token": csrf_from(cancel)})
    assert only_booking(engine).status == BookingStatus.CANCELLED
    late = client.post(
        f"/bookings/{token}/questions", data={"csrf_token": csrf_from(page), **ANSWERS}
    )
    assert late.status_code == 409 and stored(engine) == []


def test_wrong_answers_are_named_and_everything_given_is_kept(
    client: TestClient, engine: Engine
) -> None:
    token = book_from_condition(client)
    wrong = {
        **ANSWERS,
        "side": "up",  # not an option
        "since-year": "",  # a month without its year
        "last_injection-year": "2026",  # December 2026 is still to come (today: 30 November)
        "last_injection-month": "12",
        "medicines": "x" * 301,
        "treatments": ["medicines", "magic"],
    }
    refused = answer(client, token, wrong)
    assert refused.status_code == 422
    page = refused.text
    assert "Please check these answers:" in page
    for message in (
        "Please choose one of the options shown.",
        "Please choose the year as well as the month.",
        "That date is still to come.",
        "Please keep this answer under 300 characters.",
    ):
        assert message in page
    assert page.count('class="field-error"') == 5
    assert (
        'value="two_to_five" checked' in page and 'id="q-mri_done-yes" value="yes" checked' in page
    )
    assert 'value="' + "x" * 301 + '"' in page  # the long text is kept, never cut
    assert stored(engine) == []
    control = answer(client, token, {"about": HFS, "medicines": "a\x00b"})
    assert control.status_code == 422 and "invisible control characters" in control.text
    assert answer(client, token, {"about": HFS}).status_code == 303  # all optional
    assert stored(engine)[0].answers == {}


def test_a_post_that_is_not_our_form_is_refused(client: TestClient, engine: Engine) -> None:
    token = book_from_condition(client)
    page = questions_page(client, token).text
    no_token = client.post(f"/bookings/{token}/questions", data=ANSWERS)
    assert no_token.status_code == 403
    unknown = client.post(
        f"/bookings/{token}/questions",
        data={**ANSWERS, "csrf_token": csrf_from(page), "about": "no-such-condition"},
    )
    assert unknown.status_code == 400
    other = "A" * 43
    assert questions_page(client, other).status_code == 404
    assert stored(engine) == []


# --- Where the answers go ---------------------------------------------------------------------


def test_the_desk_shows_the_answers_on_the_booking_the_day_and_the_exports(
    client: TestClient, engine: Engine, clock: Clock
) -> None:
    token = book_from_condition(client)
    answer(client, token)
    desk = open_desk(client, engine, clock.now)
    booking = only_booking(engine)
    page = desk.get(f"/coordinator/bookings/{booking.id}").text
    assert "Answers before the consultation" in page
    assert "<dt>Which side of your face twitches?</dt><dd>Left</dd>" in page
    assert (
        "<dd>May 2019</dd>" in page
        and "<dd>Medicines (tablets), Botulinum toxin injections</dd>" in page
    )
    assert f"{MARKER} carbamazepine &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    day = desk.get(f"/coordinator/?day={booking.starts_at.date().isoformat()}").text
    assert "Side: Left; Since: May 2019; Treated with: Medicines (tablets)" in day
    form = {"csrf_token": csrf_from(day), "from": "2026-11-30", "to": "2026-12-31"}
    sheet = desk.post("/coordinator/export.csv", data=form)
    assert sheet.status_code == 200
    rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][-2:] == ["Condition", "Answers before the consultation"]
    assert rows[1][-2] == "Hemifacial spasm" and rows[1][-1].startswith("Side: Left; Since: May")
    workbook = load_workbook(io.BytesIO(desk.post("/coordinator/export.xlsx", data=form).content))
    cells = [cell.value for cell in next(workbook.active.iter_rows(min_row=2))]
    assert cells[-2] == "Hemifacial spasm" and str(cells[-1]).startswith("Side: Left;")


def test_answers_reach_the_coordinators_alert_and_no_feed_invite_or_patient_email(
    client: TestClient, engine: Engine, clock: Clock, smtp: SmtpServer
) -> None:
    desk = open_desk(client, engine, clock.now)
    rotate = desk.get("/coordinator/calendar").text
    desk.post("/coordinator/calendar/rotate", data={"csrf_token": csrf_from(rotate)})
    token = book_from_condition(client)
    assert answer(client, token).status_code == 303
    reschedule = client.get(f"/bookings/{token}/reschedule").text
    later = SLOT.findall(reschedule)[-1]
    confirm = client.get(f"/bookings/{token}/reschedule/confirm?start={later}").text
    moved = client.post(
        f"/bookings/{token}/reschedule", data={"csrf_token": csrf_from(confirm), "start": later}
    )
    assert moved.status_code == 303
    send_outbox(client, smtp.settings, clock.now, engine=engine)
    clock.now = only_booking(engine).starts_at - timedelta(hours=1)
    send_outbox(client, smtp.settings, clock.now, engine=engine)  # the reminder
    to_clinic = [m for m in smtp.inbox.messages if m["To"] != PATIENT["email"]]
    to_patient = [m for m in smtp.inbox.messages if m["To"] == PATIENT["email"]]
    kinds = {m["Subject"].split(":")[0] for m in to_clinic}
    assert "The patient answered the questions before the consultation" in kinds
    answered = next(m for m in to_clinic if m["Subject"].startswith("The patient answered"))
    assert MARKER in body_text(answered) and "Side: Left" in body_text(answered)
    assert len(to_patient) >= 3  # confirmation, moved, reminder
    feed_url = re.search(
        r'value="http://testserver(/coordinator/feed/[^"]+)"',
        desk.get("/coordinator/calendar").text,
    )
    assert feed_url is not None
    patient_side = [
        client.get(f"/bookings/{token}").text,
        client.get(f"/bookings/{token}/invite.ics").text,
        client.get(feed_url[1]).text,
        *(message.as_string() for message in to_patient),
    ]
    for text in patient_side:
        assert MARKER not in text and "carbamazepine" not in text and "May 2019" not in text


def test_purge_and_erasure_remove_the_answers(
    client: TestClient, engine: Engine, clock: Clock
) -> None:
    first = book_from_condition(client, nth=0)
    answer(client, first)
    second = book_from_condition(client, nth=1)
    answer(client, second, {"about": HFS, "side": "right"})
    assert len(stored(engine)) == 2
    with Session(engine) as session:
        ids = [b.id for b in session.exec(select(Booking).order_by(col(Booking.starts_at))).all()]
    assert ids[1] is not None
    report = erase(engine=engine, booking_id=ids[1], who="anna", now=clock.now)
    assert report.bookings == 2  # the same person: both bookings, both answers
    assert stored(engine) == []
    with Session(engine) as session:
        assert all(b.condition is None for b in session.exec(select(Booking)).all())
    third = book_from_condition(client, nth=2)
    answer(client, third)
    assert len(stored(engine)) == 1
    purged = purge_old_bookings(
        engine=engine, now=clock.now + timedelta(days=400), older_than_days=30
    )
    assert purged.bookings == 3 and stored(engine) == []


# --- Questions in the content files -----------------------------------------------------------


def test_a_second_condition_brings_its_own_questions_without_code_changes(
    tmp_path: Path, database_url: str, engine: Engine, clock: Clock
) -> None:
    content = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    for path in FIXTURES.glob("*.md"):
        shutil.copy(path, content / "conditions")
    app = create_app(make_settings(database_url, content_dir=content), clock=clock)
    with TestClient(app, follow_redirects=False) as client:
        token = book_from_condition(client, "trigeminal-neuralgia")
        page = questions_page(client, token).text
        assert (
            "Which side of your face hurts?" in page
            and "Which side of your face twitches" not in page
        )
        assert "Have you taken carbamazepine?" in page
        data = {"about": "trigeminal-neuralgia", "pain_side": "right", "carbamazepine": "yes"}
        assert answer(client, token, data).status_code == 303
        chooser = questions_page(client, book(client).headers["location"].rsplit("/", 1)[1])
        assert "Trigeminal neuralgia" in chooser.text and "Hemifacial spasm" in chooser.text
    app.state.engine.dispose()
    (row,) = stored(engine)
    assert (row.condition, row.version, row.answers) == (
        "trigeminal-neuralgia",
        3,
        {"pain_side": "right", "carbamazepine": "yes"},
    )


def _fixture_copy(tmp_path: Path) -> tuple[Path, Path]:
    for path in FIXTURES.glob("*.md"):
        shutil.copy(path, tmp_path)
    return tmp_path / "trigeminal-neuralgia.en.md", tmp_path / "trigeminal-neuralgia.uk.md"


@pytest.mark.parametrize(
    ("language", "old", "new", "named"),
    [
        (
            "en",
            "kind: yes_no",
            "kind: scale",
            "trigeminal-neuralgia.en.md, question 'carbamazepine': unknown kind 'scale'",
        ),
        (
            "uk",
            "      text: Чи приймали ви карбамазепін?\n",
            "",
            "trigeminal-neuralgia.uk.md, question 'carbamazepine': 'text' is missing",
        ),
        (
            "uk",
            "        right: Праворуч\n",
            "        both: З обох боків\n",
            "trigeminal-neuralgia.en.md, question 'pain_side': its kind or options differ from "
            "trigeminal-neuralgia.uk.md",
        ),
        (
            "en",
            "    - id: carbamazepine\n      kind: yes_no\n"
            "      text: Have you taken carbamazepine?\n      short: Carbamazepine\n",
            "",
            "trigeminal-neuralgia.en.md, question 'carbamazepine': missing "
            "(see trigeminal-neuralgia.uk.md)",
        ),
        (
            "en",
            "  version: 3",
            "  version: 4",
            "trigeminal-neuralgia.en.md: intake version 4 differs",
        ),
    ],
)
def test_a_broken_or_untranslated_question_stops_start_up_naming_file_and_question(
    tmp_path: Path, language: str, old: str, new: str, named: str
) -> None:
    en, uk = _fixture_copy(tmp_path)
    path = en if language == "en" else uk
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(ContentError) as refused:
        load_conditions(tmp_path, ("uk", "en"))
    assert named in str(refused.value)


def test_the_site_refuses_to_start_with_a_broken_question(
    tmp_path: Path, database_url: str
) -> None:
    content = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    path = content / "conditions" / "hemifacial-spasm.en.md"
    path.write_text(path.read_text(encoding="utf-8").replace("kind: month", "kind: date", 1))
    with pytest.raises(ContentError, match=r"hemifacial-spasm\.en\.md, question 'since'"):
        create_app(make_settings(database_url, content_dir=content), clock=Clock())
