"""Alembic environment: the URL is the app's DATABASE_URL unless a caller passes one in."""

from alembic import context
from sqlmodel import SQLModel

import web.core.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from web.core.db import make_engine
from web.schema import one_migration_at_a_time, refuse_data_loss
from web.settings import load_settings

config = context.config
target_metadata = SQLModel.metadata


def database_url() -> str:
    return config.attributes.get("database_url") or load_settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def forced() -> bool:
    """`python -m web downgrade --force`, or `alembic -x force-downgrade=yes downgrade ...`."""
    argument = context.get_x_argument(as_dictionary=True).get("force-downgrade", "")
    return bool(config.attributes.get("force_downgrade")) or argument.lower() in {"yes", "true"}


def planned_downgrades() -> list[str]:
    """The revisions this run would undo, worked out before any of them runs. Alembic hands the
    command's step planner to the migration context; asking it has no side effect."""
    migration = context.get_context()
    plan = migration._migrations_fn  # noqa: SLF001
    if plan is None:
        return []
    return [
        step.revision.revision
        for step in plan(migration.get_current_heads(), migration)
        if not step.is_upgrade
    ]


def run_migrations_online() -> None:
    """One release at a time, with the migration timeouts, never an unforced data-losing
    downgrade (web/schema.py)."""
    engine = make_engine(database_url())
    with engine.connect() as connection, one_migration_at_a_time(connection):
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        refuse_data_loss(connection, planned_downgrades(), forced=forced())
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
