"""Forms of the coordinator's desk."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from wtforms import (
    DateField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    StringField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from web.core.formats import FIRST_YEAR, LAST_YEAR
from web.core.i18n import N_
from web.core.models import BookingStatus
from web.core.schedule import Interval, SlotRules, day_bounds
from web.http.csrf import SecureForm
from web.http.fields import PlainText, strip


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
