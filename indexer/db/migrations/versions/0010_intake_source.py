"""intake source: the inbox file an item was copied from, until that file is removed

Revision ID: 0010_intake_source
Revises: 0009_review_queue_index
Create Date: 2026-12-03

Issue 19.  A watched inbox's file is copied into the spool and stays in the
inbox until the item's outcome is committed, so that a sender still writing
to it is noticed (the claim is abandoned and the file taken again whole).
``intake_items.source_print`` is that inbox file's identity and version when
it was taken (``device:inode:size:mtime_ns``); it is cleared once the file is
removed.  Recovery uses it to find the file again after a crash.
Portable SQL only.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_intake_source"
down_revision = "0009_review_queue_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite and PostgreSQL both have it for a nullable column): a batch copy would
    # drop and recreate intake_items, which SQLite refuses while other tables' rows refer to it.
    op.add_column("intake_items", sa.Column("source_print", sa.String(length=100), nullable=True))


def downgrade() -> None:
    op.drop_column("intake_items", "source_print")  # ALTER TABLE DROP COLUMN: SQLite >= 3.35, PostgreSQL
