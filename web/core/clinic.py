"""The clinic's profile, read from clinic.toml and checked once at start-up.

A typo in the profile (a time zone that does not exist, closing before opening) must stop the app
with a message that names the field, not surface later as a wrong slot offered to a patient.
pydantic checks the file; the app uses the plain, frozen Clinic made from it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from babel import Locale, UnknownLocaleError
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from web.core import formats
from web.core.i18n import LOCALES, SOURCE_LANGUAGE, catalog_path
from web.core.schedule import Hours, SlotRules


class ClinicConfigError(ValueError):
    pass


@dataclass(frozen=True)
class EmergencyNumber:
    number: str
    services: Mapping[str, str]  # what answers it, per language: "ambulance"

    @property
    def href(self) -> str:
        return "tel:" + self.number


@dataclass(frozen=True)
class Clinic:
    """The profile as one language reads it: `localized` gives the same clinic in another."""

    names: Mapping[str, str]
    publishers: Mapping[str, str]
    legal_names: Mapping[str, str]
    addresses: Mapping[str, str]
    languages: tuple[str, ...]  # the first is the default: Ukrainian, by law
    language: str
    coordinator_phone: str
    email: str
    emergency_numbers: tuple[EmergencyNumber, ...]
    phone_region: str
    channels: tuple[str, ...]
    rules: SlotRules
    # Optional, per language: shown to patients only when clinic.toml gives them.
    consultants: Mapping[str, str] = field(default_factory=dict)
    prices: Mapping[str, str] = field(default_factory=dict)
    # The coordinators' calendar feed names patients by initials unless the clinic says otherwise.
    feed_full_names: bool = False
    # The clinic-local day the hours labels speak of (see `as_of`); None: clinic.toml's hours.
    today: date | None = None
    # The privacy notice: who answers data requests, and the companies processing data for us.
    data_protection_contacts: Mapping[str, str] = field(default_factory=dict)
    processors_by_language: tuple[Mapping[str, str], ...] = ()

    @property
    def default_language(self) -> str:
        return self.languages[0]

    @property
    def name(self) -> str:
        return self.names[self.language]

    @property
    def publisher(self) -> str:
        return self.publishers[self.language]

    @property
    def consultant(self) -> str | None:
        return self.consultants.get(self.language)

    @property
    def price(self) -> str | None:
        return self.prices.get(self.language)

    @property
    def data_protection_contact(self) -> str | None:
        return self.data_protection_contacts.get(self.language)

    @property
    def processors(self) -> list[str]:
        return [processor[self.language] for processor in self.processors_by_language]

    @property
    def legal_name(self) -> str:
        return self.legal_names[self.language]

    @property
    def address(self) -> str:
        return self.addresses[self.language]

    def path_prefix(self, language: str) -> str:
        """Where a language's pages live: the default at the plain URLs, others under /<code>."""
        return "" if language == self.default_language else "/" + language

    def as_of(self, rules: SlotRules, today: date) -> Clinic:
        """The clinic under the rules read from the database, its labels speaking of `today`."""
        return replace(self, rules=rules, today=today)

    @property
    def hours(self) -> Hours:
        """The reception hours in force on `today` (the ones patients are told about)."""
        return self.rules.first_hours if self.today is None else self.rules.on(self.today)

    def localized(self, language: str) -> Clinic:
        return self if language == self.language else replace(self, language=language)

    @property
    def phone_href(self) -> str:
        return "tel:" + "".join(ch for ch in self.coordinator_phone if ch.isdigit() or ch == "+")

    @property
    def zone_label(self) -> str:
        """'Kyiv time' for Europe/Kyiv: how the clinic's clock is named next to every time."""
        return formats.zone_label(self.rules.time_zone, self.language)

    @property
    def weekdays_label(self) -> str:
        """'Monday–Friday' for a run of days, else the days listed."""
        return formats.weekdays_label(self.hours.weekdays, self.language)

    @property
    def hours_label(self) -> str:
        return f"{self.hours.opens:%H:%M}–{self.hours.closes:%H:%M}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Reception(_Strict):
    opens: time
    closes: time
    weekdays: list[StrictInt] = Field(min_length=1)
    slot_minutes: StrictInt = Field(gt=0)
    consultations_per_slot: StrictInt = Field(gt=0)
    minimum_notice_hours: StrictInt = Field(ge=0)
    horizon_days: StrictInt = Field(gt=0)

    @field_validator("weekdays")
    @classmethod
    def _iso_weekdays(cls, days: list[int]) -> list[int]:
        if any(not 1 <= day <= 7 for day in days):
            raise ValueError("must list ISO weekdays, 1 (Monday) to 7 (Sunday)")
        return days

    @model_validator(mode="after")
    def _closes_after_opens(self) -> _Reception:
        if self.closes <= self.opens:
            raise ValueError("'closes' must be later than 'opens'")
        return self


NonEmpty = Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1)]
PerLanguage = dict[StrictStr, NonEmpty]
Dialable = Annotated[StrictStr, StringConstraints(pattern=r"^\+?[0-9]{2,15}$")]


class _EmergencyNumber(_Strict):
    number: Dialable
    service: PerLanguage


class _Profile(_Strict):
    """clinic.toml as written; parse_clinic turns it into the Clinic the app uses."""

    languages: list[StrictStr] = Field(default=["uk", "en"], min_length=1)
    name: PerLanguage
    publisher: PerLanguage
    coordinator_phone: NonEmpty
    email: NonEmpty
    legal_name: PerLanguage
    address: PerLanguage
    emergency_numbers: list[_EmergencyNumber] = Field(min_length=1)
    consultant: PerLanguage | None = None  # who consults, e.g. "a neurosurgeon of the clinic"
    price: PerLanguage | None = None  # e.g. "800 UAH" or "free of charge"
    time_zone: StrictStr = "Europe/Kyiv"
    phone_region: StrictStr = "UA"
    channels: list[NonEmpty] = Field(min_length=1)
    reception: _Reception
    # Calendars that subscribe to the desk's feed are often a phone synced to a personal cloud:
    # patients are named there by initials unless this is true.
    feed_full_names: StrictBool = False
    # Named in the privacy notice: the person responsible for data protection (Law 2297-VI,
    # article 24) and each company that processes patients' data, with its country.
    data_protection_contact: PerLanguage | None = None
    processors: list[PerLanguage] = Field(default_factory=list)

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, codes: list[str]) -> list[str]:
        for code in codes:
            try:
                Locale.parse(code)
            except (ValueError, UnknownLocaleError):
                raise ValueError(f"{code!r} is not a language code like uk or en") from None
        if len(set(codes)) != len(codes):
            raise ValueError("lists a language twice")
        for code in codes:
            if code != SOURCE_LANGUAGE and not catalog_path(code).exists():
                raise ValueError(
                    f"{code!r} has no catalog {catalog_path(code).relative_to(LOCALES.parent)}"
                    " (README: Languages, Add a language)"
                )
        return codes

    @model_validator(mode="after")
    def _text_in_every_language(self) -> _Profile:
        texts = {key: getattr(self, key) for key in ("name", "publisher", "legal_name")}
        texts["address"] = self.address
        for optional in ("consultant", "price", "data_protection_contact"):
            if getattr(self, optional) is not None:
                texts[optional] = getattr(self, optional)
        for entry in self.emergency_numbers:
            texts[f"emergency_numbers ({entry.number}).service"] = entry.service
        for number, processor in enumerate(self.processors, start=1):
            texts[f"processors ({number})"] = processor
        for key, by_language in texts.items():
            missing = [code for code in self.languages if code not in by_language]
            if missing:
                raise ValueError(f"'{key}' has no text in {', '.join(missing)}")
        return self

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{name!r} is not an IANA time zone such as Europe/Kyiv") from None
        return name

    @field_validator("phone_region")
    @classmethod
    def _known_region(cls, code: str) -> str:
        if code.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{code!r} is not a country code like UA")
        return code.upper()


def _describe(error: ErrorDetails) -> str:
    where = ".".join(str(part) for part in error["loc"])
    if error["type"] == "missing":
        return f"clinic.toml: '{where}' is missing"
    message = error["msg"].removeprefix("Value error, ")
    return f"clinic.toml: '{where}' {message} (got {error['input']!r})"


def parse_clinic(data: dict[str, Any]) -> Clinic:
    try:
        profile = _Profile.model_validate(data)
    except ValidationError as error:
        raise ClinicConfigError("\n".join(_describe(e) for e in error.errors())) from None
    reception = profile.reception
    rules = SlotRules(
        time_zone=ZoneInfo(profile.time_zone),
        opens=reception.opens,
        closes=reception.closes,
        weekdays=frozenset(reception.weekdays),
        slot_minutes=reception.slot_minutes,
        capacity=reception.consultations_per_slot,
        minimum_notice=timedelta(hours=reception.minimum_notice_hours),
        horizon_days=reception.horizon_days,
    )
    texts = profile.model_dump(
        include={"coordinator_phone", "email", "phone_region", "feed_full_names"}
    )
    return Clinic(
        **texts,
        names=profile.name,
        publishers=profile.publisher,
        legal_names=profile.legal_name,
        addresses=profile.address,
        emergency_numbers=tuple(
            EmergencyNumber(number=entry.number, services=entry.service)
            for entry in profile.emergency_numbers
        ),
        consultants=profile.consultant or {},
        prices=profile.price or {},
        data_protection_contacts=profile.data_protection_contact or {},
        processors_by_language=tuple(profile.processors),
        languages=tuple(profile.languages),
        language=profile.languages[0],
        channels=tuple(profile.channels),
        rules=rules,
    )


# The examples clinic.toml ships with. A site that patients can reach must name the real
# controller of their data (the privacy notice shows these), so none of them may go live.
EXAMPLE_LEGAL_NAMES = frozenset({"ТОВ «Клініка нейрохірургії»", "Neurosurgery Clinic LLC"})
EXAMPLE_ADDRESSES = frozenset(
    {"вул. Прикладна, 1, Київ, 01001, Україна", "1 Prykladna St, Kyiv 01001, Ukraine"}
)
EXAMPLE_PHONES = frozenset({"380441234567"})  # digits only
# Domains reserved for examples and tests (RFC 2606, RFC 6761): no real mailbox is there.
RESERVED_DOMAINS = ("example", "example.com", "example.net", "example.org", "test", "invalid")


def _reserved_domain(address: str) -> bool:
    domain = address.rpartition("@")[2].lower().rstrip(".")
    return any(domain == d or domain.endswith("." + d) for d in RESERVED_DOMAINS)


def placeholders(clinic: Clinic) -> list[str]:
    """The fields of the profile that still hold the shipped examples, named as in clinic.toml."""
    found = [
        f"legal_name.{code}" for code, v in clinic.legal_names.items() if v in EXAMPLE_LEGAL_NAMES
    ]
    found += [f"address.{code}" for code, v in clinic.addresses.items() if v in EXAMPLE_ADDRESSES]
    if _reserved_domain(clinic.email):
        found.append("email")
    if "".join(ch for ch in clinic.coordinator_phone if ch.isdigit()) in EXAMPLE_PHONES:
        found.append("coordinator_phone")
    return found


def load_clinic(path: Path) -> Clinic:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ClinicConfigError(f"clinic profile not found: {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise ClinicConfigError(f"{path.name} is not valid TOML: {error}") from None
    return parse_clinic(data)
