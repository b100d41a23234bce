"""Intake questions: the condition a booking was made from, and the patient's answers to its
questions before the consultation (one row per booking, structured, with the question set's
version).

Bookings from before were made without a condition (NULL) and have no answers.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("booking") as table:
        table.add_column(sa.Column("condition", sa.String(length=80), nullable=True))
    op.create_table(
        "intake_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("booking_id", sa.Integer(), sa.ForeignKey("booking.id"), nullable=False),
        sa.Column("condition", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("booking_id"),
    )


def downgrade() -> None:
    op.drop_table("intake_answers")
    with op.batch_alter_table("booking") as table:
        table.drop_column("condition")
