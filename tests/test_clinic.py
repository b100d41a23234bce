"""The clinic profile: the real file loads, and each kind of mistake is named clearly."""

from __future__ import annotations

import tomllib
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pytest

from web.core.clinic import ClinicConfigError, load_clinic, parse_clinic
from web.settings import PROJECT_ROOT

REAL = PROJECT_ROOT / "clinic.toml"


def profile(**reception_changes: object) -> dict[str, Any]:
    data = tomllib.loads(REAL.read_text(encoding="utf-8"))
    data["reception"].update(reception_changes)
    return data


def test_the_clinic_profile_loads_with_the_reception_hours() -> None:
    clinic = load_clinic(REAL)
    assert clinic.rules.opens == time(9, 30) and clinic.rules.closes == time(15, 0)
    assert clinic.rules.time_zone.key == "Europe/Kyiv"
    assert clinic.rules.weekdays == frozenset({1, 2, 3, 4, 5})
    assert clinic.rules.slot_minutes == 30 and clinic.rules.capacity == 1
    assert clinic.rules.minimum_notice == timedelta(hours=2) and clinic.rules.horizon_days == 21
    assert "Viber" in clinic.channels
    assert clinic.phone_href == "tel:+380441234567"
    assert clinic.languages == ("uk", "en") and clinic.language == "uk"
    assert clinic.name == "Клініка нейрохірургії"
    assert clinic.zone_label == "за київським часом"
    assert clinic.weekdays_label == "понеділок–п’ятниця"
    english = clinic.localized("en")
    assert english.name == "Neurosurgery Clinic" and english.zone_label == "Kyiv time"
    assert english.weekdays_label == "Monday–Friday"


def test_weekdays_label_lists_days_that_do_not_run_on() -> None:
    clinic = parse_clinic(profile(weekdays=[1, 3, 5]))
    assert clinic.localized("en").weekdays_label == "Monday, Wednesday, and Friday"
    assert clinic.weekdays_label == "понеділок, середа і п’ятниця"
    assert parse_clinic(profile(weekdays=[6])).localized("en").weekdays_label == "Saturday"


def test_every_language_needs_the_clinic_name() -> None:
    data = profile()
    del data["name"]["en"]
    with pytest.raises(ClinicConfigError, match="'name' has no text in en"):
        parse_clinic(data)
    data = profile()
    data["languages"] = ["uk", "xx-nonsense"]
    with pytest.raises(ClinicConfigError, match="not a language code"):
        parse_clinic(data)
    data["languages"] = ["uk", "en", "pl"]  # English needs none: its text is the msgids
    with pytest.raises(ClinicConfigError, match="'pl' has no catalog locales/pl/LC_MESSAGES"):
        parse_clinic(data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"opens": "9.30"}, "reception.opens"),
        ({"closes": "09:00"}, "later than"),
        ({"weekdays": [0, 8]}, "ISO weekdays"),
        ({"slot_minutes": 0}, "slot_minutes"),
        ({"consultations_per_slot": "two"}, "consultations_per_slot"),
        ({"horizon_days": -1}, "horizon_days"),
    ],
)
def test_bad_reception_values_are_named(change: dict[str, object], message: str) -> None:
    with pytest.raises(ClinicConfigError, match=message):
        parse_clinic(profile(**change))


def test_unknown_time_zone_is_named() -> None:
    data = profile()
    data["time_zone"] = "Europe/Atlantis"
    with pytest.raises(ClinicConfigError, match="IANA time zone"):
        parse_clinic(data)


def test_missing_field_and_bad_toml(tmp_path: Path) -> None:
    data = profile()
    del data["name"]
    with pytest.raises(ClinicConfigError, match="'name' is missing"):
        parse_clinic(data)
    broken = tmp_path / "clinic.toml"
    broken.write_text("name = ", encoding="utf-8")
    with pytest.raises(ClinicConfigError, match="not valid TOML"):
        load_clinic(broken)
