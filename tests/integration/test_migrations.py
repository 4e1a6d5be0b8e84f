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


def test_history_is_linear_with_one_head() -> None:
    from alembic.script import ScriptDirectory

    from indexer.db.engine import MIGRATIONS_DIR, head_revision

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    assert script.get_heads() == [head_revision()]
    assert [r.revision for r in reversed(list(script.walk_revisions()))][:4] == \
        ["0001", "0002_roi", "0003_audit", "0004_search"]


def _migrate_to(db: Database, revision: str) -> None:
    """A database as this revision left it (later revisions not applied)."""
    from alembic import command

    from indexer.db.engine import alembic_config

    acfg = alembic_config(db.engine)
    with db.engine.begin() as conn:
        acfg.attributes["connection"] = conn
        command.upgrade(acfg, revision)


def _stamp(db: Database, *revisions: str) -> None:
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM alembic_version")
        for rev in revisions:
            conn.exec_driver_sql(f"INSERT INTO alembic_version (version_num) VALUES ('{rev}')")


def test_a_database_stamped_at_the_three_old_heads_upgrades_cleanly(tmp_path: Path) -> None:
    from indexer.db.engine import current_revisions, head_revision, schema_state

    load_all()
    db = Database(load_config(tmp_path, environ={}))
    _migrate_to(db, "0004_search")  # the old history ended with this schema
    _stamp(db, "0002", "0003", "0005_search")  # what 'upgrade heads' left with the old history
    assert schema_state(db.engine) == "outdated"
    db.migrate()  # nothing is re-run (it would fail: the tables and triggers exist)
    assert current_revisions(db.engine) == {head_revision()} and schema_state(db.engine) == "current"
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_old_stamps_missing_a_branch_get_that_branch_applied(tmp_path: Path) -> None:
    from indexer.db.engine import current_revisions, head_revision

    load_all()
    db = Database(load_config(tmp_path, environ={}))
    _migrate_to(db, "0004_search")
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_documents_indexed_at")
    _stamp(db, "0002", "0003")  # a home from before the search-pending index
    db.migrate()
    assert current_revisions(db.engine) == {head_revision()}
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
