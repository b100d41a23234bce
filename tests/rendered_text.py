"""What a reader sees, checked for the faults a native reader notices at once.

Used by test_rendered_text.py over every page, e-mail and invite in both languages: sentences run
together (a template setting that eats the space after a full stop), an apostrophe of another
kind than ’ (U+2019), English left on a Ukrainian page or Ukrainian on an English one, and a
Ukrainian date in the nominative after a preposition ("На субота, 12 грудня").
"""

from __future__ import annotations

import html
import re

from tests.test_languages import english_in, english_phrases

ATTRIBUTES = re.compile(r'(?:aria-label|title|alt|placeholder|data-copied)="([^"]*)"')


BLOCKS = (
    "p|div|li|ul|ol|dl|dt|dd|h[1-6]|section|article|aside|nav|header|footer|main|details|summary"
    "|table|tr|td|th|thead|tbody|form|fieldset|legend|label|option|select|button|blockquote|br"
    "|input|textarea|body|html"
)
BLOCK_TAG = re.compile(rf'</?(?:{BLOCKS}|span class="visually-hidden")\b[^>]*>')


def visible_text(page: str) -> str:
    """The title, text and labelling attributes, without scripts or styles: what a person sees
    or hears. Tags become nothing when inline and a line break when they end a block,
    so "a.<br>B" and "a.</p><p>B" are not read as one fused sentence, but "a.<a>B" is."""
    titles = re.findall(r"<title>(.*?)</title>", page, flags=re.S)
    # Text marked as another language (the consent sentence in every language, read out to a
    # caller) is checked as that language's, not as this page's.
    own = re.search(r'<html lang="([^"]+)"', page)
    if own:
        other = rf'<(li|q|span|p|div)\b[^>]*\blang="(?!{own.group(1)}")[^"]+"[^>]*>.*?</\1>'
        page = re.sub(other, " ", page, flags=re.S)
    page = re.sub(
        r"<head\b.*?</head>|<script\b.*?</script>|<style\b.*?</style>", " ", page, flags=re.S
    )
    labels = "\n".join([*titles, *ATTRIBUTES.findall(page)])
    page = BLOCK_TAG.sub("\n", page)
    text = re.sub(r"<[^>]+>", "", page)
    text = html.unescape(f"{text}\n{labels}")
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


# Addresses, file names and numbers have full stops with no space after them by design.
NOT_PROSE = re.compile(
    r"https?://\S+|\S+@\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|ua|org|gov|uk|example|ics|csv|gov\.ua)\b"
    r"|\d[\d.,:]*\d|\b[A-Z]\.(?:[A-Z]\.)*|\be\.g\.|\bi\.e\.|\(\.(?:ics|csv|xlsx)\)"
)
FUSED = re.compile(r"(?<=[^\s\d])[.!?;](?=[^\s\d.…)»”’,:;!?\"'–—/\]])")
# "2026 р.." when a date that ends in "р." closes a sentence.
DOUBLE_STOP = re.compile(r"(?<![.…])\.\.(?![.…])")
OTHER_APOSTROPHES = re.compile(r"['ʼ‘`´]")
WEEKDAY_NOMINATIVE = "понеділок|вівторок|середа|четвер|пʼятниця|п’ятниця|п'ятниця|субота|неділя"
CASE_AFTER_PREPOSITION = re.compile(
    rf"(?i)\b(?:на|у|в|до|з|із|від|після|о|об|по)[ \t]+(?:{WEEKDAY_NOMINATIVE})\b"
)
# A nominative date inside a sentence: the weekday follows a lower-case word (no colon, no
# start of a line, no opening bracket before it), as in "консультацію четвер, 10 грудня".
DATE_MID_SENTENCE = re.compile(rf"[а-яіїєґ’][ \t]+(?:{WEEKDAY_NOMINATIVE}),[ \t]+\d")
# "Добрий день, Олена Коваленко!": an address needs the vocative, which a name typed into a form
# cannot be put in reliably; the greeting goes without the name.
NAMED_GREETING = re.compile(r"(?:Добрий день|Доброго дня|Вітаємо|Шановн\w+),?[ \t]+[А-ЯІЇЄҐA-Z]")
CYRILLIC_WORD = re.compile(r"[А-Яа-яІіЇїЄєҐґ’]{2,}")
# Names that read the same in both languages, and each language's own name in the switch.
SAME_IN_EVERY_LANGUAGE = {"Українська"}


def prose(text: str) -> str:
    return NOT_PROSE.sub(" ", text)


def faults(text: str, language: str, phrases: set[str] | None = None) -> list[str]:
    """Every fault in one rendered text, each with a little of the text around it."""
    found = []

    def around(match: re.Match[str], source: str) -> str:
        # Digits blanked, so one fault on 84 dates is reported once.
        shown = source[max(0, match.start() - 30) : match.end() + 30].replace("\n", "⏎")
        return re.sub(r"\d", "9", shown)

    cleaned = prose(text)
    for match in FUSED.finditer(cleaned):
        found.append(f"no space after a sentence: …{around(match, cleaned)}…")
    for match in DOUBLE_STOP.finditer(cleaned):
        found.append(f"two full stops: …{around(match, cleaned)}…")
    for match in OTHER_APOSTROPHES.finditer(text):
        found.append(f"apostrophe {match.group()!r}: …{around(match, text)}…")
    if language == "uk":
        for match in NAMED_GREETING.finditer(text):
            found.append(f"greeting by name in the nominative: …{around(match, text)}…")
        for pattern in (CASE_AFTER_PREPOSITION, DATE_MID_SENTENCE):
            for match in pattern.finditer(text):
                found.append(f"date in the nominative: …{around(match, text)}…")
        for phrase in english_in(cleaned, phrases if phrases is not None else english_phrases()):
            found.append(f"English left untranslated: {phrase!r}")
    else:
        for word in set(CYRILLIC_WORD.findall(text)) - SAME_IN_EVERY_LANGUAGE:
            found.append(f"Ukrainian on an English page: {word!r}")
    return found
