"""Storing the patient's answers to the intake questions: one row per booking, written through
the manage link while the consultation is still ahead."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, Engine
from sqlmodel import Session, col, select

from web.core.bookings import get_booking
from web.core.content import Library
from web.core.db import session_scope
from web.core.errors import AnswersClosed
from web.core.intake import Answers, QuestionSet, summary
from web.core.models import Booking, BookingStatus, IntakeAnswers

# Called in the saving transaction (the coordinator's alert); `changed`: answered before.
OnAnswered = Callable[[Connection, Booking, IntakeAnswers, bool], None]


def can_answer(booking: Booking, now: datetime) -> bool:
    """Answers are given and changed until the consultation begins."""
    return booking.status == BookingStatus.CONFIRMED and booking.starts_at > now


def answers_of(session: Session, booking_id: int | None) -> IntakeAnswers | None:
    return session.exec(
        select(IntakeAnswers).where(col(IntakeAnswers.booking_id) == booking_id)
    ).first()


def answers_for(engine: Engine, booking_id: int | None) -> IntakeAnswers | None:
    with Session(engine) as session:
        return answers_of(session, booking_id)


def answers_by_booking(session: Session, booking_ids: list[int]) -> dict[int, IntakeAnswers]:
    """The answers of many bookings at once (the day view, the export)."""
    if not booking_ids:
        return {}
    rows = session.exec(
        select(IntakeAnswers).where(col(IntakeAnswers.booking_id).in_(booking_ids))
    ).all()
    return {row.booking_id: row for row in rows}


def save_answers(
    *,
    engine: Engine,
    token: str,
    condition: str,
    questions: QuestionSet,
    answers: Answers,
    now: datetime,
    on_answered: OnAnswered,
) -> IntakeAnswers:
    """Give or replace the answers of the booking behind `token`; AnswersClosed once its
    consultation has begun or it was cancelled."""
    with session_scope(engine) as session:
        booking = get_booking(session, token)
        if not can_answer(booking, now):
            raise AnswersClosed
        row = answers_of(session, booking.id)
        changed = row is not None
        if row is None:
            assert booking.id is not None
            row = IntakeAnswers(
                booking_id=booking.id,
                condition=condition,
                version=questions.version,
                answers=answers,
                answered_at=now,
                updated_at=now,
            )
        else:
            row.condition, row.version, row.answers = condition, questions.version, answers
            row.updated_at = now
        session.add(row)
        session.flush()
        on_answered(session.connection(), booking, row, changed)
        return row


def described(
    row: IntakeAnswers | None, library: Library, language: str
) -> list[tuple[str, str, str]]:
    """(short label, question, answer) of a booking's answers, in `language` (the desk's)."""
    if row is None:
        return []
    condition = library.get(language, {}).get(row.condition)
    questions = condition.questions if condition else None
    return summary(questions, row.answers, language)


def compact(lines: list[tuple[str, str, str]]) -> str:
    """One line for a list or a spreadsheet cell: "Side: left; Since: 2019-05; …"."""
    return "; ".join(f"{short}: {answer}" for short, _, answer in lines)


def condition_title(slug: str | None, library: Library, language: str) -> str:
    condition = library.get(language, {}).get(slug or "")
    return condition.title if condition else (slug or "")
