"""Accounts get a role (administrator or coordinator), can be removed while their name stays in
history, remember which patient changes they have seen, and one-time set-password links.

The earliest account (the lowest id, the one the clinic's engineer made first) becomes the
administrator; every later one a coordinator. Each clinic with accounts so gets one
administrator who can manage the rest in the browser, and nobody else gains a power they did not
have before; `python -m web create-administrator NAME` makes more.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("coordinator") as table:
        table.add_column(
            sa.Column("role", sa.String(length=16), nullable=False, server_default="coordinator")
        )
        table.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("changes_seen_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE coordinator SET role = 'administrator' WHERE id = (SELECT min(id) FROM coordinator)"
    )
    op.create_table(
        "password_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("coordinator_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["coordinator_id"], ["coordinator.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_password_link_token_hash", "password_link", ["token_hash"], unique=True)
    op.create_index("ix_password_link_coordinator_id", "password_link", ["coordinator_id"])


def downgrade() -> None:
    op.drop_index("ix_password_link_coordinator_id", table_name="password_link")
    op.drop_index("ix_password_link_token_hash", table_name="password_link")
    op.drop_table("password_link")
    # A removed account keeps its row (its password hash matches no password), as before.
    with op.batch_alter_table("coordinator") as table:
        table.drop_column("changes_seen_id")
        table.drop_column("removed_at")
        table.drop_column("role")
