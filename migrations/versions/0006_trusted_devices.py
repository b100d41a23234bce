"""A sign-in try remembers the trusted browser it came from, if any, so that a browser that has
signed in before is limited on its own rather than by the account-wide slowdown.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("login_attempt") as table:
        table.add_column(sa.Column("device", sa.String(length=32), nullable=True))
    op.create_index("ix_login_attempt_device", "login_attempt", ["device"])


def downgrade() -> None:
    op.drop_index("ix_login_attempt_device", table_name="login_attempt")
    with op.batch_alter_table("login_attempt") as table:
        table.drop_column("device")
