"""One calendar feed secret per coordinator. The clinic's one shared address is retired: it put
every patient's phone and health note into whatever calendar subscribed; each coordinator makes
their own address on the desk's calendar page.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM feed_secret")
    with op.batch_alter_table("feed_secret") as table:
        table.add_column(sa.Column("coordinator_id", sa.Integer(), nullable=False))
        table.create_foreign_key(
            "fk_feed_secret_coordinator", "coordinator", ["coordinator_id"], ["id"]
        )
        table.create_unique_constraint("uq_feed_secret_coordinator_id", ["coordinator_id"])


def downgrade() -> None:
    op.execute("DELETE FROM feed_secret")
    with op.batch_alter_table("feed_secret") as table:
        table.drop_constraint("uq_feed_secret_coordinator_id", type_="unique")
        table.drop_constraint("fk_feed_secret_coordinator", type_="foreignkey")
        table.drop_column("coordinator_id")
