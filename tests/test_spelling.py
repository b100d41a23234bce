"""Debian's Ukrainian hunspell dictionary (hunspell-uk) knows every Ukrainian word a patient or
coordinator reads: every page, e-mail and invite, but for a short, reviewed list of medical and
other terms it lacks (tests/fixtures/uk-medical-words.txt). A misspelling, a Russian form or an
English word glued to a Ukrainian one ("деньПерейти") fails here."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from starlette.testclient import TestClient

from tests.conftest import app_of, need
from tests.crawl import every_page
from tests.rendered_text import visible_text
from tests.test_rendered_text import (
    a_booking,
    every_weekday_of_every_month,
    invite_text,
    messages_for,
)
from web.core.invites import build_invite
from web.core.models import OutboxMessage

DICTIONARY = Path("/usr/share/hunspell/uk_UA.dic")
KNOWN_TERMS = Path(__file__).parent / "fixtures" / "uk-medical-words.txt"
# A Ukrainian word: Cyrillic letters, with an apostrophe or a hyphen inside.
WORD = re.compile(r"[А-Яа-яІіЇїЄєҐґ]+(?:[’'ʼ-][А-Яа-яІіЇїЄєҐґ]+)*")


def known_terms() -> set[str]:
    lines = KNOWN_TERMS.read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def unknown_words(text: str) -> set[str]:
    """The words hunspell's uk_UA dictionary does not know."""
    words = sorted(set(WORD.findall(text)))
    checked = subprocess.run(
        ["hunspell", "-d", "uk_UA", "-l", "-i", "utf-8"],
        input="\n".join(words),
        capture_output=True,
        text=True,
        check=True,
    )
    return set(checked.stdout.split())


def ukrainian_texts(site: TestClient) -> list[str]:
    pages = [visible_text(page) for page in every_page(site).values()]
    notifier, clinic = app_of(site).state.notifier, app_of(site).state.clinic
    mails = []
    for day in every_weekday_of_every_month():
        for kind, context, changes in messages_for(day, "uk"):
            booking = a_booking(day, "uk", **changes)
            # Only what the renderer reads: the rest of the row is what it writes.
            message = OutboxMessage(  # type: ignore[call-arg]
                kind=kind, context=json.dumps(context), recipient="x@y.z"
            )
            mail = notifier.render(message, booking)
            mails += [mail.subject, mail.text, visible_text(mail.html)]
        for status in ("confirmed", "cancelled"):
            ics = build_invite(clinic, a_booking(day, "uk", status=status), manage_url="https://x/")
            mails.append(invite_text(ics))
    return pages + mails


def test_hunspell_knows_every_ukrainian_word_but_the_reviewed_terms(uk_site: TestClient) -> None:
    need(
        shutil.which("hunspell") and DICTIONARY.exists(),
        "hunspell and hunspell-uk (apt-get install hunspell hunspell-uk)",
    )
    unknown = unknown_words("\n".join(ukrainian_texts(uk_site)))
    assert sorted(unknown - known_terms()) == []
    # The list stays short and true: a term hunspell learns, or the site stops using, goes.
    assert sorted(known_terms() - unknown) == []
