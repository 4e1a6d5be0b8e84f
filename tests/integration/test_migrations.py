"""The Alembic migrations create exactly the schema the models declare."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from indexer.db.all_models import load_all
from indexer.db.engine import Database
from indexer.db.models import Base
from intake.config import load_config


def test_migrations_match_models(tmp_path: Path) -> None:
    load_all()
    db = Database(load_config(tmp_path, environ={}))
    db.migrate()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], diff
    db.migrate()  # idempotent
    with db.engine.connect() as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert mode == "wal"
