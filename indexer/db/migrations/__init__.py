"""Alembic migration environment for Chartfile (run through indexer.db.engine.migrate)."""
