"""Forms of the coordinator’s desk."""

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
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from web.core.bookings import is_token
from web.core.formats import FIRST_YEAR, LAST_YEAR
from web.core.i18n import N_
from web.core.models import NOTE_MAX, BookingStatus
from web.core.schedule import Hours, Interval, SlotRules, day_bounds
from web.desk.accounts import MIN_PASSWORD_LENGTH
from web.http.csrf import SecureForm
from web.http.fields import PlainText, empty_to_none, strip
from web.http.patient_details import PatientDetailsForm, PhoneNumber


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


class HoursForm(SecureForm):
    """Reception hours from a day on: the times, the weekdays, a consultation's length and how
    many are held at once."""

    since = DateField(
        N_("First day of the new hours"), validators=[InputRequired(N_("Please choose a day."))]
    )
    opens = TimeField(N_("Reception opens"), validators=[InputRequired(N_("Please give a time."))])
    closes = TimeField(
        N_("Reception closes"), validators=[InputRequired(N_("Please give a time."))]
    )
    weekdays = SelectMultipleField(
        N_("Working days"),
        choices=WEEKDAYS,
        coerce=int,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        # Not InputRequired: WTForms would mark every checkbox required, and a browser would then
        # refuse the form until each one is ticked. At least one is checked in validate().
        validators=[Optional()],
    )
    slot_minutes = IntegerField(
        N_("A consultation lasts (minutes)"),
        validators=[
            InputRequired(N_("Please give a whole number of minutes.")),
            NumberRange(10, 240, N_("Between 10 and 240 minutes, please.")),
        ],
    )
    seats = IntegerField(
        N_("Consultations at the same time"),
        validators=[
            InputRequired(N_("Please give a whole number.")),
            NumberRange(1, 20, N_("Between 1 and 20, please.")),
        ],
    )
    confirm = HiddenField()

    def validate_since(self, field: DateField) -> None:
        if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(N_("Please choose a day between 2000 and 2999."))

    def validate(self, extra_validators: object = None) -> bool:
        valid: bool = super().validate(extra_validators)
        if not self.weekdays.data:
            self.weekdays.errors = [N_("Please choose at least one working day.")]
            return False
        opens, closes, minutes = self.opens.data, self.closes.data, self.slot_minutes.data
        if opens and closes and not self.closes.errors:
            if closes <= opens:
                self.closes.errors.append(N_("Reception must close later than it opens."))
                return False
            length = datetime.combine(date.min, closes) - datetime.combine(date.min, opens)
            if minutes and not self.slot_minutes.errors and length < timedelta(minutes=minutes):
                self.slot_minutes.errors.append(
                    N_("Not one consultation of this length fits between these times.")
                )
                return False
        return valid

    def hours(self) -> Hours:
        return Hours(
            opens=self.opens.data,
            closes=self.closes.data,
            weekdays=frozenset(self.weekdays.data),
            slot_minutes=self.slot_minutes.data,
            capacity=self.seats.data,
            since=self.since.data,
        )


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


class ChangesSeenForm(SecureForm):
    """The patients' changes on the desk's home, marked seen up to the newest shown."""

    up_to = IntegerField(validators=[InputRequired()])


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


class CorrectionForm(SecureForm):
    """A patient's corrected contact details, for every booking of theirs: the same rules as
    when they are typed at booking (http/patient_details.py)."""

    name = PatientDetailsForm.name
    phone = PatientDetailsForm.phone
    email = PatientDetailsForm.email

    def __init__(self, *args: Any, phone_region: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name.label.text = N_("Patient’s name")
        self.phone.validators = [*self.phone.validators, PhoneNumber(phone_region)]

    phone_e164: str | None = None  # set by PhoneNumber when the number is valid


class ErasureForm(SecureForm):
    confirm = BooleanField(
        N_(
            "The patient has asked for their data to be erased, and every booking listed above "
            "is theirs."
        ),
        validators=[DataRequired(N_("Please confirm the request and the bookings first."))],
    )


def _password_field(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(N_("Please enter a password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=N_("The password must be 12 to 200 characters long."),
            ),
            PlainText(),
        ],
    )


class NewPasswordForm(SecureForm):
    """A new password typed twice (set through a link, or changed by its owner)."""

    password = _password_field(N_("New password (at least 12 characters)"))
    again = PasswordField(N_("New password again"))

    def validate_again(self, field: PasswordField) -> None:
        if field.data != self.password.data:
            raise ValidationError(N_("The two passwords differ. Please type the same one twice."))


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        N_("Current password"),
        validators=[DataRequired(N_("Please enter your current password.")), Length(max=200)],
    )


class AddAccountForm(SecureForm):
    username = StringField(
        N_("Username"),
        filters=[strip],
        validators=[
            DataRequired(N_("Please enter a username.")),
            Length(max=80, message=N_("Please keep the username under 80 characters.")),
            Regexp(
                r"^[\w.@-]+$",
                message=N_("Use letters, digits and . _ - @ only, without spaces."),
            ),
        ],
    )
