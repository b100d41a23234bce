"""Consent that can be proven, and erasure on request: each booking keeps the exact consent text
its patient agreed to (or the coordinator read out), and the time its personal data was erased.

Bookings from before keep no text (NULL: the desk says "not recorded"); none was erased.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("booking") as table:
        table.add_column(sa.Column("consent_text", sa.Text(), nullable=True))
        table.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("booking") as table:
        table.drop_column("erased_at")
        table.drop_column("consent_text")
