"""Alembic environment: runs migrations on the connection handed in by indexer.db.engine."""

from __future__ import annotations

from alembic import context

from indexer.db.all_models import load_all
from indexer.db.models import Base

load_all()

target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run with the connection passed through ``config.attributes['connection']``."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        from sqlalchemy import create_engine

        engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as conn:
            context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
