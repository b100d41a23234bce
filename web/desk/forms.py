"""Forms of the coordinator's desk."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from web.core.bookings import is_token
from web.core.formats import FIRST_YEAR, LAST_YEAR
from web.core.i18n import N_
from web.core.models import NOTE_MAX, BookingStatus
from web.core.schedule import Interval, SlotRules, day_bounds
from web.http.csrf import SecureForm
from web.http.fields import PlainText, empty_to_none, strip
from web.http.patient_details import PatientDetailsForm


class LoginForm(SecureForm):
    username = StringField(
        N_("Username"),
        validators=[DataRequired(N_("Please enter your username.")), Length(max=80), PlainText()],
    )
    password = PasswordField(
        N_("Password"),
        validators=[DataRequired(N_("Please enter your password.")), Length(max=200), PlainText()],
    )


class StatusForm(SecureForm):
    status = RadioField(
        N_("New status"),
        choices=[
            SelectChoice(BookingStatus.DONE.value, N_("Done: the consultation took place")),
            SelectChoice(
                BookingStatus.NO_SHOW.value, N_("No-show: the patient could not be reached")
            ),
            SelectChoice(BookingStatus.CANCELLED.value, N_("Cancelled by the clinic")),
            SelectChoice(
                BookingStatus.CONFIRMED.value, N_("Back to confirmed: no outcome after all")
            ),
        ],
        validators=[InputRequired(N_("Please choose a status."))],
    )
    reason = StringField(
        N_("Reason (shown to the patient when cancelling)"),
        filters=[strip],
        validators=[
            Length(max=200, message=N_("Please keep the reason under 200 characters.")),
            PlainText(),
        ],
    )

    def validate_reason(self, field: StringField) -> None:
        if self.status.data == BookingStatus.CANCELLED and not field.data:
            raise ValidationError(N_("Please give a reason: the patient will see it."))


class BlockForm(SecureForm):
    day = DateField(N_("Day"), validators=[InputRequired(N_("Please choose a day."))])

    def validate_day(self, field: DateField) -> None:
        if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(N_("Please choose a day between 2000 and 2999."))

    starts = TimeField(N_("From (leave empty to block the whole day)"), validators=[Optional()])
    ends = TimeField(N_("Until"), validators=[Optional()])
    reason = StringField(
        N_("Reason"),
        filters=[strip],
        validators=[DataRequired(N_("Please give a reason.")), Length(max=200), PlainText()],
    )
    confirm = HiddenField()

    def validate(self, extra_validators: object = None) -> bool:
        # Checked here, not in validate_ends: Optional() stops a field's own chain when empty.
        valid: bool = super().validate(extra_validators)
        starts, ends = self.starts.data, self.ends.data
        if (starts is None) != (ends is None) and not (self.starts.errors or self.ends.errors):
            self.ends.errors.append(N_("Give both times, or neither to block the whole day."))
            return False
        if starts and ends and ends <= starts:
            self.ends.errors.append(N_("The end must be later than the start."))
            return False
        return valid

    def interval(self, rules: SlotRules) -> Interval:
        """The blocked period in UTC, from the clinic's wall clock."""
        day: date = self.day.data
        if self.starts.data is None:
            return day_bounds(rules, day)
        return Interval(_at(day, self.starts.data, rules), _at(day, self.ends.data, rules))


def _at(day: date, wall: time, rules: SlotRules) -> datetime:
    return datetime.combine(day, wall, rules.time_zone).astimezone(UTC)


class LanguageForm(SecureForm):
    language = HiddenField()
    next = HiddenField()


class SeenForm(SecureForm):
    """A change to a booking as the coordinator saw it: its invite sequence (every change moves
    it on), status and time then, to say what changed if it changed meanwhile."""

    seen = IntegerField(validators=[Optional()])  # absent: a hand-made post, nothing to compare
    seen_status = HiddenField()
    seen_start = HiddenField()


class ChangeStatusForm(SeenForm, StatusForm):
    pass


class CallerForm(PatientDetailsForm):
    """A caller booked by the coordinator: the patient's details, the language of their messages,
    and their consent as told on the phone (recorded as given to this coordinator)."""

    language = RadioField(N_("Language of the patient's e-mails"), validate_choice=True)
    consent = BooleanField(
        N_(
            "The patient agreed on the phone that the clinic may process their health "
            "information to arrange and hold this consultation, as the privacy notice says."
        ),
        validators=[DataRequired(N_("Please ask the patient for their consent first."))],
    )
    start = HiddenField()
    key = HiddenField()

    def __init__(self, *args: Any, languages: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name.label.text = N_("Patient's name")
        self.channel.label.text = N_("How the consultation will happen")
        self.note.label.text = N_("What the patient wants the doctor to know (optional)")
        self.language.choices = [SelectChoice(code, name) for code, name in languages.items()]
        if not self.language.data:
            self.language.data = next(iter(languages))

    @property
    def has_valid_key(self) -> bool:
        return is_token(self.key.data or "")


class MoveForm(SeenForm):
    start = HiddenField()
    message = TextAreaField(
        N_("Message to the patient (optional, in the e-mail)"),
        filters=[empty_to_none],
        validators=[
            Optional(),
            Length(max=NOTE_MAX, message=N_("Please keep the message under 500 characters.")),
            PlainText(multiline=True),
        ],
    )


class NoteForm(SecureForm):
    text = TextAreaField(
        N_("Clinic-only note"),
        filters=[strip],
        validators=[
            DataRequired(N_("Please write the note.")),
            Length(max=NOTE_MAX, message=N_("Please keep the clinic-only note to 500 characters.")),
            PlainText(multiline=True),
        ],
    )
