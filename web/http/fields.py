"""Filters and validators that every form's text fields share (which characters are refused:
core/plain_text.py)."""

from __future__ import annotations

from typing import Any

from wtforms.validators import ValidationError

from web.core.plain_text import CONTROL_CHARACTERS, MULTI_LINE_CONTROLS, SINGLE_LINE_CONTROLS


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
            raise ValidationError(CONTROL_CHARACTERS)
