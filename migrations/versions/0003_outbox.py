"""The e-mail outbox.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("attachment", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("send_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_outbox_message_booking_id", "outbox_message", ["booking_id"])
    op.create_index("ix_outbox_message_message_id", "outbox_message", ["message_id"], unique=True)
    op.create_index("ix_outbox_message_send_after", "outbox_message", ["send_after"])
    op.create_index("ix_outbox_message_next_attempt_at", "outbox_message", ["next_attempt_at"])
    op.create_index("ix_outbox_message_sent_at", "outbox_message", ["sent_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_message_sent_at", table_name="outbox_message")
    op.drop_index("ix_outbox_message_next_attempt_at", table_name="outbox_message")
    op.drop_index("ix_outbox_message_send_after", table_name="outbox_message")
    op.drop_index("ix_outbox_message_message_id", table_name="outbox_message")
    op.drop_index("ix_outbox_message_booking_id", table_name="outbox_message")
    op.drop_table("outbox_message")
