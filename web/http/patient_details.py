"""The patient's details as a form: name, phone, e-mail, contact channel and note, with one set of
rules wherever they are typed, by the patient (patient/forms.py) or by the coordinator taking a
call (desk/forms.py)."""

from __future__ import annotations

from typing import Any

import phonenumbers
from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from web.core.bookings import PatientDetails
from web.core.i18n import N_
from web.core.models import EMAIL_MAX, NAME_MAX, NOTE_MAX
from web.http.csrf import SecureForm
from web.http.fields import PlainText, empty_to_none, strip


def optional(max_length: int, too_long: str, *more: object) -> list[object]:
    """An optional field: empty is fine, else at most max_length characters and `more`."""
    return [Optional(), Length(max=max_length, message=too_long), *more]


class PhoneNumber:
    """Accepts a number a person would type; the form keeps it as typed (to show it back) and
    `form.phone_e164` holds it normalised (+380441234567) for the booking."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.national_prefix = getattr(
            phonenumbers.PhoneMetadata.metadata_for_region(region), "national_prefix", None
        )

    def __call__(self, form: PatientDetailsForm, field: StringField) -> None:
        try:
            number = phonenumbers.parse(field.data or "", self.region, keep_raw_input=True)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise ValidationError(
                N_(
                    "Please enter a phone number we can call, with the country code if you are "
                    "outside Ukraine, for example +380 67 123 4567."
                )
            )
        if self._needs_country_code(number):
            # "512 345 678" is a Polish mobile, not a Ukrainian number without its leading 0.
            raise ValidationError(
                N_(
                    "Please add the country code, for example +48 512 345 678, or write a "
                    "Ukrainian number with its leading 0, for example 067 123 4567."
                )
            )
        form.phone_e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def _needs_country_code(self, number: phonenumbers.PhoneNumber) -> bool:
        """Typed without a country code and without the national trunk prefix: ambiguous."""
        typed_national = (
            number.country_code_source == phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY
        )
        digits = "".join(ch for ch in number.raw_input or "" if ch.isdigit())
        return bool(typed_national and self.national_prefix) and not digits.startswith(
            self.national_prefix or ""
        )


class PatientDetailsForm(SecureForm):
    """The fields both booking forms share; each labels them for its reader."""

    name = StringField(
        N_("Your name"),
        filters=[strip],
        validators=[
            DataRequired(N_("Please tell us your name.")),
            Length(max=NAME_MAX, message=N_("Please keep your name under 120 characters.")),
            PlainText(),
        ],
    )
    phone = StringField(
        N_("Phone number"),
        filters=[strip],
        validators=[
            DataRequired(N_("Please give a phone number so that we can reach you.")),
            Length(max=40, message=N_("That phone number is too long.")),
            PlainText(),
        ],
    )
    email = StringField(
        N_("Email (optional)"),
        filters=[empty_to_none],
        validators=optional(
            EMAIL_MAX,
            N_("That email address is too long."),
            PlainText(),
            Email(N_("Please check your email address, for example name@example.com.")),
        ),
    )
    channel = RadioField(N_("How should we contact you?"), validate_choice=True)
    note = TextAreaField(
        N_("Anything you want the doctor to know (optional)"),
        filters=[empty_to_none],
        validators=optional(
            NOTE_MAX, N_("Please keep the note under 500 characters."), PlainText(multiline=True)
        ),
    )

    def __init__(
        self, *args: Any, channels: tuple[str, ...], phone_region: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.channel.choices = [SelectChoice(c) for c in channels]
        self.channel.validators = [DataRequired(N_("Please choose how we should contact you."))]
        self.phone.validators = [*self.phone.validators, PhoneNumber(phone_region)]

    phone_e164: str | None = None  # set by PhoneNumber when the number is valid

    def patient(self, language: str) -> PatientDetails:
        assert self.phone_e164 is not None, "patient() is for a validated form"
        return PatientDetails(
            language=language,
            name=self.name.data,
            phone=self.phone_e164,
            email=self.email.data,
            channel=self.channel.data,
            note=self.note.data,
        )
