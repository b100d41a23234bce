"""Forms of the coordinator's desk."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

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


WEEKDAYS = [
    SelectChoice(1, N_("Mon")),
    SelectChoice(2, N_("Tue")),
    SelectChoice(3, N_("Wed")),
    SelectChoice(4, N_("Thu")),
    SelectChoice(5, N_("Fri")),
    SelectChoice(6, N_("Sat")),
    SelectChoice(7, N_("Sun")),
]
LONGEST_BLOCK = timedelta(days=366)


class BlockForm(SecureForm):
    """One form for the three kinds of blocked time: whole days (a first and a last day), a time
    range on one day, or a weekly break (a time range on chosen weekdays until a date)."""

    day = DateField(N_("First day"), validators=[InputRequired(N_("Please choose a day."))])
    last_day = DateField(N_("Last day (for several whole days)"), validators=[Optional()])
    starts = TimeField(N_("From (leave empty to block whole days)"), validators=[Optional()])
    ends = TimeField(N_("Until"), validators=[Optional()])
    weekdays = SelectMultipleField(
        N_("Repeat every week on"),
        choices=WEEKDAYS,
        coerce=int,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validators=[Optional()],
    )
    until = DateField(N_("Repeat until"), validators=[Optional()])
    reason = StringField(
        N_("Reason"),
        filters=[strip],
        validators=[DataRequired(N_("Please give a reason.")), Length(max=200), PlainText()],
    )
    confirm = HiddenField()

    def validate_day(self, field: DateField) -> None:
        if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(N_("Please choose a day between 2000 and 2999."))

    def validate(self, extra_validators: object = None) -> bool:
        # Checked here, not in validate_ends: Optional() stops a field's own chain when empty.
        valid: bool = super().validate(extra_validators)
        starts, ends, first = self.starts.data, self.ends.data, self.day.data
        last, until, weekdays = self.last_day.data, self.until.data, self.weekdays.data
        if (starts is None) != (ends is None) and not (self.starts.errors or self.ends.errors):
            self.ends.errors.append(N_("Give both times, or neither to block the whole day."))
            return False
        if starts and ends and ends <= starts:
            self.ends.errors.append(N_("The end must be later than the start."))
            return False
        if first and last and (last < first or last - first > LONGEST_BLOCK):
            self.last_day.errors.append(
                N_("The last day must come after the first, within a year.")
            )
            return False
        if weekdays and not (starts and until):
            self.until.errors.append(N_("A weekly break needs its times and a last date."))
            return False
        if first and until and (until < first or until - first > LONGEST_BLOCK):
            self.until.errors.append(N_("Repeat until a date after the first day, within a year."))
            return False
        return valid

    def intervals(self, rules: SlotRules) -> list[Interval]:
        """The blocked periods in UTC, from the clinic's wall clock: one for whole days or a
        time range, one per matching day for a weekly break."""
        first: date = self.day.data
        if self.weekdays.data:
            chosen = set(self.weekdays.data)
            days = [
                first + timedelta(days=offset)
                for offset in range((self.until.data - first).days + 1)
                if (first + timedelta(days=offset)).isoweekday() in chosen
            ]
            return [self._time_range(day, rules) for day in days]
        if self.starts.data is not None:
            return [self._time_range(first, rules)]
        last: date = self.last_day.data or first
        return [Interval(day_bounds(rules, first).start, day_bounds(rules, last).end)]

    def _time_range(self, day: date, rules: SlotRules) -> Interval:
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

    language = RadioField(N_("Language of the patient’s e-mails"), validate_choice=True)
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
        self.name.label.text = N_("Patient’s name")
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
