"""search: index documents.indexed_at

Revision ID: 0004_search
Revises: 0003_audit
Create Date: 2026-11-23

The intake service looks for documents to put in the search index
(``indexed_at IS NULL``) after every file it processes; without an index that
is a scan of the whole documents table (about 100 ms at 100,000 documents).
"""

from alembic import op

revision = "0004_search"
down_revision = "0003_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index("ix_documents_indexed_at", ["indexed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_indexed_at")
