"""Bookings and blocked periods.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE_BOOKING = sa.text("status <> 'cancelled'")


def upgrade() -> None:
    op.create_table(
        "booking",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("patient_name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_booking_starts_at", "booking", ["starts_at"])
    op.create_index("ix_booking_token_hash", "booking", ["token_hash"], unique=True)
    op.create_index(
        "uq_booking_active_seat",
        "booking",
        ["starts_at", "seat"],
        unique=True,
        sqlite_where=ACTIVE_BOOKING,
        postgresql_where=ACTIVE_BOOKING,
    )
    op.create_table(
        "blocked_period",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_blocked_period_starts_at", "blocked_period", ["starts_at"])


def downgrade() -> None:
    op.drop_index("ix_blocked_period_starts_at", table_name="blocked_period")
    op.drop_table("blocked_period")
    op.drop_index("uq_booking_active_seat", table_name="booking")
    op.drop_index("ix_booking_token_hash", table_name="booking")
    op.drop_index("ix_booking_starts_at", table_name="booking")
    op.drop_table("booking")
