"""Languages: each booking keeps the language it was made in; each coordinator picks the desk's.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Bookings made before languages existed were made on the English-only site.
    with op.batch_alter_table("booking") as table:
        table.add_column(
            sa.Column("language", sa.String(length=8), nullable=False, server_default="en")
        )
    with op.batch_alter_table("coordinator") as table:
        table.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("coordinator") as table:
        table.drop_column("language")
    with op.batch_alter_table("booking") as table:
        table.drop_column("language")
