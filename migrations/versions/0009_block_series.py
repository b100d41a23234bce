"""Blocks made together (a weekly break: one row per day) share a series, removed together.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("blocked_period") as table:
        table.add_column(sa.Column("series", sa.String(length=32), nullable=True))
    op.create_index("ix_blocked_period_series", "blocked_period", ["series"])


def downgrade() -> None:
    op.drop_index("ix_blocked_period_series", table_name="blocked_period")
    with op.batch_alter_table("blocked_period") as table:
        table.drop_column("series")
