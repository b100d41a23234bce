"""Urgent advice where a patient might wait instead of getting help, and the privacy notice.

The real profile: Ukrainian at the plain URLs, English under /en/.
"""

from __future__ import annotations

import re
import tomllib
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.booking_helpers import book, offered_starts
from tests.conftest import REAL_CLINIC, Clock, csrf_from, make_settings
from web.app import create_app
from web.cli import migrate
from web.core.clinic import ClinicConfigError, parse_clinic
from web.core.models import Booking
from web.core.retention import purge_old_bookings

CONDITION = "/conditions/hemifacial-spasm"
URGENT = re.compile(r'<aside class="card urgent".*?</aside>', re.S)
FAST = {
    "uk": ["Обличчя:", "Руки:", "Мовлення:", "Час:"],
    "en": ["Face:", "Arms:", "Speech:", "Time:"],
}
SAME_DAY = {"uk": "того самого дня", "en": "same day"}
# The tie-breaker the medical review asked for (S1): when in doubt, the first number.
IN_DOUBT = {
    "uk": "Якщо сумніваєтеся, чи це інсульт",
    "en": "If you are not sure whether it is a stroke",
}
SUDDENLY = {"uk": "раптово", "en": "suddenly"}


def urgent_card(html: str) -> str:
    cards: list[str] = URGENT.findall(html)
    [card] = cards
    return card


def patient_pages(site: TestClient, prefix: str) -> list[str]:
    start = offered_starts(site, prefix + "/consultation")[0]
    return [
        prefix + "/",
        prefix + CONDITION,
        prefix + "/consultation",
        f"{prefix}/consultation/book?start={start}",
    ]


@pytest.mark.parametrize(("language", "prefix"), [("uk", ""), ("en", "/en")])
def test_urgent_advice_on_home_condition_picker_and_form(
    uk_site: TestClient, language: str, prefix: str
) -> None:
    for path in patient_pages(uk_site, prefix):
        card = urgent_card(uk_site.get(path).text)
        # Both numbers from clinic.toml, each a link that dials it.
        assert '<a href="tel:103">103</a>' in card and '<a href="tel:112">112</a>' in card, path
        assert [sign for sign in FAST[language] if sign not in card] == [], path
        assert SAME_DAY[language] in card
        assert SUDDENLY[language] in card and IN_DOUBT[language] in card
        # 103 leads: first in the list, and the one to call when in doubt.
        assert card.index("tel:103") < card.index("tel:112")
        [doubt] = [s for s in re.split(r"(?<=\.)\s", card) if IN_DOUBT[language] in s]
        assert '<a href="tel:103">103</a>' in doubt
        # The figure is followed by its source.
        [hours] = [s for s in re.split(r"(?<=\.)\s", card) if "72" in s]
        assert 'class="cite">NHS' in hours


def test_emergency_numbers_come_from_the_profile(tmp_path: Path) -> None:
    data = tomllib.loads(REAL_CLINIC.read_text(encoding="utf-8"))
    data["emergency_numbers"] = [{"number": "999", "service": {"uk": "швидка", "en": "ambulance"}}]
    clinic = parse_clinic(data)
    assert [entry.number for entry in clinic.emergency_numbers] == ["999"]
    data["emergency_numbers"] = [{"number": "999", "service": {"en": "ambulance"}}]
    with pytest.raises(
        ClinicConfigError, match=r"emergency_numbers \(999\).service' has no text in uk"
    ):
        parse_clinic(data)
    data["emergency_numbers"] = [{"number": "call us", "service": {"uk": "x", "en": "x"}}]
    with pytest.raises(ClinicConfigError, match="emergency_numbers"):
        parse_clinic(data)


PRIVACY = {
    "uk": {
        "title": "Політика конфіденційності",
        "facts": [
            "Редакція від 9 грудня 2026 р.",
            "ТОВ «Клініка нейрохірургії»",
            "вул. Прикладна, 1, Київ",
            "відповідальна особа з питань захисту персональних даних",
            "однозначної згоди",
            "пункт 6 частини другої статті 7",
            "лікар, який вас консультує",
            "поштовий сервіс",
            "Календар координаторів",
            "Приклад Хостинг ТОВ",
            "Передавання даних за кордон",
            "Конвенції Ради Європи № 108",
            "через 180 днів після закінчення консультації",
            "а скасований запис — через 180 днів після скасування, якщо цей строк настає раніше",
            "IP-адресу",
            "протягом 30 календарних днів",
            "заперечити проти обробки",
            "звернутися до суду",
            "Запис іншої людини",
            "01008, Київ, вул. Інститутська, 21/8",
            "0 800 50 17 20",
            "hotline@ombudsman.gov.ua",
            "ombudsman.gov.ua",
        ],
    },
    "en": {
        "title": "Privacy notice",
        "facts": [
            "Version of 9 December 2026.",
            "Neurosurgery Clinic LLC",
            "1 Prykladna St, Kyiv",
            "the person responsible for data protection",
            "explicit consent",
            "Article 7, part 2, point 6",
            "the doctor who consults you",
            "the e-mail provider",
            "The coordinators' calendar",
            "Example Hosting LLC",
            "Transfers abroad",
            "Council of Europe Convention 108",
            "180 days after the end of its consultation",
            "or 180 days after it was cancelled if that comes sooner",
            "IP address",
            "within 30 calendar days",
            "to object to the processing",
            "go to court",
            "Booking for someone else",
            "21/8 Instytutska St, Kyiv, 01008",
            "0 800 50 17 20",
            "hotline@ombudsman.gov.ua",
            "ombudsman.gov.ua",
        ],
    },
}


@pytest.mark.parametrize(("language", "prefix"), [("uk", ""), ("en", "/en")])
def test_the_privacy_notice_says_who_what_why_who_sees_how_long_and_rights(
    uk_site: TestClient, language: str, prefix: str
) -> None:
    response = uk_site.get(prefix + "/privacy")
    assert response.status_code == 200
    text = unescape(re.sub(r"\s+", " ", response.text)).replace("’", "'")
    assert f"<h1>{PRIVACY[language]['title']}</h1>" in text
    assert [fact for fact in PRIVACY[language]["facts"] if fact not in text] == []
    assert "coordinator@clinic.example" in text and "tel:+380441234567" in text


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_the_consent_checkbox_and_the_footer_link_to_the_privacy_notice(
    uk_site: TestClient, prefix: str
) -> None:
    start = offered_starts(uk_site, prefix + "/consultation")[0]
    form = uk_site.get(f"{prefix}/consultation/book?start={start}").text
    consent_input = re.search(r'<input[^>]*id="consent"[^>]*>', form)
    assert consent_input is not None
    consent = consent_input.group(0)
    assert 'aria-describedby="consent-hint"' in consent
    consent_hint = re.search(r'<p class="hint" id="consent-hint">(.*?)</p>', form)
    assert consent_hint is not None
    hint = consent_hint.group(1)
    assert f'href="{prefix}/privacy"' in hint
    for path in (prefix + "/", prefix + CONDITION):
        footer = uk_site.get(path).text.split('<footer class="site-footer">')[1]
        assert f'href="{prefix}/privacy"' in footer


def test_the_notice_gives_the_retention_days_the_purge_uses(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'retention.db'}"
    migrate(url)
    settings = make_settings(url, clinic_file=REAL_CLINIC, retention_days=31)
    with TestClient(create_app(settings, clock=Clock())) as client:
        assert "через 31 день після закінчення консультації" in client.get("/privacy").text.replace(
            "\n", " "
        )
        assert "31 days after the end of its consultation" in client.get("/en/privacy").text


def test_a_cancelled_booking_goes_when_the_notice_says(
    client: TestClient, engine: Engine, clock: Clock
) -> None:
    """The notice: N days after the consultation, or N days after the cancellation if that
    comes sooner (and nothing before)."""
    booked = book(client, "2026-12-15T08:30:00Z")
    page = client.get(booked.headers["location"] + "/cancel").text
    client.post(booked.headers["location"] + "/cancel", data={"csrf_token": csrf_from(page)})
    cancelled = clock.now
    days = cast(Starlette, client.app).state.settings.retention_days
    notice = client.get("/privacy").text
    assert f"{days} days after it was cancelled if that comes sooner" in notice

    def kept() -> list[str]:
        with Session(engine) as session:
            return [b.status for b in session.exec(select(Booking)).all()]

    purge_old_bookings(
        engine=engine, now=cancelled + timedelta(days=days - 1), older_than_days=days
    )
    assert kept() == ["cancelled"]  # not before N days have passed since the cancellation
    purge_old_bookings(
        engine=engine, now=cancelled + timedelta(days=days, minutes=1), older_than_days=days
    )
    assert kept() == []  # well before N days after the consultation's time
