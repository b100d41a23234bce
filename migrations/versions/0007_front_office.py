"""The coordinator's front office: who made a booking and how consent was given, a folded name
for search, the "call the patient" task, and clinic-only notes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("booking") as table:
        table.add_column(
            sa.Column(
                "consent_given", sa.String(length=16), nullable=False, server_default="online"
            )
        )
        table.add_column(
            sa.Column("consent_notice", sa.String(length=16), nullable=False, server_default="")
        )
        table.add_column(sa.Column("consent_recorded_by", sa.String(length=80), nullable=True))
        table.add_column(sa.Column("booked_by", sa.String(length=80), nullable=True))
        table.add_column(
            sa.Column("name_folded", sa.String(length=120), nullable=False, server_default="")
        )
        table.add_column(sa.Column("call_patient", sa.String(length=16), nullable=True))
        table.add_column(sa.Column("call_patient_since", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_booking_name_folded", "booking", ["name_folded"])
    op.create_index("ix_booking_phone", "booking", ["phone"])
    op.create_index("ix_booking_call_patient", "booking", ["call_patient"])
    booking = sa.table(
        "booking",
        sa.column("id", sa.Integer),
        sa.column("patient_name", sa.String),
        sa.column("name_folded", sa.String),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(booking.c.id, booking.c.patient_name)).all()
    for row_id, name in rows:  # casefold in Python: SQLite's lower() knows only ASCII
        connection.execute(
            booking.update().where(booking.c.id == row_id).values(name_folded=name.casefold())
        )
    op.create_table(
        "booking_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["booking_id"], ["booking.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_booking_note_booking_id", "booking_note", ["booking_id"])


def downgrade() -> None:
    op.drop_index("ix_booking_note_booking_id", table_name="booking_note")
    op.drop_table("booking_note")
    op.drop_index("ix_booking_call_patient", table_name="booking")
    op.drop_index("ix_booking_phone", table_name="booking")
    op.drop_index("ix_booking_name_folded", table_name="booking")
    with op.batch_alter_table("booking") as table:
        for name in (
            "call_patient_since",
            "call_patient",
            "name_folded",
            "booked_by",
            "consent_recorded_by",
            "consent_notice",
            "consent_given",
        ):
            table.drop_column(name)
