"""The clinic's profile, read from clinic.toml and checked once at start-up.

A typo in the profile (a time zone that does not exist, closing before opening) must stop the app
with a message that names the field, not surface later as a wrong slot offered to a patient.
"""

from __future__ import annotations

import calendar
import tomllib
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from web.schedule import SlotRules


class ClinicConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Clinic:
    name: str
    publisher: str
    coordinator_phone: str
    email: str
    emergency_number: str
    phone_region: str
    channels: tuple[str, ...]
    rules: SlotRules

    @property
    def phone_href(self) -> str:
        return "tel:" + "".join(ch for ch in self.coordinator_phone if ch.isdigit() or ch == "+")

    @property
    def zone_label(self) -> str:
        """'Kyiv time' for Europe/Kyiv: how the clinic's clock is named next to every time."""
        return self.rules.time_zone.key.rsplit("/", 1)[-1].replace("_", " ") + " time"

    @property
    def weekdays_label(self) -> str:
        """'Monday to Friday' for a run of days, else the days listed."""
        days = sorted(self.rules.weekdays)
        names = [calendar.day_name[day - 1] for day in days]
        if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
            return f"{names[0]} to {names[-1]}"
        return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]

    @property
    def hours_label(self) -> str:
        return f"{self.rules.opens:%H:%M}–{self.rules.closes:%H:%M}"


def _require(table: dict[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in table:
        raise ClinicConfigError(f"clinic.toml: '{where}{key}' is missing")
    value = table[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ClinicConfigError(
            f"clinic.toml: '{where}{key}' must be {kind.__name__}, got {value!r}"
        )
    return value


def _text(table: dict[str, Any], key: str, where: str = "") -> str:
    value = _require(table, key, str, where).strip()
    if not value:
        raise ClinicConfigError(f"clinic.toml: '{where}{key}' must not be empty")
    return value


def _positive(table: dict[str, Any], key: str, where: str, *, allow_zero: bool = False) -> int:
    value = _require(table, key, int, where)
    if value < 0 or (value == 0 and not allow_zero):
        raise ClinicConfigError(f"clinic.toml: '{where}{key}' must be positive, got {value}")
    return value


def _clock(table: dict[str, Any], key: str, where: str) -> time:
    raw = _require(table, key, str, where)
    try:
        return time.fromisoformat(raw)
    except ValueError:
        raise ClinicConfigError(
            f"clinic.toml: '{where}{key}' must be a time like 09:30, got {raw!r}"
        ) from None


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ClinicConfigError(
            f"clinic.toml: 'time_zone' {name!r} is not an IANA time zone such as Europe/Kyiv"
        ) from None


def _phone_region(code: object) -> str:
    if not isinstance(code, str) or code.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ClinicConfigError(
            f"clinic.toml: 'phone_region' {code!r} is not a country code like UA"
        )
    return code.upper()


def parse_clinic(data: dict[str, Any]) -> Clinic:
    reception = _require(data, "reception", dict, "")
    where = "reception."
    opens, closes = _clock(reception, "opens", where), _clock(reception, "closes", where)
    if closes <= opens:
        raise ClinicConfigError("clinic.toml: 'reception.closes' must be later than 'opens'")
    weekdays = _require(reception, "weekdays", list, where)
    if not weekdays or any(not isinstance(d, int) or not 1 <= d <= 7 for d in weekdays):
        raise ClinicConfigError(
            "clinic.toml: 'reception.weekdays' must list ISO weekdays, 1 (Monday) to 7 (Sunday)"
        )
    channels = _require(data, "channels", list, "")
    if not channels or any(not isinstance(c, str) or not c.strip() for c in channels):
        raise ClinicConfigError("clinic.toml: 'channels' must be a non-empty list of names")
    rules = SlotRules(
        time_zone=_zone(data.get("time_zone", "Europe/Kyiv")),
        opens=opens,
        closes=closes,
        weekdays=frozenset(weekdays),
        slot_minutes=_positive(reception, "slot_minutes", where),
        capacity=_positive(reception, "consultations_per_slot", where),
        minimum_notice=timedelta(
            hours=_positive(reception, "minimum_notice_hours", where, allow_zero=True)
        ),
        horizon_days=_positive(reception, "horizon_days", where),
    )
    return Clinic(
        name=_text(data, "name"),
        publisher=_text(data, "publisher"),
        coordinator_phone=_text(data, "coordinator_phone"),
        email=_text(data, "email"),
        emergency_number=_text(data, "emergency_number"),
        phone_region=_phone_region(data.get("phone_region", "UA")),
        channels=tuple(c.strip() for c in channels),
        rules=rules,
    )


def load_clinic(path: Path) -> Clinic:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ClinicConfigError(f"clinic profile not found: {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise ClinicConfigError(f"{path.name} is not valid TOML: {error}") from None
    return parse_clinic(data)
