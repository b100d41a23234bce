"""Filters and validators that every form's text fields share.

Control characters never reach the database: PostgreSQL refuses NUL in text outright, and a form
feed in a note once made a strict calendar parser reject a whole feed.
"""

from __future__ import annotations

import re
from typing import Any

from wtforms.validators import ValidationError

from web.core.i18n import N_

SINGLE_LINE_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MULTI_LINE_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # tab and newlines pass


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def empty_to_none(value: str | None) -> str | None:
    return strip(value) or None


class PlainText:
    """Refuses invisible control characters, with a message a person can act on."""

    def __init__(self, *, multiline: bool = False) -> None:
        self.pattern = MULTI_LINE_CONTROLS if multiline else SINGLE_LINE_CONTROLS

    def __call__(self, form: Any, field: Any) -> None:
        if isinstance(field.data, str) and self.pattern.search(field.data):
            raise ValidationError(
                N_("This field contains invisible control characters. Please type it again.")
            )
