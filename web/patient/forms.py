"""The patient's booking form: their details (http/patient_details.py), their consent, and what
keeps a resent form or a bot from booking twice."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import DataRequired

from web.core.bookings import is_token
from web.core.consent import CONSENT_TEXT
from web.core.i18n import N_
from web.http.csrf import SecureForm
from web.http.patient_details import PatientDetailsForm


class BookingForm(PatientDetailsForm):
    consent = BooleanField(
        CONSENT_TEXT,
        validators=[DataRequired(N_("We need your consent before we can book a consultation."))],
    )
    # A field hidden from people; bots that fill every input give themselves away.
    website = StringField(N_("Leave this empty"))
    start = HiddenField()
    key = HiddenField()
    about = HiddenField()  # the condition page it was booked from (its questions come after)

    @property
    def is_bot(self) -> bool:
        return bool(self.website.data)

    @property
    def has_valid_key(self) -> bool:
        return is_token(self.key.data or "")


class ConfirmForm(SecureForm):
    """Cancel: nothing to fill in, but still a POST that must come from our own page."""


class RescheduleForm(SecureForm):
    start = HiddenField()
