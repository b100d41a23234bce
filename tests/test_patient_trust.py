"""Urgent advice where a patient might wait instead of getting help, and the privacy notice.

The real profile: Ukrainian at the plain URLs, English under /en/.
"""

from __future__ import annotations

import re
import tomllib
from html import unescape

import pytest
from starlette.testclient import TestClient

from tests.booking_helpers import offered_starts
from tests.conftest import REAL_CLINIC, Clock, make_settings
from web.app import create_app
from web.cli import migrate
from web.core.clinic import ClinicConfigError, parse_clinic

CONDITION = "/conditions/hemifacial-spasm"
URGENT = re.compile(r'<aside class="card urgent".*?</aside>', re.S)
FAST = {
    "uk": ["Обличчя:", "Руки:", "Мовлення:", "Час:"],
    "en": ["Face:", "Arms:", "Speech:", "Time:"],
}
SAME_DAY = {"uk": "того ж дня", "en": "same day"}


def urgent_card(html: str) -> str:
    [card] = URGENT.findall(html)
    return card


def patient_pages(site, prefix: str) -> list[str]:
    start = offered_starts(site, prefix + "/consultation")[0]
    return [
        prefix + "/",
        prefix + CONDITION,
        prefix + "/consultation",
        f"{prefix}/consultation/book?start={start}",
    ]


@pytest.mark.parametrize(("language", "prefix"), [("uk", ""), ("en", "/en")])
def test_urgent_advice_on_home_condition_picker_and_form(uk_site, language, prefix):
    for path in patient_pages(uk_site, prefix):
        card = urgent_card(uk_site.get(path).text)
        # Both numbers from clinic.toml, each a link that dials it.
        assert '<a href="tel:103">103</a>' in card and '<a href="tel:112">112</a>' in card, path
        assert [sign for sign in FAST[language] if sign not in card] == [], path
        assert SAME_DAY[language] in card
        # The figure is followed by its source.
        [hours] = [s for s in re.split(r"(?<=\.)\s", card) if "72" in s]
        assert 'class="cite">NHS</a>' in hours


def test_emergency_numbers_come_from_the_profile(tmp_path):
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
        "title": "Повідомлення про конфіденційність",
        "facts": [
            "ТОВ «Клініка нейрохірургії»",
            "вул. Прикладна, 1, Київ",
            "однозначної згоди",
            "Лікар, який вас консультує",
            "Поштовий сервіс",
            "через 180 днів після консультації",
            "показати, виправити чи видалити",
        ],
    },
    "en": {
        "title": "Privacy notice",
        "facts": [
            "Neurosurgery Clinic LLC",
            "1 Prykladna St, Kyiv",
            "explicit consent",
            "The doctor who consults you",
            "The e-mail provider",
            "180 days after your consultation",
            "show you, correct or delete",
        ],
    },
}


@pytest.mark.parametrize(("language", "prefix"), [("uk", ""), ("en", "/en")])
def test_the_privacy_notice_says_who_what_why_who_sees_how_long_and_rights(
    uk_site, language, prefix
):
    response = uk_site.get(prefix + "/privacy")
    assert response.status_code == 200
    text = unescape(re.sub(r"\s+", " ", response.text)).replace("’", "'")
    assert f"<h1>{PRIVACY[language]['title']}</h1>" in text
    assert [fact for fact in PRIVACY[language]["facts"] if fact not in text] == []
    assert "coordinator@clinic.example" in text and "tel:+380441234567" in text


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_the_consent_checkbox_and_the_footer_link_to_the_privacy_notice(uk_site, prefix):
    start = offered_starts(uk_site, prefix + "/consultation")[0]
    form = uk_site.get(f"{prefix}/consultation/book?start={start}").text
    consent = re.search(r'<input[^>]*id="consent"[^>]*>', form).group(0)
    assert 'aria-describedby="consent-hint"' in consent
    hint = re.search(r'<p class="hint" id="consent-hint">(.*?)</p>', form).group(1)
    assert f'href="{prefix}/privacy"' in hint
    for path in (prefix + "/", prefix + CONDITION):
        footer = uk_site.get(path).text.split('<footer class="site-footer">')[1]
        assert f'href="{prefix}/privacy"' in footer


def test_the_notice_gives_the_retention_days_the_purge_uses(tmp_path):
    url = f"sqlite:///{tmp_path / 'retention.db'}"
    migrate(url)
    settings = make_settings(url, clinic_file=REAL_CLINIC, retention_days=31)
    with TestClient(create_app(settings, clock=Clock())) as client:
        assert "через 31 день після консультації" in client.get("/privacy").text
        assert "31 days after your consultation" in client.get("/en/privacy").text
