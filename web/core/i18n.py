"""The site's languages: gettext catalogs (Babel) read once, and plural-aware lookups.

English is the source language: every message is written in English in the code, and that text
is the msgid. So English has no catalog (its text is the msgids, plurals with English's two
forms); every other language has locales/<lang>/LC_MESSAGES/messages.po, compiled in memory when
first used, so there is no build step and no binary file to keep in step with its source. Pages,
e-mails and invites all translate through here.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = Path(__file__).resolve().parents[2] / "locales"
SOURCE_LANGUAGE = "en"  # the language of the msgids


def catalog_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / "messages.po"


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; it is translated where it is shown."""
    return message


@cache
def translations(language: str) -> NullTranslations:
    path = catalog_path(language)
    if language == SOURCE_LANGUAGE or not path.exists():  # clinic.py refuses a missing catalog
        return NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def translate(language: str, message: str) -> str:
    return translations(language).gettext(message)


def translate_plural(language: str, singular: str, plural: str, count: int) -> str:
    return translations(language).ngettext(singular, plural, count)


# Channel names come from clinic.toml and are shown through the catalog; brand names (Viber,
# Zoom) read the same everywhere, but these need a translation, so they are listed for extraction.
CHANNEL_NAMES = (N_("Phone call"), N_("Video call"), N_("Email"))
