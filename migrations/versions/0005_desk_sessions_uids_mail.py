"""Desk sessions kept on the server, a random invite UID per booking, and what the outbox needs
to send honest mail (the sender's name, Reply-To, a permanent failure).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "desk_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("coordinator_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["coordinator_id"], ["coordinator.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_desk_session_token_hash", "desk_session", ["token_hash"], unique=True)
    op.create_index("ix_desk_session_coordinator_id", "desk_session", ["coordinator_id"])

    with op.batch_alter_table("outbox_message") as table:
        table.add_column(
            sa.Column("sender_name", sa.String(length=200), nullable=False, server_default="")
        )
        table.add_column(sa.Column("reply_to", sa.String(length=254), nullable=True))
        table.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("context", sa.Text(), nullable=True))
        table.create_index("ix_outbox_message_failed_at", ["failed_at"])

    # Existing bookings get their random UID here; a calendar that holds the old one keeps a
    # duplicate event until the booking's next update replaces it, a one-off cost.
    with op.batch_alter_table("booking") as table:
        table.add_column(sa.Column("uid", sa.String(length=32), nullable=True))
    booking = sa.table("booking", sa.column("id", sa.Integer), sa.column("uid", sa.String))
    connection = op.get_bind()
    for (row_id,) in connection.execute(sa.select(booking.c.id)).all():
        connection.execute(
            booking.update().where(booking.c.id == row_id).values(uid=secrets.token_hex(16))
        )
    with op.batch_alter_table("booking") as table:
        table.alter_column("uid", existing_type=sa.String(length=32), nullable=False)
        table.create_unique_constraint("uq_booking_uid", ["uid"])


def downgrade() -> None:
    with op.batch_alter_table("outbox_message") as table:
        table.drop_index("ix_outbox_message_failed_at")
        table.drop_column("context")
        table.drop_column("failed_at")
        table.drop_column("reply_to")
        table.drop_column("sender_name")
    with op.batch_alter_table("booking") as table:
        table.drop_constraint("uq_booking_uid", type_="unique")
        table.drop_column("uid")
    op.drop_index("ix_desk_session_coordinator_id", table_name="desk_session")
    op.drop_index("ix_desk_session_token_hash", table_name="desk_session")
    op.drop_table("desk_session")
