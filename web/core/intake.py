"""Questions a condition asks before the consultation, and the patient's answers to them.

Each condition's content file declares its questions in its front matter (`intake:`), in its own
language; the files of one condition must ask the same questions (the same ids, kinds and options)
so that an answer given in one language reads the same in the other. Answers are stored as data
(`{question id: option id, [option ids], "2019" or "2019-05", "yes"/"no", or text}`) with the
version of the question set they answer, so the desk can show them in its own language.

Every question is optional: an empty form is a valid answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from web.core import formats, i18n
from web.core.i18n import N_
from web.core.plain_text import CONTROL_CHARACTERS, MULTI_LINE_CONTROLS

# single choice, multiple choice, a year (with an optional month), yes/no, short text
KINDS = ("choice", "choices", "month", "yes_no", "text")
TEXT_MAX = 300
YEARS_BACK = 80  # the oldest year offered for "since when"
YES_NO = (("yes", N_("Yes")), ("no", N_("No")))
_ID = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")

NOT_AN_OPTION = N_("Please choose one of the options shown.")
NO_YEAR = N_("Please choose the year as well as the month.")
IN_FUTURE = N_("That date is still to come. Please choose a date in the past.")
TOO_LONG = N_("Please keep this answer under 300 characters.")

Answer = str | list[str]
Answers = dict[str, Answer]


class QuestionError(ValueError):
    """A question set in a content file that cannot be used: the message names file and question."""


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    text: str
    short: str  # the desk's compact summary names the answer by it ("Side: left")
    hint: str | None
    options: tuple[tuple[str, str], ...]  # (id, label); for yes/no the labels are the catalog's

    def label_of(self, value: str, gettext: Callable[[str], str]) -> str:
        if self.kind == "yes_no":
            return gettext(dict(YES_NO).get(value, value))
        return dict(self.options).get(value, value)


@dataclass(frozen=True)
class QuestionSet:
    version: int
    questions: tuple[Question, ...]

    def shape(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """What must be the same in every language: ids, kinds and option ids, in order."""
        return [(q.id, q.kind, tuple(option for option, _ in q.options)) for q in self.questions]


# --- Reading the content file ---------------------------------------------------------------


def _text(item: Mapping[str, Any], field: str, where: str) -> str:
    value = item.get(field)
    if not isinstance(value, str) or not value.strip():
        raise QuestionError(f"{where}: '{field}' is missing (every question needs it translated)")
    return value.strip()


def _options(item: Mapping[str, Any], kind: str, where: str) -> tuple[tuple[str, str], ...]:
    raw = item.get("options")
    if kind not in ("choice", "choices"):
        if raw is not None:
            raise QuestionError(f"{where}: a '{kind}' question has no options")
        return ()
    if not isinstance(raw, dict) or len(raw) < 2:
        raise QuestionError(f"{where}: a '{kind}' question needs at least two options (id: label)")
    options = []
    for option, label in raw.items():
        if not _ID.match(str(option)):
            raise QuestionError(f"{where}: option id {option!r} must be lowercase a-z, 0-9, _")
        if not isinstance(label, str) or not label.strip():
            raise QuestionError(f"{where}: option {option!r} has no label")
        options.append((str(option), label.strip()))
    return tuple(options)


def parse_question_set(value: object, where: str) -> QuestionSet | None:
    """The front matter's `intake:` (version and questions), or None when the file has none."""
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("questions"), list):
        raise QuestionError(f"{where}: 'intake' needs a version and a list of questions")
    version = value.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise QuestionError(f"{where}: 'intake.version' must be a whole number from 1")
    questions: list[Question] = []
    for number, item in enumerate(value["questions"], start=1):
        if not isinstance(item, dict) or not _ID.match(str(item.get("id", ""))):
            raise QuestionError(f"{where}: question {number} needs an id (lowercase a-z, 0-9, _)")
        at = f"{where}, question '{item['id']}'"
        kind = item.get("kind")
        if kind not in KINDS:
            raise QuestionError(f"{at}: unknown kind {kind!r} (one of {', '.join(KINDS)})")
        if any(q.id == item["id"] for q in questions):
            raise QuestionError(f"{at}: the id is used twice")
        hint = item.get("hint")
        questions.append(
            Question(
                id=str(item["id"]),
                kind=str(kind),
                text=_text(item, "text", at),
                short=_text(item, "short", at),
                hint=hint.strip() if isinstance(hint, str) and hint.strip() else None,
                options=_options(item, str(kind), at),
            )
        )
    if not questions:
        raise QuestionError(f"{where}: 'intake' lists no questions")
    return QuestionSet(version=version, questions=tuple(questions))


def check_same_questions(
    first: QuestionSet | None, first_where: str, other: QuestionSet | None, where: str
) -> None:
    """Every language of a condition asks the same questions (translated, not different)."""
    if first is None and other is None:
        return
    if first is None or other is None:
        has, lacks = (first_where, where) if other is None else (where, first_where)
        raise QuestionError(f"{lacks}: has no 'intake' questions, but {has} has: translate them")
    if first.version != other.version:
        raise QuestionError(f"{where}: intake version {other.version} differs from {first_where}")
    theirs = {question_id: rest for question_id, *rest in other.shape()}
    for question_id, *rest in first.shape():
        if question_id not in theirs:
            raise QuestionError(f"{where}, question '{question_id}': missing (see {first_where})")
        if theirs.pop(question_id) != rest:
            raise QuestionError(
                f"{where}, question '{question_id}': its kind or options differ from {first_where}"
            )
    for question_id in theirs:
        raise QuestionError(f"{where}, question '{question_id}': not in {first_where}")
    if [q for q, *_ in first.shape()] != [q for q, *_ in other.shape()]:
        raise QuestionError(f"{where}: the questions are in another order than in {first_where}")


# --- Reading a patient's answers ------------------------------------------------------------


class Posted:
    """What a form sent: field name -> the values given (the browser's form data)."""

    def __init__(self, values: Mapping[str, Sequence[str]]) -> None:
        self.values = values

    def one(self, name: str) -> str:
        given = self.values.get(name) or [""]
        return given[-1].strip()

    def all(self, name: str) -> list[str]:
        return [value.strip() for value in self.values.get(name) or [] if value.strip()]


def year_choices(today: date) -> list[int]:
    return list(range(today.year, today.year - YEARS_BACK, -1))


def _month(posted: Posted, question_id: str, today: date) -> tuple[Answer | None, str | None]:
    year, month = posted.one(f"{question_id}-year"), posted.one(f"{question_id}-month")
    if not year:
        return None, (NO_YEAR if month else None)
    if not year.isdigit() or int(year) not in year_choices(today):
        return None, NOT_AN_OPTION
    if not month:
        return year, None
    if not month.isdigit() or not 1 <= int(month) <= 12:
        return None, NOT_AN_OPTION
    if (int(year), int(month)) > (today.year, today.month):
        return None, IN_FUTURE
    return f"{year}-{int(month):02d}", None


def read_answers(
    questions: QuestionSet, posted: Posted, *, today: date
) -> tuple[Answers, dict[str, str]]:
    """The answers given (unanswered questions left out) and, by question id, why an answer
    cannot be taken (a message id). Nothing is stored unless there are no errors."""
    answers: Answers = {}
    errors: dict[str, str] = {}
    for question in questions.questions:
        name = question.id
        allowed = {option for option, _ in question.options} | (
            {"yes", "no"} if question.kind == "yes_no" else set()
        )
        answer: Answer | None = None
        error: str | None = None
        if question.kind in ("choice", "yes_no"):
            answer = posted.one(name) or None
            if answer is not None and answer not in allowed:
                answer, error = None, NOT_AN_OPTION
        elif question.kind == "choices":
            chosen = posted.all(name)
            if any(option not in allowed for option in chosen):
                error = NOT_AN_OPTION
            else:  # in the order they are offered, each once
                answer = [option for option, _ in question.options if option in chosen] or None
        elif question.kind == "month":
            answer, error = _month(posted, name, today)
        else:  # text
            answer = posted.one(name) or None
            if answer is not None and len(answer) > TEXT_MAX:
                error = TOO_LONG
            elif answer is not None and MULTI_LINE_CONTROLS.search(answer):
                error = CONTROL_CHARACTERS
        if error:
            errors[name] = error
        elif answer is not None:
            answers[name] = answer
    return answers, errors


def as_posted(answers: Mapping[str, Any]) -> Posted:
    """Stored answers as the form would send them: the form shows them to be changed."""
    values: dict[str, list[str]] = {}
    for name, answer in answers.items():
        if isinstance(answer, list):
            values[name] = [str(option) for option in answer]
        elif isinstance(answer, str) and re.fullmatch(r"\d{4}(-\d{2})?", answer):
            year, _, month = answer.partition("-")
            values[f"{name}-year"], values[f"{name}-month"] = [year], [month.lstrip("0")]
        else:
            values[name] = [str(answer)]
    return Posted(values)


def _shown(question: Question, value: str, language: str) -> str:
    if question.kind == "month":
        year, _, month = value.partition("-")
        if year.isdigit() and month.isdigit() and 1 <= int(month) <= 12:
            return formats.month_of_year(int(year), int(month), language)
        return value
    return question.label_of(value, i18n.translations(language).gettext)


def summary(
    questions: QuestionSet | None, answers: Mapping[str, Any], language: str
) -> list[tuple[str, str, str]]:
    """(short label, full question, answer) for each answered question, in the set's order and
    in `language`; an answer to a question the set no longer asks is shown under its id rather
    than hidden."""
    lines: list[tuple[str, str, str]] = []
    known = {q.id: q for q in questions.questions} if questions else {}
    order = [q.id for q in questions.questions] if questions else []
    for question_id in order + sorted(set(answers) - set(order)):
        if question_id not in answers:
            continue
        answer = answers[question_id]
        question = known.get(question_id)
        if question is None:
            lines.append((question_id, question_id, str(answer)))
            continue
        values = answer if isinstance(answer, list) else [answer]
        shown = ", ".join(_shown(question, str(value), language) for value in values)
        lines.append((question.short, question.text, shown))
    return lines
