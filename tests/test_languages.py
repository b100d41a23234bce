"""Ukrainian first, English second: catalogs complete and current, no English on Ukrainian pages,
the same content in each language, reciprocal hreflang, and bookings that keep their language.

These tests use the real clinic profile (uk first), through the `uk_client` fixture.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from icalendar import Calendar
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.testclient import TestClient

from tests.booking_helpers import form_fields, offered_starts, open_form
from tests.conftest import REAL_CLINIC, Clock, csrf_from, make_settings, need
from tests.crawl import CONDITION, every_page
from tests.desk_helpers import PASSWORD
from web.app import create_app
from web.core.content import load_conditions
from web.core.i18n import SOURCE_LANGUAGE, catalog_path, translate, translate_plural
from web.core.models import Booking, OutboxMessage
from web.desk.accounts import save_coordinator
from web.settings import PROJECT_ROOT

LANGUAGES = ("uk", "en")
# English is the source language: the msgids are the English text, so English has no catalog
# (web/core/i18n.py reads a missing one as the msgids). Every other language has one.
TRANSLATED = tuple(code for code in LANGUAGES if code != SOURCE_LANGUAGE)


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as source:
        return read_po(source)


def catalog_of(language: str) -> Catalog:
    return read_catalog(catalog_path(language))


def message_ids(catalog: Catalog) -> set[str | tuple[str, ...] | list[str]]:  # babel's message ids
    return {message.id for message in catalog if message.id}


# --- Catalogs -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_translated_catalog_has_no_untranslated_fuzzy_or_obsolete_entry(
    language: str,
) -> None:
    catalog = catalog_of(language)
    entries = [message for message in catalog if message.id]
    assert len(entries) > 200
    untranslated = [
        m.id for m in entries if not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    assert untranslated == []
    assert [m.id for m in entries if m.fuzzy] == []
    assert list(catalog.obsolete) == [], "run `make messages` (it drops obsolete entries)"


def test_english_has_no_catalog_and_reads_the_source_strings() -> None:
    assert not catalog_path(SOURCE_LANGUAGE).exists(), "English text is the msgids themselves"
    assert translate("en", "Your details") == "Your details"
    singular, plural = (
        "%(count)s booking found, past and future.",
        "%(count)s bookings found, past and future.",
    )
    assert translate_plural("en", singular, plural, 1) == singular
    assert translate_plural("en", singular, plural, 2) == plural


def test_the_catalogs_are_up_to_date_with_the_code(tmp_path: Path) -> None:
    """A string added to a template or to Python without `make messages`, or one left in a
    catalog after the code stopped using it, fails here (naming it)."""
    need(shutil.which("make"), "extracting the catalog runs `make pot`")
    fresh = tmp_path / "messages.pot"
    result = subprocess.run(
        ["make", "--no-print-directory", "-s", "pot", f"POT={fresh}"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    in_code = message_ids(read_catalog(fresh))
    for language in TRANSLATED:
        in_catalog = message_ids(catalog_of(language))
        missing = sorted(map(str, in_code - in_catalog))
        assert missing == [], f"run `make messages` and translate these in {language}"
        unused = sorted(map(str, in_catalog - in_code))
        assert unused == [], f"run `make messages`: no longer in the code ({language})"


# --- No English on Ukrainian pages ---------------------------------------------------------


def english_phrases() -> set[str]:
    """Every English interface phrase: the messages' source strings, cut at placeholders and
    tags, keeping the pieces that are words (single words only when a whole message)."""
    phrases = set()
    # The translated catalogs hold exactly the code's messages (checked above).
    for message in catalog_of(TRANSLATED[0]):
        for text in (message.id,) if isinstance(message.id, str) else message.id:
            if not text:
                continue
            pieces = re.split(r"<[^>]+>|%\(\w+\)s", text)
            for piece in pieces:
                piece = piece.strip(" .,:;()–-“”?")
                words = re.findall(r"[A-Za-z]+", piece)
                if len(words) >= 2 or (len(words) == 1 and piece == text and len(piece) > 3):
                    phrases.add(piece)
    return phrases


ATTRIBUTES = re.compile(r'(?:aria-label|title|alt|placeholder)="([^"]*)"')


def visible_text(page: str) -> str:
    """What a person sees or hears: text and labelling attributes, without scripts."""
    page = re.sub(r"<script\b.*?</script>|<style\b.*?</style>", " ", page, flags=re.S)
    # A part marked as another language is that language on purpose (the consent sentence the
    # desk reads out to a caller in each language, WCAG 3.1.2).
    page = re.sub(r'<(li|q|span|p)\b[^>]*\blang="[^"]+"[^>]*>.*?</\1>', " ", page, flags=re.S)
    labels = " ".join(ATTRIBUTES.findall(page))
    text = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(re.sub(r"\s+", " ", f"{text} {labels}"))


# Names that read the same in every language; "Google Calendar" must not count as "Calendar".
BRANDS = re.compile(r"Google Calendar|Outlook\.com|Outlook|Apple|Viber|Telegram|WhatsApp|Zoom")


def english_in(text: str, phrases: set[str]) -> list[str]:
    text = BRANDS.sub(" ", text)
    return sorted(
        p for p in phrases if re.search(rf"(?<![A-Za-z]){re.escape(p)}(?![A-Za-z])", text)
    )


def error_pages(database_url: str) -> dict[str, str]:
    """The error pages the crawl does not reach by itself: 400, 409, 413, 429, 500, 503."""
    pages = {}
    limits = dict.fromkeys(("booking", "manage", "login"), "1 per minute")
    settings = make_settings(database_url, clinic_file=REAL_CLINIC, rate_limits=limits)
    app = create_app(settings, clock=Clock())

    def boom(request: Request) -> Response:
        raise ZeroDivisionError  # what 1 / 0 raised: any unexpected error

    app.add_route("/boom", boom)
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        pages["400"] = client.get("/consultation?day=someday")
        pages["413"] = client.post(
            "/consultation/book",
            content=b"x" * 20000,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        pages["429"] = client.post("/consultation/book", data={})
        pages["500"] = client.get("/boom")
    broken = make_settings(
        "sqlite:////no/such/folder/clinic.db", clinic_file=REAL_CLINIC, outbox_in_web=False
    )
    with TestClient(create_app(broken, clock=Clock()), raise_server_exceptions=False) as client:
        pages["503"] = client.get("/consultation")
    statuses = {name: response.status_code for name, response in pages.items()}
    assert statuses == {"400": 400, "413": 413, "429": 429, "500": 500, "503": 503}
    return {f"error-{name}": response.text for name, response in pages.items()}


def test_no_english_interface_text_on_any_ukrainian_page_or_email(
    uk_client: TestClient, engine: Engine, database_url: str
) -> None:
    phrases = english_phrases()
    pages = every_page(uk_client)
    # A booking two days ahead (so it gets a reminder), moved, then cancelled: every e-mail,
    # the cancelled booking's page and its refused reschedule page (409).
    start, later = offered_starts(uk_client, "/consultation/slots?day=2026-12-02")[:2]
    booked = uk_client.post("/consultation/book", data=form_fields(open_form(uk_client, start)))
    token = booked.headers["location"].rsplit("/", 1)[1]
    reschedule = uk_client.get(f"/bookings/{token}/reschedule/confirm?start={later}").text
    moved = uk_client.post(
        f"/bookings/{token}/reschedule", data={"csrf_token": csrf_from(reschedule), "start": later}
    )
    assert moved.status_code == 303
    messages = outbox(uk_client, engine)  # the reminder goes when the booking is cancelled
    cancel_page = uk_client.get(f"/bookings/{token}/cancel").text
    uk_client.post(f"/bookings/{token}/cancel", data={"csrf_token": csrf_from(cancel_page)})
    pages["cancelled-booking"] = uk_client.get(f"/bookings/{token}").text
    # Moving a cancelled booking (a form left open in another tab) is refused with a 409.
    refused = uk_client.post(
        f"/bookings/{token}/reschedule", data={"csrf_token": csrf_from(reschedule), "start": start}
    )
    assert refused.status_code == 409
    pages["error-409"] = refused.text
    pages.update(error_pages(database_url))
    assert len(pages) >= 30
    found = {name: english_in(visible_text(page), phrases) for name, page in pages.items()}
    assert {name: words for name, words in found.items() if words} == {}

    messages += outbox(uk_client, engine)
    kinds = {message.kind for message in messages}
    assert kinds == {"confirmation", "reminder", "rescheduled", "cancelled", "alert"}
    for message in messages:
        text = f"{message.subject} {message.body_text} {visible_text(message.body_html)}"
        assert english_in(text, phrases) == [], (message.kind, english_in(text, phrases))
        assert 'lang="uk"' in message.body_html


def outbox(client: TestClient, engine: Engine, kind: str | None = None) -> list[SimpleNamespace]:
    """Each outbox row as its e-mail would go out now (the sender renders them)."""
    render = cast(Starlette, client.app).state.notifier.render
    with Session(engine) as session:
        query = select(OutboxMessage)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        found = []
        for row in session.exec(query):
            mail = render(row, session.get(Booking, row.booking_id))
            found.append(
                SimpleNamespace(
                    kind=row.kind, subject=mail.subject, body_text=mail.text, body_html=mail.html
                )
            )
        return found


def test_the_ukrainian_site_loads_by_default_whatever_the_browser_asks(
    uk_client: TestClient,
) -> None:
    page = uk_client.get("/", headers={"accept-language": "en-GB,en;q=0.9"})
    assert page.status_code == 200 and '<html lang="uk"' in page.text
    assert page.headers["content-language"] == "uk"
    english = uk_client.get("/en/")
    assert '<html lang="en"' in english.text and english.headers["content-language"] == "en"
    assert uk_client.get("/en").status_code == 200


# --- The same content in each language ------------------------------------------------------


def test_each_condition_has_every_language_with_the_same_sections_and_numbers() -> None:
    library = load_conditions(PROJECT_ROOT / "content" / "conditions", LANGUAGES)
    files = {
        path.name.split(".")[0] for path in (PROJECT_ROOT / "content" / "conditions").glob("*.md")
    }
    assert set(library["uk"]) == set(library["en"]) == files and files  # every file, both languages
    for slug, condition in library["uk"].items():
        english = library["en"][slug]
        assert [s.slug for s in condition.sections] == [s.slug for s in english.sections]
        assert condition.title != english.title  # it was translated, not copied
        for uk_section, en_section in zip(condition.sections, english.sections, strict=True):
            numbers_uk = Counter(re.findall(r"\d+", str(uk_section.html)))
            numbers_en = Counter(re.findall(r"\d+", str(en_section.html)))
            assert numbers_uk == numbers_en, (slug, uk_section.slug)


# --- hreflang and the language switch -----------------------------------------------------


ALTERNATE = re.compile(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">')
SWITCH = re.compile(
    r'<a href="([^"]+)" hreflang="([^"]+)" lang="[^"]+" class="language-switch"[^>]*>'
)


def test_hreflang_alternates_are_reciprocal_and_answer_200(uk_client: TestClient) -> None:
    day = "2026-12-02"
    paths = [
        "/",
        CONDITION,
        f"{CONDITION}/treatment",
        "/consultation",
        f"/consultation/slots?day={day}",
    ]
    for path in paths:
        for prefix in ("", "/en"):
            url = "http://testserver" + prefix + path
            alternates = dict(ALTERNATE.findall(uk_client.get(prefix + path).text))
            assert set(alternates) == {"uk", "en", "x-default"}, url
            assert alternates["x-default"] == alternates["uk"]
            assert url in alternates.values()
            for href in alternates.values():
                other = uk_client.get(href)
                assert other.status_code == 200, href
                assert url in dict(ALTERNATE.findall(other.text)).values(), (href, url)


def test_the_language_switch_leads_to_the_same_page(uk_client: TestClient) -> None:
    start = offered_starts(uk_client)[0]
    for path in [CONDITION + "/symptoms", "/consultation/slots?day=2026-12-03",
                 f"/consultation/book?start={start}"]:  # fmt: skip
        [(href, code)] = SWITCH.findall(uk_client.get(path).text)
        assert (html.unescape(href), code) == ("/en" + path, "en")
        [(back, code)] = SWITCH.findall(uk_client.get(html.unescape(href)).text)
        assert (html.unescape(back), code) == (path, "uk")


# --- A booking keeps its language -----------------------------------------------------------


def test_a_booking_speaks_the_language_it_was_made_in(
    uk_client: TestClient, engine: Engine
) -> None:
    uk_start, en_start = offered_starts(uk_client)[:2]
    uk = uk_client.post("/consultation/book", data=form_fields(open_form(uk_client, uk_start)))
    assert uk.headers["location"].startswith("/bookings/")
    en_form = uk_client.get(f"/en/consultation/book?start={en_start}").text
    en = uk_client.post("/en/consultation/book", data=form_fields(en_form))
    assert en.headers["location"].startswith("/en/bookings/")
    with Session(engine) as session:
        languages = {
            b.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ"): b.language
            for b in session.exec(select(Booking))
        }
    messages = outbox(uk_client, engine, "confirmation")
    assert languages == {uk_start: "uk", en_start: "en"}
    subjects = {message.subject.split(": ")[0] for message in messages}
    assert subjects == {"Ваша онлайн-консультація", "Your online consultation"}
    assert all(re.search(r"2026( р\.)?, ", message.subject) for message in messages)
    alerts = [message.subject for message in outbox(uk_client, engine, "alert")]
    assert alerts and all(subject.startswith("Новий запис: ") for subject in alerts)

    page = uk_client.get(uk.headers["location"])
    assert "Вас записано на консультацію" in page.text
    assert "Online consultation" not in page.text
    invite = uk_client.get(uk.headers["location"] + "/invite.ics")
    assert "filename*=UTF-8''%D0%BA%D0%BE%D0%BD" in invite.headers["content-disposition"]
    assert 'filename="consultation-2026-' in invite.headers["content-disposition"]
    event = Calendar.from_ical(invite.content).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Онлайн-консультація — Клініка нейрохірургії"
    assert "Як: Телефонний дзвінок" in str(event["DESCRIPTION"]) or "Як: " in str(
        event["DESCRIPTION"]
    )
    link = re.search(r'href="(https://calendar\.google\.com[^"]+)"', page.text)
    assert link is not None
    google = link.group(1)
    assert "%D0%9E%D0%BD%D0%BB%D0%B0%D0%B9%D0%BD" in google  # "Онлайн" in the event's title


# --- The desk ---------------------------------------------------------------------------------


def test_the_desk_is_ukrainian_by_default_and_remembers_a_coordinators_choice(
    uk_client: TestClient, engine: Engine, clock: Clock
) -> None:
    save_coordinator(engine=engine, username="anna", password=PASSWORD, now=clock.now)

    def sign_in() -> None:
        login = uk_client.get("/coordinator/login").text
        assert "Вхід для координатора" in login
        data = {"csrf_token": csrf_from(login), "username": "anna", "password": PASSWORD}
        assert uk_client.post("/coordinator/login", data=data).status_code == 303

    sign_in()
    desk = uk_client.get("/coordinator/").text
    assert '<html lang="uk"' in desk and "Сьогодні" in desk
    assert "Знайти" in desk and "Новий запис" in desk
    chosen = uk_client.post(
        "/coordinator/language",
        data={"csrf_token": csrf_from(desk), "language": "en", "next": "/coordinator/blocks"},
    )
    assert chosen.status_code == 303 and chosen.headers["location"] == "/coordinator/blocks"
    assert "Blocked time" in uk_client.get("/coordinator/blocks").text
    logout = csrf_from(uk_client.get("/coordinator/").text)
    uk_client.post("/coordinator/logout", data={"csrf_token": logout})
    sign_in()
    assert '<html lang="en"' in uk_client.get("/coordinator/").text
    bad = uk_client.post(
        "/coordinator/language",
        data={"csrf_token": csrf_from(uk_client.get("/coordinator/").text), "language": "xx"},
    )
    assert bad.status_code == 400


@pytest.mark.parametrize(
    "count, text", [(1, "1 вільне"), (3, "3 вільні"), (5, "5 вільних"), (21, "21 вільне")]
)
def test_ukrainian_plurals_take_three_forms(count: int, text: str) -> None:
    from web.core.i18n import translate_plural

    assert (
        translate_plural("uk", "%(count)s free", "%(count)s free", count) % {"count": count} == text
    )


def test_a_page_answering_a_post_switches_to_the_same_page_by_get(uk_client: TestClient) -> None:
    """A form with errors keeps its slot; the fresh slots after a lost time keep their day."""
    start = offered_starts(uk_client)[0]
    form = form_fields(open_form(uk_client, start), name="")
    errors = uk_client.post("/consultation/book", data=form)
    assert errors.status_code == 422
    [(href, _)] = SWITCH.findall(errors.text)
    assert html.unescape(href) == f"/en/consultation/book?start={start}"
    assert uk_client.get(html.unescape(href)).status_code == 200
    taken = uk_client.post("/consultation/book", data={**form, "name": "Olena"})
    assert taken.status_code == 303
    again = form_fields(open_form(uk_client, offered_starts(uk_client)[0]), start=start)
    lost = uk_client.post("/consultation/book", data=again)
    assert lost.status_code == 409
    [(href, _)] = SWITCH.findall(lost.text)
    assert html.unescape(href) == f"/en/consultation/slots?day={start[:10]}"


def test_the_language_prefix_works_under_a_sub_path(engine: Engine, database_url: str) -> None:
    """Behind a proxy that serves the site at /clinic (uvicorn --root-path)."""
    app = create_app(make_settings(database_url, clinic_file=REAL_CLINIC), clock=Clock())
    with TestClient(app, root_path="/clinic") as client:
        english = client.get("/clinic/en/conditions/hemifacial-spasm")
        assert english.status_code == 200 and '<html lang="en"' in english.text
        ukrainian = client.get("/clinic/conditions/hemifacial-spasm")
        assert ukrainian.status_code == 200 and '<html lang="uk"' in ukrainian.text


def test_form_messages_are_in_the_pages_language(uk_client: TestClient) -> None:
    """Every validator's message, the shared control-character check included."""
    start = offered_starts(uk_client)[0]
    page = uk_client.post(
        "/consultation/book", data=form_fields(open_form(uk_client, start), name="Olena\x01")
    )
    assert page.status_code == 422
    assert "У цьому полі є невидимі керівні символи." in page.text
    assert "invisible control characters" not in page.text
