"""audit trail: append-only triggers, audit switch row, unbounded document_ids

Revision ID: 0003_audit
Revises: 0002_roi
Create Date: 2026-11-23

- Database triggers refuse UPDATE and DELETE (and, on PostgreSQL, TRUNCATE) of
  ``audit_events``: the application never does either, so this only stops
  accidental or casual edits.  Deliberate tampering (dropping the triggers) is
  what the hash chain and the anchors detect.
- The ``settings['audit.enabled']`` row exists from the start, so appends can
  lock it on PostgreSQL (see ``indexer.audit.trail``).
- ``audit_events.document_ids`` becomes TEXT (a search event can name hundreds
  of documents).  On SQLite this rebuilds the table, so it happens *before* the
  triggers are created.  Any later migration that rebuilds ``audit_events`` on
  SQLite (``batch_alter_table``) drops the triggers and must re-create them
  (``SQLITE_UP``); the audit tests check that they exist after ``heads``.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_audit"
down_revision = "0002_roi"
branch_labels = None
depends_on = None

SEED_SWITCH = (
    "INSERT INTO settings (key, value) SELECT 'audit.enabled', 'true' "
    "WHERE NOT EXISTS (SELECT 1 FROM settings WHERE key = 'audit.enabled')"
)

SQLITE_UP = (
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS audit_events_no_update",
    "DROP TRIGGER IF EXISTS audit_events_no_delete",
)

POSTGRES_UP = (
    "CREATE OR REPLACE FUNCTION chartfile_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_events is append-only'; END; $$",
    "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION chartfile_audit_append_only()",
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION chartfile_audit_append_only()",
)
POSTGRES_DOWN = (
    "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events",
    "DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events",
    "DROP FUNCTION IF EXISTS chartfile_audit_append_only()",
)


def _dialect() -> str:
    return op.get_bind().dialect.name


def upgrade() -> None:
    op.execute(SEED_SWITCH)
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("document_ids", existing_type=sa.String(length=400), type_=sa.Text(),
                              existing_nullable=False)
    dialect = _dialect()
    if dialect == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in POSTGRES_UP:
            op.execute(statement)


def downgrade() -> None:
    dialect = _dialect()
    if dialect == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in POSTGRES_DOWN:
            op.execute(statement)
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("document_ids", existing_type=sa.Text(), type_=sa.String(length=400),
                              existing_nullable=False)
    op.execute("DELETE FROM settings WHERE key = 'audit.enabled'")
