"""How a patient's consent to the processing of their health information was given.

Online, the patient ticks the box on the booking form; by phone, the coordinator who takes the
call records that the patient agreed. Either way the booking keeps when, how, who recorded it and
which version of the privacy notice the patient was told about.
"""

from __future__ import annotations

from enum import StrEnum

from web.core.i18n import N_, translate

# The date the privacy notice (templates/privacy.html) last changed in substance; raise it with
# every such change, so each booking says which text its patient agreed to.
PRIVACY_NOTICE_VERSION = "2026-12-09"


class ConsentGiven(StrEnum):
    ONLINE = "online"  # the patient ticked the box on the booking form
    BY_PHONE = "phone"  # told to the coordinator, who recorded it (consent_recorded_by)


# The one sentence a patient agrees to: the label of the booking form's checkbox, what the
# coordinator reads out to a caller, and (in the booking's language) what each booking stores.
# Change it here (and in the catalog) only: every place that shows or stores it follows.
CONSENT_TEXT = N_(
    "I agree that the clinic may process my health information to arrange and hold "
    "this consultation."
)


def consent_text(language: str) -> str:
    """The consent sentence as the patient read or heard it, in their booking's language."""
    return translate(language, CONSENT_TEXT)
